"""Fingerprints: hashes of what an item reads, and the reason an item must be made again."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def input_digests(inputs: dict[str, Any]) -> dict[str, str]:
    """A short hash per input, kept in the manifest so a later run can say which input changed."""
    return {key: digest(value)[:16] for key, value in inputs.items()}


def item_fingerprint(stage_id: str, stage_version: str, settings: dict[str, Any], inputs: dict[str, Any]) -> str:
    return digest({"stage": stage_id, "version": stage_version, "settings": settings, "inputs": inputs})


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_record(path: Path, rel: str) -> dict[str, Any]:
    stat = path.stat()
    return {"path": rel, "size_bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": file_sha256(path)}


def output_matches(path: Path, record: dict[str, Any]) -> bool:
    """Cheap checks first: existence and size, then mtime; the hash only when the mtime moved."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return False
    if stat.st_size != record.get("size_bytes"):
        return False
    if stat.st_mtime_ns == record.get("mtime_ns"):
        return True
    return file_sha256(path) == record.get("sha256")


def change_reason(old: dict[str, str] | None, new: dict[str, str]) -> str:
    """Which inputs differ between two digest maps, in words."""
    if not old:
        return "not made yet"
    changed = [key for key in new if old.get(key) != new[key]]
    removed = [key for key in old if key not in new]
    parts = [f"{key} changed" for key in changed] + [f"{key} removed" for key in removed]
    return ", ".join(parts) if parts else "backend or stage settings changed"
