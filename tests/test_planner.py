"""The template planner: deterministic, readable plans that carry the prompt and pass validation.

Also the vocabulary it reads with (every place, time and weather the painter is promised), the
voices it casts, the post-processing every planner's plan takes, and `sparkle plan`'s output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sparkle_cli.backends.planner.template import PlanOptions, TemplatePlanner
from sparkle_cli.planning.postprocess import finish
from sparkle_cli.planning.vocabulary import lines, vocabulary
from sparkle_cli.profiles import load_profile
from sparkle_cli.validation import check_plan
from tests.conftest import SHARED_SAMPLE
from tests.test_story_prompts import ALL_CASES

PLACES = [
    "kitchen", "bakery", "restaurant", "cafe", "cooking show", "TV studio", "library", "classroom", "office",
    "laboratory", "hospital", "living room", "bedroom", "greenhouse", "garden", "park", "meadow", "field", "farm",
    "forest", "jungle", "beach", "sea", "ocean", "lake", "river", "harbor", "ship deck", "island", "desert",
    "mountain", "cave", "volcano", "castle", "throne room", "dungeon", "tavern", "village", "market", "city street",
    "alley", "rooftop", "train station", "museum", "theater stage", "space station", "spaceship", "moon", "planet",
    "swamp", "ruins", "temple",
]  # fmt: skip
TIMES = {
    "at dawn": "dawn",
    "in the morning": "morning",
    "at noon": "day",
    "at sunset": "sunset",
    "at dusk": "dusk",
    "at night": "night",
}
WEATHER = {
    "on a sunny day": "clear",
    "in the rain": "rain",
    "in a storm": "storm",
    "in the snow": "snow",
    "in thick fog": "fog",
    "in the wind": "wind",
}


def _plan(prompt: str, **kw: Any) -> dict[str, Any]:
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
    assert _plan("Two friends on a neon rooftop reconcile before sunrise.", seed=7) != a


def test_names_in_the_prompt_become_characters_with_distinct_voices() -> None:
    plan = _plan("Ava and Miko argue in a rainy alley at night.", shots=4)
    assert [c["name"] for c in plan["characters"]] == ["Ava", "Miko"]
    voices = [(c["voice_profile"]["voice"], c["voice_profile"]["pitch"]) for c in plan["characters"]]
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


def test_a_longer_movie_keeps_every_line_inside_its_shot() -> None:
    short = _plan("A knight and a dragon make peace at the mouth of a volcano at sunset.", shots=4)
    plan = _plan("A knight and a dragon make peace at the mouth of a volcano at sunset.", shots=4, seconds=60)
    assert [e.get("text") for e in plan["dialogue_timeline"]] != []
    starts, t = [], 0.0
    for shot in plan["shots"]:
        starts.append(t)
        t += shot["duration_sec"]
    lines_short = [e for e in short["dialogue_timeline"] if e["type"] == "dialogue"]
    lines_long = [e for e in plan["dialogue_timeline"] if e["type"] == "dialogue"]
    assert [e["text"] for e in lines_short] == [e["text"] for e in lines_long]
    for line in lines_long:
        shot = max(i for i, s in enumerate(starts) if s <= line["start_time_sec"] + 1e-6)
        assert (
            line["start_time_sec"] + line["duration_sec"] <= starts[shot] + plan["shots"][shot]["duration_sec"] + 1e-6
        )


@pytest.mark.parametrize("word", PLACES)
def test_every_promised_place_reaches_the_setting(word: str) -> None:
    plan = _plan(f"Two friends talk at the {word} at dusk.", shots=2)
    for shot in plan["shots"]:
        assert word.lower() in shot["setting"].lower() and "dusk" in shot["setting"], shot["setting"]
    assert plan["metadata"]["reading"]["setting"]["from_prompt"]["place"] is True


@pytest.mark.parametrize("words", list(TIMES.items()) + list(WEATHER.items()), ids=lambda w: str(w))
def test_times_and_weather_reach_the_setting(words: tuple[str, str]) -> None:
    phrase, key = words
    plan = _plan(f"Two friends walk through a village {phrase}.", shots=2)
    reading = plan["metadata"]["reading"]["setting"]
    assert key in (reading["time"], reading["weather"])
    assert re.search(rf"\b{key}\b", plan["shots"][0]["setting"]), plan["shots"][0]["setting"]


def test_the_vocabulary_files_hold_only_words() -> None:
    """YAML reads a bare `on` or `no` as a boolean: every entry must still be a string."""

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                assert isinstance(key, str), f"{path}: key {key!r}"
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for item in value:
                walk(item, path)
        else:
            allowed = (str, int) if not path.endswith("indoor") else (bool,)
            assert isinstance(value, allowed) and (path.endswith("indoor") or not isinstance(value, bool)), (
                path,
                value,
            )

    walk(vocabulary().raw, "vocabulary")
    walk(lines(), "lines")
    assert {p.prep for p in vocabulary().places.values()} <= {"in", "on", "at"}


def test_every_cast_voice_speaks() -> None:
    from sparkle_cli.backends.tts.espeak import check_voice

    tables = {k: v for k, v in vocabulary().raw["voices"].items() if k != "rates"}
    for table, entries in tables.items():
        for variant, pitch in entries:
            check_voice(f"en-us+{variant}")
            assert 0 <= pitch <= 100, (table, variant)


def test_six_characters_never_share_a_voice() -> None:
    plan = _plan("Six astronauts argue on a spaceship.", shots=3)
    voices = [(c["voice_profile"]["voice"], c["voice_profile"]["pitch"]) for c in plan["characters"]]
    assert len(voices) == 6 and len(set(voices)) == 6


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_template_plans_need_no_repair(case: Any) -> None:
    plan = TemplatePlanner().plan(PlanOptions(prompt=case.prompt, shots=5))
    finished = finish(plan, PlanOptions(prompt=case.prompt, shots=5), load_profile("builtin"))
    assert finished.errors == [] and finished.repairs == []


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_keyframe_words_and_metadata_agree(case: Any) -> None:
    plan = _plan(case.prompt, shots=6)
    by_id = {c["id"]: c["name"] for c in plan["characters"]}
    for image in plan["base_images"]:
        shown = image["metadata"]["characters"]
        named = [i for i, name in by_id.items() if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", image["prompt"])]
        assert sorted(named) == sorted(shown), image
        assert image["metadata"]["framing"] in {"wide", "close", "together", "detail"}
        if image["metadata"]["framing"] == "wide":
            assert image["prompt"].startswith("Wide view of ")


def test_post_processing_repairs_what_a_model_gets_wrong() -> None:
    plan = TemplatePlanner().plan(PlanOptions(prompt="Two friends talk on a rooftop.", shots=2))
    spoken = [dict(e) for e in plan["dialogue_timeline"] if e["type"] == "dialogue"]
    spoken.reverse()  # out of order
    spoken[0]["start_time_sec"] = spoken[1]["start_time_sec"] + 0.2  # overlapping the one before
    total = sum(s["duration_sec"] for s in plan["shots"])
    spoken.append(
        {
            "type": "dialogue",
            "character_id": plan["characters"][0]["id"],
            "text": "One more thing.",
            "start_time_sec": total - 0.5,
            "duration_sec": 2.0,
        }
    )
    plan["dialogue_timeline"] = spoken
    del plan["base_images"][0]["metadata"]["seed"]
    assert not check_plan({**plan, "render_profile": load_profile("builtin")}).ok
    finished = finish(plan, PlanOptions(prompt="x", shots=2), load_profile("builtin"))
    assert finished.errors == [], finished.errors
    text = "\n".join(finished.repairs)
    assert (
        "time order" in text and "so it does not overlap" in text and "so the dialogue fits" in text and "seed" in text
    )
    check = check_plan(finished.plan)
    assert check.ok and check.notices == []
    assert finished.plan["metadata"]["repairs"] == finished.repairs


def test_post_processing_leaves_real_problems_to_the_validator() -> None:
    plan = TemplatePlanner().plan(PlanOptions(prompt="Two friends talk on a rooftop.", shots=2))
    plan["shots"][1]["end_base_image_id"] = "frame_099"
    plan["dialogue_timeline"][1]["character_id"] = "nobody"
    finished = finish(plan, PlanOptions(prompt="x", shots=3), load_profile("builtin"))
    assert any(e.startswith("shots[1].end_base_image_id:") for e in finished.errors)
    assert any("unknown character 'nobody'" in e for e in finished.errors)
    assert "shots: the request asks for exactly 3 shots, the plan has 2" in finished.errors


def test_plan_command_json_envelope(cli, runs: Path) -> None:
    result = cli("plan", "Two friends on a neon rooftop reconcile before sunrise.", "--json", "--run-id", "r1")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert {"status", "run_id", "artifact_uri", "request_id"} <= set(payload)
    assert payload["run_id"] == "r1" and payload["planner"]["name"] == "template"
    envelope = json.loads((runs / "r1" / "plan.json").read_text())
    assert set(envelope) == {"request", "validated_plan", "generated_at", "metadata", "schema_uri"}
    assert envelope["validated_plan"]["render_profile"]["profile"] == "builtin"
    assert envelope["request"]["planner_requested"] == "auto"
    assert cli("plan", "again", "--run-id", "r1").exit_code == 2


def test_a_prompt_that_is_not_english_gets_a_notice(cli, runs: Path) -> None:
    result = cli("plan", "Deux amis se réconcilient sur un toit à l'aube.", "--planner", "template")
    assert result.exit_code == 0, result.output
    assert "does not read as English" in result.output


def test_the_sample_plan_still_imports(cli, runs: Path) -> None:
    sample = (
        SHARED_SAMPLE
        if SHARED_SAMPLE.exists()
        else Path(__file__).parents[1] / "examples" / "rooftop_revelations.plan.json"
    )
    result = cli("plan", "--from-file", str(sample), "--profile", "builtin", "--run-id", "sample")
    assert result.exit_code == 0, result.output
    envelope = json.loads((runs / "sample" / "plan.json").read_text())
    assert envelope["validated_plan"]["title"] == json.loads(sample.read_text())["validated_plan"]["title"]


def test_ids_are_readable_ascii_for_any_name() -> None:
    plan = _plan("Søren, Łucja and José share a thermos of cocoa on a frozen lake at night.")
    assert [c["id"] for c in plan["characters"]] == ["soren", "lucja", "jose"]
    assert [c["name"] for c in plan["characters"]] == ["Søren", "Łucja", "José"]
