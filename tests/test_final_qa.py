"""Final QA on long and quiet movies: memory stays flat, loudness is judged where people speak."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sparkle_cli.media.audio import gated_loudness, measure_loudness, scan_audio, write_wav

from .longmovies import final_qa_in_a_process, movie, timeline


def test_final_qa_memory_does_not_grow_with_the_movie(tmp_path: Path) -> None:
    results = {}
    for minutes in (1, 10):
        seconds = 60 * minutes
        speech = [(float(s), float(s) + 2.0) for s in range(5, seconds - 5, 20)]
        video = movie(tmp_path / f"{minutes}min.mp4", seconds, speech)
        results[minutes] = final_qa_in_a_process(video, timeline(seconds, speech))
    print({m: round(r["rss_mb"], 1) for m, r in results.items()})
    assert results[1]["passed"] and results[10]["passed"], results
    # Ten times the movie: the same memory, give or take allocator noise (decoding it whole took +110 MB).
    assert results[10]["rss_mb"] - results[1]["rss_mb"] < 20, results


def test_loudness_is_judged_inside_the_speech_windows(tmp_path: Path) -> None:
    rate = 48000
    t = np.arange(rate * 12) / rate
    signal = np.zeros_like(t)
    speaking = (t >= 2) & (t < 6)
    signal[speaking] = 0.1 * np.sin(2 * math.pi * 997 * t[speaking])  # -20 dBFS peak: about -23 LUFS
    wav = write_wav(tmp_path / "speech.wav", signal.astype(np.float32), rate)
    values = measure_loudness(wav, [(2.0, 6.0)])
    assert values["speech_lufs"] == pytest.approx(-23.0, abs=0.6)
    scan = scan_audio(wav, [(2.0, 6.0), (8.0, 10.0)])
    assert scan.window_dbfs[0] == pytest.approx(-23.0, abs=0.1)  # RMS of a sine: 3 dB under its peak
    assert scan.window_dbfs[1] == float("-inf") and scan.clipped == 0
    assert scan.samples == len(signal)


def test_gated_loudness_follows_bs1770() -> None:
    assert gated_loudness([]) is None
    assert gated_loudness([-80.0, -120.0]) is None  # under the absolute gate: silence
    assert gated_loudness([-23.0] * 10) == pytest.approx(-23.0)
    # A block 10 LU and more under the mean is gated out.
    assert gated_loudness([-20.0] * 10 + [-45.0] * 10) == pytest.approx(-20.0)


def test_a_movie_without_dialogue_passes_final_qa(tmp_path: Path) -> None:
    video = movie(tmp_path / "quiet.mp4", 6, [])
    report = final_qa_in_a_process(video, timeline(6, []))
    assert report["passed"], report
