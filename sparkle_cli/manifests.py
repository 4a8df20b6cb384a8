"""A stage's manifest: a compact JSON file written when the stage ends, plus an append-only journal.

While a stage runs, each committed item is one line appended to `<stage>/journal.jsonl`, so a
commit costs in proportion to its own record, not to the whole manifest. Readers see the
manifest with the journal replayed on top. When the stage ends, the whole manifest is written
once (atomically) naming the journal it absorbed, and the journal is removed; a kill between the
two leaves a journal that readers recognise as already applied.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from sparkle_cli import atomic

JOURNAL = "journal.jsonl"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The complete JSON-object lines of an append-only file: a torn last line or bad bytes are skipped."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        return []
    out = []
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def mend_tail(path: Path) -> None:
    """Cut a torn last line (a kill mid-append) so the next append starts on a line of its own.

    Only the holder of the run's lock appends, so nobody writes while this runs.
    """
    with contextlib.suppress(FileNotFoundError, IsADirectoryError):
        with open(path, "rb+") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            # Walk back to the last newline in blocks; a file of one torn line is emptied.
            end = size
            while end > 0:
                start = max(0, end - 65536)
                fh.seek(start)
                block = fh.read(end - start)
                cut = block.rfind(b"\n")
                if cut >= 0:
                    fh.truncate(start + cut + 1)
                    return
                end = start
            fh.truncate(0)


def append_line(path: Path, value: dict[str, Any], *, sync: bool = False) -> None:
    """One write with O_APPEND and O_NOFOLLOW: a line is never interleaved, a planted link is refused."""
    data = (_dumps(value) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        os.write(fd, data)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def journal_path(manifest_path: Path) -> Path:
    return manifest_path.with_name(JOURNAL)


def load(manifest_path: Path) -> dict[str, Any] | None:
    """The manifest as of now: the file, with an unapplied journal replayed on top."""
    try:
        data = json.loads(manifest_path.read_bytes().decode("utf-8"))
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        data = None
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if data is not None and not isinstance(data, dict):
        data = None
    lines = read_lines(journal_path(manifest_path))
    if not lines:
        return data
    head = lines[0]
    if data is not None and head.get("journal") and data.get("journal") == head["journal"]:
        return data  # already absorbed: the stage ended and a kill came before the journal's removal
    manifest: dict[str, Any] = dict(data or {})
    items = manifest.get("items")
    manifest["items"] = dict(items) if isinstance(items, dict) else {}
    for line in lines:
        if isinstance(line.get("set"), dict):
            manifest.update({k: v for k, v in line["set"].items() if k != "items"})
        if isinstance(line.get("item"), str) and isinstance(line.get("record"), dict):
            manifest["items"][line["item"]] = line["record"]
    return manifest


class StageManifest:
    """The driver's handle on one stage's manifest while the stage runs."""

    def __init__(self, manifest_path: Path, stage_id: str) -> None:
        self.path = manifest_path
        self.journal = journal_path(manifest_path)
        data = load(manifest_path) or {}
        if data.get("stage_id") != stage_id:
            data = {"stage_id": stage_id, "items": {}}
        data.setdefault("items", {})
        self.data: dict[str, Any] = data
        self._id: str | None = None

    @property
    def items(self) -> dict[str, Any]:
        items: dict[str, Any] = self.data["items"]
        return items

    def _start_journal(self) -> None:
        if self._id is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A journal left by a killed run is absorbed into the file first, so this one starts clean.
        if self.journal.exists() or self.journal.is_symlink():
            self.save()
        self._id = secrets.token_hex(8)
        append_line(self.journal, {"journal": self._id, "set": {"stage_id": self.data["stage_id"]}}, sync=True)

    def set(self, **fields: Any) -> None:
        self.data.update(fields)
        self._start_journal()
        append_line(self.journal, {"set": fields}, sync=True)

    def put(self, item_id: str, record: dict[str, Any]) -> None:
        self.items[item_id] = record
        self._start_journal()
        append_line(self.journal, {"item": item_id, "record": record}, sync=True)

    def save(self) -> None:
        """Write the whole manifest once, then drop the journal it absorbed."""
        self.data.pop("journal", None)
        if self._id is not None:
            self.data["journal"] = self._id
        atomic.write_text(self.path, _dumps(self.data) + "\n")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.journal)
        self._id = None
