"""QA thresholds: documented defaults, overridden by a YAML/JSON policy file.

The file comes from `--qa-policy`, else `QA_POLICY_PATH`; unknown keys are an error so
that a typo cannot silently loosen a check.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sparkle_cli.errors import UsageError

DEFAULTS: dict[str, Any] = {
    # video_clip_qa
    "max_attempts": 3,  # renders per clip, the first included
    "black_luma": 16.0,  # a frame whose mean luma (0..255) is below this is black
    "max_black_frames": 0,  # black frames allowed in a clip / the final movie
    "frozen_min_diff": 0.4,  # mean abs difference (0..255) between first and last frames below this: frozen
    "min_moving_fraction": 0.5,  # share of consecutive frame pairs that must differ at all
    "continuity_min_psnr_db": 28.0,  # a clip's first/last frame against its keyframes
    "frame_tolerance": 0,  # frames a clip may differ from its planned count
    # base_images
    "image_max_attempts": 3,
    "image_min_std": 6.0,  # grayscale contrast below this: a flat picture
    "image_min_neighbour_diff": 0.5,  # mean abs difference on a 64x36 thumbnail: same picture
    # qa_publish
    "av_sync_max_frames": 1.0,  # audio vs video duration
    "max_clipped_samples": 0,
    "speech_min_dbfs": -45.0,  # RMS inside each dialogue window must be above this
    "loudness_min_lufs": -40.0,
    "loudness_max_lufs": -5.0,
    # vision QA (the qwen2vl backend; the heuristic backend reports these checks not_evaluated)
    "prompt_match_min": 0.5,  # the model's 0..1 score for "the frames show what the shot asks"
    "vlm_frames": 4,  # frames sampled per clip or movie: first, last and evenly between
    "vlm_retries": 2,  # asks again when an answer does not parse; then the checks are not_evaluated
}


#: Settings that count something, with their least allowed value.
COUNTS = {
    "max_attempts": 1,
    "image_max_attempts": 1,
    "max_black_frames": 0,
    "frame_tolerance": 0,
    "max_clipped_samples": 0,
    "vlm_frames": 1,
    "vlm_retries": 0,
}


def load_policy(path: str | Path | None) -> dict[str, Any]:
    policy = dict(DEFAULTS)
    if not path:
        return policy
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"QA policy {path}: cannot be read ({exc.strerror})") from exc
    try:
        if path.suffix.lower() in {".yaml", ".yml"}:
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
    except Exception as exc:
        raise UsageError(f"QA policy {path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"QA policy {path}: expected a mapping of setting: value")
    unknown = sorted(set(data) - set(DEFAULTS))
    if unknown:
        raise UsageError(f"QA policy {path}: unknown settings {', '.join(unknown)}; known: {', '.join(DEFAULTS)}")
    for key, value in data.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise UsageError(f"QA policy {path}: {key} must be a number, got {value!r}")
        if key in COUNTS and (value != int(value) or value < COUNTS[key]):
            raise UsageError(f"QA policy {path}: {key} must be a whole number of at least {COUNTS[key]}, got {value!r}")
        policy[key] = value
    return policy


def policy_for(options: dict[str, Any]) -> dict[str, Any]:
    return load_policy(options.get("qa_policy") or os.environ.get("QA_POLICY_PATH"))
