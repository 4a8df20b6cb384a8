"""Find and run ffmpeg: SPARKLE_FFMPEG, else the newer of the bundled imageio-ffmpeg binary and one on PATH.

Only the standard library is imported here, so importing this module costs nothing.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

ENV_VAR = "SPARKLE_FFMPEG"
STDERR_TAIL_LINES = 15
INSTALL_HINT = "pip install imageio-ffmpeg (or install ffmpeg on PATH, or set SPARKLE_FFMPEG to an ffmpeg binary)"

# "n9.0.2-...", "6.1.1-3ubuntu5", "7.0": a release number, optionally with a leading "n".
# Git snapshots ("N-112345-g...") and date-named builds carry no comparable number.
_VERSION_LINE = re.compile(r"^\S*\s+version\s+(\S+)", re.IGNORECASE)
_RELEASE = re.compile(r"^n?(\d+)\.(\d+)(?:\.(\d+))?")


class FFmpegError(RuntimeError):
    """ffmpeg is missing or a run failed; `stderr` holds what ffmpeg printed, when it ran."""

    def __init__(self, message: str, *, stderr: str = "", returncode: int | None = None) -> None:
        super().__init__(message)
        self.stderr = stderr
        self.returncode = returncode


def parse_version(first_line: str) -> tuple[int, ...] | None:
    """The release number in the first line of `ffmpeg -version`, or None when it has none."""
    match = _VERSION_LINE.match(first_line.strip())
    if not match:
        return None
    release = _RELEASE.match(match.group(1))
    if not release:
        return None
    return tuple(int(part) for part in release.groups() if part is not None)


def ffmpeg_version(exe: str) -> tuple[int, ...] | None:
    """The release number of the ffmpeg binary `exe`, or None when it cannot be run or read."""
    try:
        proc = subprocess.run([exe, "-version"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = proc.stdout.decode("utf-8", errors="replace").splitlines()
    return parse_version(lines[0]) if lines else None


def _bundled_exe() -> str | None:
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (RuntimeError, OSError):  # the wheel is installed but has no binary for this platform
        return None


def _from_env(value: str) -> str:
    found = shutil.which(value)
    if found is None and Path(value).is_file():
        found = value
    if found is None:
        raise FFmpegError(f"{ENV_VAR}={value!r} is not an executable file; point it at an ffmpeg binary or unset it")
    return found


def _newer(system: str, bundled: str) -> bool:
    system_version = ffmpeg_version(system)
    bundled_version = ffmpeg_version(bundled)
    return system_version is not None and (bundled_version is None or system_version > bundled_version)


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg to use; decided once per process."""
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        return _from_env(configured)
    bundled = _bundled_exe()
    system = shutil.which("ffmpeg")
    if bundled and system:
        return system if _newer(system, bundled) else bundled
    if bundled or system:
        return str(bundled or system)
    raise FFmpegError(f"no ffmpeg found: {INSTALL_HINT}")


def _stderr_tail(stderr: str, lines: int = STDERR_TAIL_LINES) -> str:
    kept = [line for line in stderr.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _describe(args: list[str], limit: int = 300) -> str:
    text = "ffmpeg " + " ".join(args)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def input_args(path: str | Path) -> list[str]:
    """`-i path`, with `-f wav` first when the file is a RIFF/WAVE file.

    ffmpeg's format probe can take a strictly periodic WAV for an MPEG-TS stream (a 1 kHz tone at
    48 kHz repeats every 192 bytes, the M2TS packet size) and then fails to open it.
    """
    try:
        with open(path, "rb") as fh:
            header = fh.read(12)
    except OSError:
        header = b""
    is_wav = header[:4] in (b"RIFF", b"RIFX") and header[8:12] == b"WAVE"
    return ["-f", "wav", "-i", str(path)] if is_wav else ["-i", str(path)]


def run_ffmpeg(args: list[str], *, timeout: float = 600) -> subprocess.CompletedProcess[Any]:
    """Run ffmpeg with `args`; the result's stdout is bytes (it may carry media) and its stderr is text.

    Raises FFmpegError with the end of ffmpeg's output when it exits non-zero or runs past `timeout`.
    """
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", *[str(arg) for arg in args]]
    try:
        proc = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FFmpegError(f"ffmpeg ran past {timeout:g} s and was stopped: {_describe(args)}") from exc
    except OSError as exc:
        raise FFmpegError(f"could not start {command[0]}: {exc}; {INSTALL_HINT}") from exc
    stderr = proc.stderr.decode("utf-8", errors="replace")
    if proc.returncode != 0:
        raise FFmpegError(
            f"ffmpeg failed (exit {proc.returncode}): {_describe(args)}\n{_stderr_tail(stderr)}",
            stderr=stderr,
            returncode=proc.returncode,
        )
    return subprocess.CompletedProcess(command, proc.returncode, proc.stdout, stderr)
