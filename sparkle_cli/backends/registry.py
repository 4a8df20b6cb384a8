"""Where backends are found: one table of `kind.name -> module:Class`, plus entry points.

Built-in backends are listed here and third-party ones come in through the
`sparkle_motion.backends` entry-point group (name `kind.name`); both go through
`backend_class`, which imports a backend's module only when it is selected.
"""

from __future__ import annotations

import functools
import importlib
from importlib import metadata
from typing import Any

from sparkle_cli.backends.base import Backend, BackendUnavailable

ENTRY_POINT_GROUP = "sparkle_motion.backends"

ML_HINT = "install the ml extra (pip install -e '.[ml]') and point the profile at the model files"

#: kind -> name -> (import path, what to install when it is missing)
BACKENDS: dict[str, dict[str, tuple[str, str]]] = {
    "tts": {
        "espeak": ("sparkle_cli.backends.tts.espeak:EspeakBackend", "pip install espeakng-loader"),
        "chatterbox": ("sparkle_cli.backends.tts.chatterbox:ChatterboxBackend", "install chatterbox-tts"),
    },
    "image": {
        "painter": ("sparkle_cli.backends.image.painter:PainterBackend", "reinstall sparkle-motion"),
        "sdxl": ("sparkle_cli.backends.image.sdxl:SDXLBackend", ML_HINT),
    },
    "video": {
        "morph": ("sparkle_cli.backends.video.morph:MorphBackend", "reinstall sparkle-motion"),
        "wan": ("sparkle_cli.backends.video.wan:WanBackend", ML_HINT),
    },
    "qa": {
        "heuristic": ("sparkle_cli.backends.qa.heuristic:HeuristicQA", "reinstall sparkle-motion"),
        "qwen2vl": ("sparkle_cli.backends.qa.qwen2vl:Qwen2VLBackend", ML_HINT),
    },
    "lipsync": {
        "amplitude": ("sparkle_cli.backends.lipsync.amplitude:AmplitudeLipsync", "reinstall sparkle-motion"),
        "wav2lip": ("sparkle_cli.backends.lipsync.wav2lip:Wav2LipBackend", ML_HINT),
    },
    "planner": {
        "template": ("sparkle_cli.backends.planner.template:TemplatePlanner", "reinstall sparkle-motion"),
        "openai": ("sparkle_cli.backends.planner.openai:OpenAIPlanner", "reinstall sparkle-motion"),
        "transformers": ("sparkle_cli.backends.planner.transformers:TransformersPlanner", ML_HINT),
    },
}

#: The default backend of each kind: every one runs on a CPU with no downloads.
BUILTIN = {"tts": "espeak", "image": "painter", "video": "morph", "qa": "heuristic", "lipsync": "amplitude"}

#: `render_profile.video.model_id` values and the video backend that renders them.
VIDEO_MODEL_IDS: dict[str, str] = {
    "builtin-morph": "morph",
    "wan-2.1": "wan",
    "wan-2.1-flf2v-14b": "wan",
    "wan-2.1-i2v-14b": "wan",
    "wan-2.1-i2v-1.3b": "wan",
}


@functools.cache
def _entry_points() -> dict[str, str]:
    """Plugins' `kind.name -> module:Class`, read once per process (scanning distributions is slow)."""
    found: dict[str, str] = {}
    try:
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            found[ep.name] = ep.value
    except Exception:  # a broken distribution must not break the tool
        pass
    return found


def known_names(kind: str) -> list[str]:
    names = set(BACKENDS.get(kind, {}))
    names |= {key.split(".", 1)[1] for key in _entry_points() if key.startswith(kind + ".")}
    return sorted(names)


def is_known(kind: str, name: str) -> bool:
    return name in BACKENDS.get(kind, {}) or f"{kind}.{name}" in _entry_points()


def video_backend_for(model_id: str) -> str | None:
    """The video backend for a model id; a local path or hub id containing 'wan' maps to wan."""
    if model_id in VIDEO_MODEL_IDS:
        return VIDEO_MODEL_IDS[model_id]
    if is_known("video", model_id):
        return model_id
    lowered = model_id.lower()
    if "/" in model_id and "wan" in lowered:
        return "wan"
    return None


def backend_class(kind: str, name: str) -> type[Backend]:
    """Import and return the class of backend `name` of `kind`; BackendUnavailable says how to fix."""
    target = _entry_points().get(f"{kind}.{name}")
    hint = "check the plugin's installation"
    if target is None:
        if name not in BACKENDS.get(kind, {}):
            raise BackendUnavailable(
                f"unknown {kind} backend '{name}'; known: {', '.join(known_names(kind)) or 'none'}"
            )
        target, hint = BACKENDS[kind][name]
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or module_name
        if missing == module_name:
            raise BackendUnavailable(f"the {kind} backend '{name}' is not part of this installation; {hint}") from exc
        raise BackendUnavailable(
            f"the {kind} backend '{name}' needs the Python package '{missing.split('.')[0]}'; {hint}"
        ) from exc
    cls: type[Backend] = getattr(module, class_name)
    return cls


def create(kind: str, name: str, options: dict[str, Any] | None = None) -> Backend:
    cls = backend_class(kind, name)
    cls.check()
    return cls(options)


def availability(kind: str, name: str) -> str | None:
    """None when backend `name` can run here, else a message that says how to fix it."""
    try:
        backend_class(kind, name).check()
    except BackendUnavailable as exc:
        return str(exc)
    return None
