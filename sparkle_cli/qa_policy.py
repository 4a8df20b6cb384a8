"""QA thresholds: documented defaults, overridden by a YAML/JSON policy file.

The file comes from `--qa-policy`, else `QA_POLICY_PATH`; unknown keys are an error so
that a typo cannot silently loosen a check.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from sparkle_cli.errors import UsageError
from sparkle_cli.text import quote
from sparkle_cli.userfiles import load_data

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


#: The range each setting may take: outside it a check would be meaningless or a run endless.
LIMITS: dict[str, tuple[float, float]] = {
    "max_attempts": (1, 10),
    "black_luma": (0, 255),
    "max_black_frames": (0, 1_000_000),
    "frozen_min_diff": (0, 255),
    "min_moving_fraction": (0, 1),
    "continuity_min_psnr_db": (0, 100),
    "frame_tolerance": (0, 10_000),
    "image_max_attempts": (1, 10),
    "image_min_std": (0, 255),
    "image_min_neighbour_diff": (0, 255),
    "av_sync_max_frames": (0, 10_000),
    "max_clipped_samples": (0, 1_000_000_000),
    "speech_min_dbfs": (-200, 0),
    "loudness_min_lufs": (-100, 0),
    "loudness_max_lufs": (-100, 0),
    "prompt_match_min": (0, 1),
    "vlm_frames": (1, 64),
    "vlm_retries": (0, 10),
}

#: A policy is a few lines; anything this large is a mistake.
MAX_POLICY_BYTES = 64 * 1024


def load_policy(path: str | Path | None) -> dict[str, Any]:
    policy = dict(DEFAULTS)
    if not path:
        return policy
    path = Path(path)
    data = load_data(path, "QA policy", MAX_POLICY_BYTES)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UsageError(f"QA policy {path}: expected a mapping of setting: value")
    unknown = sorted(str(k) for k in data if k not in DEFAULTS)
    if unknown:
        raise UsageError(
            f"QA policy {path}: unknown settings {quote(', '.join(unknown))}; known: {', '.join(DEFAULTS)}"
        )
    for key, value in data.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise UsageError(f"QA policy {path}: {key} must be a number, got {quote(value)}")
        low, high = LIMITS[key]
        if not low <= value <= high:
            raise UsageError(f"QA policy {path}: {key} must be from {low:g} to {high:g}, got {quote(value)}")
        if key in COUNTS and value != int(value):
            raise UsageError(f"QA policy {path}: {key} must be a whole number, got {quote(value)}")
        policy[key] = int(value) if key in COUNTS else value
    if policy["loudness_min_lufs"] > policy["loudness_max_lufs"]:
        raise UsageError(
            f"QA policy {path}: loudness_min_lufs ({policy['loudness_min_lufs']}) is above "
            f"loudness_max_lufs ({policy['loudness_max_lufs']})"
        )
    return policy


def policy_for(options: dict[str, Any]) -> dict[str, Any]:
    return load_policy(options.get("qa_policy") or os.environ.get("QA_POLICY_PATH"))
