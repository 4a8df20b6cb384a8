"""Atomic file writes: write to a temporary name beside the target, then rename into place.

A kill at any moment leaves either the old file or the new one, never half of one.
Temporary names keep the real extension so that ffmpeg and PyAV pick the right format.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TMP_MARK = ".tmp-"


def temp_name(final: Path) -> Path:
    return final.with_name(f".{final.stem}{TMP_MARK}{os.getpid()}-{secrets.token_hex(3)}{final.suffix}")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(final: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `final`, on error it is removed."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(final)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp} for {final}")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        _fsync_dir(final.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes(final: str | Path, data: bytes) -> None:
    with atomic_path(final) as tmp, open(tmp, "xb") as fh:  # exclusive: never through a planted file
        fh.write(data)


def write_text(final: str | Path, text: str) -> None:
    write_bytes(final, text.encode("utf-8"))


def write_json(final: str | Path, payload: Any) -> None:
    write_text(final, json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")


def remove_stale_temps(directory: Path) -> int:
    """Delete temporary files a killed process left behind; returns how many.

    Links are neither followed nor removed: only this directory's own files are touched.
    """
    count = 0
    for folder, _dirs, files in os.walk(directory, followlinks=False):
        for name in files:
            path = Path(folder) / name
            if name.startswith(".") and TMP_MARK in name and not path.is_symlink():
                with contextlib.suppress(OSError):
                    path.unlink()
                    count += 1
    return count
