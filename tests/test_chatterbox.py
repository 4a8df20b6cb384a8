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
    assert spoken[0]["voice"].endswith("refs/ava.wav") and spoken[0]["exaggeration"] == 0.8
    assert spoken[1]["voice"] == "builtin" and spoken[1]["cfg_weight"] == 0.2

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


def pitch_of(path: Path) -> float:
    from .chatterbox_standin import dominant_pitch

    samples, rate = read_wav(path)
    return dominant_pitch(samples, rate)


def tone(path: Path, hz: float, seconds: float = 1.0, rate: int = 24000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wav(path, (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32), rate)


def test_a_cloned_voice_does_not_leak_and_characters_without_clips_stay_apart(
    runs: Path, cli, tmp_path: Path, worker_env: Path
) -> None:
    """Ava clones a 260 Hz clip; Miko, without one, must not speak in Ava's voice after her line."""
    options = {"model_entry": STANDIN, "mode": "worker", "device": "cpu"}
    plan = write_json(tmp_path / "plan.json", mini_plan({"backend": "chatterbox", "options": options}))
    assert cli("plan", "--from-file", str(plan), "--run-id", "voices").exit_code == 0
    tone(runs / "voices" / "refs" / "ava.wav", 260.0)
    result = cli("produce", "voices", "--json")
    assert result.exit_code == 0, result.output
    lines = runs / "voices" / "dialogue_audio"
    ava, miko, ava_again = (pitch_of(lines / f"line_00{i}.wav") for i in range(3))
    assert abs(ava - 260) < 5 and abs(ava_again - 260) < 5
    # Miko: the built-in voice (150 Hz) moved by the second character's step, -3 semitones: 126 Hz.
    assert abs(miko - 150 * 2 ** (-3 / 12)) < 5, f"Miko speaks at {miko:.0f} Hz (Ava's clip is 260 Hz)"
    prepared = events(worker_env, "prepare")
    assert len(prepared) == 1 and prepared[0]["clip"].endswith("refs/ava.wav")  # once per voice, not per line
    manifest = json.loads((lines / "manifest.json").read_text())["items"]
    assert manifest["line_001"]["result"]["voice_source"] == "built-in"
    assert manifest["line_001"]["result"]["pitch_shift"] == -3.0

    # No clips at all: the two characters still sound apart.
    bare = mini_plan({"backend": "chatterbox", "options": options})
    del bare["characters"][0]["voice_profile"]["reference_audio"]
    assert cli("plan", "--from-file", str(write_json(tmp_path / "bare.json", bare)), "--run-id", "bare").exit_code == 0
    assert cli("produce", "bare", "--json").exit_code == 0
    lines = runs / "bare" / "dialogue_audio"
    ava, miko = pitch_of(lines / "line_000.wav"), pitch_of(lines / "line_001.wav")
    assert abs(ava - 150) < 5 and abs(miko - 126) < 5 and 12 * np.log2(ava / miko) > 2


def test_checkpoint_folder_without_conds_pt(runs: Path, cli, tmp_path: Path, worker_env: Path) -> None:
    """No built-in voice: characters with a clip speak, one without a clip or a bank is refused up front."""
    folder = tmp_path / "chatterbox-ckpt"
    folder.mkdir()
    for name in ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json"):
        (folder / name).write_bytes(b"")
    options = {"model_entry": STANDIN, "mode": "worker", "device": "cpu", "model_path": str(folder)}
    plan = write_json(tmp_path / "plan.json", mini_plan({"backend": "chatterbox", "options": options}))
    assert cli("plan", "--from-file", str(plan), "--run-id", "noconds").exit_code == 0
    tone(runs / "noconds" / "refs" / "ava.wav", 260.0)
    failed = cli("produce", "noconds")
    assert failed.exit_code != 0
    assert "miko" in failed.output and "conds.pt" in failed.output and "voice bank" in failed.output
    assert events(worker_env, "generate") == []  # refused before a line was spoken

    bank = tmp_path / "bank"
    tone(bank / "deep.wav", 110.0)
    options["voice_bank"] = str(bank)
    plan = write_json(tmp_path / "plan2.json", mini_plan({"backend": "chatterbox", "options": options}))
    assert cli("plan", "--from-file", str(plan), "--run-id", "bank").exit_code == 0
    tone(runs / "bank" / "refs" / "ava.wav", 260.0)
    result = cli("produce", "bank", "--json")
    assert result.exit_code == 0, result.output
    lines = runs / "bank" / "dialogue_audio"
    assert abs(pitch_of(lines / "line_000.wav") - 260) < 5 and abs(pitch_of(lines / "line_001.wav") - 110) < 5
    assert [e["builtin"] for e in events(worker_env, "load")] == [False]


def test_pitch_shift_keeps_length_and_moves_pitch() -> None:
    from sparkle_cli.backends.tts.voice_shift import shift_pitch

    from .chatterbox_standin import dominant_pitch

    rate = 24000
    t = np.arange(int(1.2 * rate)) / rate
    voice = (0.4 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)
    for semitones in (-5, -3, 3, 5):
        shifted = shift_pitch(voice, rate, semitones)
        assert len(shifted) == len(voice)
        assert abs(dominant_pitch(shifted, rate) - 180 * 2 ** (semitones / 12)) < 3


def test_install_hint_keeps_chatterbox_in_its_own_environment() -> None:
    from sparkle_cli.backends.tts.chatterbox import INSTALL_HINT

    assert "venv" in INSTALL_HINT and "SPARKLE_CHATTERBOX_PYTHON" in INSTALL_HINT
    assert "pip install chatterbox-tts here" not in INSTALL_HINT and "never pip install it into this" in INSTALL_HINT
    extra = (ROOT / "pyproject.toml").read_text()
    assert "chatterbox" not in extra.split("ml = [", 1)[1].split("]", 1)[0]
