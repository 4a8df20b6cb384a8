"""Pitch shifting that keeps duration: how characters without a voice of their own stay apart.

Resampling raises (or lowers) the pitch and shortens (or lengthens) the speech by the same
factor; a WSOLA time stretch (overlap-add of windows placed where they best continue the
previous one) brings the length back, so a line keeps its timing on the timeline.
"""

from __future__ import annotations

import numpy as np

#: Semitone offsets given to characters without a reference clip, in plan order: the first keeps the
#: model's built-in voice, the next ones move away from it in alternating directions.
STEPS = (0.0, -3.0, 3.0, -5.0, 5.0, -1.5, 1.5, -4.0, 4.0, -6.0, 6.0)


def step_for(index: int) -> float:
    return STEPS[index % len(STEPS)]


def time_stretch(samples: np.ndarray, factor: float, rate: int) -> np.ndarray:
    """`samples` made `factor` times longer (WSOLA, 40 ms windows, half overlap, 10 ms search)."""
    x = np.asarray(samples, dtype=np.float32)
    target = int(round(len(x) * factor))
    frame = max(64, int(0.04 * rate)) // 2 * 2
    hop_out = frame // 2
    hop_in = hop_out / factor
    tolerance = max(1, int(0.01 * rate))
    if len(x) < frame + 2 * tolerance or abs(factor - 1.0) < 1e-6:
        from sparkle_cli.media import audio

        return audio.resample(x, len(x), max(1, target)) if len(x) and target else x.copy()
    window = np.hanning(frame).astype(np.float32)
    padded = np.concatenate([x, np.zeros(frame + 2 * tolerance, np.float32)])
    count = int(np.ceil(target / hop_out)) + 1
    out = np.zeros(count * hop_out + frame, np.float32)
    weight = np.zeros_like(out)
    previous = 0
    for k in range(count):
        nominal = int(round(k * hop_in))
        if nominal >= len(x):
            break
        if k == 0:
            start = nominal
        else:
            # The window that would naturally follow the previous one; find the start near `nominal`
            # whose samples look most like it, so the overlap adds in phase.
            follow = padded[previous + hop_out : previous + hop_out + frame]
            lo = max(0, nominal - tolerance)
            hi = nominal + tolerance
            region = padded[lo : hi + frame]
            scores = np.correlate(region, follow, mode="valid")
            start = lo + int(np.argmax(scores))
        out[k * hop_out : k * hop_out + frame] += padded[start : start + frame] * window
        weight[k * hop_out : k * hop_out + frame] += window
        previous = start
    out = (out / np.maximum(weight, 1e-3)).astype(np.float32)
    return out[:target].astype(np.float32)


def shift_pitch(samples: np.ndarray, rate: int, semitones: float) -> np.ndarray:
    """The speech `semitones` higher (or lower), the same length."""
    from sparkle_cli.media import audio

    x = np.asarray(samples, dtype=np.float32)
    if abs(semitones) < 1e-6 or len(x) == 0:
        return x.copy()
    ratio = 2.0 ** (semitones / 12.0)
    # Played at `rate`, samples resampled to rate / ratio sound `ratio` times higher and shorter.
    faster = audio.resample(x, rate, max(1, int(round(rate / ratio))))
    stretched = time_stretch(faster, len(x) / max(1, len(faster)), rate)
    if len(stretched) < len(x):
        stretched = np.pad(stretched, (0, len(x) - len(stretched)))
    peak = float(np.max(np.abs(stretched))) if len(stretched) else 0.0
    return (
        (stretched[: len(x)] / peak * float(np.max(np.abs(x)))).astype(np.float32) if peak > 0 else stretched[: len(x)]
    )
