"""Chatterbox: the worker protocol end to end with a real second Python process, caching, crashes, resampling.

The real model cannot run here (chatterbox-tts pins another torch), so the worker loads the
stand-in model object from tests/chatterbox_standin.py through the same `--model` entry point.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sparkle_cli.backends.base import BackendUnavailable
from sparkle_cli.backends.tts.chatterbox import WORKER_FILE, ChatterboxBackend, choose_voice
from sparkle_cli.media.audio import read_wav, write_wav

from .conftest import write_json

ROOT = Path(__file__).resolve().parents[1]
STANDIN = "tests.chatterbox_standin:load_standin"
LINES = ["Did you hear the rain start?", "It always starts when you leave.", "Then I will stay tonight."]


def mini_plan(tts: dict) -> dict:
    """Two characters, two two-second shots, three lines: small enough to produce in seconds."""
    shots = [
        {
            "id": f"shot_00{i + 1}",
            "duration_sec": 2.0,
            "setting": "rooftop at night",
            "visual_description": "two friends",
            "start_base_image_id": f"frame_00{i}",
            "end_base_image_id": f"frame_00{i + 1}",
            "motion_prompt": "static",
            "is_talking_closeup": False,
        }
        for i in range(2)
    ]
    return {
        "title": "Rain",
        "characters": [
            {
                "id": "ava",
                "name": "Ava",
                "description": "a woman",
                "voice_profile": {"style": "excited", "reference_audio": "refs/ava.wav"},
            },
            {"id": "miko", "name": "Miko", "description": "a man", "voice_profile": {"cfg_weight": 0.2}},
        ],
        "base_images": [
            {"id": f"frame_00{i}", "prompt": "Ava and Miko on a rooftop at night", "metadata": {}} for i in range(3)
        ],
        "shots": shots,
        "dialogue_timeline": [
            {"type": "dialogue", "character_id": c, "text": t, "start_time_sec": s, "duration_sec": 1.0}
            for c, t, s in zip(["ava", "miko", "ava"], LINES, [0.2, 1.5, 2.8], strict=True)
        ],
        "render_profile": {
            "video": {"model_id": "builtin-morph", "max_fps": 12, "width": 160, "height": 96},
            "images": {"backend": "painter"},
            "tts": tts,
            "qa": {"backend": "heuristic"},
            "lipsync": {"backend": "amplitude"},
        },
        "metadata": {},
    }


@pytest.fixture
def worker_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This interpreter as the Chatterbox interpreter, the stand-in importable, its log in tmp_path."""
    monkeypatch.setenv("SPARKLE_CHATTERBOX_PYTHON", sys.executable)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    log = tmp_path / "standin.log"
    monkeypatch.setenv("CHATTERBOX_STANDIN_LOG", str(log))
    return log


def events(log: Path, kind: str) -> list[dict]:
    if not log.exists():
        return []
    return [e for e in map(json.loads, log.read_text().splitlines()) if e["event"] == kind]


def test_worker_protocol_with_a_second_process(tmp_path: Path, worker_env: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER_FILE), "--model", STANDIN, "--device", "cpu"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin and proc.stdout
    hello = json.loads(proc.stdout.readline())
    assert hello["ready"] is True and hello["sample_rate"] == 24000 and hello["device"] == "cpu"
    started = time.perf_counter()
    for i, text in enumerate(["Hello there.", ""]):
        request = {
            "id": f"l{i}",
            "text": text,
            "audio_prompt_path": None,
            "exaggeration": 0.7,
            "cfg_weight": 0.3,
            "out": str(tmp_path / f"l{i}.wav"),
        }
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        reply = json.loads(proc.stdout.readline())  # the stand-in's print() went to stderr, not here
        assert reply["id"] == f"l{i}" and reply["ok"] is True and reply["error"] is None
        samples, rate = read_wav(tmp_path / f"l{i}.wav")
        assert rate == 24000 and len(samples) == reply["samples"] == int((0.3 + 0.05 * len(text)) * 24000)
    round_trip = time.perf_counter() - started
    proc.stdin.write(json.dumps({"id": "bad", "out": str(tmp_path / "x.wav")}) + "\n")  # no text
    proc.stdin.flush()
    reply = json.loads(proc.stdout.readline())
    assert reply["ok"] is False and "KeyError" in reply["error"]
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0
    speech_s = (0.3 + 0.05 * len("Hello there.")) + 0.3
    print(f"worker round trip: {round_trip / speech_s:.4f} s per second of speech")


def test_voice_mapping(tmp_path: Path) -> None:
    (tmp_path / "refs").mkdir()
    write_wav(tmp_path / "refs" / "ava.wav", np.zeros(2400, np.float32), 24000)
    ava = choose_voice(
        {"id": "ava", "voice_profile": {"reference_audio": "refs/ava.wav", "style": "excited"}}, 0, base_dir=tmp_path
    )
    assert ava.reference_audio == str((tmp_path / "refs" / "ava.wav").resolve()) and len(ava.reference_sha256) == 64
    assert (ava.exaggeration, ava.cfg_weight) == (0.8, 0.3)
    plain = choose_voice({"id": "miko", "voice_profile": {"exaggeration": 1.2}}, 1, base_dir=tmp_path)
    assert (plain.reference_audio, plain.exaggeration, plain.cfg_weight) == ("", 1.2, 0.5)
    outside = tmp_path.parent / "elsewhere.wav"
    write_wav(outside, np.zeros(10, np.float32), 24000)
    with pytest.raises(ValueError, match="outside the run directory"):
        choose_voice({"id": "x", "voice_profile": {"reference_audio": str(outside)}}, 0, base_dir=tmp_path)
    assert choose_voice(
        {"id": "x", "voice_profile": {"reference_audio": str(outside)}}, 0, base_dir=tmp_path, allowed=[tmp_path.parent]
    ).reference_sha256
    with pytest.raises(ValueError, match="exaggeration"):
        choose_voice({"id": "x", "voice_profile": {"exaggeration": 9}}, 0)


def test_missing_interpreter_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SPARKLE_CHATTERBOX_PYTHON", raising=False)
    monkeypatch.setenv("SPARKLE_CONFIG", str(tmp_path / "none.yaml"))
    with pytest.raises(BackendUnavailable, match="SPARKLE_CHATTERBOX_PYTHON.*chatterbox_python"):
        ChatterboxBackend.check()
    monkeypatch.setenv("SPARKLE_CHATTERBOX_PYTHON", str(tmp_path / "no-python"))
    with pytest.raises(BackendUnavailable, match="not an executable"):
        ChatterboxBackend.check()


def test_stage_caches_resamples_and_survives_a_dying_worker(
    runs: Path, cli, tmp_path: Path, worker_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = tmp_path / "crash.txt"
    crash.write_text("always starts")  # the worker dies on the second line
    monkeypatch.setenv("CHATTERBOX_STANDIN_CRASH", str(crash))
    plan = write_json(
        tmp_path / "plan.json",
        mini_plan({"backend": "chatterbox", "options": {"model_entry": STANDIN, "mode": "worker", "device": "cpu"}}),
    )
    assert cli("plan", "--from-file", str(plan), "--run-id", "cb").exit_code == 0
    (runs / "cb" / "refs").mkdir()
    write_wav(runs / "cb" / "refs" / "ava.wav", 0.1 * np.ones(4800, np.float32), 24000)

    failed = cli("produce", "cb")
    assert failed.exit_code == 1
    assert "line_001" in failed.output and "exited with code 17" in failed.output
    assert [e["text"] for e in events(worker_env, "generate")] == LINES[:1]

    crash.unlink()
    resumed = cli("resume", "cb", "--json")
    assert resumed.exit_code == 0, resumed.output
    assert [e["text"] for e in events(worker_env, "generate")] == LINES  # line_000 was not spoken again
    assert len(events(worker_env, "load")) == 2  # the worker was started again, once, for the resume
    spoken = events(worker_env, "generate")
    assert spoken[0]["prompt"].endswith("refs/ava.wav") and spoken[0]["exaggeration"] == 0.8
    assert spoken[1]["prompt"] is None and spoken[1]["cfg_weight"] == 0.2

    manifest = json.loads((runs / "cb" / "dialogue_audio" / "manifest.json").read_text())
    for i, text in enumerate(LINES):
        samples, rate = read_wav(runs / "cb" / "dialogue_audio" / f"line_00{i}.wav")
        assert rate == 22050  # resampled from the model's 24 kHz to the timeline's rate
        assert abs(len(samples) - (0.3 + 0.05 * len(text)) * 22050) <= 2
        result = manifest["items"][f"line_00{i}"]["result"]
        assert result["duration_s"] == pytest.approx(len(samples) / 22050)
        assert result["model_id"] == STANDIN and result["model_sample_rate"] == 24000 and "load_s" in result
    stitched, rate = read_wav(runs / "cb" / "dialogue_audio" / "tts_timeline.wav")
    assert rate == 22050 and np.abs(stitched).max() > 0.2

    again = cli("produce", "cb", "--json")
    assert again.exit_code == 0
    assert len(events(worker_env, "generate")) == 3 and len(events(worker_env, "load")) == 2  # nothing spoken

    write_wav(runs / "cb" / "refs" / "ava.wav", 0.2 * np.ones(4800, np.float32), 24000)  # a new reference clip
    assert cli("produce", "cb", "--json").exit_code == 0
    assert [e["text"] for e in events(worker_env, "generate")[3:]] == [LINES[0], LINES[2]]  # Ava's lines only
