"""Video files written and read back through sparkle_cli.media.video, checked by measuring them."""

from __future__ import annotations

import json
import math
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from sparkle_cli.media.video import (
    MediaError,
    VideoWriter,
    first_last_frames,
    fps_fraction,
    iter_frames,
    mean_luma,
    probe,
    psnr,
    read_frames,
    rgb_to_yuv420p,
    write_video,
)

W, H = 160, 96


def gradient_frames(n: int, width: int = W, height: int = H) -> list[np.ndarray]:
    """Smooth frames whose brightness steps up with the index, so each one is recognisable."""
    ys, xs = np.mgrid[0:height, 0:width]
    frames = []
    for i in range(n):
        level = 20 + i * (200 // max(1, n))
        frame = np.stack([xs * 60 // width + level, ys * 40 // height + level, np.full_like(xs, level)], axis=-1)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    return frames


@pytest.fixture
def clip(tmp_path: Path) -> tuple[Path, list[np.ndarray]]:
    frames = gradient_frames(13)
    path = tmp_path / "clip.mp4"
    assert write_video(path, frames, 24) == 13
    return path, frames


def test_probe_measures_what_was_written(clip: tuple[Path, list[np.ndarray]]) -> None:
    path, _ = clip
    info = probe(path)
    assert info.video is not None and info.audio is None
    assert info.video.codec == "h264"
    assert info.video.pix_fmt == "yuv420p"
    assert (info.video.width, info.video.height) == (W, H)
    assert info.video.frames == 13
    assert info.video.fps == pytest.approx(24.0)
    assert info.video.duration_s == pytest.approx(13 / 24, abs=1e-3)
    assert info.duration_s == pytest.approx(13 / 24, abs=1e-3)
    assert info.video.stream_duration_s == pytest.approx(13 / 24, abs=1e-3)
    assert "mp4" in info.format_name
    assert json.loads(json.dumps(info.to_dict()))["video"]["frames"] == 13


def test_file_starts_with_a_keyframe(clip: tuple[Path, list[np.ndarray]]) -> None:
    path, _ = clip
    with av.open(str(path)) as container:
        first = next(p for p in container.demux(video=0) if p.size)
        assert first.is_keyframe


def test_ntsc_rate_keeps_exact_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "ntsc.mp4"
    write_video(path, gradient_frames(30), 23.976)
    info = probe(path)
    assert info.video is not None
    assert info.video.frames == 30
    assert info.video.fps == pytest.approx(24000 / 1001)
    assert info.duration_s == pytest.approx(30 * 1001 / 24000, abs=1e-3)


def test_fps_fraction() -> None:
    assert fps_fraction(24) == Fraction(24)
    assert fps_fraction(23.976) == Fraction(24000, 1001)
    assert fps_fraction(29.97) == Fraction(30000, 1001)
    assert fps_fraction(12.5) == Fraction(25, 2)
    assert fps_fraction(Fraction(25)) == Fraction(25)
    with pytest.raises(ValueError):
        fps_fraction(0)


def test_frames_decode_back_in_order(clip: tuple[Path, list[np.ndarray]]) -> None:
    path, frames = clip
    decoded = list(iter_frames(path))
    assert len(decoded) == 13
    assert all(f.shape == (H, W, 3) and f.dtype == np.uint8 for f in decoded)
    for got, want in zip(decoded, frames, strict=True):
        assert psnr(got, want) > 35
        assert mean_luma(got) == pytest.approx(mean_luma(want), abs=2)
    first, last = first_last_frames(path)
    assert np.array_equal(first, decoded[0]) and np.array_equal(last, decoded[-1])
    picked = read_frames(path, [7, 2, 7])
    assert np.array_equal(picked[0], decoded[7]) and np.array_equal(picked[1], decoded[2])
    with pytest.raises(MediaError, match="no frame 99"):
        read_frames(path, [99])


def test_iter_frames_scales_and_greys(clip: tuple[Path, list[np.ndarray]]) -> None:
    path, frames = clip
    small = list(iter_frames(path, size=(40, 24), gray=True))
    assert len(small) == 13
    assert small[0].shape == (24, 40) and small[0].dtype == np.uint8
    assert float(small[-1].mean()) == pytest.approx(mean_luma(frames[-1]), abs=3)


def test_yuv_planes_encode_like_rgb(tmp_path: Path) -> None:
    frames = gradient_frames(5)
    rgb_path, yuv_path = tmp_path / "rgb.mp4", tmp_path / "yuv.mp4"
    write_video(rgb_path, frames, 24)
    with VideoWriter(yuv_path, fps=24, width=W, height=H) as writer:
        for frame in frames:
            writer.write_yuv420p(*rgb_to_yuv420p(frame))
    for a, b in zip(iter_frames(rgb_path), iter_frames(yuv_path), strict=True):
        assert np.array_equal(a, b)


def test_odd_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="even"):
        VideoWriter(tmp_path / "odd.mp4", fps=24, width=161, height=96)
    with pytest.raises(ValueError, match="even"):
        write_video(tmp_path / "odd.mp4", [np.zeros((95, 160, 3), np.uint8)], 24)


def test_wrong_frame_shape_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "bad.mp4"
    with pytest.raises(ValueError, match="expected"):
        with VideoWriter(target, fps=24, width=W, height=H) as writer:
            writer.write(np.zeros((H, W, 3), np.uint8))
            writer.write(np.zeros((H, W), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_no_frames_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no frames"):
        write_video(tmp_path / "empty.mp4", [], 24)
    with pytest.raises(MediaError, match="no frames"):
        with VideoWriter(tmp_path / "empty.mp4", fps=24, width=W, height=H):
            pass
    assert list(tmp_path.iterdir()) == []


def test_json_named_mp4_is_a_media_error(tmp_path: Path) -> None:
    fake = tmp_path / "shot_001.mp4"
    fake.write_text(json.dumps({"shot": 1, "note": "not a video"}))
    with pytest.raises(MediaError, match="shot_001.mp4"):
        probe(fake)
    with pytest.raises(MediaError, match="shot_001.mp4"):
        list(iter_frames(fake))


def test_missing_file_is_a_media_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="not found"):
        probe(tmp_path / "nope.mp4")


def test_probe_wav(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(np.zeros(11025, np.int16).tobytes())
    info = probe(path)
    assert info.video is None and info.audio is not None
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == ("pcm_s16le", 22050, 1)
    assert info.audio.duration_s == pytest.approx(0.5, abs=1e-3)


def test_probe_sums_audio_when_the_stream_has_no_duration(tmp_path: Path) -> None:
    # Matroska records no per-stream duration, so the samples are counted.
    path = tmp_path / "voice.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=16000)
        stream.layout = "mono"
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
            frame.sample_rate = 16000
            frame.pts = i * 800
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    info = probe(path)
    assert info.audio is not None
    assert info.audio.duration_s == pytest.approx(0.5, abs=1e-3)


def test_psnr_and_luma() -> None:
    a = np.zeros((4, 4, 3), np.uint8)
    b = a.copy()
    assert psnr(a, b) == math.inf
    b[0, 0, 0] = 255
    assert 10 < psnr(a, b) < 40
    with pytest.raises(ValueError):
        psnr(a, np.zeros((2, 2, 3), np.uint8))
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 0] = 255
    assert mean_luma(red) == pytest.approx(0.299 * 255, abs=0.01)
    assert mean_luma(np.full((2, 2, 3), 200, np.uint8)) == pytest.approx(200, abs=0.01)
    assert mean_luma(np.full((2, 2), 77, np.uint8)) == pytest.approx(77)
