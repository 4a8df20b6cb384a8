"""Named render profiles: which backend each stage uses, written into the plan where it stays editable.

`gpu` picks its models, sizes, dtypes and memory options from this machine's GPU and RAM (see
gpu_tiers); `gpu-80gb`, `gpu-40gb`, `gpu-24gb` and `gpu-t4` name a tier outright.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from sparkle_cli.errors import UsageError
from sparkle_cli.text import quote
from sparkle_cli.userfiles import load_data

#: A profile is a few dozen lines.
MAX_PROFILE_BYTES = 256 * 1024

PRESETS: dict[str, dict[str, Any]] = {
    "builtin": {
        "video": {"model_id": "builtin-morph", "max_fps": 24, "width": 640, "height": 360},
        "images": {"backend": "painter"},
        "tts": {"backend": "espeak"},
        "qa": {"backend": "heuristic"},
        "lipsync": {"backend": "amplitude"},
    },
}
GPU_PROFILES = ("gpu", "gpu-80gb", "gpu-40gb", "gpu-24gb", "gpu-t4")

DEFAULT_PROFILE = "builtin"


def load_profile(name_or_path: str) -> dict[str, Any]:
    """A preset by name, or a YAML/JSON file holding a render_profile object."""
    if name_or_path in GPU_PROFILES:
        from sparkle_cli import gpu_tiers

        named = name_or_path.removeprefix("gpu").removeprefix("-") or None
        profile = gpu_tiers.profile_for(named)
        profile["profile"] = name_or_path
        return profile
    if name_or_path in PRESETS:
        profile = copy.deepcopy(PRESETS[name_or_path])
        profile["profile"] = name_or_path
        return profile
    path = Path(name_or_path)
    if not path.is_file():
        presets = ", ".join([*PRESETS, *GPU_PROFILES])
        raise UsageError(f"--profile {quote(name_or_path)}: not a preset ({presets}) and no such file")
    data = load_data(path, "--profile", MAX_PROFILE_BYTES)
    if isinstance(data, dict) and "render_profile" in data:
        data = data["render_profile"]
    if not isinstance(data, dict) or "video" not in data:
        raise UsageError(f"--profile {path}: expected an object with at least a 'video' section")
    data.setdefault("profile", str(path))
    return data
