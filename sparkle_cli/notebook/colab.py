"""What differs when the notebook runs in Colab: Drive, where artifacts go, downloads."""

from __future__ import annotations

import base64
import os
import sys
from html import escape
from pathlib import Path

DRIVE_ROOT = Path("/content/drive")
DRIVE_ARTIFACTS = DRIVE_ROOT / "MyDrive" / "sparkle_artifacts"
COLAB_ARTIFACTS = Path("/content/artifacts")
# A data: link holds the whole file in the page; past this, the path is all we offer.
LINK_LIMIT = 48 * 1024 * 1024


def in_colab() -> bool:
    return "google.colab" in sys.modules


def artifacts_dir(mount_drive: bool = False) -> Path:
    """ARTIFACTS_DIR when set; in Colab Drive (when mounted) or /content/artifacts; else ./artifacts."""
    if os.environ.get("ARTIFACTS_DIR"):
        chosen = Path(os.environ["ARTIFACTS_DIR"]).expanduser()
    elif in_colab() and mount_drive:
        from google.colab import drive  # type: ignore[import-not-found]

        drive.mount(str(DRIVE_ROOT))
        chosen = DRIVE_ARTIFACTS
    elif in_colab():
        chosen = COLAB_ARTIFACTS
    else:
        chosen = Path.cwd() / "artifacts"
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen.resolve()


def download(path: str | Path) -> str:
    """Start a browser download in Colab; elsewhere return HTML with a link to save the file."""
    path = Path(path)
    if in_colab():
        from google.colab import files  # type: ignore[import-not-found]

        files.download(str(path))
        return f"downloading {escape(path.name)} ..."
    if path.stat().st_size > LINK_LIMIT:
        return f"too large for a link here; the file is at <code>{escape(str(path))}</code>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<a download="{escape(path.name)}" href="data:video/mp4;base64,{data}">save {escape(path.name)}</a>'
        f" &nbsp; (<code>{escape(str(path))}</code>)"
    )
