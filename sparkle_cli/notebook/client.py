"""Runs `sparkle` as a subprocess with `--json` and turns its answers into Python values.
The notebook holds no pipeline logic: everything it knows about a run comes through here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXIT_MEANINGS = {
    1: "the run or its QA failed",
    2: "bad input",
    3: "the run is locked by another process",
    130: "stopped",
}


def sparkle_command() -> list[str]:
    """The CLI as this interpreter runs it, so the kernel's environment is the one that produces."""
    return [sys.executable, "-m", "sparkle_cli"]


def parse_json(text: str) -> Any:
    """The JSON answer in a command's stdout; a library may print a line of its own before it."""
    text = text.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    for start, char in enumerate(text):
        if char in "{[" and (start == 0 or text[start - 1] == "\n"):
            try:
                return json.loads(text[start:])
            except json.JSONDecodeError:
                continue
    return None


@dataclass
class Answer:
    """One finished command: its exit code, its parsed JSON (or None) and its stderr."""

    code: int
    data: Any
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def message(self) -> str:
        """What went wrong, in the CLI's own words where it gave any."""
        data = self.data if isinstance(self.data, dict) else {}
        if data.get("status") == "error":
            lines = [str(data.get("error") or "error"), *map(str, data.get("problems") or [])]
            if data.get("hint"):
                lines.append(f"hint: {data['hint']}")
            return "\n".join(lines)
        if data.get("valid") is False:
            return "\n".join(["the plan is not valid:", *map(str, data.get("errors") or [])])
        tail = [line for line in self.stderr.strip().splitlines() if line.strip()][-4:]
        if tail:
            return "\n".join(tail)
        return f"sparkle exited with code {self.code} ({EXIT_MEANINGS.get(self.code, 'unexpected')})"


class Producer:
    """A `sparkle produce`/`resume` running in the background; its answer is read when it exits."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.args = args
        # Files, not pipes: a long run must never stall on a full pipe nobody is reading.
        out_fd, self._out = tempfile.mkstemp(prefix="sparkle-out-", suffix=".json")
        err_fd, self._err = tempfile.mkstemp(prefix="sparkle-err-", suffix=".log")
        with os.fdopen(out_fd, "wb") as out, os.fdopen(err_fd, "wb") as err:
            # A session of its own: interrupting the kernel must not stop the movie; Stop does that.
            self.process = subprocess.Popen(
                args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, start_new_session=True
            )
        self._answer: Answer | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def answer(self) -> Answer | None:
        """None while it runs; afterwards its exit code and JSON answer."""
        if self._answer is None and self.process.poll() is not None:
            stdout = Path(self._out).read_text(errors="replace")
            stderr = Path(self._err).read_text(errors="replace")
            for name in (self._out, self._err):
                Path(name).unlink(missing_ok=True)
            self._answer = Answer(int(self.process.returncode), parse_json(stdout), stderr)
        return self._answer

    def wait(self, timeout: float | None = None) -> Answer | None:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.answer()


class SparkleCLI:
    """The commands the control panel needs, each a subprocess that answers in JSON."""

    def __init__(self, runs_dir: str | Path | None = None, timeout: float = 600.0) -> None:
        self.runs_dir = Path(runs_dir).expanduser().resolve() if runs_dir else None
        self.timeout = timeout

    def _args(self, args: tuple[str, ...], with_runs_dir: bool) -> list[str]:
        argv = [*sparkle_command(), *args, "--json"]
        if with_runs_dir and self.runs_dir is not None:
            argv += ["--runs-dir", str(self.runs_dir)]
        return argv

    def call(self, *args: str, with_runs_dir: bool = True, timeout: float | None = None) -> Answer:
        """Run one command to completion."""
        try:
            done = subprocess.run(
                self._args(args, with_runs_dir),
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=timeout or self.timeout,
            )
        except subprocess.TimeoutExpired:
            return Answer(1, None, f"`sparkle {' '.join(args)}` did not answer within {timeout or self.timeout:.0f} s")
        return Answer(done.returncode, parse_json(done.stdout), done.stderr)

    def start(self, *args: str) -> Producer:
        """Start a long command in the background."""
        return Producer(self._args(args, with_runs_dir=True))

    def plan(self, prompt: str, title: str | None = None, shots: int | None = None) -> Answer:
        args = ["plan", prompt]
        if title:
            args += ["--title", title]
        if shots:
            args += ["--shots", str(shots)]
        return self.call(*args)

    def plan_from_file(self, path: str | Path) -> Answer:
        return self.call("plan", "--from-file", str(path))

    def validate(self, path: str | Path) -> Answer:
        return self.call("validate", str(path), with_runs_dir=False)

    def status(self, run_id: str) -> Answer:
        return self.call("status", run_id, timeout=60)

    def artifacts(self, run_id: str, stage: str | None = None) -> Answer:
        return self.call("artifacts", run_id, *(["--stage", stage] if stage else []), timeout=60)

    def stages(self) -> Answer:
        return self.call("stages", with_runs_dir=False)

    def doctor(self) -> Answer:
        return self.call("doctor")  # with the runs folder, so its free disk is the one checked

    def report(self, run_id: str) -> Answer:
        return self.call("report", run_id, timeout=300)
