"""The notebook front end: an ipywidgets control panel that drives the `sparkle` CLI.
Importing this package is light; ipywidgets loads only when a panel is created."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkle_cli.notebook.colab import artifacts_dir, in_colab

if TYPE_CHECKING:
    from sparkle_cli.notebook.panel import ControlPanel

__all__ = ["artifacts_dir", "create_control_panel", "in_colab"]


def create_control_panel(runs_dir: str | Path | None = None, **options: Any) -> ControlPanel:
    """The control panel; `runs_dir` defaults to what the CLI picks (SPARKLE_RUNS_DIR, ARTIFACTS_DIR, ./runs)."""
    from sparkle_cli.notebook.panel import ControlPanel

    return ControlPanel(runs_dir, **options)
