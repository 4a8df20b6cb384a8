"""Audio helpers and ffmpeg discovery, checked by measuring real signals and files."""

from __future__ import annotations

import math
import os
import struct
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sparkle_cli.media import audio
from sparkle_cli.media import ffmpeg as ff
from sparkle_cli.media.audio import (
    AudioError,
    clipped_samples,
    frame_rms,
    measure_loudness,
    normalize_peak,
    peak_dbfs,
    read_wav,
    resample,
    rms_dbfs,
    write_wav,
)


def sine(freq: float, sr: int, seconds: float, rms_db: float = -20.0) -> np.ndarray:
    amplitude = math.sqrt(2.0) * 10.0 ** (rms_db / 20.0)
    t = np.arange(int(round(sr * seconds))) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_hz(signal: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(np.argmax(spectrum) * sr / len(signal))


# --- WAV ------------------------------------------------------------------------------


def test_wav_round_trip_keeps_samples_and_rate(tmp_path: Path) -> None:
    original = sine(440, 22050, 0.5, rms_db=-6)
    path = write_wav(tmp_path / "a.wav", original, 22050)
    samples, sr = read_wav(path)
    assert sr == 22050
    assert samples.dtype == np.float32 and samples.shape == original.shape
    assert np.max(np.abs(samples - original)) < 1.5 / 32768
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)


def test_write_wav_takes_int16_as_is_and_clips_floats(tmp_path: Path) -> None:
    pcm = np.array([0, 1000, -32768, 32767], dtype=np.int16)
    write_wav(tmp_path / "i.wav", pcm, 8000)
    with wave.open(str(tmp_path / "i.wav"), "rb") as wav:
        assert np.array_equal(np.frombuffer(wav.readframes(4), dtype="<i2"), pcm)
    write_wav(tmp_path / "c.wav", np.array([1.5, -2.0, 0.5], dtype=np.float32), 8000)
    samples, _ = read_wav(tmp_path / "c.wav")
    assert samples[0] == pytest.approx(32767 / 32768) and samples[1] == pytest.approx(-32767 / 32768)
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_read_wav_mixes_stereo_down(tmp_path: Path) -> None:
    left = np.full(100, 8000, dtype=np.int16)
    right = np.full(100, -4000, dtype=np.int16)
    with wave.open(str(tmp_path / "s.wav"), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(np.stack([left, right], axis=1).astype("<i2").tobytes())
    samples, sr = read_wav(tmp_path / "s.wav")
    assert sr == 16000 and len(samples) == 100
    assert np.allclose(samples, 2000 / 32768)


def test_read_wav_reads_32_bit_float(tmp_path: Path) -> None:
    values = np.array([0.0, 0.25, -0.5, 0.75], dtype="<f4")
    fmt = struct.pack("<HHIIHH", 3, 1, 24000, 24000 * 4, 4, 32)
    data = values.tobytes()
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    (tmp_path / "f.wav").write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    samples, sr = read_wav(tmp_path / "f.wav")
    assert sr == 24000 and np.array_equal(samples, values)


def test_read_wav_names_the_file_when_it_is_not_a_wav(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_bytes(b"not a wav at all")
    with pytest.raises(AudioError, match="x.wav"):
        read_wav(tmp_path / "x.wav")


# --- resampling -----------------------------------------------------------------------


@pytest.mark.parametrize(("sr_from", "sr_to"), [(22050, 48000), (48000, 22050), (44100, 48000), (48000, 16000)])
def test_resample_keeps_a_1khz_sine_in_pitch_and_level(sr_from: int, sr_to: int) -> None:
    tone = sine(1000, sr_from, 1.0, rms_db=-10)
    out = resample(tone, sr_from, sr_to)
    assert len(out) == round(len(tone) * sr_to / sr_from)
    middle = out[len(out) // 5 : -len(out) // 5]  # away from the zero padding at the ends
    assert dominant_hz(middle, sr_to) == pytest.approx(1000, abs=2)
    assert abs(rms_dbfs(middle) - (-10.0)) < 0.5


def test_resample_removes_what_the_new_rate_cannot_hold() -> None:
    high = sine(15000, 48000, 1.0, rms_db=-3)
    out = resample(high, 48000, 22050)  # 15 kHz is above the new Nyquist (11.025 kHz)
    assert rms_dbfs(out[2000:-2000]) < -60


def test_resample_same_rate_and_empty() -> None:
    tone = sine(1000, 16000, 0.1)
    assert np.array_equal(resample(tone, 16000, 16000), tone)
    assert len(resample(np.zeros(0, np.float32), 16000, 48000)) == 0


# --- levels ---------------------------------------------------------------------------


def test_frame_rms_follows_silence_then_tone() -> None:
    sr, fps = 16000, 25
    signal = np.concatenate([np.zeros(sr, np.float32), 0.5 * np.sin(2 * np.pi * 500 * np.arange(sr) / sr)])
    rms = frame_rms(signal, sr, fps, n_frames=60)
    assert rms.shape == (60,)
    assert np.all(rms[:25] == 0)
    assert np.allclose(rms[25:50], 0.5 / math.sqrt(2), rtol=0.01)
    assert np.all(rms[50:] == 0)  # past the end of the audio
    shifted = frame_rms(signal, sr, fps, n_frames=10, start_s=1.0)
    assert np.allclose(shifted, 0.5 / math.sqrt(2), rtol=0.01)


def test_levels_of_known_signals() -> None:
    full = np.sin(2 * np.pi * 100 * np.arange(48000) / 48000).astype(np.float32)
    assert rms_dbfs(full) == pytest.approx(-3.01, abs=0.01)
    assert peak_dbfs(full) == pytest.approx(0.0, abs=0.01)
    assert rms_dbfs(np.zeros(10, np.float32)) == float("-inf")
    assert peak_dbfs(np.zeros(0, np.float32)) == float("-inf")
    pcm = np.array([0, 32767, -32768, -32767, 1000], dtype=np.int16)
    assert clipped_samples(pcm) == 3
    assert clipped_samples(np.array([0.5, 1.0, -1.2], np.float32)) == 2


def test_normalize_peak_sets_the_peak() -> None:
    out = normalize_peak(sine(300, 8000, 0.2, rms_db=-30), -3.0)
    assert peak_dbfs(out) == pytest.approx(-3.0, abs=0.01)
    assert np.array_equal(normalize_peak(np.zeros(5, np.float32)), np.zeros(5, np.float32))


# --- loudness -------------------------------------------------------------------------


def test_measure_loudness_of_a_minus_20_dbfs_sine(tmp_path: Path) -> None:
    # BS.1770: the K-weighting gain at 1 kHz (+0.69 dB) and the -0.691 offset cancel, so a mono
    # 1 kHz sine at -20 dBFS RMS reads -20.0 LUFS; its true peak is the sample peak, -16.99 dBFS.
    path = write_wav(tmp_path / "tone.wav", sine(1000, 48000, 6.0, rms_db=-20), 48000)
    result = measure_loudness(path)
    assert result["integrated_lufs"] == pytest.approx(-20.0, abs=1.0)
    assert result["true_peak_dbfs"] == pytest.approx(-16.99, abs=0.5)
    assert result["loudness_range_lu"] == pytest.approx(0.0, abs=1.0)


def test_measure_loudness_of_silence_and_of_a_video_without_audio(tmp_path: Path) -> None:
    silent = write_wav(tmp_path / "silent.wav", np.zeros(48000, np.float32), 48000)
    result = measure_loudness(silent)
    assert result["integrated_lufs"] is not None and result["integrated_lufs"] <= -70
    assert result["true_peak_dbfs"] == float("-inf")
    video = tmp_path / "video.mp4"
    ff.run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x64:rate=10", "-t", "0.5", "-y", str(video)])
    with pytest.raises(AudioError, match="no audio"):
        measure_loudness(video)
    with pytest.raises(AudioError, match="no such file"):
        measure_loudness(tmp_path / "missing.wav")


def test_parse_ebur128_summary_handles_inf_and_missing_fields() -> None:
    stderr = "junk\n[Parsed_ebur128_0] Summary:\n\n  Integrated loudness:\n    I:  -70.0 LUFS\n  True peak:\n    Peak:  -inf dBFS\n"
    values = audio.parse_ebur128_summary(stderr)
    assert values == {"integrated_lufs": -70.0, "loudness_range_lu": None, "true_peak_dbfs": float("-inf")}
    with pytest.raises(AudioError, match="Summary"):
        audio.parse_ebur128_summary("no summary here")


# --- ffmpeg ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ffmpeg version n9.0.2-2-gabcdef Copyright (c) 2000-2025", (9, 0, 2)),
        ("ffmpeg version 6.1.1-3ubuntu5 Copyright (c) 2000-2023", (6, 1, 1)),
        ("ffmpeg version 7.0 Copyright", (7, 0)),
        ("ffmpeg version N-112345-g1234567 Copyright", None),
        ("ffmpeg version 2024-01-01-git-essentials_build", None),
        ("something else", None),
    ],
)
def test_parse_version(line: str, expected: tuple[int, ...] | None) -> None:
    assert ff.parse_version(line) == expected


@pytest.fixture
def fresh_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv(ff.ENV_VAR, raising=False)
    ff.ffmpeg_exe.cache_clear()
    yield monkeypatch
    ff.ffmpeg_exe.cache_clear()


def _fake_ffmpeg(folder: Path, version_line: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "ffmpeg"
    script.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    script.chmod(0o755)
    return script


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as a fake ffmpeg")
def test_ffmpeg_exe_prefers_a_newer_system_ffmpeg(tmp_path: Path, fresh_ffmpeg: pytest.MonkeyPatch) -> None:
    bundled_version = ff.ffmpeg_version(ff._bundled_exe() or "")
    assert bundled_version is not None
    newer = _fake_ffmpeg(tmp_path / "new", "ffmpeg version n99.0.1 Copyright")
    fresh_ffmpeg.setenv("PATH", str(newer.parent))
    assert ff.ffmpeg_exe() == str(newer)
    ff.ffmpeg_exe.cache_clear()
    older = _fake_ffmpeg(tmp_path / "old", "ffmpeg version 1.2.3-0ubuntu1 Copyright")
    fresh_ffmpeg.setenv("PATH", str(older.parent))
    assert ff.ffmpeg_exe() == ff._bundled_exe()
    assert ff.ffmpeg_version(str(older)) == (1, 2, 3)


def test_sparkle_ffmpeg_env_wins_and_is_checked(tmp_path: Path, fresh_ffmpeg: pytest.MonkeyPatch) -> None:
    bundled = ff._bundled_exe()
    assert bundled is not None
    fresh_ffmpeg.setenv(ff.ENV_VAR, bundled)
    assert ff.ffmpeg_exe() == bundled
    ff.ffmpeg_exe.cache_clear()
    fresh_ffmpeg.setenv(ff.ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(ff.FFmpegError, match=ff.ENV_VAR):
        ff.ffmpeg_exe()


def test_no_ffmpeg_at_all_says_what_to_install(fresh_ffmpeg: pytest.MonkeyPatch) -> None:
    fresh_ffmpeg.setattr(ff, "_bundled_exe", lambda: None)
    fresh_ffmpeg.setenv("PATH", os.devnull)
    with pytest.raises(ff.FFmpegError, match="pip install imageio-ffmpeg"):
        ff.ffmpeg_exe()


def test_run_ffmpeg_failure_carries_the_end_of_stderr(tmp_path: Path) -> None:
    with pytest.raises(ff.FFmpegError) as caught:
        ff.run_ffmpeg(["-i", str(tmp_path / "missing.mp4"), "-f", "null", "-"])
    assert caught.value.returncode not in (None, 0)
    assert "missing.mp4" in str(caught.value)
    assert len(str(caught.value).splitlines()) <= ff.STDERR_TAIL_LINES + 1


def test_input_args_forces_wav_for_wav_files(tmp_path: Path) -> None:
    wav_path = write_wav(tmp_path / "t.wav", np.zeros(10, np.float32), 8000)
    assert ff.input_args(wav_path) == ["-f", "wav", "-i", str(wav_path)]
    other = tmp_path / "t.mp4"
    other.write_bytes(b"\x00" * 16)
    assert ff.input_args(other) == ["-i", str(other)]
