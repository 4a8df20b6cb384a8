"""How items are run: one small interface, so items can later run in a pool or on a cluster.

An item's work is a plain function named by `module:function`, called with its inputs and
the paths it must write; backends are created once per process and reused for the stage.
"""

from __future__ import annotations

import importlib
import json
import time
import traceback
from collections.abc import Iterable, Iterator
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


def close_backends() -> None:
    while _loaded:
        _, backend = _loaded.popitem()
        backend.close()


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


class Executor:
    """Runs tasks and yields outcomes. Tasks are pulled lazily, so the caller can stop between them."""

    name = "base"

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        raise NotImplementedError

    def end_stage(self) -> None:
        """Free what the stage's backends hold."""

    def close(self) -> None:
        self.end_stage()


class SerialExecutor(Executor):
    """One item at a time in this process: the default, and the reference for every other executor."""

    name = "local"

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        for task in tasks:
            yield execute(task)

    def end_stage(self) -> None:
        close_backends()
