"""One run's directory: where its files live, its state file, event log, control file and lock."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sparkle_cli import atomic
from sparkle_cli.errors import RunLocked, UsageError
from sparkle_cli.schemas.plan import ID_PATTERN
from sparkle_cli.text import quote

_ID_RE = re.compile(ID_PATTERN)


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def runs_dir(explicit: str | Path | None = None) -> Path:
    """--runs-dir, else SPARKLE_RUNS_DIR, else ARTIFACTS_DIR, else ./runs."""
    for value in (explicit, os.environ.get("SPARKLE_RUNS_DIR"), os.environ.get("ARTIFACTS_DIR")):
        if value:
            return Path(value).expanduser().resolve()
    return Path("runs").resolve()


def new_run_id(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "run"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{slug}-{stamp}-{secrets.token_hex(2)}"


def check_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not _ID_RE.fullmatch(run_id):
        raise UsageError(f"run id {quote(run_id)} is not valid: letters, digits, _ and -, at most 64 characters")
    return run_id


def check_root(root: Path) -> Path:
    """The runs directory must be a directory (or not exist yet, to be made)."""
    if root.exists() and not root.is_dir():
        raise UsageError(f"the runs directory {root} is a file, not a directory", hint="pass another with --runs-dir")
    return root


class UnsafePath(UsageError):
    """A path inside a run is a link or leads outside the run: nothing is written through it."""


#: How long `acquire` keeps trying: a `status` probe holds the lock for microseconds.
LOCK_WAIT_S = 1.0


def _flock_within(fh: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)


class RunDir:
    """Paths and small-file I/O of one run; the media belong to the stages."""

    def __init__(self, root: Path, run_id: str) -> None:
        self.run_id = check_run_id(run_id)
        self.root = root
        self.path = root / run_id
        self._lock_fh: Any = None

    # --- paths -------------------------------------------------------------------
    @property
    def plan_path(self) -> Path:
        return self.path / "plan.json"

    @property
    def run_json(self) -> Path:
        return self.path / "run.json"

    @property
    def events_path(self) -> Path:
        return self.path / "events.jsonl"

    @property
    def control_path(self) -> Path:
        return self.path / "control.json"

    @property
    def lock_path(self) -> Path:
        return self.path / ".lock"

    def stage_dir(self, stage_id: str) -> Path:
        return self.path / stage_id

    def manifest_path(self, stage_id: str) -> Path:
        return self.stage_dir(stage_id) / "manifest.json"

    def rel(self, path: Path) -> str:
        return path.resolve().relative_to(self.path.resolve()).as_posix()

    def abs(self, rel: str) -> Path:
        return self.path / rel

    def exists(self) -> bool:
        return self.plan_path.is_file()

    def require(self) -> RunDir:
        if not self.exists():
            raise UsageError(f"no run {self.run_id!r} in {self.root} (see `sparkle runs`, or set --runs-dir)")
        return self

    def check_writable(self) -> None:
        """Refuse a run whose directory, state files or stage folders are links, before writing anything.

        Files are replaced by rename (which never follows a link) or appended with O_NOFOLLOW,
        so what is left to check is that every folder written into is really inside this run.
        """
        root = self.root.resolve()
        if self.path.is_symlink() or self.path.resolve().parent != root:
            raise UnsafePath(f"run {self.run_id}: {self.path} is a link or leads outside {root}; nothing was written")
        for name in ("plan.json", "run.json", "events.jsonl", "control.json", ".lock"):
            if (self.path / name).is_symlink():
                raise UnsafePath(
                    f"run {self.run_id}: {name} is a link; remove it (`rm {self.path / name}`) and run again",
                )
        for child in self.path.iterdir():
            if child.is_symlink() and child.name[:1] != ".":
                raise UnsafePath(
                    f"run {self.run_id}: {child.name} is a link; a run's folders must be its own. "
                    f"Remove it (`rm {child}`) and run again"
                )

    # --- json files ----------------------------------------------------------------
    @staticmethod
    def read_json(path: Path, default: Any = None) -> Any:
        """A JSON file's content, or `default` when it is missing, unreadable or not JSON."""
        try:
            return json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, ValueError, RecursionError):  # missing, a directory, bad bytes, not JSON
            return default

    def read_state(self) -> dict[str, Any]:
        state = self.read_json(self.run_json, {})
        if not isinstance(state, dict):
            state = {}
        state.setdefault("run_id", self.run_id)
        state.setdefault("status", "pending")
        return state

    def write_state(self, state: dict[str, Any]) -> None:
        state["updated_at"] = now_iso()
        atomic.write_json(self.run_json, state)

    def read_manifest(self, stage_id: str) -> dict[str, Any] | None:
        from sparkle_cli.manifests import load

        return load(self.manifest_path(stage_id))

    # --- events ------------------------------------------------------------------
    def append_event(self, record: dict[str, Any]) -> None:
        # One write with O_APPEND: a line is never interleaved; a kill mid-write leaves a torn
        # last line, which readers skip and the next producer cuts off before it appends.
        from sparkle_cli.manifests import append_line

        append_line(self.events_path, record)

    def events(self) -> list[dict[str, Any]]:
        """The event log's whole lines; torn or undecodable lines are skipped."""
        from sparkle_cli.manifests import read_lines

        return read_lines(self.events_path)

    # --- control ------------------------------------------------------------------
    def request(self, action: str) -> None:
        atomic.write_json(self.control_path, {"action": action, "requested_at": now_iso(), "by_pid": os.getpid()})

    def control(self) -> str:
        data = self.read_json(self.control_path, {}) or {}
        return str(data.get("action", "run"))

    # --- lock ----------------------------------------------------------------------
    def holder(self) -> dict[str, Any] | None:
        """Who holds the run's lock right now, or None when nobody does."""
        if not self.lock_path.exists():
            return None
        try:
            fh = _open_lock(self.lock_path)
        except OSError:
            return None
        with fh:
            try:
                # A shared probe: status pollers never block each other, only a producer's lock.
                fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                try:
                    info = json.loads(fh.read() or "{}")
                except ValueError:  # not JSON, or not UTF-8
                    return {"pid": None}
                return info if isinstance(info, dict) else {"pid": None}
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return None

    def acquire(self) -> None:
        """Take the run's lock (the kernel drops it when the process dies, so stale locks free themselves)."""
        self.path.mkdir(parents=True, exist_ok=True)
        self.check_writable()
        try:
            fh = _open_lock(self.lock_path)
        except OSError as exc:
            raise UnsafePath(
                f"run {self.run_id}: cannot open its lock file {self.lock_path} ({exc.strerror})"
            ) from None
        if not _flock_within(fh, LOCK_WAIT_S):
            fh.seek(0)
            try:
                info = json.loads(fh.read() or "{}")
            except ValueError:
                info = {}
            fh.close()
            info = info if isinstance(info, dict) else {}
            raise RunLocked(
                f"run {self.run_id} is being produced by process {info.get('pid', '?')} "
                f"on {info.get('host', '?')} since {info.get('since', '?')}",
                hint=f"wait for it, or `sparkle stop {self.run_id}` to stop it",
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": now_iso()}))
        fh.flush()
        self._lock_fh = fh

    def release(self) -> None:
        if self._lock_fh is not None:
            with contextlib.suppress(OSError):
                self._lock_fh.seek(0)
                self._lock_fh.truncate()
                fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[RunDir]:
        self.acquire()
        try:
            yield self
        finally:
            self.release()


def _open_lock(path: Path) -> Any:
    """The lock file, opened for update without following a link planted in its place."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    return os.fdopen(fd, "r+")


def list_runs(root: Path) -> list[RunDir]:
    """The runs in `root`; entries that are not runs (or cannot be read) are passed over."""
    try:
        children = sorted(root.iterdir())
    except OSError:
        return []
    runs = []
    for child in children:
        try:
            if child.is_dir() and _ID_RE.fullmatch(child.name) and (child / "plan.json").is_file():
                runs.append(RunDir(root, child.name))
        except OSError:
            continue
    return runs
