"""A stand-in for the Chatterbox model, loaded by the real worker through its `--model` entry point.

The real model cannot run in the test environment (its package pins another torch), so this
object answers `generate` with a deterministic 24 kHz waveform whose length follows the text.
Environment knobs: CHATTERBOX_STANDIN_LOG (append one JSON line per load and per line spoken)
and CHATTERBOX_STANDIN_CRASH (a file; while it exists, a line containing its text kills the process).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

SAMPLE_RATE = 24000


def _log(event: dict) -> None:
    path = os.environ.get("CHATTERBOX_STANDIN_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event) + "\n")


class StandinTTS:
    """Same surface as ChatterboxTTS: `sr` and `generate(text, audio_prompt_path, exaggeration, cfg_weight)`."""

    sr = SAMPLE_RATE

    def __init__(self, ckpt_dir: str | None, device: str) -> None:
        self.ckpt_dir, self.device = ckpt_dir, device
        _log({"event": "load", "pid": os.getpid(), "device": device})

    def generate(
        self, text: str, audio_prompt_path: str | None = None, exaggeration: float = 0.5, cfg_weight: float = 0.5
    ) -> np.ndarray:
        crash = os.environ.get("CHATTERBOX_STANDIN_CRASH")
        if crash and Path(crash).is_file() and Path(crash).read_text().strip() in text:
            os._exit(17)
        _log(
            {
                "event": "generate",
                "text": text,
                "prompt": audio_prompt_path,
                "exaggeration": exaggeration,
                "cfg_weight": cfg_weight,
            }
        )
        print("stand-in progress chatter that must not reach the protocol")
        seconds = 0.3 + 0.05 * len(text)
        t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        pitch = 140 + 80 * exaggeration + (30 if audio_prompt_path else 0)
        envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)
        return (0.4 * envelope * np.sin(2 * np.pi * pitch * t))[None, :].astype(np.float32)


def load_standin(ckpt_dir: str | None = None, device: str = "cpu") -> StandinTTS:
    return StandinTTS(ckpt_dir, device)
