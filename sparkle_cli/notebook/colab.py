"""What differs when the notebook runs in Colab: Drive, where artifacts go, downloads."""

from __future__ import annotations

import base64
import os
import sys
from html import escape
from pathlib import Path

#: Where Colab mounts Google Drive (read at call time, so a test can point it at a folder of its own).
DRIVE_ROOT = Path("/content/drive")
COLAB_ARTIFACTS = Path("/content/artifacts")
# A data: link holds the whole file in the page; past this, the path is all we offer.
LINK_LIMIT = 48 * 1024 * 1024
LINK_STYLE = "color:#1a73e8;text-decoration:underline;font-weight:600"


def in_colab() -> bool:
    return "google.colab" in sys.modules


def drive_artifacts() -> Path:
    return DRIVE_ROOT / "MyDrive" / "sparkle_artifacts"


def artifacts_dir(mount_drive: bool = False) -> Path:
    """Where runs are kept, decided afresh on every call so that a changed choice takes effect.

    In Colab with `mount_drive`: Google Drive (mounted now), where runs outlive the runtime. Otherwise
    ARTIFACTS_DIR from the environment, else /content/artifacts in Colab, else ./artifacts.
    """
    if in_colab() and mount_drive:
        from google.colab import drive  # type: ignore[import-not-found]

        drive.mount(str(DRIVE_ROOT))
        chosen = drive_artifacts()
    elif os.environ.get("ARTIFACTS_DIR"):
        chosen = Path(os.environ["ARTIFACTS_DIR"]).expanduser()
    elif in_colab():
        chosen = COLAB_ARTIFACTS
    else:
        chosen = Path.cwd() / "artifacts"
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen.resolve()


def download(path: str | Path, mime: str = "video/mp4") -> str:
    """Start a browser download in Colab; elsewhere return HTML with a link that saves the file."""
    path = Path(path)
    if in_colab():
        from google.colab import files  # type: ignore[import-not-found]

        files.download(str(path))
        return f"downloading {escape(path.name)} ..."
    size = path.stat().st_size
    if size > LINK_LIMIT:
        return f"too large for a link here; the file is at <code>{escape(str(path))}</code>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<a class="sparkle-download" download="{escape(path.name)}" href="data:{mime};base64,{data}" '
        f'style="{LINK_STYLE}">&#x2B07; save {escape(path.name)}</a> ({size / 1024 / 1024:.1f} MiB)'
        f" &nbsp; <code>{escape(str(path))}</code>"
    )
