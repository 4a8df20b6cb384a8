"""Errors meant for people: each carries the exit code the command line returns."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_INTERRUPTED = 130


class SparkleError(Exception):
    """An error the command line prints as one red line (plus `lines`) and exits with `exit_code`."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, lines: list[str] | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.lines = list(lines or [])
        self.hint = hint


class UsageError(SparkleError):
    exit_code = EXIT_USAGE


class PlanInvalid(UsageError):
    """A plan broke one or more rules; `lines` has one `json.path: problem` per rule."""


class RunLocked(SparkleError):
    exit_code = EXIT_LOCKED


class RunFailed(SparkleError):
    exit_code = EXIT_FAILED


class Interrupted(SparkleError):
    exit_code = EXIT_INTERRUPTED


class StageError(SparkleError):
    """A stage could not make an item; the message names the item and what went wrong."""


def describe(exc: BaseException) -> str:
    """An unexpected exception in one line for people: what failed, and on which file."""
    if isinstance(exc, SparkleError):
        return exc.message
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
