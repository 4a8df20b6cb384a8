"""Executors beyond the in-process one: a local process pool and Ray; `make_executor` picks one."""

from __future__ import annotations

import importlib.util
import os

from sparkle_cli.errors import UsageError
from sparkle_cli.executor import Executor, SerialExecutor

RAY_MISSING = "--executor ray needs Ray, which is not installed: pip install -e '.[distributed]'"


def machine_workers() -> int:
    """One worker per CPU core this process may use: the default for --workers."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def make_executor(kind: str = "local", workers: int = 1, ray_address: str | None = None) -> Executor:
    """The executor a command asked for; raises UsageError (exit 2) before anything renders."""
    if kind not in ("local", "ray"):
        raise UsageError(f"--executor must be local or ray, got {kind!r}")
    if workers < 1:
        raise UsageError(f"--workers must be 1 or more, got {workers}")
    if kind == "local":
        if workers == 1:
            return SerialExecutor()
        from sparkle_cli.executors.pool import PoolExecutor

        return PoolExecutor(workers)
    try:
        found = importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise UsageError(RAY_MISSING)
    from sparkle_cli.executors.ray_executor import RayExecutor

    return RayExecutor(address=ray_address)
