"""How items are run: one small interface, served in this process, by a local pool or by Ray.

An item's work is a plain function named by `module:function`, called with its inputs and
the paths it must write; backends are created once per process and reused for the stage.
"""

from __future__ import annotations

import importlib
import json
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sparkle_cli.backends import registry
from sparkle_cli.backends.base import Backend


@dataclass
class BackendSpec:
    kind: str
    name: str
    options: dict[str, Any] = field(default_factory=dict)

    def key(self) -> str:
        return json.dumps([self.kind, self.name, self.options], sort_keys=True, default=str)


@dataclass
class Task:
    stage_id: str
    item_id: str
    func: str  # "module:function"; called as func(backend, **kwargs) or func(**kwargs)
    kwargs: dict[str, Any]
    backend: BackendSpec | None = None


@dataclass
class Outcome:
    task: Task
    result: dict[str, Any] | None = None
    error: str | None = None
    traceback: str | None = None
    duration_s: float = 0.0
    device: str = "cpu"
    worker: str = "main"
    #: Times the item was started on a worker that was lost before it answered.
    lost: int = 0


#: Called by an executor as (event, task, worker, error): "start", "done" or "retried".
Listener = Callable[[str, Task, str, "str | None"], None]


_loaded: dict[str, Backend] = {}

#: Errors whose message is already written for people; others get their type name in front.
_PLAIN_ERRORS = {"BackendUnavailable", "StageError", "MediaError", "FFmpegError", "SparkleError"}


def get_backend(spec: BackendSpec) -> Backend:
    """The process's instance of a backend, loaded on first use and kept for the stage."""
    key = spec.key()
    if key not in _loaded:
        backend = registry.create(spec.kind, spec.name, spec.options)
        backend.load()
        _loaded[key] = backend
    return _loaded[key]


def close_backends(keys: Iterable[str] | None = None) -> None:
    """Close this process's backends (all of them, or those with the given keys)."""
    for key in list(_loaded) if keys is None else list(keys):
        backend = _loaded.pop(key, None)
        if backend is not None:
            backend.close()


def loaded_keys() -> set[str]:
    return set(_loaded)


def holds_model(spec: BackendSpec | None) -> bool:
    """Whether a backend loads a model worth keeping on one GPU: its class says so, or it needs the ml extra."""
    if spec is None:
        return False
    try:
        cls = registry.backend_class(spec.kind, spec.name)
    except Exception:  # an unknown backend fails in the item, where the error is reported
        return False
    flag = getattr(cls, "holds_model", None)
    if flag is not None:
        return bool(flag)
    hint = registry.BACKENDS.get(spec.kind, {}).get(spec.name, ("", ""))[1]
    return hint == registry.ML_HINT or spec.name == "chatterbox"


def resolve(func: str) -> Any:
    module_name, _, attr = func.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def execute(task: Task) -> Outcome:
    """Run one task here; errors become an Outcome, interrupts propagate."""
    started = time.perf_counter()
    outcome = Outcome(task)
    try:
        fn = resolve(task.func)
        if task.backend is not None:
            backend = get_backend(task.backend)
            outcome.device = getattr(backend, "device", "cpu")
            outcome.result = fn(backend, **task.kwargs)
        else:
            outcome.result = fn(**task.kwargs)
    except Exception as exc:  # reported with the item it happened on
        outcome.error = str(exc) if type(exc).__name__ in _PLAIN_ERRORS else f"{type(exc).__name__}: {exc}"
        outcome.traceback = traceback.format_exc()
    outcome.duration_s = time.perf_counter() - started
    return outcome


class TaskFeed:
    """Pulls tasks one at a time for executors that keep several in flight.

    A stop request raised by the source (pause/stop between items) is kept in `stop`, so the
    executor can finish what is in flight before it raises it.
    """

    def __init__(self, tasks: Iterable[Task]) -> None:
        self._source = iter(tasks)
        self.held: Task | None = None  # pulled, waiting for a free slot
        self.stop: BaseException | None = None
        self._spent = False

    def peek(self) -> Task | None:
        """The next task to place, pulled once and kept until `take`; None when spent or stopped."""
        if self.held is None and self.stop is None and not self._spent:
            try:
                self.held = next(self._source)
            except StopIteration:
                self._spent = True
            except Exception as exc:  # a stop request: finish what is in flight first
                self.stop = exc
        return self.held

    def take(self) -> Task:
        task, self.held = self.held, None
        assert task is not None
        return task


class Executor:
    """Runs tasks and yields outcomes. Tasks are pulled lazily, so the caller can stop between them.

    `slots` is how many items may be in flight at once; with more than one, the engine also
    runs stages that do not depend on each other side by side, sharing this executor.
    """

    name = "base"
    slots = 1

    def __init__(self) -> None:
        self.listener: Listener | None = None

    def prepare(self, run_path: Any) -> None:
        """Check, before anything renders, that this executor can serve the run in `run_path`."""

    def warm(self) -> None:
        """Start what takes a while to start (worker processes), in the background, if anything."""

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        raise NotImplementedError

    def begin_stage(self, stage_id: str) -> None:
        """A stage is about to send tasks."""

    def end_stage(self, stage_id: str | None = None) -> None:
        """Free what the stage's backends hold (every stage's when None)."""

    def abort(self) -> None:
        """Stop the items in flight now (an interrupt); the engine removes their temporary files."""

    def close(self) -> None:
        self.end_stage()

    def notify(self, event: str, task: Task, worker: str, error: str | None = None) -> None:
        if self.listener is not None:
            self.listener(event, task, worker, error)


class SerialExecutor(Executor):
    """One item at a time in this process: the default, and the reference for every other executor."""

    name = "local"

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        for task in tasks:
            self.notify("start", task, "main")
            outcome = execute(task)
            self.notify("done", task, "main")
            yield outcome

    def end_stage(self, stage_id: str | None = None) -> None:
        close_backends()
