"""`produce --dry-run` after an edit names what the real produce then makes again, and why."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import copy_run


def redone_since(run: Path, since: int) -> set[tuple[str, str]]:
    lines = (run / "events.jsonl").read_text().splitlines()[since:]
    events = [json.loads(line) for line in lines if line.strip()]
    return {(e["stage"], e["item"]) for e in events if e.get("item") and e["status"] == "succeeded"}


def edit(run: Path, change: Callable[[dict], None]) -> None:
    envelope = json.loads((run / "plan.json").read_text())
    change(envelope["validated_plan"])
    (run / "plan.json").write_text(json.dumps(envelope, indent=2))


@pytest.fixture
def produced(runs: Path, produced_sample: Path) -> Path:
    return copy_run(produced_sample, runs, "d")


def predict(cli) -> dict[tuple[str, str], dict]:
    result = cli("produce", "d", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert all("pending" not in stage for stage in payload["stages"]), payload
    return {(s["stage_id"], i["item_id"]): i for s in payload["stages"] for i in s["items"]}


def test_nothing_to_do_is_all_skips(produced: Path, cli) -> None:
    items = predict(cli)
    assert items and all(i["kind"] == "skip" for i in items.values())


@pytest.mark.parametrize(
    "change, first",
    [
        (lambda plan: plan["shots"][1].update(motion_prompt="Slow push in toward the face"), "video_clips/shot_002"),
        (
            lambda plan: plan["base_images"][1].update(prompt="Close-up of Ava, eyes wet, city lights"),
            "base_images/frame_001",
        ),
    ],
    ids=["motion-prompt", "keyframe-prompt"],
)
def test_a_one_line_edit_is_predicted_exactly(produced: Path, cli, change, first: str) -> None:
    edit(produced, change)
    items = predict(cli)
    predicted = {key for key, item in items.items() if item["action"] == "render"}
    stage, item = first.split("/")
    assert items[(stage, item)]["kind"] == "redo" and "prompt changed" in items[(stage, item)]["reason"]
    before = len((produced / "events.jsonl").read_text().splitlines())
    assert cli("produce", "d").exit_code == 0
    assert redone_since(produced, before) == predicted
    for key, item in items.items():
        if item["kind"] == "depends":
            assert item["depends_on"] and item["reason"].startswith("depends on"), key


def test_a_dialogue_edit_names_what_it_redoes_and_what_waits_on_it(produced: Path, cli) -> None:
    edit(produced, lambda plan: plan["dialogue_timeline"][1].update(text="I was so scared of losing us."))
    items = predict(cli)
    lines = [key for key in items if key[0] == "dialogue_audio" and key[1].startswith("line_")]
    redo = [key for key in lines if items[key]["kind"] == "redo"]
    assert len(lines) == 2 and len(redo) == 1, items
    line = redo[0]
    assert items[line]["reason"] == "text changed"
    assert items[("dialogue_audio", "timeline")]["depends_on"] == [f"dialogue_audio/{line[1]}"]
    assert all(items[key]["kind"] == "skip" for key in items if key[0] == "base_images")
    before = len((produced / "events.jsonl").read_text().splitlines())
    assert cli("produce", "d").exit_code == 0
    redone = redone_since(produced, before)
    certain = {key for key, item in items.items() if item["kind"] in ("make", "redo")}
    possible = {key for key, item in items.items() if item["action"] == "render"}
    # Everything named as certain is made; nothing named as up to date is.
    assert certain <= redone <= possible
