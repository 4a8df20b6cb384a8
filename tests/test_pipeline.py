"""End to end on the built-in backends: the real CLI, real media, measured from the files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sparkle_cli.backends.qa.heuristic import read_audio
from sparkle_cli.cli import app
from sparkle_cli.media.audio import rms_dbfs
from sparkle_cli.media.video import iter_frames, mean_luma, probe

from .conftest import SAMPLE_PLAN, STAGES, copy_run


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def produced(produced_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The original sample plan imported with the built-in profile and produced (once per session)."""
    return copy_run(produced_sample, tmp_path_factory.mktemp("runs"))


def rendered(run: Path, since: int = 0) -> list[tuple[str, str]]:
    """(stage, item) of every item made (not skipped) after event number `since`."""
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()[since:]]
    return [(e["stage"], e["item"]) for e in events if e.get("item") and e["status"] == "succeeded"]


def event_count(run: Path) -> int:
    return len((run / "events.jsonl").read_text().splitlines())


def test_sample_plan_without_wan_fails_before_rendering(runs: Path, cli) -> None:
    assert cli("plan", "--from-file", str(SAMPLE_PLAN), "--run-id", "wan").exit_code == 0
    result = cli("produce", "wan")
    assert result.exit_code == 1
    assert "render_profile.video.model_id = 'wan-2.1'" in result.output
    assert "--profile builtin" in result.output
    assert "nothing was rendered" in result.output
    assert not any((runs / "wan" / stage).exists() for stage in STAGES)


def test_sample_movie_is_a_real_movie(produced: Path) -> None:
    final = produced / "assembly_lipsync" / "video_final.mp4"
    timeline = json.loads((produced / "dialogue_audio" / "dialogue_timeline_audio.json").read_text())
    info = probe(final)
    assert info.video is not None and info.audio is not None
    assert (info.video.codec, info.video.pix_fmt, info.audio.codec) == ("h264", "yuv420p", "aac")
    fps = timeline["fps"]
    revised = sum(s["duration_revised_s"] for s in timeline["shots"])
    assert abs(info.video.duration_s - revised) <= 1 / fps + 1e-6
    assert abs(info.audio.duration_s - info.video.duration_s) <= 1 / fps + 1e-6
    assert info.video.frames == timeline["total_frames"]

    samples, rate = read_audio(final)
    quiet = rms_dbfs(samples[: int(7.0 * rate)])  # the sample plan's opening silence
    for line in timeline["lines"]:
        window = samples[int(line["start_time_actual_s"] * rate) : int(line["end_time_actual_s"] * rate)]
        assert rms_dbfs(window) > -35, line["line_id"]
        assert rms_dbfs(window) > quiet + 30
    lumas = [mean_luma(frame) for frame in iter_frames(final, size=(160, 90))]
    assert len(lumas) == info.video.frames and min(lumas) > 16


def test_clips_start_and_end_on_their_keyframes(produced: Path) -> None:
    manifest = json.loads((produced / "video_clips" / "manifest.json").read_text())
    for item in manifest["items"].values():
        meta = item["result"]["metadata"]
        assert meta["first_frame_psnr_db"] > 30 and meta["last_frame_psnr_db"] > 30


def test_talking_closeup_moves_each_speakers_own_mouth_only_while_they_talk(produced: Path) -> None:
    from .test_animatic import mouth_report

    alignment = json.loads((produced / "assembly_lipsync" / "alignment_map.json").read_text())
    lines = [ln for ln in alignment["lines"] if ln["shot_id"] == "shot_002"]
    # Ava speaks 8.4-10.0 s and Miko 11.2-13.4 s; each is on screen for their own line.
    assert [(ln["character_id"], ln["on_screen"]) for ln in lines] == [("ava", "ava"), ("miko", "miko")]
    for line_id, (spoken, silent) in mouth_report(produced, "shot_002").items():
        closed = float(np.median(silent)) if silent else 0.0
        assert sum(v > closed + 0.03 for v in spoken) >= 0.5 * len(spoken), (line_id, spoken, closed)


def test_subtitles_and_alignment_follow_the_actual_times(produced: Path) -> None:
    srt = (produced / "assembly_lipsync" / "subtitles.srt").read_text()
    vtt = (produced / "assembly_lipsync" / "subtitles.vtt").read_text()
    assert "00:00:08,400 --> 00:00:10,0" in srt and "Ava: I was scared of losing us." in srt
    assert vtt.startswith("WEBVTT") and "00:00:11.200 -->" in vtt
    alignment = json.loads((produced / "assembly_lipsync" / "alignment_map.json").read_text())
    assert [s["frames"] for s in alignment["shots"]] == [192, 228]


def test_second_produce_renders_nothing(produced: Path) -> None:
    before = event_count(produced)
    result = invoke("produce", "sample", "--runs-dir", str(produced.parent), "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["status"] == "succeeded"
    assert rendered(produced, before) == []


def test_status_and_artifacts_payloads(produced: Path) -> None:
    status = json.loads(invoke("status", "sample", "--runs-dir", str(produced.parent), "--json").output)
    assert {"run_id", "status", "current_stage", "progress", "started_at", "updated_at", "qa", "log"} <= set(status)
    assert status["status"] == "succeeded" and status["progress"] == 1.0
    assert status["qa"] == {"mode": "full", "skipped": False, "required": False}
    record = next(e for e in status["log"] if e.get("item") == "shot_001")
    assert {
        "stage",
        "item",
        "status",
        "attempt",
        "started_at",
        "completed_at",
        "duration_s",
        "backend",
        "device",
        "artifacts",
    } <= set(record)
    payload = json.loads(invoke("artifacts", "sample", "--runs-dir", str(produced.parent), "--json").output)
    assert [s["stage_id"] for s in payload["stages"]] == STAGES
    finals = [a for a in payload["artifacts"] if a["artifact_type"] == "video_final"]
    assert len(finals) == 1 and finals[0]["artifact_uri"].startswith("file://")
    assert finals[0]["mime_type"] == "video/mp4" and finals[0]["playback_ready"]
    one = json.loads(
        invoke("artifacts", "sample", "--stage", "base_images", "--runs-dir", str(produced.parent), "--json").output
    )
    assert [s["stage_id"] for s in one["stages"]] == ["base_images"]
    assert any(a["metadata"].get("faces") for a in one["artifacts"])


@pytest.fixture
def copy_of(produced: Path, tmp_path: Path):
    def make() -> Path:
        target = tmp_path / "runs" / "sample"
        shutil.copytree(produced, target)
        (target / ".lock").unlink(missing_ok=True)
        return target

    return make


def edit_plan(run: Path, change) -> None:
    path = run / "plan.json"
    envelope = json.loads(path.read_text())
    change(envelope["validated_plan"])
    path.write_text(json.dumps(envelope))


def test_changing_one_line_resynthesizes_that_line_only(copy_of) -> None:
    run = copy_of()
    edit_plan(run, lambda p: p["dialogue_timeline"][1].update(text="You never had to."))
    before = event_count(run)
    result = invoke("produce", "sample", "--runs-dir", str(run.parent))
    assert result.exit_code == 0, result.output
    made = rendered(run, before)
    assert [i for s, i in made if s == "dialogue_audio"] == ["line_001", "timeline"]
    assert not [x for x in made if x[0] == "base_images"]
    # The shot that holds the line follows its new timing (cuts and mouths); the other shot is untouched.
    assert [i for s, i in made if s == "video_clips"] == ["shot_002"]
    assert "text changed" in result.output


def test_changing_one_keyframe_prompt_rerenders_it_and_its_two_clips(copy_of) -> None:
    run = copy_of()
    edit_plan(run, lambda p: p["base_images"][1].update(prompt="Ava alone under a red umbrella, night rain"))
    before = event_count(run)
    result = invoke("produce", "sample", "--runs-dir", str(run.parent))
    assert result.exit_code == 0, result.output
    made = rendered(run, before)
    assert [i for s, i in made if s == "base_images"] == ["frame_001", "qa_report"]
    assert sorted(i for s, i in made if s == "video_clips") == ["shot_001", "shot_002"]  # in either order
    assert not [x for x in made if x[0] == "dialogue_audio"]
    assert "prompt changed" in result.output


def test_dry_run_renders_nothing(runs: Path, cli) -> None:
    assert cli("plan", "--from-file", str(SAMPLE_PLAN), "--profile", "builtin", "--run-id", "dry").exit_code == 0
    result = cli("produce", "dry", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [s["stage_id"] for s in report["stages"]] == STAGES
    assert report["stages"][0]["render_count"] == 1
    assert not any((runs / "dry" / stage).exists() for stage in STAGES)


def test_qa_skip_is_visible_everywhere(runs: Path, cli, small_profile: Path) -> None:
    plan = ["plan", "--from-file", str(SAMPLE_PLAN), "--profile", str(small_profile), "--run-id", "skip"]
    assert cli(*plan).exit_code == 0
    result = cli("produce", "skip", "--qa-mode", "skip")
    assert result.exit_code == 0, result.output
    assert "QA skipped" in result.output
    status = json.loads(cli("status", "skip", "--json").output)
    assert status["qa"] == {"mode": "skip", "skipped": True, "required": True}
    report = json.loads((runs / "skip" / "qa_publish" / "qa_report.json").read_text())
    assert report["qa_skipped"] is True and report["passed"] is None
    assert json.loads((runs / "skip" / "video_clip_qa" / "shot_001.json").read_text())["qa_skipped"] is True
    final = [
        a
        for a in json.loads(cli("artifacts", "skip", "--json").output)["artifacts"]
        if a["artifact_type"] == "video_final"
    ]
    assert final and final[0]["metadata"]["qa_skipped"] is True and "QA skipped" in final[0]["label"]


def test_qa_after_a_skipped_run_really_checks(runs: Path, cli, small_profile: Path) -> None:
    plan = ["plan", "--from-file", str(SAMPLE_PLAN), "--profile", str(small_profile), "--run-id", "late"]
    assert cli(*plan).exit_code == 0
    assert cli("produce", "late", "--qa-mode", "skip").exit_code == 0
    result = cli("qa", "late")
    assert result.exit_code == 0, result.output
    report = json.loads((runs / "late" / "qa_publish" / "qa_report.json").read_text())
    assert report["qa_skipped"] is False and report["passed"] is True
    assert json.loads(cli("status", "late", "--json").output)["qa"] == {
        "mode": "full",
        "skipped": False,
        "required": False,
    }


def test_bad_input_to_produce_leaves_the_run_as_it_was(runs: Path, cli, tmp_path: Path) -> None:
    assert cli("plan", "--from-file", str(SAMPLE_PLAN), "--profile", "builtin", "--run-id", "same").exit_code == 0
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"max_attempts": 0}))
    before = (runs / "same" / "run.json").read_bytes()
    result = cli("produce", "same", "--qa-policy", str(policy))
    assert result.exit_code == 2 and "max_attempts must be from 1 to 10" in result.output
    assert cli("produce", "same", "--model-path", "nonsense").exit_code == 2
    assert (runs / "same" / "run.json").read_bytes() == before
    assert not (runs / "same" / "plan_intake").exists()
