"""A stand-in for the Chatterbox model, loaded by the real worker through its `--model` entry point.

The real model cannot run in the test environment (its package pins another torch), so this
object answers `generate` with a deterministic 24 kHz waveform whose length follows the text and
whose pitch is the voice's. It keeps voices the way ChatterboxTTS does: `from_local` reads the
built-in voice from `conds.pt` when the folder has one (`from_pretrained` always has it),
`prepare_conditionals(clip)` replaces `conds` with the clip's voice, and `generate` with an
`audio_prompt_path` prepares that clip first and otherwise speaks with whatever `conds` holds
(the last clip's voice, if nobody resets it). A clip's voice pitch is read from the clip itself.
Environment knobs: CHATTERBOX_STANDIN_LOG (append one JSON line per load, prepare and line spoken)
and CHATTERBOX_STANDIN_CRASH (a file; while it exists, a line containing its text kills the process).
"""

from __future__ import annotations

import json
import os
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 24000
BUILTIN_PITCH = 150.0


def _log(event: dict) -> None:
    path = os.environ.get("CHATTERBOX_STANDIN_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event) + "\n")


def dominant_pitch(samples: np.ndarray, rate: int) -> float:
    """The strongest frequency between 60 and 600 Hz."""
    if len(samples) < 64:
        return 0.0
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    band = (freqs >= 60) & (freqs <= 600)
    return float(freqs[band][np.argmax(spectrum[band])])


@dataclass
class Conds:
    """What ChatterboxTTS keeps per voice (here just the voice's pitch and where it came from)."""

    pitch: float
    source: str


class StandinTTS:
    """Same surface as ChatterboxTTS: `sr`, `conds`, `from_local`, `from_pretrained`,
    `prepare_conditionals(path, exaggeration)` and `generate(text, audio_prompt_path, exaggeration, cfg_weight)`."""

    sr = SAMPLE_RATE

    def __init__(self, ckpt_dir: str | None, device: str, conds: Conds | None) -> None:
        self.ckpt_dir, self.device, self.conds = ckpt_dir, device, conds
        _log({"event": "load", "pid": os.getpid(), "device": device, "builtin": conds is not None})

    @classmethod
    def from_local(cls, ckpt_dir: str, device: str) -> StandinTTS:
        builtin = Path(ckpt_dir) / "conds.pt"
        return cls(ckpt_dir, device, Conds(BUILTIN_PITCH, "builtin") if builtin.exists() else None)

    @classmethod
    def from_pretrained(cls, device: str) -> StandinTTS:
        return cls(None, device, Conds(BUILTIN_PITCH, "builtin"))

    def prepare_conditionals(self, wav_fpath: str, exaggeration: float = 0.5) -> None:
        with wave.open(str(wav_fpath), "rb") as clip:
            rate = clip.getframerate()
            pcm = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
        pitch = dominant_pitch(pcm, rate) or 220.0
        _log({"event": "prepare", "clip": str(wav_fpath), "pitch": pitch})
        self.conds = Conds(pitch, str(wav_fpath))

    def generate(
        self, text: str, audio_prompt_path: str | None = None, exaggeration: float = 0.5, cfg_weight: float = 0.5
    ) -> np.ndarray:
        crash = os.environ.get("CHATTERBOX_STANDIN_CRASH")
        if crash and Path(crash).is_file() and Path(crash).read_text().strip() in text:
            os._exit(17)
        if audio_prompt_path:
            self.prepare_conditionals(audio_prompt_path, exaggeration=exaggeration)
        elif self.conds is None:
            raise AssertionError("Please `prepare_conditionals` first or specify `audio_prompt_path`")
        _log(
            {
                "event": "generate",
                "text": text,
                "prompt": audio_prompt_path,
                "voice": self.conds.source,
                "pitch": self.conds.pitch,
                "exaggeration": exaggeration,
                "cfg_weight": cfg_weight,
            }
        )
        print("stand-in progress chatter that must not reach the protocol")
        seconds = 0.3 + 0.05 * len(text)
        t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)
        return (0.4 * envelope * np.sin(2 * np.pi * self.conds.pitch * t))[None, :].astype(np.float32)


def load_standin(ckpt_dir: str | None = None, device: str = "cpu") -> StandinTTS:
    return StandinTTS.from_local(ckpt_dir, device) if ckpt_dir else StandinTTS.from_pretrained(device)
