"""Long synthetic movies for final QA: grey frames and a tone where people would speak.

Shared by the tests and `make bench` (no pytest here, so the bench runs on the base install).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sparkle_cli.media.ffmpeg import run_ffmpeg

FPS = 4


def movie(path: Path, seconds: int, speech: list[tuple[float, float]]) -> Path:
    """A small H.264 + AAC movie: grey frames, a 440 Hz tone at -20 dBFS inside the speech windows."""
    rate = 48000
    volume = "+".join(f"between(t,{a},{b})" for a, b in speech) or "0"
    run_ffmpeg(
        [
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"color=c=gray:s=64x36:r={FPS}:d={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate={rate}:duration={seconds}",
            "-af",
            f"volume=volume='0.2*({volume})':eval=frame",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-movflags",
            "+faststart",
            str(path),
        ],
        timeout=600,
    )
    return path


def timeline(seconds: int, speech: list[tuple[float, float]]) -> dict:
    lines = [
        {"line_id": f"line_{i:03d}", "start_time_actual_s": a, "end_time_actual_s": b}
        for i, (a, b) in enumerate(speech)
    ]
    return {"fps": FPS, "total_frames": seconds * FPS, "lines": lines}


PEAK_RSS = """
import json, resource, sys
from sparkle_cli.backends.qa.heuristic import HeuristicQA
from sparkle_cli.qa_policy import DEFAULTS
report = HeuristicQA().check_final(sys.argv[1], timeline=json.loads(sys.argv[2]), policy=dict(DEFAULTS))
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "passed": report["passed"],
                  "failed": report["failed_checks"]}))
"""


def final_qa_in_a_process(video: Path, plan_timeline: dict) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(video), json.dumps(plan_timeline)],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])
