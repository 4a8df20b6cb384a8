"""Reading files people hand us (plans, profiles, QA policies, the config) with bounds on what they hold.

A file is read only up to a size limit; JSON may not hold NaN or Infinity, nor nest without end;
YAML may not use aliases, so a few lines cannot expand into billions of values.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from sparkle_cli.errors import UsageError

#: Larger than any plan a person or a model writes (a 200-shot plan is about 300 KB).
MAX_FILE_BYTES = 8 * 1024 * 1024
#: Deeper than any plan needs (a plan is about 6 levels deep).
MAX_DEPTH = 64


class FileProblem(ValueError):
    """What is wrong with a file's content, in words, without the file's name."""


def read_text(path: str | Path, what: str, limit: int = MAX_FILE_BYTES) -> str:
    """A UTF-8 file of at most `limit` bytes; UsageError naming `what` and the path otherwise."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise UsageError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{what} {path}: is a directory, not a file") from None
    except OSError as exc:
        raise UsageError(f"{what} {path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise UsageError(f"{what} {path}: larger than {limit // (1024 * 1024)} MB; that cannot be a real {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} {path}: not UTF-8 text (byte {exc.start})") from None


def _no_constant(name: str) -> Any:
    raise FileProblem(f"{name} is not a number JSON allows")


def parse_json(text: str) -> Any:
    """JSON without NaN/Infinity, within MAX_DEPTH; FileProblem says what is wrong."""
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise FileProblem(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise FileProblem(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # a number too long to convert, NaN, Infinity
        raise FileProblem(str(exc).split("\n")[0][:200]) from None
    check_depth(data)
    return data


def check_depth(data: Any) -> None:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FileProblem(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def parse_yaml(text: str) -> Any:
    """YAML with the safe loader and no aliases; FileProblem says what is wrong."""
    import yaml

    class NoAliases(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise FileProblem(f"uses a YAML alias (*name) at line {mark.line + 1}; write the value out instead")
            return super().compose_node(parent, index)

    try:
        data = yaml.load(text, Loader=NoAliases)  # noqa: S506 (a SafeLoader subclass)
    except FileProblem:
        raise
    except yaml.YAMLError as exc:
        raise FileProblem(f"not valid YAML: {str(exc).splitlines()[0][:200]}") from None
    except RecursionError:
        raise FileProblem(f"nested deeper than {MAX_DEPTH} levels") from None
    check_depth(data)
    _check_numbers(data)
    return data


def _check_numbers(data: Any) -> None:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise FileProblem(f"holds {value!r}, which is not a usable number")
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def load_data(path: str | Path, what: str, limit: int = MAX_FILE_BYTES) -> Any:
    """A YAML (.yaml/.yml) or JSON file, bounded; UsageError naming `what` and the path."""
    path = Path(path)
    text = read_text(path, what, limit)
    try:
        return parse_yaml(text) if path.suffix.lower() in {".yaml", ".yml"} else parse_json(text)
    except FileProblem as exc:
        raise UsageError(f"{what} {path}: {exc}") from None
