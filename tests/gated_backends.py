"""A video backend that waits at a gate before each clip, so a test decides when a producer moves on.

A test opens the gate for one shot after it has clicked Pause or Stop, so the producer meets the request
at a known point, whatever the machine's speed. The backend reaches `sparkle` subprocesses through an
entry point in a throwaway dist-info folder put on PYTHONPATH (`Gate.env`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sparkle_cli.backends.base import ClipRequest, ClipResult
from sparkle_cli.backends.video.morph import MorphBackend

ROOT = Path(__file__).resolve().parents[1]


class GatedMorph(MorphBackend):
    """The morph backend, held before each clip until its gate file (or the "all" gate) exists."""

    name = "gated"

    def render(self, request: ClipRequest, out_path: Path) -> ClipResult:
        gate = Path(self.options["gate_dir"])
        # Who holds the clip, written whole before the file appears under its name.
        (gate / f"{request.shot_id}.pid").write_text(str(os.getpid()))
        os.replace(gate / f"{request.shot_id}.pid", gate / f"{request.shot_id}.waiting")
        deadline = time.monotonic() + float(self.options.get("timeout_s", 900))
        while not ((gate / f"{request.shot_id}.go").exists() or (gate / "all.go").exists()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gate for {request.shot_id} in {gate} was never opened")
            time.sleep(0.05)
        return super().render(request, out_path)


class Gate:
    """The test's side of the gates: wait for a clip to arrive, let it through."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.site = folder / "site"
        self.folder.mkdir(parents=True, exist_ok=True)
        info = self.site / "sparkle_test_gates-0.0.0.dist-info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sparkle-test-gates\nVersion: 0.0.0\n")
        (info / "entry_points.txt").write_text(
            "[sparkle_motion.backends]\nvideo.gated = tests.gated_backends:GatedMorph\n"
        )

    def env(self) -> dict[str, str]:
        """Environment entries that let `sparkle` subprocesses find the gated backend.

        One worker: a pause or stop is met before the next item, and only with one item at a
        time is "the next item" a known one (with two, both shots are already in flight).
        """
        paths = [str(self.site), str(ROOT), os.environ.get("PYTHONPATH", "")]
        return {"PYTHONPATH": os.pathsep.join(p for p in paths if p), "SPARKLE_WORKERS": "1"}

    def video_profile(self) -> dict[str, Any]:
        """A plan's `render_profile.video` that renders small clips through the gate."""
        return {
            "model_id": "gated",
            "max_fps": 12,
            "width": 320,
            "height": 180,
            "options": {"gate_dir": str(self.folder)},
        }

    def arrived(self, shot_id: str) -> bool:
        return (self.folder / f"{shot_id}.waiting").exists()

    def wait_for(self, shot_id: str, timeout: float, also: Callable[[], object] | None = None) -> None:
        """Block until the producer waits at `shot_id`'s gate (`also` is called meanwhile, a poll say)."""
        deadline = time.monotonic() + timeout
        while not self.arrived(shot_id):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no clip reached the gate for {shot_id} within {timeout:.0f} s")
            if also is not None:
                also()
            time.sleep(0.1)

    def open(self, shot_id: str) -> None:
        (self.folder / f"{shot_id}.go").touch()

    def open_all(self) -> None:
        (self.folder / "all.go").touch()


def register() -> None:
    """Make the gated backend known in this process without the dist-info (a Ray worker's setup hook)."""
    from sparkle_cli.backends import registry

    registry.BACKENDS["video"]["gated"] = ("tests.gated_backends:GatedMorph", "")
