"""Video backends that misbehave or wait on purpose, to test QA retries and lost workers (tests only)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import ClassVar

import numpy as np

from sparkle_cli.backends import registry
from sparkle_cli.backends.base import ClipRequest, ClipResult
from sparkle_cli.backends.video.morph import MorphBackend
from sparkle_cli.media.video import write_video


class BlackFirstMorph(MorphBackend):
    """Renders a black clip the first time it sees a shot, a real morph after that."""

    name = "black-first"
    seen: ClassVar[set[str]] = set()

    def render(self, request: ClipRequest, out_path: Path) -> ClipResult:
        if request.shot_id in self.seen:
            return super().render(request, out_path)
        self.seen.add(request.shot_id)
        return _black(request, out_path)


class AlwaysBlack(MorphBackend):
    name = "always-black"

    def render(self, request: ClipRequest, out_path: Path) -> ClipResult:
        return _black(request, out_path)


def _black(request: ClipRequest, out_path: Path) -> ClipResult:
    frame = np.zeros((request.height, request.width, 3), np.uint8)
    write_video(out_path, (frame for _ in range(request.num_frames)), request.fps)
    return ClipResult(str(out_path), request.num_frames, request.fps, request.width, request.height)


class GatedMorph(MorphBackend):
    """Holds every clip mid-render until the test opens its gate, so a test can kill a worker
    that is certainly in the middle of an item. Renders exactly what the morph backend renders."""

    name = "gated"

    def render(self, request: ClipRequest, out_path: Path) -> ClipResult:
        gate = Path(self.options["gate"])
        if not (gate / "open").exists():
            (gate / f"busy-{os.getpid()}").write_text(request.shot_id)
            deadline = time.monotonic() + 600  # a guard against a test that never opens it
            while not (gate / "open").exists():
                if time.monotonic() > deadline:
                    raise RuntimeError("the test never opened the gate")
                time.sleep(0.02)
        return super().render(request, out_path)


def register_gated() -> None:
    """Make the gated backend known in this process (a Ray worker's setup hook calls it too)."""
    registry.BACKENDS["video"]["gated"] = ("tests.flaky_backends:GatedMorph", "")
