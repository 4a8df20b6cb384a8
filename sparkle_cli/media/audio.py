"""Mono audio as float32 numpy arrays in [-1, 1]: WAV in and out, resampling, levels and loudness.

Levels are dBFS relative to a full-scale square wave, so a full-scale sine reads -3.01 dBFS RMS.
"""

from __future__ import annotations

import math
import re
import struct
import wave
from pathlib import Path
from typing import Any

import numpy as np

from sparkle_cli.atomic import atomic_path

INT16_SCALE = 32768.0
CLIP_LEVEL = 32767.0 / 32768.0

# Resampler: Kaiser-windowed sinc, 16 zero crossings each side, cutoff a little below the lower Nyquist.
_SINC_ZEROS = 16
_KAISER_BETA = 8.6
_ROLLOFF = 0.95
_BLOCK = 1 << 15  # output samples per gather, to bound memory on long inputs

_WAVE_FORMAT_PCM = 1
_WAVE_FORMAT_FLOAT = 3
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE


class AudioError(RuntimeError):
    """An audio file could not be read or measured; the message names the file."""


# --- conversion -----------------------------------------------------------------------


def as_float(samples: Any) -> np.ndarray:
    """Float32 mono: int16 is scaled by 1/32768, floats pass through, frames x channels are averaged."""
    array = np.asarray(samples)
    if array.dtype == np.int16:
        array = array.astype(np.float32) / np.float32(INT16_SCALE)
    elif array.dtype.kind != "f":
        raise ValueError(f"samples must be int16 or float, got {array.dtype}; convert to float32 in [-1, 1]")
    if array.ndim == 2:
        array = array.mean(axis=1, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"expected mono samples (1-D) or frames x channels (2-D), got shape {array.shape}")
    return array.astype(np.float32, copy=False)


def to_int16(samples: Any) -> np.ndarray:
    """Int16 samples: floats are clipped to [-1, 1] and scaled by 32767; int16 passes through."""
    array = np.asarray(samples)
    if array.dtype == np.int16 and array.ndim == 1:
        return array
    floats = as_float(array)
    return np.round(np.clip(floats, -1.0, 1.0) * 32767.0).astype(np.int16)


# --- WAV files ------------------------------------------------------------------------


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a WAV file as float32 mono in [-1, 1] and its sample rate; channels are averaged.

    Reads 8/16/24/32-bit PCM and 32/64-bit IEEE float.
    """
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            data = wav.readframes(wav.getnframes())
        samples = _decode_pcm(data, width, path)
    except wave.Error as exc:
        # The stdlib reader knows only plain integer PCM; float and extensible WAVs take the RIFF reader.
        if "unknown format" not in str(exc):
            raise AudioError(f"{path}: not a readable WAV file ({exc})") from exc
        samples, channels, rate = _read_riff(path)
    except (EOFError, OSError) as exc:
        raise AudioError(f"{path}: cannot read WAV file ({exc})") from exc
    if channels > 1:
        usable = len(samples) - len(samples) % channels
        samples = samples[:usable].reshape(-1, channels).mean(axis=1)
    return samples.astype(np.float32, copy=False), rate


def _decode_pcm(data: bytes, width: int, path: Path) -> np.ndarray:
    if width == 1:
        return (np.frombuffer(data, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / INT16_SCALE
    if width == 3:
        raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float32) / float(1 << 23)
    if width == 4:
        return (np.frombuffer(data, dtype="<i4").astype(np.float64) / float(1 << 31)).astype(np.float32)
    raise AudioError(f"{path}: {8 * width}-bit PCM is not supported; convert it to 16-bit PCM")


def _read_riff(path: Path) -> tuple[np.ndarray, int, int]:
    """Samples, channels and rate of a float or extensible WAV, from its fmt and data chunks."""
    blob = path.read_bytes()
    if blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise AudioError(f"{path}: not a RIFF/WAVE file")
    fmt: tuple[int, int, int, int] | None = None
    offset = 12
    while offset + 8 <= len(blob):
        chunk_id, size = blob[offset : offset + 4], struct.unpack("<I", blob[offset + 4 : offset + 8])[0]
        body = blob[offset + 8 : offset + 8 + size]
        if chunk_id == b"fmt ":
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == _WAVE_FORMAT_EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack("<H", body[24:26])[0]  # first two bytes of the sub-format GUID
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data" and fmt is not None:
            tag, channels, rate, bits = fmt
            if tag == _WAVE_FORMAT_PCM:
                usable = len(body) - len(body) % (bits // 8)
                return _decode_pcm(body[:usable], bits // 8, path), channels, rate
            if tag != _WAVE_FORMAT_FLOAT or bits not in (32, 64):
                raise AudioError(f"{path}: WAV format {tag} with {bits} bits is not supported; use 16-bit PCM")
            dtype = "<f4" if bits == 32 else "<f8"
            usable = len(body) - len(body) % (bits // 8)
            return np.frombuffer(body[:usable], dtype=dtype).astype(np.float32), channels, rate
        offset += 8 + size + (size & 1)  # chunks are padded to an even length
    raise AudioError(f"{path}: WAV file has no fmt/data chunks")


def write_wav(path: str | Path, samples: Any, sample_rate: int) -> Path:
    """Write mono 16-bit PCM atomically; floats are clipped to [-1, 1], int16 is written as is."""
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    pcm = to_int16(samples)
    path = Path(path)
    with atomic_path(path) as tmp:
        with wave.open(str(tmp), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(int(sample_rate))
            wav.writeframes(pcm.astype("<i2").tobytes())
    return path


# --- resampling -----------------------------------------------------------------------


def resample(samples: Any, sr_from: int, sr_to: int) -> np.ndarray:
    """Band-limited resampling (polyphase windowed sinc); output length is round(len * sr_to / sr_from)."""
    if sr_from <= 0 or sr_to <= 0:
        raise ValueError(f"sample rates must be positive, got {sr_from} -> {sr_to}")
    signal = as_float(samples)
    if sr_from == sr_to or len(signal) == 0:
        return signal.copy()
    gcd = math.gcd(int(sr_from), int(sr_to))
    up, down = int(sr_to) // gcd, int(sr_from) // gcd
    n_out = int(round(len(signal) * sr_to / sr_from))
    cutoff = _ROLLOFF * min(1.0, up / down)
    half = int(math.ceil(_SINC_ZEROS / cutoff))
    table = _polyphase_table(up, half, cutoff)
    padded = np.concatenate([np.zeros(half, np.float32), signal, np.zeros(half + 1, np.float32)])
    out = np.empty(n_out, dtype=np.float32)
    taps = np.arange(-half + 1, half + 1)
    for start in range(0, n_out, _BLOCK):
        n = np.arange(start, min(start + _BLOCK, n_out), dtype=np.int64)
        base, phase = np.divmod(n * down, up)
        window = padded[(base + half)[:, None] + taps[None, :]]
        out[start : start + len(n)] = np.einsum("ij,ij->i", window, table[phase])
    return out


def _polyphase_table(up: int, half: int, cutoff: float) -> np.ndarray:
    """Row p holds the kernel at offsets (j - p/up) for taps j = -half+1 .. half, summing to 1."""
    taps = np.arange(-half + 1, half + 1, dtype=np.float64)
    offsets = taps[None, :] - (np.arange(up, dtype=np.float64) / up)[:, None]
    ratio = np.clip(offsets / (half + 1), -1.0, 1.0)
    window = np.i0(_KAISER_BETA * np.sqrt(1.0 - ratio * ratio)) / np.i0(_KAISER_BETA)
    kernel = cutoff * np.sinc(cutoff * offsets) * window
    # Normalising each phase keeps DC gain exactly 1, so levels do not ripple with the phase.
    kernel /= kernel.sum(axis=1, keepdims=True)
    return kernel.astype(np.float32)


# --- levels ---------------------------------------------------------------------------


def frame_rms(samples: Any, sr: int, fps: float, n_frames: int, start_s: float = 0.0) -> np.ndarray:
    """RMS of each video frame's window [start_s + i/fps, start_s + (i+1)/fps); zero outside the audio."""
    if sr <= 0 or fps <= 0:
        raise ValueError(f"sample rate and fps must be positive, got sr={sr}, fps={fps}")
    signal = as_float(samples).astype(np.float64)
    if n_frames <= 0:
        return np.zeros(0, dtype=np.float32)
    edges = np.round((start_s + np.arange(n_frames + 1) / fps) * sr).astype(np.int64)
    edges = np.clip(edges, 0, len(signal))
    energy = np.concatenate([[0.0], np.cumsum(signal * signal)])
    counts = np.diff(edges)
    sums = energy[edges[1:]] - energy[edges[:-1]]
    rms = np.sqrt(np.maximum(sums, 0.0) / np.maximum(counts, 1))
    return np.where(counts > 0, rms, 0.0).astype(np.float32)


def _db(value: float) -> float:
    return 20.0 * math.log10(value) if value > 0 else float("-inf")


def rms_dbfs(samples: Any) -> float:
    """RMS level in dBFS; -inf for silence or no samples."""
    signal = as_float(samples).astype(np.float64)
    return _db(float(np.sqrt(np.mean(signal * signal)))) if len(signal) else float("-inf")


def peak_dbfs(samples: Any) -> float:
    """Sample peak in dBFS; -inf for silence or no samples."""
    signal = as_float(samples)
    return _db(float(np.max(np.abs(signal)))) if len(signal) else float("-inf")


def clipped_samples(samples: Any) -> int:
    """How many samples sit at full scale (|x| >= 32767/32768)."""
    return int(np.count_nonzero(np.abs(as_float(samples)) >= CLIP_LEVEL))


def normalize_peak(samples: Any, target_dbfs: float = -3.0) -> np.ndarray:
    """Scale so the sample peak sits at `target_dbfs`; silence comes back unchanged."""
    signal = as_float(samples)
    peak = float(np.max(np.abs(signal))) if len(signal) else 0.0
    if peak == 0.0:
        return signal.copy()
    return (signal * (10.0 ** (target_dbfs / 20.0) / peak)).astype(np.float32)


# --- loudness (ffmpeg ebur128) ----------------------------------------------------------

_SUMMARY_FIELDS = {
    "integrated_lufs": re.compile(r"^\s*I:\s*(\S+)\s*LUFS", re.MULTILINE),
    "loudness_range_lu": re.compile(r"^\s*LRA:\s*(\S+)\s*LU\b", re.MULTILINE),
    "true_peak_dbfs": re.compile(r"^\s*Peak:\s*(\S+)\s*dBFS", re.MULTILINE),
}
_NO_AUDIO = ("matches no streams", "does not contain any stream", "Output file does not contain")


def _parse_number(text: str) -> float | None:
    try:
        return float(text)  # float() reads "-inf" and "inf" too
    except ValueError:
        return None


def parse_ebur128_summary(stderr: str) -> dict[str, float | None]:
    """The Summary block of ffmpeg's ebur128 filter: integrated loudness, range and true peak."""
    marker = stderr.rfind("Summary:")
    if marker < 0:
        raise AudioError("ffmpeg's ebur128 filter printed no Summary block")
    summary = stderr[marker:]
    values: dict[str, float | None] = {}
    for key, pattern in _SUMMARY_FIELDS.items():
        match = pattern.search(summary)
        values[key] = _parse_number(match.group(1)) if match else None
    return values


_MOMENTARY = re.compile(r"\bt:\s*([0-9.]+)\s.*?\bM:\s*(-?[0-9.]+|-?inf|nan)")

#: BS.1770 gates: blocks below -70 LUFS are silence; then blocks 10 LU below the mean are dropped.
_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = 10.0


def gated_loudness(blocks: list[float]) -> float | None:
    """Integrated loudness (LUFS) of 400 ms block loudnesses, with BS.1770's two gates; None when all are silent."""
    kept = [b for b in blocks if math.isfinite(b) and b > _ABSOLUTE_GATE]
    if not kept:
        return None

    def power_mean(values: list[float]) -> float:
        return -0.691 + 10.0 * math.log10(sum(10.0 ** ((v + 0.691) / 10.0) for v in values) / len(values))

    threshold = power_mean(kept) - _RELATIVE_GATE
    kept = [b for b in kept if b > threshold]
    return round(power_mean(kept), 2) if kept else None


def measure_loudness(
    path: str | Path, speech: list[tuple[float, float]] | None = None, *, timeout: float = 3600
) -> dict[str, float | None]:
    """EBU R128 loudness of the first audio stream of any media file, measured by ffmpeg.

    Returns integrated_lufs, loudness_range_lu and true_peak_dbfs (None where ffmpeg gave no value),
    and with `speech` windows (seconds) also speech_lufs: the integrated loudness of the 400 ms
    blocks centred inside them. ffmpeg's per-block lines are read as they come, so memory stays
    flat however long the movie is.
    """
    import subprocess

    from sparkle_cli.media.ffmpeg import FFmpegError, ffmpeg_exe, input_args

    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file to measure")
    windows = sorted(speech or [])
    command = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-v",
        "verbose",
        *input_args(path),
        "-map",
        "a:0",
        "-af",
        "ebur128=peak=true",
        "-f",
        "null",
        "-",
    ]
    speech_blocks: list[float] = []
    tail: list[str] = []  # the summary and the last lines, for the result and for errors
    in_summary = False
    index = 0
    try:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError as exc:
        raise FFmpegError(f"could not start {command[0]}: {exc}") from exc
    assert proc.stderr is not None
    try:
        for raw in proc.stderr:
            line = raw.decode("utf-8", errors="replace")
            if in_summary or "Summary:" in line:
                in_summary = True
                tail.append(line)
                continue
            match = _MOMENTARY.search(line)
            if match is None:
                tail = [*tail[-40:], line]
                continue
            if windows:
                centre = float(match.group(1)) - 0.2  # the block is the 400 ms ending at t
                while index < len(windows) and windows[index][1] <= centre:
                    index += 1
                if index < len(windows) and windows[index][0] <= centre:
                    speech_blocks.append(_parse_number(match.group(2)) or float("-inf"))
        code = proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = "".join(tail)
    if code != 0:
        if any(sign in stderr for sign in _NO_AUDIO):
            raise AudioError(f"{path}: has no audio stream to measure")
        raise FFmpegError(
            f"ffmpeg could not measure the loudness of {path} (exit {code})", stderr=stderr, returncode=code
        )
    values = parse_ebur128_summary(stderr)
    if speech is not None:
        values["speech_lufs"] = gated_loudness(speech_blocks)
    return values


class AudioScan:
    """One pass over a media file's audio: peak, clipped samples and the RMS inside given windows."""

    def __init__(self, sample_rate: int, samples: int, peak: float, clipped: int, window_rms: list[float]) -> None:
        self.sample_rate = sample_rate
        self.samples = samples
        self.peak_dbfs = _db(peak)
        self.clipped = clipped
        #: RMS level in dBFS of each window, in the order given; -inf for an empty or silent one.
        self.window_dbfs = window_rms


def mono_samples(frame: Any) -> np.ndarray:
    """A decoded PyAV audio frame as mono float32 (channels averaged)."""
    raw = frame.to_ndarray()
    if raw.dtype.kind == "i":  # s16, s32: full scale is the type's range
        data = raw.astype(np.float32) / np.float32(np.iinfo(raw.dtype).max + 1)
    elif raw.dtype.kind == "u":  # u8 is offset binary
        data = (raw.astype(np.float32) - 128.0) / 128.0
    else:
        data = raw.astype(np.float32)
    if data.ndim == 2:
        if frame.format.is_planar:
            data = data.mean(axis=0)
        else:
            data = data.reshape(-1, frame.layout.nb_channels).mean(axis=1)
    return data


def scan_audio(path: str | Path, windows: list[tuple[float, float]] | None = None) -> AudioScan:
    """Decode the first audio stream block by block; memory does not grow with its length."""
    import av

    windows = list(windows or [])
    order = sorted(range(len(windows)), key=lambda i: windows[i][0])
    sums = [0.0] * len(windows)
    counts = [0] * len(windows)
    peak, clipped, position, first = 0.0, 0, 0, 0
    try:
        container = av.open(str(path))
    except (OSError, av.error.FFmpegError) as exc:
        raise AudioError(f"{path}: cannot be read ({exc})") from exc
    with container:
        if not container.streams.audio:
            raise AudioError(f"{path}: has no audio stream")
        stream = container.streams.audio[0]
        rate = int(stream.codec_context.sample_rate)
        bounds = [(int(start * rate), int(end * rate)) for start, end in windows]
        for frame in container.decode(stream):
            data = mono_samples(frame)
            if not len(data):
                continue
            lo, hi = position, position + len(data)
            magnitude = np.abs(data)
            peak = max(peak, float(magnitude.max()))
            clipped += int(np.count_nonzero(magnitude >= CLIP_LEVEL))
            while first < len(order) and bounds[order[first]][1] <= lo:
                first += 1
            for k in order[first:]:
                start, end = bounds[k]
                if start >= hi:
                    break
                a, b = max(start, lo), min(end, hi)
                if b > a:
                    segment = data[a - lo : b - lo].astype(np.float64)
                    sums[k] += float(np.dot(segment, segment))
                    counts[k] += b - a
            position = hi
    levels = [
        _db(math.sqrt(total / count)) if count else float("-inf") for total, count in zip(sums, counts, strict=True)
    ]
    return AudioScan(rate, position, peak, clipped, levels)
