"""The qwen2vl QA backend: the verdict parser, and a tiny random-weight Qwen2-VL on rendered clips.

Random weights never write a verdict, so their checks must come back `not_evaluated`; a
scripted `generate` covers the paths where an answer parses. A one-shot movie produced with
the qwen2vl profile runs the backend through video_clip_qa and qa_publish.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from sparkle_cli.backends.base import ClipRequest
from sparkle_cli.backends.qa.qwen2vl import Qwen2VLBackend, sample_indices
from sparkle_cli.backends.qa.verdict import VerdictError, parse_verdict
from sparkle_cli.backends.video.morph import MorphBackend
from sparkle_cli.qa_policy import DEFAULTS

GOOD = '{"prompt_match": 0.9, "finger_issues": false, "safety_violation": false, "artifact_notes": ["slight blur"]}'

# --- the verdict ---------------------------------------------------------------------------


def test_verdict_parses_a_good_answer_and_a_fenced_one() -> None:
    verdict = parse_verdict(GOOD)
    assert (verdict.prompt_match, verdict.finger_issues, verdict.safety_violation) == (0.9, False, False)
    assert verdict.artifact_notes == ["slight blur"]
    fenced = parse_verdict("```json\n" + GOOD.replace("0.9", "1") + "\n```")
    assert fenced.prompt_match == 1.0
    assert parse_verdict(GOOD.replace('["slight blur"]', '"warped hand"')).artifact_notes == ["warped hand"]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ('{"prompt_match": 0.7, "finger_issues": false}', "missing field(s): safety_violation, artifact_notes"),
        (GOOD.replace("0.9", "1.5"), "prompt_match must be a number from 0 to 1"),
        (GOOD.replace("0.9", "true"), "prompt_match must be a number from 0 to 1"),
        (GOOD.replace('"finger_issues": false', '"finger_issues": "no"'), "finger_issues must be true or false"),
        (GOOD.replace('["slight blur"]', "[1, 2]"), "artifact_notes must be a list of strings"),
        ("The frames look fine to me.", "not JSON"),
        (GOOD[:40], "not JSON"),
        ("[0.9, false, false, []]", "expected a JSON object"),
        ("", "the answer is empty"),
    ],
)
def test_verdict_rejects_partial_and_malformed_answers(answer: str, problem: str) -> None:
    with pytest.raises(VerdictError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_verdict(answer)


def test_sampled_frames_are_first_last_and_even_between() -> None:
    assert sample_indices(13, 4) == [0, 4, 8, 12]
    assert sample_indices(3, 4) == [0, 1, 2]
    assert sample_indices(10, 1) == [0]
    assert sample_indices(0, 4) == []


# --- the backend on a rendered clip ------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_vl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny_models import save_tiny_qwen2vl

    return save_tiny_qwen2vl(tmp_path_factory.mktemp("tiny-qwen2vl"))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 13-frame clip the morph backend renders between two drawn keyframes."""
    folder = tmp_path_factory.mktemp("clip")
    paths = []
    for i, colour in enumerate([(200, 80, 40), (40, 90, 210)]):
        image = Image.new("RGB", (160, 96), (30 + 60 * i, 40, 70))
        draw = ImageDraw.Draw(image)
        draw.rectangle((20 + 50 * i, 20, 80 + 50 * i, 80), fill=colour)
        draw.ellipse((100 - 40 * i, 10, 140 - 40 * i, 50), fill=(240, 230, 120))
        paths.append(folder / f"frame_{i:03d}.png")
        image.save(paths[-1])
    request = ClipRequest(
        shot_id="shot_001",
        start_image=str(paths[0]),
        end_image=str(paths[1]),
        num_frames=13,
        fps=24,
        width=160,
        height=96,
        motion_prompt="slow push in",
        seed=1,
    )
    result = MorphBackend().render(request, folder / "shot_001.mp4")
    return {"clip": result.path, "start_image": str(paths[0]), "end_image": str(paths[1]), "expected_frames": 13}


@pytest.fixture(scope="module")
def backend(tiny_vl: Path) -> Any:
    import os

    os.environ["HF_HUB_OFFLINE"] = "1"
    qa = Qwen2VLBackend({"model_path": str(tiny_vl), "max_new_tokens": 16})
    qa.load()
    yield qa
    qa.close()


def test_random_weights_give_not_evaluated_never_a_pass(backend: Any, clip: dict[str, Any]) -> None:
    report = backend.check_clip(**clip, policy=dict(DEFAULTS), prompt="A red box slides right. slow push in")
    for name in ("prompt_match", "finger_issues", "safety_violation"):
        assert report["checks"][name]["status"] == "not_evaluated", report["checks"][name]
        assert "did not parse after 3 tries" in report["checks"][name]["detail"]
    # The heuristic probes still ran and measured the clip.
    assert report["checks"]["frame_count"]["status"] == "passed"
    assert report["checks"]["continuity_start"]["status"] == "passed"
    assert report["passed"] and set(report["not_evaluated"]) >= {"prompt_match", "finger_issues"}
    vision = report["vision"]
    assert vision["frames"] == [0, 4, 8, 12] and vision["verdict"] is None
    assert len(vision["answers"]) == DEFAULTS["vlm_retries"] + 1
    assert all("error" in a for a in vision["answers"])
    # Greedy decoding with a fixed seed: the same clip gets the same answers.
    again = backend.check_clip(**clip, policy=dict(DEFAULTS), prompt="A red box slides right. slow push in")
    assert [a["answer"] for a in again["vision"]["answers"]] == [a["answer"] for a in vision["answers"]]


def test_parsed_verdicts_become_checks_against_the_policy(backend: Any, clip: dict[str, Any], monkeypatch) -> None:
    answers = iter(
        ['{"prompt_match": 0.9}', GOOD.replace("0.9", "0.3").replace('"finger_issues": false', '"finger_issues": true')]
    )
    seen: list[int] = []

    def scripted(frames: list[Any], conversation: list[tuple[str, str]]) -> str:
        seen.append(len(frames))
        assert "slow push in" in conversation[0][1] and "0.6" in conversation[0][1]
        return next(answers)

    monkeypatch.setattr(backend, "generate", scripted)
    policy = {**DEFAULTS, "prompt_match_min": 0.6, "vlm_frames": 3}
    report = backend.check_clip(**clip, policy=policy, prompt="A red box slides right. slow push in")
    checks = report["checks"]
    assert checks["prompt_match"]["status"] == "failed" and checks["prompt_match"]["value"] == 0.3
    assert checks["finger_issues"]["status"] == "failed"
    assert checks["safety_violation"]["status"] == "passed"
    assert not report["passed"] and set(report["failed_checks"]) == {"prompt_match", "finger_issues"}
    assert seen == [3, 3]  # the partial answer was asked again
    assert report["vision"]["answers"][0]["error"].startswith("missing field(s)")


def test_missing_model_is_a_clear_error() -> None:
    from sparkle_cli.backends.base import BackendUnavailable

    with pytest.raises(BackendUnavailable, match="SPARKLE_MODEL_PATH_QA"):
        Qwen2VLBackend({}).load()


# --- through the QA stages -----------------------------------------------------------------------


def test_qa_stages_run_the_model_on_a_produced_movie(
    runs: Path, cli, tiny_vl: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    profile = tmp_path / "vl.yaml"
    profile.write_text(
        "video: {model_id: builtin-morph, max_fps: 12, width: 160, height: 96}\n"
        "images: {backend: painter}\ntts: {backend: espeak}\nlipsync: {backend: amplitude}\n"
        f"qa: {{backend: qwen2vl, options: {{model_path: '{tiny_vl}', max_new_tokens: 8}}}}\n"
    )
    policy = tmp_path / "policy.yaml"
    policy.write_text("vlm_retries: 0\nvlm_frames: 2\n")
    assert (
        cli(
            "plan", "Two friends talk on a rooftop.", "--shots", "1", "--profile", str(profile), "--run-id", "vl"
        ).exit_code
        == 0
    )
    result = cli("produce", "vl", "--qa-policy", str(policy), "--json")
    assert result.exit_code == 0, result.output
    clip_report = json.loads((runs / "vl" / "video_clip_qa" / "shot_001.json").read_text())
    attempt = clip_report["attempts"][0]
    assert attempt["checks"]["prompt_match"]["status"] == "not_evaluated"
    assert len(attempt["vision"]["answers"]) == 1 and attempt["vision"]["frames"][0] == 0
    keyframes = json.loads((runs / "vl" / "base_images" / "qa_report.json").read_text())
    assert keyframes["passed"] and len(keyframes["images"]) == 2
    for image in keyframes["images"].values():
        assert image["vision"]["checks"]["prompt_match"]["status"] == "not_evaluated"
    final = json.loads((runs / "vl" / "qa_publish" / "qa_report.json").read_text())
    assert final["checks"]["finger_issues"]["status"] == "not_evaluated"
    assert final["checks"]["duration"]["status"] == "passed"
    assert len(final["vision"]["frames"]) == 2


def test_transformers_older_than_the_floor_is_refused(monkeypatch) -> None:
    """Before 5.3 Qwen2-VL's forward refuses the mm_token_type_ids that `generate` is given here."""
    from importlib import metadata

    from sparkle_cli.backends.base import BackendUnavailable

    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "5.2.0" if name == "transformers" else real(name))
    with pytest.raises(BackendUnavailable, match=r"transformers 5\.2\.0 is older than 5\.3\.0"):
        Qwen2VLBackend.check()
