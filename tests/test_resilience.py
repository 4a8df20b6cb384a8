"""Kills, signals, pause/stop/resume, the run lock and QA retries, with real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from sparkle_cli.backends import registry
from sparkle_cli.media.video import probe

from .conftest import SAMPLE_PLAN, write_json

SPARKLE = [sys.executable, "-m", "sparkle_cli"]


def sparkle(runs: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "SPARKLE_RUNS_DIR": str(runs)}
    return subprocess.run([*SPARKLE, *args], capture_output=True, text=True, env=env, timeout=timeout)


def start(runs: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "SPARKLE_RUNS_DIR": str(runs)}
    return subprocess.Popen([*SPARKLE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def events(run: Path) -> list[dict]:
    out = []
    for line in (run / "events.jsonl").read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


def wait_for(predicate, timeout: float = 60.0, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError("condition not reached in time")


def items_done(run: Path) -> int:
    return sum(1 for e in events(run) if e.get("item") and e["status"] == "succeeded")


@pytest.fixture
def planned(runs: Path, small_profile: Path) -> Path:
    plan = ["plan", "--from-file", str(SAMPLE_PLAN), "--profile", str(small_profile), "--run-id", "r"]
    assert sparkle(runs, *plan).returncode == 0
    return runs / "r"


def assert_valid_movie(run: Path) -> None:
    info = probe(run / "assembly_lipsync" / "video_final.mp4")
    timeline = json.loads((run / "dialogue_audio" / "dialogue_timeline_audio.json").read_text())
    assert info.video and info.audio and info.video.frames == timeline["total_frames"]
    status = json.loads(sparkle(run.parent, "status", "r", "--json").stdout)
    assert status["status"] == "succeeded"


def test_kill_9_at_any_moment_then_resume(runs: Path, planned: Path) -> None:
    for delay in (0.3, 0.6, 1.0, 1.5, 2.1, 2.8):
        proc = start(runs, "produce", "r")
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        status = json.loads(sparkle(runs, "status", "r", "--json").stdout)
        assert status["status"] in {"stopped", "succeeded", "pending"}, status
    result = sparkle(runs, "resume", "r")
    assert result.returncode == 0, result.stdout + result.stderr
    assert_valid_movie(planned)
    made = Counter((e["stage"], e["item"]) for e in events(planned) if e.get("item") and e["status"] == "succeeded")
    twice = {k: v for k, v in made.items() if v > 1}
    assert not twice, f"rendered more than once: {twice}"
    assert not list(planned.rglob(".*.tmp-*")), "temporary files were left behind"


def test_sigterm_stops_cleanly_and_resume_finishes(runs: Path, planned: Path) -> None:
    proc = start(runs, "produce", "r")
    wait_for(lambda: (planned / "events.jsonl").exists() and items_done(planned) >= 3)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 130
    status = json.loads(sparkle(runs, "status", "r", "--json").stdout)
    assert status["status"] == "stopped"
    assert sparkle(runs, "resume", "r").returncode == 0
    assert_valid_movie(planned)


def test_pause_resume_stop_and_the_lock(runs: Path, planned: Path) -> None:
    proc = start(runs, "produce", "r")
    wait_for(lambda: (planned / "events.jsonl").exists() and items_done(planned) >= 1)
    assert sparkle(runs, "pause", "r").returncode == 0
    wait_for(lambda: json.loads(sparkle(runs, "status", "r", "--json").stdout)["status"] == "paused")
    frozen = items_done(planned)
    time.sleep(1.0)
    assert items_done(planned) == frozen, "work went on while paused"
    locked = sparkle(runs, "produce", "r")
    assert locked.returncode == 3 and "is being produced by process" in locked.stderr
    assert sparkle(runs, "resume", "r").returncode == 0  # releases the pause
    wait_for(lambda: items_done(planned) > frozen)
    assert sparkle(runs, "stop", "r").returncode == 0
    assert proc.wait(timeout=60) == 130
    assert json.loads(sparkle(runs, "status", "r", "--json").stdout)["status"] == "stopped"
    assert sparkle(runs, "stop", "r").returncode == 1  # nobody to stop now
    assert sparkle(runs, "resume", "r").returncode == 0
    assert_valid_movie(planned)
    # Every event says when it happened, the pause and the resume included (logs show the time).
    timeless = [e for e in events(planned) if not (e.get("started_at") or e.get("completed_at"))]
    assert not timeless, timeless
    assert any(e.get("reason") == "resumed" for e in events(planned))


def test_resume_from_a_stage_redoes_it_and_what_follows(runs: Path, planned: Path) -> None:
    assert sparkle(runs, "produce", "r").returncode == 0
    before = len(events(planned))
    assert sparkle(runs, "resume", "r", "--from", "assembly_lipsync").returncode == 0
    made = {e["stage"] for e in events(planned)[before:] if e.get("item") and e["status"] == "succeeded"}
    assert made == {"assembly_lipsync", "qa_publish"}
    bad = sparkle(runs, "resume", "r", "--from", "nope")
    assert bad.returncode == 2 and "unknown stage" in bad.stderr


@pytest.fixture
def flaky_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.flaky_backends import BlackFirstMorph

    BlackFirstMorph.seen.clear()
    backends = {
        **registry.BACKENDS,
        "video": {
            **registry.BACKENDS["video"],
            "black-first": ("tests.flaky_backends:BlackFirstMorph", ""),
            "always-black": ("tests.flaky_backends:AlwaysBlack", ""),
        },
    }
    monkeypatch.setattr(registry, "BACKENDS", backends)
    monkeypatch.setenv("SPARKLE_WORKERS", "1")  # registered in this process only: no worker processes


def _plan_with_video(cli, tmp_path: Path, model: str, run_id: str) -> None:
    profile = write_json(
        tmp_path / "profile.json", {"video": {"model_id": model, "max_fps": 12, "width": 320, "height": 180}}
    )
    assert cli("plan", "--from-file", str(SAMPLE_PLAN), "--profile", str(profile), "--run-id", run_id).exit_code == 0


def test_a_clip_that_fails_qa_is_rendered_again_with_a_new_seed(
    runs: Path, cli, tmp_path: Path, flaky_backends
) -> None:
    _plan_with_video(cli, tmp_path, "black-first", "retry")
    result = cli("produce", "retry")
    assert result.exit_code == 0, result.output
    report = json.loads((runs / "retry" / "video_clip_qa" / "shot_001.json").read_text())
    assert [a["attempt"] for a in report["attempts"]] == [1, 2]
    assert "black_frames" in report["attempts"][0]["failed_checks"]
    assert report["attempts"][0]["seed"] != report["attempts"][1]["seed"]
    assert report["accepted_attempt"] == 2


def test_qa_budget_spent_fails_the_run_at_that_shot(runs: Path, cli, tmp_path: Path, flaky_backends) -> None:
    _plan_with_video(cli, tmp_path, "always-black", "doomed")
    result = cli("produce", "doomed")
    assert result.exit_code == 1
    assert "video_clip_qa failed at shot_001" in result.output and "3 times" in result.output
    attempts = json.loads((runs / "doomed" / "video_clip_qa" / "shot_001.failed_attempts.json").read_text())
    assert len(attempts) == 3
    assert json.loads(cli("status", "doomed", "--json").output)["status"] == "failed"
    assert not (runs / "doomed" / "assembly_lipsync").exists()


def test_status_probes_never_make_a_producer_think_the_run_is_locked(tmp_path: Path) -> None:
    import threading

    from sparkle_cli.rundir import RunDir

    run = RunDir(tmp_path, "r")
    run.path.mkdir()
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            RunDir(tmp_path, "r").holder()

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        for _ in range(300):
            run.acquire()
            run.release()
    finally:
        stop.set()
        thread.join()
