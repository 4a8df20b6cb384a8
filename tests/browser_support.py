"""Headless Chromium (Debian's package, driven by Playwright) and a Voila server, for tests that look at pages.

Chromium starts with no network of its own (no background requests, no component updates), and every
console message, page error and request is kept, so a test can say which came from the page itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
#: Generous: a loaded two-core machine can take long; every wait ends as soon as its condition holds.
WAIT_MS = 240_000


def chromium_path() -> str:
    for candidate in (os.environ.get("SPARKLE_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    raise AssertionError  # unreachable


@dataclass
class PageLog:
    """What a page said: console messages, uncaught errors, requests that failed, every URL it asked for."""

    console: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on(
            "console",
            lambda m: self.console.append({"type": m.type, "text": m.text, "url": (m.location or {}).get("url", "")}),
        )
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url[:200]} {r.failure}"))
        page.on("request", lambda r: self.requests.append(r.url[:200]))

    def console_errors(self) -> list[dict[str, Any]]:
        return [m for m in self.console if m["type"] == "error"]


@contextlib.contextmanager
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium with a fresh profile; yields Playwright's browser context (downloads allowed)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(WAIT_MS)
        try:
            yield context
        finally:
            context.close()


def save_screenshot(page: Any, path: Path, **options: Any) -> Path:
    """A screenshot in `path`, copied to SPARKLE_SCREENSHOTS_DIR when that is set (to look at by hand)."""
    page.screenshot(path=str(path), **options)
    if os.environ.get("SPARKLE_SCREENSHOTS_DIR"):
        target = Path(os.environ["SPARKLE_SCREENSHOTS_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / path.name)
    return path


def not_blank(png: Path) -> dict[str, float]:
    """How much a screenshot varies: a blank page has one colour and no spread."""
    import numpy as np
    from PIL import Image

    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    grey = pixels.mean(axis=2)
    colours = len(np.unique(pixels.reshape(-1, 3)[:: max(1, pixels.shape[0] * pixels.shape[1] // 200_000)], axis=0))
    return {"std": float(grey.std()), "colours": float(colours), "dark_fraction": float((grey < 40).mean())}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kernelspec(folder: Path, env: dict[str, str]) -> Path:
    """A `python3` kernelspec running this interpreter, so a served notebook's kernel sees this environment."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3",
                "language": "python",
                "env": env,
            }
        )
    )
    return folder


@dataclass
class Voila:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@contextlib.contextmanager
def voila(notebook: Path, env: dict[str, str], timeout: float = 180.0) -> Iterator[Voila]:
    """Serve one notebook with Voila on 127.0.0.1 until the block ends."""
    port = free_port()
    log = notebook.with_suffix(".voila.log")
    args = [
        sys.executable,
        "-m",
        "voila",
        notebook.name,
        f"--port={port}",
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        "--show_tracebacks=True",
        "--VoilaExecutor.timeout=900",
        "--VoilaExecutor.startup_timeout=300",
        "--VoilaExecutor.iopub_timeout=60",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            args,
            cwd=notebook.parent,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Voila(f"http://127.0.0.1:{port}/", process, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"voila exited with {process.returncode}:\n{server.log_tail()}")
            # Listening is enough: asking for the page itself would start a kernel.
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"voila did not answer within {timeout:.0f} s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(10)
