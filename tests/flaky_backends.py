"""Video backends that misbehave on purpose, to test QA retries (registered by the tests only)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

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
