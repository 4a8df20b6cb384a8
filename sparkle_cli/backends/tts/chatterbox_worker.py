"""Chatterbox in its own interpreter: load the model once, then speak line after line over JSON lines.

chatterbox-tts pins torch, transformers and diffusers versions that cannot share an environment
with sparkle's `ml` extra, so this file runs by path (`python chatterbox_worker.py ...`) in the
environment that has chatterbox, and imports nothing but the standard library, numpy and the model.

Protocol, one JSON object per line. After loading, the worker writes
`{"ready": true, "sample_rate": SR, "load_s": S}` (or `{"ready": false, "error": ...}` and exits).
Then, per request `{"id", "text", "audio_prompt_path", "voice_key"?, "exaggeration", "cfg_weight", "out",
"seed"?}`, it writes the speech as a 16-bit mono WAV at the model's rate to `out` and answers
`{"id", "ok", "sample_rate", "samples", "seconds", "error"}`. End of input ends the worker.

Voices: ChatterboxTTS.generate keeps the conditionals of the last `audio_prompt_path` it was given
and uses them for every later call without one, so one cloned line would make every character
without a clip speak in that voice. `VoiceCache` prevents that: it keeps the built-in voice (the
checkpoint's conds.pt) and the conditionals of each reference clip, computed once per clip, and
sets the right ones before each line. A checkpoint folder without conds.pt has no built-in voice:
lines with a clip still work, a line without one is refused with a clear message.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import os
import sys
import time
import traceback
import wave
from typing import IO, Any

import numpy as np

#: The model class; a class with from_local/from_pretrained is built with them, any other callable
#: as factory(ckpt_dir=..., device=...).
DEFAULT_ENTRY = "chatterbox.tts:ChatterboxTTS"


def resolve_device(device: str) -> str:
    """auto -> cuda, mps or cpu, as the model's torch sees them."""
    if device != "auto":
        return device
    try:
        import torch
    except ImportError:
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    return "mps" if mps is not None and mps.is_available() else "cpu"


def load_model(entry: str, ckpt_dir: str | None, device: str) -> Any:
    """Import `module:attribute` and build the model from a local checkpoint folder or the hub."""
    module_name, _, attribute = entry.partition(":")
    target = getattr(importlib.import_module(module_name), attribute or "load")
    if hasattr(target, "from_local") and hasattr(target, "from_pretrained"):
        return target.from_local(ckpt_dir, device) if ckpt_dir else target.from_pretrained(device)
    return target(ckpt_dir=ckpt_dir, device=device)


def to_samples(wav: Any) -> np.ndarray:
    """Mono float32 samples from what `generate` returns (a (1, N) torch tensor for Chatterbox)."""
    if hasattr(wav, "detach"):
        wav = wav.detach().float().cpu().numpy()
    return np.asarray(wav, dtype=np.float32).reshape(-1)


def write_wav(path: str, samples: np.ndarray, rate: int) -> None:
    """16-bit mono PCM, written under a temporary name and renamed, so a reader never sees half a file."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    tmp = f"{path}.part"
    with wave.open(tmp, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(rate))
        out.writeframes(pcm.tobytes())
    os.replace(tmp, path)


class VoiceCache:
    """The built-in voice and one set of conditionals per reference clip, for models that keep them
    (`conds` and `prepare_conditionals`, as ChatterboxTTS does)."""

    def __init__(self, model: Any) -> None:
        self.managed = hasattr(model, "prepare_conditionals") and hasattr(model, "conds")
        self.builtin = copy.copy(model.conds) if self.managed and model.conds is not None else None
        self.clips: dict[str, Any] = {}

    def select(self, model: Any, request: dict[str, Any]) -> None:
        """Give `model` the conditionals of this request's voice."""
        path = request.get("audio_prompt_path") or None
        if path:
            key = str(request.get("voice_key") or path)
            if key not in self.clips:
                model.prepare_conditionals(path, exaggeration=float(request.get("exaggeration", 0.5)))
                self.clips[key] = model.conds
            chosen = self.clips[key]
        elif self.builtin is not None:
            chosen = self.builtin
        else:
            raise ValueError(
                "this checkpoint has no built-in voice (no conds.pt in its folder): give the character a "
                "reference_audio clip, or set a voice bank (render_profile.tts.options.voice_bank)"
            )
        # generate() swaps `conds.t3` when the exaggeration differs: a copy keeps the cached set intact.
        model.conds = copy.copy(chosen)


def synthesize(model: Any, request: dict[str, Any], voices: VoiceCache | None = None) -> dict[str, Any]:
    """Speak one request into its `out` file; the response says how many samples at which rate."""
    started = time.perf_counter()
    if request.get("seed") is not None and "torch" in sys.modules:
        sys.modules["torch"].manual_seed(int(request["seed"]))  # sampling is random: make a line repeatable
    voices = voices or VoiceCache(model)
    prompt = request.get("audio_prompt_path") or None
    if voices.managed:
        voices.select(model, request)
        prompt = None  # the conditionals are set: generate must not prepare (and keep) them again
    wav = model.generate(
        request["text"],
        audio_prompt_path=prompt,
        exaggeration=float(request.get("exaggeration", 0.5)),
        cfg_weight=float(request.get("cfg_weight", 0.5)),
    )
    samples = to_samples(wav)
    rate = int(model.sr)
    write_wav(request["out"], samples, rate)
    return {
        "id": request.get("id"),
        "ok": True,
        "sample_rate": rate,
        "samples": int(len(samples)),
        "seconds": round(time.perf_counter() - started, 4),
        "error": None,
    }


def serve(model: Any, requests: IO[str], replies: IO[str]) -> None:
    """Answer each request line with one reply line, until end of input."""
    voices = VoiceCache(model)
    for line in requests:
        if not line.strip():
            continue
        request: dict[str, Any] = {}
        try:
            request = json.loads(line)
            reply = synthesize(model, request, voices)
        except Exception as exc:  # one bad line is reported, and the worker keeps serving
            traceback.print_exc(file=sys.stderr)
            reply = {
                "id": request.get("id"),
                "ok": False,
                "sample_rate": 0,
                "samples": 0,
                "error": f"{type(exc).__name__}: {exc}",
            }
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=DEFAULT_ENTRY, help="module:attribute that builds the model")
    parser.add_argument("--ckpt-dir", default="", help="local checkpoint folder; empty: download from the hub")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    # Libraries print progress to stdout; the protocol keeps the real stdout and everything else goes to stderr.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    started = time.perf_counter()
    try:
        device = resolve_device(args.device)
        model = load_model(args.model, args.ckpt_dir or None, device)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        replies.write(json.dumps({"ready": False, "error": f"{type(exc).__name__}: {exc}"}) + "\n")
        replies.flush()
        return 1
    replies.write(
        json.dumps(
            {
                "ready": True,
                "sample_rate": int(model.sr),
                "device": device,
                "builtin_voice": getattr(model, "conds", True) is not None,
                "load_s": round(time.perf_counter() - started, 3),
            }
        )
        + "\n"
    )
    replies.flush()
    serve(model, sys.stdin, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
