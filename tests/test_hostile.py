"""Hostile input and tampering: links, unbounded values, escape codes, bad bytes, failures on disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sparkle_cli.media.video import probe

from .conftest import SAMPLE_PLAN, copy_run, small_profile_in, write_json

SPARKLE = [sys.executable, "-m", "sparkle_cli"]


def sparkle(runs: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300):
    full = {**os.environ, "SPARKLE_RUNS_DIR": str(runs), **(env or {})}
    return subprocess.run([*SPARKLE, *args], capture_output=True, text=True, env=full, timeout=timeout)


def sample() -> dict:
    return json.loads(SAMPLE_PLAN.read_text())


def planned(cli, runs: Path, run_id: str = "r", plan: dict | None = None, tmp: Path | None = None) -> Path:
    source = SAMPLE_PLAN
    if plan is not None:
        assert tmp is not None
        source = write_json(tmp / f"{run_id}.plan.json", plan)
    profile = small_profile_in(runs.parent)
    result = cli("plan", "--from-file", str(source), "--profile", str(profile), "--run-id", run_id)
    assert result.exit_code == 0, result.output
    return runs / run_id


# --- 1. links in a run directory are never written through ------------------------------------


@pytest.mark.parametrize("name", [".lock", "events.jsonl", "run.json", "video_clips"])
def test_a_link_planted_in_a_run_is_refused_and_its_target_untouched(runs: Path, cli, tmp_path: Path, name: str):
    run = planned(cli, runs)
    target = tmp_path / "precious"
    if name == "video_clips":
        target.mkdir()
        (target / "keep.txt").write_text("mine")
    else:
        target.write_text("mine")
    before = sorted(p.name for p in target.iterdir()) if target.is_dir() else target.read_text()
    (run / name).unlink(missing_ok=True)
    (run / name).symlink_to(target)
    result = cli("produce", "r")
    assert result.exit_code == 2, result.output
    assert "link" in result.output
    after = sorted(p.name for p in target.iterdir()) if target.is_dir() else target.read_text()
    assert after == before
    assert not (run / "plan_intake").exists()  # nothing was made


def test_a_run_directory_that_leads_outside_the_runs_directory_is_refused(runs: Path, cli, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    planned(cli, runs, "real")
    (runs / "real").rename(elsewhere)
    (runs / "real").symlink_to(elsewhere)
    result = cli("produce", "real")
    assert result.exit_code == 2 and "outside" in result.output
    assert not (elsewhere / "plan_intake").exists()


# --- 2. bounded values ----------------------------------------------------------------------

ALIAS_BOMB = "\n".join(
    ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]" for i in range(9)]
    + ["max_attempts: *j"]
)


def test_a_yaml_alias_bomb_in_a_policy_or_profile_is_refused(runs: Path, cli, tmp_path: Path) -> None:
    planned(cli, runs)
    policy = tmp_path / "bomb.yaml"
    policy.write_text(ALIAS_BOMB)
    result = cli("produce", "r", "--qa-policy", str(policy))
    assert result.exit_code == 2 and "alias" in result.output
    profile = tmp_path / "bomb-profile.yaml"
    profile.write_text(ALIAS_BOMB.replace("max_attempts: *j", "video: *j"))
    result = cli("plan", "--from-file", str(SAMPLE_PLAN), "--profile", str(profile), "--run-id", "bomb")
    assert result.exit_code == 2 and "alias" in result.output
    assert not (runs / "bomb").exists()


@pytest.mark.parametrize(
    "content, words",
    [
        ("max_attempts: 1.0e+50\n", "max_attempts must be from 1 to 10"),
        ("black_luma: .nan\n", "not a usable number"),
        ('{"continuity_min_psnr_db": NaN}', "NaN is not a number JSON allows"),
        ("vlm_frames: 100000\n", "vlm_frames must be from 1 to 64"),
        ("loudness_min_lufs: -5\nloudness_max_lufs: -40\n", "is above"),
    ],
)
def test_policy_values_are_bounded(runs: Path, cli, tmp_path: Path, content: str, words: str) -> None:
    planned(cli, runs)
    policy = tmp_path / ("p.json" if content.startswith("{") else "p.yaml")
    policy.write_text(content)
    result = cli("produce", "r", "--qa-policy", str(policy))
    assert result.exit_code == 2 and words in result.output, result.output
    assert not (runs / "r" / "plan_intake").exists()


def test_dialogue_that_would_overrun_the_movie_cap_is_refused_by_validate(tmp_path: Path, cli) -> None:
    plan = sample()
    line = next(e for e in plan["validated_plan"]["dialogue_timeline"] if e["type"] == "dialogue")
    plan["validated_plan"]["dialogue_timeline"] = [
        {**line, "start_time_sec": round(i * 0.28, 2), "duration_sec": 0.25, "text": " ".join(["talk"] * 320)}
        for i in range(60)
    ]
    result = cli("validate", str(write_json(tmp_path / "long.json", plan)))
    assert result.exit_code == 2 and "more than the 1800 s allowed" in result.output


def test_backend_option_numbers_are_bounded(tmp_path: Path, cli) -> None:
    plan = sample()
    plan["validated_plan"]["render_profile"]["video"]["options"] = {"steps": 10**9, "crf": -3}
    result = cli("validate", str(write_json(tmp_path / "opts.json", plan)))
    assert result.exit_code == 2
    assert "render_profile.video.options.steps: must be a whole number from 1 to 500" in result.output
    assert "render_profile.video.options.crf" in result.output


@pytest.mark.parametrize("args", [["--workers", "0"], ["--workers", "100000"]])
def test_command_line_numbers_are_bounded(runs: Path, cli, args: list[str]) -> None:
    planned(cli, runs)
    assert cli("produce", "r", *args).exit_code == 2


def test_long_values_are_cut_short_in_errors(tmp_path: Path, cli) -> None:
    plan = sample()
    plan["validated_plan"]["shots"][0]["start_base_image_id"] = "x" * 100_000
    result = cli("validate", str(write_json(tmp_path / "long-id.json", plan)))
    assert result.exit_code == 2 and len(result.output) < 3000


# --- 3. escape sequences never reach the terminal raw ----------------------------------------


def test_escape_sequences_in_a_plan_are_refused_and_shown_escaped(tmp_path: Path, cli) -> None:
    plan = sample()
    plan["validated_plan"]["title"] = "Rooftop\x1b]0;pwned\x07"
    plan["validated_plan"]["dialogue_timeline"][1]["text"] = "hello \x1b[8mhidden"
    result = cli("validate", str(write_json(tmp_path / "esc.json", plan)))
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b" in result.output and "title" in result.output and "dialogue_timeline[1].text" in result.output


def test_a_tampered_title_is_shown_escaped_by_runs_and_status(runs: Path, cli) -> None:
    run = planned(cli, runs)
    envelope = json.loads((run / "plan.json").read_text())
    envelope["validated_plan"]["title"] = "Evil\x1b]0;owned\x07\x1b[2J title"
    (run / "plan.json").write_text(json.dumps(envelope))
    for args in (["runs"], ["status", "r"]):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
        assert "\\x1b" in result.output


# --- 4. bad bytes and odd files do not break readers ----------------------------------------


def test_bad_bytes_in_the_event_log_and_a_broken_run_json(runs: Path, cli, produced_sample: Path) -> None:
    run = copy_run(produced_sample, runs, "r")
    with open(run / "events.jsonl", "ab") as fh:
        fh.write(b'\xff\xfe{"stage": "x"\x00\n{"broken": ')
    for args in (["status", "r"], ["status", "r", "--json"], ["runs", "--json"], ["produce", "r"], ["resume", "r"]):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.output)
    other = planned(cli, runs, "other")
    (other / "run.json").unlink(missing_ok=True)
    (other / "run.json").mkdir()
    listed = cli("runs", "--json")
    assert listed.exit_code == 0
    assert {row["run_id"] for row in json.loads(listed.output)} == {"r", "other"}
    assert cli("status", "other").exit_code == 0


# --- 5. failures are recorded --------------------------------------------------------------


def test_an_output_path_that_is_a_directory_fails_the_run_and_says_so(runs: Path, cli) -> None:
    run = planned(cli, runs)
    (run / "base_images" / "frame_001.png").mkdir(parents=True)
    result = cli("produce", "r")
    assert result.exit_code == 1
    state = json.loads((run / "run.json").read_text())
    assert state["status"] == "failed" and "frame_001.png" in state["error"]
    status = json.loads(cli("status", "r", "--json").output)
    assert status["status"] == "failed" and status["stages"]["base_images"]["status"] == "failed"
    assert any(e.get("status") == "failed" for e in status["log"])


def test_a_full_disk_is_recorded_as_a_failure(runs: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up as a clip is put in place: the run says failed, with the reason."""
    import errno
    import types

    from sparkle_cli import engine

    run = planned(cli, runs)

    def replace(src, dst, *args, **kwargs):
        if "video_clips" in str(dst) and str(dst).endswith(".mp4"):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return os.replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(engine, "os", types.SimpleNamespace(**{**vars(os), "replace": replace}))
    result = cli("produce", "r")
    assert result.exit_code == 1, result.output
    state = json.loads((run / "run.json").read_text())
    assert state["status"] == "failed" and "No space left on device" in state["error"], state
    status = json.loads(cli("status", "r", "--json").output)
    assert status["status"] == "failed" and status["stages"]["video_clips"]["status"] == "failed"
    assert "No space left on device" in status["error"]


def test_a_runs_directory_that_is_a_file_is_a_clear_error(tmp_path: Path, cli) -> None:
    not_a_dir = tmp_path / "runs-file"
    not_a_dir.write_text("")
    result = cli("plan", "--from-file", str(SAMPLE_PLAN), "--runs-dir", str(not_a_dir))
    assert result.exit_code == 2 and "is a file, not a directory" in result.output


# --- 6. what validation catches before any run ---------------------------------------------


def test_late_failures_are_caught_by_validation(runs: Path, cli, tmp_path: Path) -> None:
    plan = sample()
    plan["validated_plan"]["title"] = "Nul\x00title"
    result = cli("validate", str(write_json(tmp_path / "nul.json", plan)))
    assert result.exit_code == 2 and "NUL" in result.output
    result = cli("plan", "--from-file", str(SAMPLE_PLAN), "--run-id", "bad\nid")
    assert result.exit_code == 2 and "not valid" in result.output
    plan = sample()
    plan["validated_plan"]["characters"][0]["voice_profile"]["voice"] = "zz-unknown"
    result = cli("validate", str(write_json(tmp_path / "voice.json", plan)))
    assert result.exit_code == 2 and "characters[0].voice_profile" in result.output and "zz-unknown" in result.output
    # The same voice edited into a run's plan stops produce before anything renders.
    run = planned(cli, runs)
    envelope = json.loads((run / "plan.json").read_text())
    envelope["validated_plan"]["characters"][0]["voice_profile"]["voice"] = "zz-unknown"
    (run / "plan.json").write_text(json.dumps(envelope))
    result = cli("produce", "r")
    assert result.exit_code == 2 and "zz-unknown" in result.output
    assert json.loads(cli("status", "r", "--json").output)["status"] == "pending"


# --- 7. integrity of the published movie ---------------------------------------------------


def test_a_changed_or_deleted_movie_is_not_offered_as_ready(runs: Path, cli, produced_sample: Path) -> None:
    run = copy_run(produced_sample, runs, "r")
    final = run / "assembly_lipsync" / "video_final.mp4"
    size = final.stat().st_size
    final.write_bytes(os.urandom(size))  # same size, other bytes
    artifacts = json.loads(cli("artifacts", "r", "--json").output)
    entry = next(a for a in artifacts["artifacts"] if a["artifact_type"] == "video_final")
    assert entry["playback_ready"] is False and "changed on disk" in entry["metadata"]["problem"]
    assert json.loads(cli("status", "r", "--json").output)["video_final"] is None
    final.unlink()
    status = cli("status", "r")
    assert "video:" not in status.output and "not available" in status.output
    assert cli("produce", "r").exit_code == 0  # made again
    assert json.loads(cli("status", "r", "--json").output)["video_final"]


# --- 8. nothing left behind ----------------------------------------------------------------


def test_workers_leave_nothing_in_the_temp_folder(runs: Path, cli, tmp_path: Path) -> None:
    planned(cli, runs)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = sparkle(runs, "produce", "r", "--workers", "2", env={"TMPDIR": str(scratch)})
    assert result.returncode == 0, result.stderr
    assert list(scratch.iterdir()) == []


def test_sigint_with_workers_leaves_no_temporary_files(runs: Path, cli) -> None:
    run = planned(cli, runs)
    env = {**os.environ, "SPARKLE_RUNS_DIR": str(runs)}
    proc = subprocess.Popen(
        [*SPARKLE, "produce", "r", "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    # Interrupt once clips are being made (workers busy), whenever that is.
    events = run / "events.jsonl"
    while proc.poll() is None:
        text = events.read_text(errors="replace") if events.exists() else ""
        if '"stage": "video_clips", "item": "shot_00' in text or '"stage":"video_clips","item":"shot_00' in text:
            break
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=120)
    assert code in (0, 130)
    assert not [p for p in run.rglob("*") if ".tmp-" in p.name], "temporary files were left in the run"
    if code == 130:
        assert json.loads(cli("status", "r", "--json").output)["status"] == "stopped"
        assert cli("resume", "r").exit_code == 0


# --- 9. a movie without dialogue -----------------------------------------------------------


def test_a_movie_without_dialogue_is_produced_and_passes_qa(runs: Path, cli, tmp_path: Path) -> None:
    plan = sample()
    plan["validated_plan"]["dialogue_timeline"] = []
    run = planned(cli, runs, "quiet", plan, tmp_path)
    result = cli("produce", "quiet")
    assert result.exit_code == 0, result.output
    info = probe(run / "assembly_lipsync" / "video_final.mp4")
    assert info.video is not None and info.audio is not None
    report = json.loads((run / "qa_publish" / "qa_report.json").read_text())
    assert report["passed"] is True and report["checks"]["loudness"]["status"] == "not_evaluated"
