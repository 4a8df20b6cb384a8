"""The mel spectrogram Wav2Lip was trained on (16 kHz, 80 bands, hop 200), in numpy.

The numbers are the public model's audio hyperparameters; the filter bank is the Slaney-style
one librosa builds by default, so features match what the published weights expect.
"""

from __future__ import annotations

import functools

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 800
HOP = 200
WIN = 800
N_MELS = 80
FMIN = 55.0
FMAX = 7600.0
PREEMPHASIS = 0.97
REF_LEVEL_DB = 20.0
MIN_LEVEL_DB = -100.0
MAX_ABS_VALUE = 4.0
#: Mel frames per second of audio.
MEL_FPS = SAMPLE_RATE / HOP


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = hz / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(hz >= min_log_hz, min_log_mel + np.log(np.maximum(hz, 1e-10) / min_log_hz) / logstep, mels)


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asarray(mels, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(mels >= min_log_mel, min_log_hz * np.exp(logstep * (mels - min_log_mel)), f_sp * mels)


@functools.cache
def mel_basis() -> np.ndarray:
    """(80, n_fft/2 + 1) triangular filters, area-normalised."""
    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(np.array(FMIN)), _hz_to_mel(np.array(FMAX)), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : N_MELS + 2] - mel_f[:N_MELS]))[:, None]
    return weights.astype(np.float32)


def _stft_magnitude(signal: np.ndarray) -> np.ndarray:
    """|STFT| with a periodic Hann window, centred frames and reflect padding; (n_fft/2+1, frames)."""
    pad = N_FFT // 2
    if len(signal) <= pad:
        signal = np.pad(signal, (0, pad + 1 - len(signal)))
    padded = np.pad(signal, pad, mode="reflect")
    count = 1 + (len(padded) - N_FFT) // HOP
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WIN) / WIN)).astype(np.float32)
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
    frames = padded[idx] * window[None, :]
    return np.abs(np.fft.rfft(frames, axis=1)).T


def melspectrogram(samples: np.ndarray) -> np.ndarray:
    """(80, T) normalised log-mel features in [-4, 4] for mono float samples at 16 kHz; T = 1 + len // 200."""
    signal = np.asarray(samples, dtype=np.float32)
    emphasised = np.append(signal[:1], signal[1:] - PREEMPHASIS * signal[:-1]) if len(signal) else signal
    mel = mel_basis() @ _stft_magnitude(emphasised)
    db = 20.0 * np.log10(np.maximum(1e-5, mel)) - REF_LEVEL_DB
    scaled = 2 * MAX_ABS_VALUE * ((db - MIN_LEVEL_DB) / -MIN_LEVEL_DB) - MAX_ABS_VALUE
    return np.clip(scaled, -MAX_ABS_VALUE, MAX_ABS_VALUE).astype(np.float32)


def mel_windows(mel: np.ndarray, fps: float, n_frames: int, step: int = 16) -> np.ndarray:
    """(n_frames, 80, step): for video frame i, `step` mel frames from int(80 * i / fps), clamped at the end."""
    total = mel.shape[1]
    if total < step:
        mel = np.pad(mel, ((0, 0), (0, step - total)), constant_values=-MAX_ABS_VALUE)
        total = step
    out = np.empty((n_frames, mel.shape[0], step), dtype=np.float32)
    for i in range(n_frames):
        start = min(int(MEL_FPS * i / fps), total - step)
        out[i] = mel[:, start : start + step]
    return out
