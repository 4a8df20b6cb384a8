"""Mutated plans: every one is accepted (exit 0) or refused cleanly (exit 2), quickly, without a trace.

Three thousand plans (SPARKLE_FUZZ_CASES) are made from the sample by seeded random edits:
values of the wrong type, huge and tiny numbers, long, odd and control-laden strings, lone
surrogates, deep nesting, removed and added keys, duplicated and emptied lists, torn and
corrupted files.
Each goes to `sparkle validate`; every other one also to `sparkle plan --from-file`, which must
leave no run directory behind when it refuses. A case that runs past its time bound (a hang)
fails the test, naming the case.
"""

from __future__ import annotations

import copy
import json
import os
import random
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sparkle_cli.cli import app

from .conftest import SAMPLE_PLAN

#: SPARKLE_FUZZ_CASES=10000 digs deeper.
CASES = int(os.environ.get("SPARKLE_FUZZ_CASES", "3000"))
SEED = 20261203
#: Far beyond what any case needs (most take milliseconds); only a hang reaches it.
CASE_BOUND_S = 30

STRINGS = [
    "",
    " ",
    "x" * 100_000,
    "ünïcödé ✨ 🎬 漢字 עברית العربية",
    "e\u0301\u0301\u0301\u0301",  # combining marks
    "\u202eevil\u202c",
    "line\nbreak\ttab",
    "esc\x1b[2Jclear\x07bell",
    "nul\x00byte",
    "../../etc/passwd",
    "C:\\Windows\\system32",
    "$(rm -rf /)",
    "'; DROP TABLE plans; --",
    "%s%n%x",
    "\ufeffbom",
    "a" * 65,
    "shot_001",
    "frame_000",
    "ava",
]
NUMBERS: list[Any] = [0, -1, 1, 0.0, -0.0, 1e-320, 1e308, -1e308, 2**31, 2**63, 10**30, 3.5, 17.5, 120, 121, 1801]
OTHERS: list[Any] = [None, True, False, [], {}, [1, 2, 3], {"a": {"b": {"c": []}}}, ["x"] * 500]


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += paths(value, (*prefix, i))
    return out


def get(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


def random_value(rng: random.Random) -> Any:
    pool = rng.choice([STRINGS, NUMBERS, OTHERS])
    return copy.deepcopy(rng.choice(pool))


def mutate(rng: random.Random, plan: dict) -> dict:
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths(plan)[1:])
        parent, key = get(plan, path[:-1]), path[-1]
        action = rng.random()
        if action < 0.45:
            parent[key] = random_value(rng)
        elif action < 0.6 and isinstance(parent, dict):
            del parent[key]
        elif action < 0.7 and isinstance(parent, dict):
            parent[rng.choice(STRINGS[:8])] = random_value(rng)
        elif action < 0.8 and isinstance(parent[key], list):
            items = parent[key]
            parent[key] = items * rng.choice([0, 2, 50]) if items else [random_value(rng)]
        elif action < 0.9 and isinstance(parent[key], str):
            parent[key] = parent[key] * rng.choice([2, 300]) + rng.choice(STRINGS)
        else:
            parent[key] = rng.choice(NUMBERS)
    return plan


def text_of(rng: random.Random, plan: dict) -> bytes:
    """The plan as a file, sometimes damaged at the text level (what JSON values cannot express)."""
    text = json.dumps(plan, ensure_ascii=rng.random() < 0.5)
    kind = rng.random()
    if kind < 0.05:
        text = text.replace("17.5", "1" + "0" * 5000, 1)  # a number too long to read
    elif kind < 0.1:
        text = text.replace("0.0", rng.choice(["NaN", "Infinity", "-Infinity", "1e999"]), 1)
    elif kind < 0.14:
        depth = rng.choice([100, 5000, 200_000])
        text = text.replace('"metadata": {}', '"metadata": ' + "[" * depth + "]" * depth, 1)
    elif kind < 0.17:
        text = text.replace('"title": "', '"title": "\\ud800', 1)  # a lone surrogate
    elif kind < 0.2:
        text = text[: rng.randint(0, len(text))]  # torn
    data = text.encode("utf-8", errors="surrogatepass")
    if rng.random() < 0.03:
        position = rng.randrange(len(data) or 1)
        data = data[:position] + b"\xff\xfe" + data[position + 2 :]  # not UTF-8
    return data


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Hang


@pytest.mark.slow
def test_mutated_plans_are_accepted_or_refused_cleanly(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    sample = json.loads(SAMPLE_PLAN.read_text())
    runner = CliRunner()
    runs = tmp_path / "runs"
    counts: Counter[str] = Counter()
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for case in range(CASES):
            plan = mutate(rng, copy.deepcopy(sample))
            source = tmp_path / f"case-{case}.json"
            source.write_bytes(text_of(rng, plan))
            commands = [["validate", str(source)]]
            if case % 2 == 0:
                commands.append(["plan", "--from-file", str(source), "--run-id", f"c{case}", "--runs-dir", str(runs)])
            for args in commands:
                signal.alarm(CASE_BOUND_S)
                try:
                    result = runner.invoke(app, args)
                except _Hang:
                    pytest.fail(f"case {case} ({args[0]}) ran past {CASE_BOUND_S} s: {source}")
                finally:
                    signal.alarm(0)
                where = f"case {case}, sparkle {args[0]}: {source}\n{result.output[-2000:]}"
                assert result.exit_code in (0, 2), where
                assert result.exception is None or isinstance(result.exception, SystemExit), where
                assert "Traceback" not in result.output and "unexpected" not in result.output, where
                counts[f"{args[0]} exit {result.exit_code}"] += 1
                if args[0] == "plan" and result.exit_code == 2:
                    assert not (runs / f"c{case}").exists(), where
            source.unlink()
    finally:
        signal.signal(signal.SIGALRM, previous)
    print(dict(sorted(counts.items())))
    # The mutations must reach both sides: most plans broken, some still valid.
    assert counts["validate exit 2"] > CASES // 2 and counts["validate exit 0"] > 20
