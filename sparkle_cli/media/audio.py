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


def measure_loudness(path: str | Path) -> dict[str, float | None]:
    """EBU R128 loudness of the first audio stream of any media file, measured by ffmpeg.

    Returns integrated_lufs, loudness_range_lu and true_peak_dbfs (None where ffmpeg gave no value).
    """
    from sparkle_cli.media.ffmpeg import FFmpegError, input_args, run_ffmpeg

    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file to measure")
    args = [*input_args(path), "-map", "a:0", "-af", "ebur128=peak=true", "-f", "null", "-"]
    try:
        proc = run_ffmpeg(args)
    except FFmpegError as exc:
        if any(sign in exc.stderr for sign in _NO_AUDIO):
            raise AudioError(f"{path}: has no audio stream to measure") from exc
        raise
    return parse_ebur128_summary(proc.stderr)
