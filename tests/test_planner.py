"""The template planner: deterministic, readable plans that carry the prompt and pass validation."""

from __future__ import annotations

import json
from pathlib import Path

from sparkle_cli.backends.planner.template import PlanOptions, TemplatePlanner
from sparkle_cli.profiles import load_profile
from sparkle_cli.validation import check_plan


def _plan(prompt: str, **kw) -> dict:
    plan = TemplatePlanner().plan(PlanOptions(prompt=prompt, **kw))
    plan["render_profile"] = load_profile("builtin")
    return plan


def test_same_prompt_same_plan_and_it_validates() -> None:
    a = _plan("Two friends on a neon rooftop reconcile before sunrise.")
    b = _plan("Two friends on a neon rooftop reconcile before sunrise.")
    assert a == b
    check = check_plan(a)
    assert check.ok, check.errors
    assert check.notices == [], "the planner writes its pauses out"


def test_names_in_the_prompt_become_characters_with_distinct_voices() -> None:
    plan = _plan("Ava and Miko argue in a rainy alley at night.", shots=4)
    assert [c["name"] for c in plan["characters"]] == ["Ava", "Miko"]
    voices = [(c["voice_profile"]["gender"], c["voice_profile"]["pitch"]) for c in plan["characters"]]
    assert voices[0] != voices[1]
    speakers = {e["character_id"] for e in plan["dialogue_timeline"] if e["type"] == "dialogue"}
    assert speakers == {"ava", "miko"}


def test_shot_and_keyframe_counts_and_the_setting_is_carried() -> None:
    plan = _plan("A fox and an owl search a snowy forest at dawn.", shots=5, seconds=40)
    assert len(plan["shots"]) == 5 and len(plan["base_images"]) == 6
    assert sorted(c["description"] for c in plan["characters"]) == ["a fox", "an owl"]
    assert all("forest" in b["prompt"] and "dawn" in b["prompt"] for b in plan["base_images"])
    assert abs(sum(s["duration_sec"] for s in plan["shots"]) - 40) < 0.1
    assert check_plan(plan).ok


def test_plan_command_json_envelope(cli, runs: Path) -> None:
    result = cli("plan", "Two friends on a neon rooftop reconcile before sunrise.", "--json", "--run-id", "r1")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {"status", "run_id", "artifact_uri", "request_id"}
    assert payload["run_id"] == "r1"
    envelope = json.loads((runs / "r1" / "plan.json").read_text())
    assert set(envelope) == {"request", "validated_plan", "generated_at", "metadata", "schema_uri"}
    assert envelope["validated_plan"]["render_profile"]["profile"] == "builtin"
    assert cli("plan", "again", "--run-id", "r1").exit_code == 2
