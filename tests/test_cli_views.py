"""The command line as a person reads it at 80 columns: whole ids, true labels, honest states."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import SAMPLE_PLAN, copy_run, small_profile_in, write_json
from .gated_backends import Gate

SPARKLE = [sys.executable, "-m", "sparkle_cli"]
LONG_ID = "a-conversation-in-the-live-studio-kitchen-20261203-134012-ab12"


def sparkle(runs: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "SPARKLE_RUNS_DIR": str(runs), "COLUMNS": "80", **(env or {})}
    return subprocess.run([*SPARKLE, *args], capture_output=True, text=True, env=full, timeout=300)


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory, produced_sample: Path) -> Path:
    """Two runs whose ids differ in the last letter: one produced, one only planned."""
    runs = tmp_path_factory.mktemp("runs")
    copy_run(produced_sample, runs, LONG_ID)
    profile = small_profile_in(runs.parent)
    args = ["plan", "--from-file", str(SAMPLE_PLAN), "--profile", str(profile), "--run-id", LONG_ID[:-1] + "c"]
    assert sparkle(runs, *args).returncode == 0
    return runs


def test_runs_shows_whole_ids_and_total_production_time(produced: Path) -> None:
    out = sparkle(produced, "runs").stdout
    assert LONG_ID in out and LONG_ID[:-1] + "c" in out  # two ids that differ in the last letter
    assert "…" not in out
    rows = json.loads(sparkle(produced, "runs", "--json").stdout)
    done = next(r for r in rows if r["run_id"] == LONG_ID)
    assert done["production_s"] > 0 and done["status"] == "succeeded"


def test_artifacts_are_a_compact_list_with_true_labels(produced: Path) -> None:
    out = sparkle(produced, "artifacts", LONG_ID).stdout
    lines = out.splitlines()
    assert max(len(line) for line in lines[1:]) <= 80  # the heading names the run's folder in full
    for label in ("the movie", "subtitles (SRT)", "subtitles (VTT)", "alignment map", "validation report",
                  "joined clips, no sound", "normalized plan"):  # fmt: skip
        assert label in out, label
    assert "video_final.mp4" in out and "subtitles.srt" in out
    assert " 0 KiB" not in out  # small files say their bytes
    assert sum("assembly_lipsync" in line for line in lines) == 1  # paths are relative to their stage


def test_doctor_is_short_with_fixes_below(produced: Path) -> None:
    out = sparkle(produced, "doctor").stdout
    table = out.split("to fix or enable:")[0].splitlines()
    assert len(out.splitlines()) < 45 and max(len(line) for line in table) <= 80
    assert "packages" in out and "backends" in out


def test_help_schema_and_first_run_wording(produced: Path) -> None:
    help_text = sparkle(produced, "--help").stdout + sparkle(produced, "produce", "--help").stdout
    assert "<bool>" not in help_text
    listing = sparkle(produced, "schema")
    assert listing.returncode == 0 and all(name in listing.stdout for name in ("plan", "envelope", "status"))
    other = LONG_ID[:-1] + "c"
    made = sparkle(produced, "produce", other)
    assert "(new)" in made.stdout and "not made yet" not in made.stdout


def test_errors_come_without_an_empty_progress_bar(produced: Path) -> None:
    bad = sparkle(produced, "resume", LONG_ID, "--from", "nope")
    assert bad.returncode == 2 and "unknown stage" in bad.stderr
    assert "stages" not in bad.stdout and "0/7" not in bad.stdout


def test_status_shows_the_interrupted_stage_paused_then_stopped(runs: Path, tmp_path: Path, cli) -> None:
    gate = Gate(tmp_path / "gate")
    plan = json.loads(SAMPLE_PLAN.read_text())
    plan["validated_plan"]["render_profile"] = {"video": gate.video_profile()}
    source = write_json(tmp_path / "gated.json", plan)
    env = {**os.environ, **gate.env(), "SPARKLE_RUNS_DIR": str(runs), "COLUMNS": "80"}
    assert subprocess.run([*SPARKLE, "plan", "--from-file", str(source), "--run-id", "g"], env=env).returncode == 0
    producer = subprocess.Popen([*SPARKLE, "produce", "g"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        gate.wait_for("shot_001", 300)
        assert sparkle(runs, "pause", "g", env=gate.env()).returncode == 0
        gate.open("shot_001")

        def status() -> dict:
            return json.loads(sparkle(runs, "status", "g", "--json", env=gate.env()).stdout)

        deadline = time.monotonic() + 300
        while status()["status"] != "paused":
            assert time.monotonic() < deadline, "the run never paused"
            time.sleep(0.2)
        paused = status()
        assert paused["stages"]["video_clips"]["status"] == "paused"
        assert paused["stages"]["video_clips"]["items"]["rendered"] == 1
        table = sparkle(runs, "status", "g", env=gate.env()).stdout
        assert "paused" in table and "1/2" in table
        assert sparkle(runs, "stop", "g", env=gate.env()).returncode == 0
        assert producer.wait(timeout=300) == 130
        stopped = status()
        assert stopped["status"] == "stopped" and stopped["stages"]["video_clips"]["status"] == "stopped"
        assert "running" not in {s["status"] for s in stopped["stages"].values()}
    finally:
        gate.open_all()
        if producer.poll() is None:
            producer.kill()
