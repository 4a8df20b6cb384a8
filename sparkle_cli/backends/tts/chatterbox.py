"""Speech from Chatterbox (Resemble AI): in this process when `chatterbox` imports, else in a worker.

chatterbox-tts 0.1.7 pins torch 2.6, transformers 5.2 and diffusers 0.29, so it usually lives in an
environment of its own. Name that environment's interpreter with SPARKLE_CHATTERBOX_PYTHON or the
config key `chatterbox_python`; the backend starts `chatterbox_worker.py` there (by file path: the
environment needs chatterbox-tts and numpy, not sparkle) on the first line that needs speaking,
the worker loads the model once and serves every line of the stage.

How a plan character becomes a voice (see `choose_voice`), first match wins:

    1. voice_profile.reference_audio: a WAV clip of the voice to clone: relative to the run directory,
       or an absolute path inside the run or a directory listed in render_profile.tts.options.reference_dirs
       or the config key `chatterbox_reference_dirs`
    2. a voice bank: a folder of WAV clips (render_profile.tts.options.voice_bank or the config key
       `chatterbox_voice_bank`); a character takes the clip named by voice_profile.voice (its file
       stem), else the bank's clips in turn by the character's place in the plan
    3. the model's built-in voice (the checkpoint's conds.pt), moved by voice_profile.pitch_shift
       semitones, else by a step per plan place (0, -3, +3, -5, +5, ... see voice_shift.STEPS), so
       that characters without a clip of their own still sound apart

    other keys         effect
    exaggeration       0.25..2.0, emotion intensity (default 0.5, or from `style`)
    cfg_weight         0.0..1.0, how closely pacing follows the reference (default 0.5, or from `style`)
    style              keywords in STYLES set exaggeration / cfg_weight when those keys are absent

Each voice's conditionals are computed once and kept (chatterbox_worker.VoiceCache): a cloned line
never leaks its voice into the next character's line.

The clip's SHA-256, exaggeration and cfg_weight are part of each line's fingerprint; the clip's
location is not, so a copied run stays current. Output is resampled to `options.sample_rate`
(the timeline's rate, 22050 Hz by default) and durations are measured from the written audio.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sparkle_cli.backends.base import BackendUnavailable, SpeechRequest, SpeechResult, TTSBackend, VoiceSpec

PYTHON_ENV = "SPARKLE_CHATTERBOX_PYTHON"
PYTHON_KEY = "chatterbox_python"
#: Always an environment of its own: chatterbox-tts pins torch 2.6, diffusers 0.29 and transformers 5.2,
#: which would downgrade the `ml` extra's diffusers (dtype=) and transformers (Qwen2-VL) beside it.
INSTALL_HINT = (
    f"install chatterbox-tts into an environment of its own (python -m venv cb && cb/bin/pip install "
    f"chatterbox-tts==0.1.7), then set {PYTHON_ENV}=cb/bin/python or `{PYTHON_KEY}: cb/bin/python` in "
    "sparkle.yaml; the backend runs it there through its worker (never pip install it into this environment)"
)
BANK_KEY = "chatterbox_voice_bank"
CHECKPOINT_FILES = ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json")
WORKER_FILE = Path(__file__).with_name("chatterbox_worker.py")
TIMELINE_RATE = 22050
DEFAULT_EXAGGERATION = 0.5
DEFAULT_CFG_WEIGHT = 0.5

#: style keyword -> (exaggeration, cfg_weight); Chatterbox's own advice: expressive speech wants
#: a higher exaggeration with a lower cfg_weight, which slows the pacing back down.
STYLES: dict[str, tuple[float, float]] = {
    "calm": (0.35, 0.5),
    "gentle": (0.4, 0.5),
    "soft": (0.35, 0.5),
    "whisper": (0.3, 0.5),
    "confessional": (0.4, 0.45),
    "sad": (0.45, 0.4),
    "serious": (0.4, 0.5),
    "warm": (0.5, 0.5),
    "happy": (0.65, 0.4),
    "cheerful": (0.65, 0.4),
    "excited": (0.8, 0.3),
    "urgent": (0.75, 0.3),
    "nervous": (0.6, 0.4),
    "angry": (0.9, 0.3),
    "dramatic": (0.9, 0.3),
}


@dataclass
class ChatterboxVoice(VoiceSpec):
    """A VoiceSpec plus what Chatterbox reads: a reference clip, exaggeration and cfg_weight."""

    #: Fields that name a file's location; the file's content is fingerprinted through *_sha256.
    location_fields: ClassVar[tuple[str, ...]] = ("reference_audio",)

    reference_audio: str = ""  # absolute path, or "" for the model's built-in voice
    reference_sha256: str = ""
    exaggeration: float = DEFAULT_EXAGGERATION
    cfg_weight: float = DEFAULT_CFG_WEIGHT
    #: Semitones the built-in voice is moved by for this character (0 with a clip of its own).
    pitch_shift: float = 0.0
    #: Where the voice comes from: "plan clip", "voice bank" or "built-in".
    voice_source: str = "built-in"


@dataclass
class ChatterboxResult(SpeechResult):
    metadata: dict[str, Any] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _number(profile: dict[str, Any], key: str, default: float, low: float, high: float, where: str) -> float:
    value = profile.get(key)
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}.{key}: expected a number from {low} to {high}, got {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"{where}.{key}: {number} is outside {low}..{high}")
    return number


def resolve_reference(value: str, base_dir: Path | None, allowed: list[Path], where: str) -> Path:
    """The reference clip's real path; it must lie inside the run directory or an allowed directory."""
    path = Path(value).expanduser()
    if not path.is_absolute():
        if base_dir is None:
            raise ValueError(f"{where}.reference_audio: a relative path needs the run directory")
        path = base_dir / path
    path = path.resolve()
    roots = [r.resolve() for r in ([base_dir] if base_dir else []) + allowed]
    if not any(path.is_relative_to(root) for root in roots):
        shown = ", ".join(str(r) for r in roots) or "none"
        raise ValueError(
            f"{where}.reference_audio: {path} is outside the run directory and the allowed reference "
            f"directories ({shown}); copy it into the run or add its folder to chatterbox_reference_dirs"
        )
    if not path.is_file():
        raise ValueError(f"{where}.reference_audio: {path} does not exist")
    return path


def bank_clips(folder: str | Path | None) -> list[Path]:
    """The WAV clips of a voice bank folder, in name order (empty when no folder is set)."""
    if not folder:
        return []
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ValueError(f"the Chatterbox voice bank {path} is not a folder of WAV clips")
    return sorted(p for p in path.iterdir() if p.suffix.lower() == ".wav" and p.is_file())


def choose_voice(
    character: dict[str, Any],
    index: int,
    base_dir: Path | None = None,
    allowed: list[Path] | None = None,
    bank: list[Path] | None = None,
) -> ChatterboxVoice:
    """The ChatterboxVoice for a plan character; explicit profile values win over style keywords."""
    character_id = str(character.get("id") or f"character-{index}")
    profile = dict(character.get("voice_profile") or {})
    where = f"character {character_id!r} voice_profile"
    style = str(profile.get("style") or "")
    words = re.findall(r"[a-z]+", style.lower())
    found = [STYLES[key] for key in STYLES if any(word.startswith(key) for word in words)]
    style_ex = sum(e for e, _ in found) / len(found) if found else DEFAULT_EXAGGERATION
    style_cfg = min((c for _, c in found), default=DEFAULT_CFG_WEIGHT)
    reference, digest, source, shift = "", "", "built-in", 0.0
    if profile.get("reference_audio"):
        path = resolve_reference(str(profile["reference_audio"]), base_dir, list(allowed or []), where)
        reference, digest, source = str(path), _sha256(path), "plan clip"
    elif bank:
        named = str(profile.get("voice") or "").lower()
        path = next((p for p in bank if p.stem.lower() == named), bank[index % len(bank)])
        reference, digest, source = str(path.resolve()), _sha256(path), "voice bank"
    else:
        from sparkle_cli.backends.tts.voice_shift import step_for

        shift = _number(profile, "pitch_shift", step_for(index), -12.0, 12.0, where)
    return ChatterboxVoice(
        character_id=character_id,
        voice="chatterbox",
        language=str(profile.get("language") or "en-US"),
        style=style,
        reference_audio=reference,
        reference_sha256=digest,
        exaggeration=round(_number(profile, "exaggeration", style_ex, 0.25, 2.0, where), 4),
        cfg_weight=round(_number(profile, "cfg_weight", style_cfg, 0.0, 1.0, where), 4),
        pitch_shift=round(shift, 3),
        voice_source=source,
    )


def configured_python() -> str | None:
    """The chatterbox interpreter: SPARKLE_CHATTERBOX_PYTHON, else the config key chatterbox_python."""
    from sparkle_cli import config

    value = os.environ.get(PYTHON_ENV) or config.get(PYTHON_KEY)
    return str(value) if value else None


def in_process_available() -> bool:
    return importlib.util.find_spec("chatterbox") is not None


def python_problem(python: str) -> str | None:
    """Why `python` cannot run the worker, or None."""
    exe = shutil.which(python) if os.sep not in python else (python if os.access(python, os.X_OK) else None)
    if exe is None:
        return f"the Chatterbox interpreter {python!r} ({PYTHON_ENV} / {PYTHON_KEY}) is not an executable file"
    return None


class WorkerDied(RuntimeError):
    """The worker process ended while a request was in flight."""


class _Worker:
    """One worker process and its JSON-lines pipes; stderr goes to a log file quoted in errors."""

    def __init__(self, python: str, entry: str, ckpt_dir: str, device: str, folder: Path) -> None:
        self.python = python
        self.log_path = folder / "chatterbox_worker.log"
        command = [python, str(WORKER_FILE), "--model", entry, "--ckpt-dir", ckpt_dir, "--device", device]
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        started = time.perf_counter()
        hello = self._read()
        if not hello.get("ready"):
            self.stop()
            raise BackendUnavailable(f"the Chatterbox worker could not load the model: {hello.get('error')}")
        self.sample_rate = int(hello["sample_rate"])
        self.device = str(hello.get("device") or device)
        self.load_s = round(time.perf_counter() - started, 3)

    def tail(self, limit: int = 800) -> str:
        with contextlib.suppress(OSError):
            text = self.log_path.read_text(encoding="utf-8", errors="replace").strip()
            return text[-limit:]
        return ""

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait(timeout=30)
            tail = self.tail()
            raise WorkerDied(
                f"the Chatterbox worker ({self.python}) exited with code {code}"
                + (f"; its last output: {tail}" if tail else "")
            )
        try:
            return json.loads(line)
        except json.JSONDecodeError as exc:
            raise WorkerDied(f"the Chatterbox worker wrote something that is not protocol: {line[:200]!r}") from exc

    def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(payload) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the read below reports how the worker ended
        return self._read()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(OSError):
            if self.proc.stdout:
                self.proc.stdout.close()
        self.log.close()


class ChatterboxBackend(TTSBackend):
    """Chatterbox TTS: zero-shot voice cloning from a reference clip, with an emotion dial."""

    name: ClassVar[str] = "chatterbox"
    version: ClassVar[str] = "1"
    voice_type: ClassVar[type[VoiceSpec]] = ChatterboxVoice

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        #: The run directory; relative reference clips are read from here (set by the stage).
        self.base_dir: Path | None = None
        self.mode = ""
        self._worker: _Worker | None = None
        self._model: Any = None
        self._voices: Any = None
        self._folder: Path | None = None
        self.model_facts: dict[str, Any] = {}

    @classmethod
    def check(cls) -> None:
        python = configured_python()
        if python:
            problem = python_problem(python)
            if problem:
                raise BackendUnavailable(f"{problem}; {INSTALL_HINT}")
            return
        if not in_process_available():
            raise BackendUnavailable(f"the chatterbox TTS backend needs chatterbox-tts: {INSTALL_HINT}")

    # --- settings --------------------------------------------------------------------

    def entry(self) -> str:
        from sparkle_cli.backends.tts.chatterbox_worker import DEFAULT_ENTRY

        return str(self.options.get("model_entry") or DEFAULT_ENTRY)

    def ckpt_dir(self) -> str:
        """A local checkpoint folder, or "" to let Chatterbox download its weights from the hub."""
        location = self.options.get("model_path")
        if not location:
            return ""
        path = Path(str(location)).expanduser()
        if not path.is_dir():
            raise BackendUnavailable(
                f"Chatterbox checkpoint folder {path} does not exist; set SPARKLE_MODEL_PATH_TTS or "
                "`models: {chatterbox: DIR}` to a folder holding " + ", ".join(CHECKPOINT_FILES)
            )
        missing = [name for name in CHECKPOINT_FILES if not (path / name).is_file()]
        if missing and "model_entry" not in self.options:
            raise BackendUnavailable(f"Chatterbox checkpoint folder {path} lacks {', '.join(missing)}")
        return str(path)

    def timeline_rate(self) -> int:
        return int(self.options.get("sample_rate") or TIMELINE_RATE)

    def load(self) -> None:
        """Decide where the model runs; the model itself loads with the first line that needs it."""
        mode = str(self.options.get("mode") or "auto")
        python = configured_python()
        if mode == "auto":
            mode = "inprocess" if in_process_available() else "worker"
        if mode == "worker":
            if not python:
                raise BackendUnavailable(
                    f"chatterbox-tts does not import here and no interpreter is named: {INSTALL_HINT}"
                )
            problem = python_problem(python)
            if problem:
                raise BackendUnavailable(f"{problem}; {INSTALL_HINT}")
        elif mode == "inprocess":
            if "model_entry" not in self.options and not in_process_available():
                raise BackendUnavailable(f"chatterbox-tts does not import in this environment: {INSTALL_HINT}")
        else:
            raise BackendUnavailable(f"render_profile.tts.options.mode {mode!r}: use auto, inprocess or worker")
        self.mode = mode
        self.python = python
        self.ckpt_dir()  # a missing checkpoint fails before the first line, not in the middle

    def _ensure_model(self) -> None:
        if self._worker is not None or self._model is not None:
            return
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="sparkle-chatterbox-"))
        device = str(self.options.get("device") or "auto")
        started = time.perf_counter()
        if self.mode == "worker":
            assert self.python
            self._worker = _Worker(self.python, self.entry(), self.ckpt_dir(), device, self._folder)
            self.device = self._worker.device
        else:
            from sparkle_cli.backends.torch_utils import resolve_device
            from sparkle_cli.backends.tts import chatterbox_worker

            self.device = resolve_device(device)
            self._model = chatterbox_worker.load_model(self.entry(), self.ckpt_dir() or None, self.device)
            self._voices = chatterbox_worker.VoiceCache(self._model)
        self.model_facts = {
            "model_id": self.entry(),
            "ckpt_dir": self.ckpt_dir() or "hub",
            "mode": self.mode,
            "device": self.device,
            "load_s": round(time.perf_counter() - started, 3),
        }

    def close(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        self._model = self._voices = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        if self.mode == "inprocess":
            from sparkle_cli.backends.torch_utils import free_memory

            free_memory()

    # --- voices and lines ------------------------------------------------------------

    def voice_for(self, character: dict[str, Any], index: int) -> VoiceSpec:
        from sparkle_cli import config

        allowed = [Path(p).expanduser() for p in (self.options.get("reference_dirs") or [])]
        allowed += [Path(p).expanduser() for p in (config.get("chatterbox_reference_dirs") or [])]
        try:
            bank = bank_clips(self.options.get("voice_bank") or config.get(BANK_KEY))
            voice = choose_voice(character, index, self.base_dir, allowed, bank)
        except ValueError as exc:
            raise BackendUnavailable(str(exc)) from exc
        if not voice.reference_audio and not self.has_builtin_voice():
            raise BackendUnavailable(
                f"character {voice.character_id!r} has no reference_audio clip and the Chatterbox checkpoint "
                f"{self.options.get('model_path')} has no built-in voice (conds.pt): give the character a clip, "
                "set a voice bank (render_profile.tts.options.voice_bank or `chatterbox_voice_bank`), or add conds.pt"
            )
        return voice

    def has_builtin_voice(self) -> bool:
        """A local checkpoint folder has the built-in voice when it holds conds.pt; the hub's always does."""
        location = self.options.get("model_path")
        if not location:
            return True
        return (Path(str(location)).expanduser() / "conds.pt").is_file()

    def synthesize(self, request: SpeechRequest, out_path: Path) -> SpeechResult:
        from sparkle_cli.media import audio

        text = (request.text or "").strip()
        if not text:
            raise ValueError(f"line {request.line_id!r}: the text is empty; give the line something to say")
        voice = request.voice
        if not isinstance(voice, ChatterboxVoice):
            voice = ChatterboxVoice(**vars(voice))
        self._ensure_model()
        assert self._folder is not None
        raw = self._folder / f"{request.line_id}.raw.wav"
        payload = {
            "id": request.line_id,
            "text": text,
            "audio_prompt_path": voice.reference_audio or None,
            "voice_key": voice.reference_sha256 or None,
            "exaggeration": voice.exaggeration,
            "cfg_weight": voice.cfg_weight,
            "out": str(raw),
            "seed": int(self.options.get("seed", 0)),
        }
        if self._worker is not None:
            try:
                reply = self._worker.request(payload)
            except WorkerDied as exc:
                self._worker.stop()
                self._worker = None  # the next line, or `sparkle resume`, starts a fresh one
                raise RuntimeError(f"line {request.line_id!r}: {exc}") from None
        else:
            from sparkle_cli.backends.tts import chatterbox_worker

            reply = chatterbox_worker.synthesize(self._model, payload, self._voices)
        if not reply.get("ok"):
            raise RuntimeError(f"line {request.line_id!r}: Chatterbox failed: {reply.get('error')}")
        samples, rate = audio.read_wav(raw)
        raw.unlink(missing_ok=True)
        if voice.pitch_shift:
            from sparkle_cli.backends.tts.voice_shift import shift_pitch

            samples = shift_pitch(samples, rate, voice.pitch_shift)
        target = self.timeline_rate()
        if rate != target:
            samples = audio.resample(samples, rate, target)
        audio.write_wav(out_path, samples, target)
        written, written_rate = audio.read_wav(out_path)  # the duration is what the file holds
        return ChatterboxResult(
            path=str(out_path),
            sample_rate=written_rate,
            duration_s=len(written) / written_rate,
            samples=len(written),
            metadata={
                **self.model_facts,
                "model_sample_rate": rate,
                "synth_s": reply.get("seconds"),
                "voice_source": voice.voice_source,
                "pitch_shift": voice.pitch_shift,
            },
        )
