"""Plan rules: every malformed plan exits 2 with one line per problem naming its JSON path."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from sparkle_cli.validation import check_plan

from .conftest import SAMPLE_PLAN, SHARED_SAMPLE, write_json


def test_examples_copy_of_the_sample_is_the_original() -> None:
    if SHARED_SAMPLE.exists():
        assert json.loads(SAMPLE_PLAN.read_text()) == json.loads(SHARED_SAMPLE.read_text())


def test_sample_plan_validates_with_a_notice_about_its_gap(sample_plan: dict) -> None:
    check = check_plan(sample_plan)
    assert check.ok, check.errors
    assert any("0.00 s to 8.40 s" in n and "silence" in n for n in check.notices)
    timeline = check.normalized["dialogue_timeline"]
    assert timeline[0] == {"type": "silence", "start_time_sec": 0.0, "duration_sec": 8.4, "filled": True}
    assert [e["id"] for e in timeline if e["type"] == "dialogue"] == ["line_000", "line_001"]


def test_bare_plan_is_accepted(sample_plan: dict) -> None:
    assert check_plan(sample_plan["validated_plan"]).ok


def _break(plan: dict, how: str) -> dict:
    plan = copy.deepcopy(plan)
    p = plan["validated_plan"]
    if how == "keyframe_count":
        p["base_images"].pop()
    elif how == "chain":
        p["shots"][1]["end_base_image_id"] = "frame_000"
    elif how == "unknown_character":
        p["dialogue_timeline"][1]["character_id"] = "zed"
    elif how == "overlap":
        p["dialogue_timeline"][1]["start_time_sec"] = 9.0
    elif how == "missing_profile":
        del p["render_profile"]
    elif how == "traversal_id":
        p["shots"][0]["id"] = "../x"
    elif how == "negative_duration":
        p["shots"][0]["duration_sec"] = -1
    elif how == "unknown_model":
        p["render_profile"]["video"]["model_id"] = "sora-9"
    elif how == "past_end":
        p["dialogue_timeline"][2]["duration_sec"] = 9.0
    return plan


CASES = {
    "keyframe_count": "base_images: 2 shots need 3 keyframes",
    "chain": "shots[1].end_base_image_id: must be 'frame_002'",
    "unknown_character": "dialogue_timeline[1].character_id: unknown character 'zed'",
    "overlap": "dialogue_timeline[1]: starts at 9.00 s, before dialogue_timeline[0] ends at 11.00 s",
    "missing_profile": "render_profile: required field is missing",
    "traversal_id": "shots[0].id: '../x' is not a valid id",
    "negative_duration": "shots[0].duration_sec: Input should be greater than 0",
    "unknown_model": "render_profile.video.model_id: unknown model 'sora-9'",
    "past_end": "dialogue_timeline[2]: ends at 22.40 s, after the shots end at 17.50 s",
}


@pytest.mark.parametrize("how", sorted(CASES))
def test_each_broken_rule_is_one_line_with_its_path(sample_plan: dict, how: str) -> None:
    check = check_plan(_break(sample_plan, how))
    assert not check.ok
    assert any(e.startswith(CASES[how]) for e in check.errors), check.errors


@pytest.mark.parametrize("how", sorted(CASES))
def test_validate_command_exits_2_without_traceback(cli, sample_plan: dict, tmp_path: Path, how: str) -> None:
    path = write_json(tmp_path / "bad.json", _break(sample_plan, how))
    result = cli("validate", str(path))
    assert result.exit_code == 2
    assert CASES[how] in result.output
    assert "Traceback" not in result.output


def test_several_problems_give_several_lines(cli, sample_plan: dict, tmp_path: Path) -> None:
    plan = _break(_break(sample_plan, "unknown_character"), "traversal_id")
    result = cli("validate", str(write_json(tmp_path / "bad.json", plan)), "--json")
    assert result.exit_code == 2
    errors = json.loads(result.output)["errors"]
    assert len(errors) == 2


def test_not_json_at_all(cli, tmp_path: Path) -> None:
    path = tmp_path / "junk.json"
    path.write_text("this is not { json")
    result = cli("validate", str(path))
    assert result.exit_code == 2
    assert "not JSON" in result.output
    assert "Traceback" not in result.output


def test_bad_plan_import_changes_nothing_on_disk(cli, runs: Path, sample_plan: dict, tmp_path: Path) -> None:
    before = sorted(runs.rglob("*")) if runs.exists() else []
    for how in CASES:
        path = write_json(tmp_path / f"{how}.json", _break(sample_plan, how))
        result = cli("plan", "--from-file", str(path))
        assert result.exit_code == 2, how
    after = sorted(runs.rglob("*")) if runs.exists() else []
    assert before == after


def test_bad_plan_edited_into_a_run_fails_produce_with_2_and_changes_nothing(
    cli, runs: Path, sample_plan_file: Path
) -> None:
    result = cli("plan", "--from-file", str(sample_plan_file), "--profile", "builtin", "--run-id", "edited")
    assert result.exit_code == 0, result.output
    plan_path = runs / "edited" / "plan.json"
    data = json.loads(plan_path.read_text())
    data["validated_plan"]["shots"][0]["id"] = "../escape"
    plan_path.write_text(json.dumps(data))
    snapshot = {p: p.read_bytes() for p in (runs / "edited").rglob("*") if p.is_file()}
    result = cli("produce", "edited")
    assert result.exit_code == 2
    assert "shots[0].id" in result.output
    assert {p: p.read_bytes() for p in (runs / "edited").rglob("*") if p.is_file()} == snapshot
