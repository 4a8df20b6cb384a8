"""User configuration: a YAML file plus environment variables, read when a command needs them.

Lookup order for the file: `SPARKLE_CONFIG`, then `./sparkle.yaml`, then
`~/.config/sparkle/config.yaml`. Model locations: `models: {<kind or model id>: <dir or hub id>}`
in the file, overridden by `SPARKLE_MODEL_PATH_<KIND>` (e.g. SPARKLE_MODEL_PATH_VIDEO) and by
`sparkle produce --model-path KIND=PATH`, which the run remembers for `resume`.
Other keys: `chatterbox_python` (the interpreter of an environment with chatterbox-tts; the
environment variable SPARKLE_CHATTERBOX_PYTHON wins) and `chatterbox_reference_dirs` (folders
outside a run from which voice reference clips may be read).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from sparkle_cli.errors import UsageError

KINDS = ("video", "image", "tts", "qa", "lipsync", "planner", "ip_adapter")


def config_path() -> Path | None:
    for candidate in (os.environ.get("SPARKLE_CONFIG"), "sparkle.yaml", "~/.config/sparkle/config.yaml"):
        if candidate and Path(candidate).expanduser().is_file():
            return Path(candidate).expanduser()
    return None


@functools.cache
def load() -> dict[str, Any]:
    path = config_path()
    if path is None:
        return {}
    from sparkle_cli.userfiles import FileProblem, parse_yaml, read_text

    try:
        data = parse_yaml(read_text(path, "config", 1024 * 1024)) or {}
    except FileProblem as exc:
        raise UsageError(f"config {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"config {path}: expected a mapping of key: value")
    return data


def get(key: str, default: Any = None) -> Any:
    return load().get(key, default)


def model_path(kind: str, *names: str) -> str | None:
    """Where the model for a backend lives: env override, then config `models` by kind or name."""
    env = os.environ.get(f"SPARKLE_MODEL_PATH_{kind.upper()}")
    if env:
        return env
    models = load().get("models") or {}
    for key in (kind, *names):
        if key and key in models:
            return str(models[key])
    return None


def parse_model_paths(values: list[str]) -> dict[str, str]:
    """`KIND=PATH` pairs from the command line."""
    out = {}
    for value in values:
        kind, sep, path = value.partition("=")
        if not sep or kind not in KINDS or not path:
            raise UsageError(f"--model-path {value!r}: expected KIND=PATH with KIND one of {', '.join(KINDS)}")
        out[kind] = path
    return out


def apply_model_paths(paths: dict[str, str]) -> None:
    """Make remembered --model-path choices visible to backend selection in this process."""
    for kind, path in paths.items():
        os.environ[f"SPARKLE_MODEL_PATH_{kind.upper()}"] = path
