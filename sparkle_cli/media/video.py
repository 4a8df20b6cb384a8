"""Video files through PyAV: write H.264 from numpy frames, read frames back, probe streams.

Also the two pixel measures the stages share: PSNR between frames and mean luma.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
from av.video.frame import PictureType

from sparkle_cli.atomic import atomic_path

#: NTSC-style rates are written as n*1000/1001; a float like 23.976 means 24000/1001.
_NTSC_BASES = (24, 30, 48, 60, 120)

#: x264 threads for every clip. Fixed, not per machine or per worker count: x264's output depends
#: on its thread count, and the same frames must give the same bytes wherever they are encoded (a
#: different worker count must not make every later stage render again). Two keep a lone encode
#: from leaving the second core idle.
ENCODER_THREADS = 2

# BT.601 tags (AVCOL_* value 6): the same matrix swscale uses by default both ways,
# so players that read the tags and PyAV agree on colours.
_BT601 = 6
_LIMITED_RANGE = 1


class MediaError(RuntimeError):
    """A media file is missing, is not media, or lacks what the caller needs."""


# --- arithmetic ----------------------------------------------------------------------


def fps_fraction(fps: float | Fraction | int) -> Fraction:
    """The exact frame rate for `fps`: 23.976 -> 24000/1001, 24 -> 24, 12.5 -> 25/2."""
    if isinstance(fps, Fraction):
        rate = fps
    else:
        value = float(fps)
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"frame rate must be a positive number, got {fps!r}")
        rate = Fraction(value).limit_denominator(1000)
        for base in _NTSC_BASES:
            ntsc = Fraction(base * 1000, 1001)
            if abs(value - float(ntsc)) < 2e-3:
                rate = ntsc
                break
    if rate <= 0:
        raise ValueError(f"frame rate must be positive, got {fps!r}")
    return rate


def default_gop(fps: Fraction) -> int:
    """A keyframe every two seconds: short clips stay seekable without wasting bits."""
    return max(1, round(float(fps) * 2))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two uint8 images; inf when identical."""
    if a.shape != b.shape:
        raise ValueError(f"cannot compare frames of shapes {a.shape} and {b.shape}")
    diff = a.astype(np.float64) - b.astype(np.float64)
    mse = float(np.mean(diff * diff))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(255.0 * 255.0 / mse)


def mean_luma(frame: np.ndarray) -> float:
    """Mean BT.601 luma (0..255) of an RGB frame, or the mean of a grey one."""
    if frame.ndim == 2:
        return float(frame.mean())
    rgb = frame[..., :3].astype(np.float32)
    luma = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    return float(luma.mean())


def _rgb_frame(frame: np.ndarray) -> Any:
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")


def rgb_to_yuv420p(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Y, U and V planes the encoder makes of an RGB frame (the same conversion, bit for bit)."""
    height, width = frame.shape[:2]
    if height % 2 or width % 2:
        raise ValueError(f"yuv420p needs an even frame size, got {width}x{height}")
    packed = _rgb_frame(frame).reformat(format="yuv420p").to_ndarray()
    quarter = (height // 2) * (width // 2)
    chroma = packed[height:].reshape(-1)
    y = packed[:height]
    u = chroma[:quarter].reshape(height // 2, width // 2)
    v = chroma[quarter:].reshape(height // 2, width // 2)
    return y, u, v


# --- writing -------------------------------------------------------------------------


class VideoWriter:
    """Encode RGB frames to an H.264 (yuv420p) file, replacing `path` only when complete.

    Frame i gets pts i in a 1/fps time base, so n frames last exactly n/fps. x264's output
    depends on its thread count, so the default is a fixed one (ENCODER_THREADS) rather than "auto"; with
    `reproducible` the same frames and settings give the same bytes on any machine.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        fps: float | Fraction,
        width: int,
        height: int,
        crf: int = 18,
        preset: str = "veryfast",
        gop: int | None = None,
        threads: int = ENCODER_THREADS,
        reproducible: bool = True,
    ) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"video size must be positive and even for yuv420p, got {width}x{height} for {path}")
        self.path = Path(path)
        self.fps = fps_fraction(fps)
        self.width = int(width)
        self.height = int(height)
        self.crf = int(crf)
        self.preset = str(preset)
        self.gop = int(gop) if gop else default_gop(self.fps)
        self.threads = int(threads)
        self.reproducible = reproducible
        self.frames_written = 0
        self._stack: contextlib.ExitStack | None = None
        self._container: Any = None
        self._stream: Any = None

    def __enter__(self) -> VideoWriter:
        stack = contextlib.ExitStack()
        try:
            tmp = stack.enter_context(atomic_path(self.path))
            self._container = av.open(str(tmp), mode="w")
            stack.callback(self._container.close)
            self._stream = self._add_stream(self._container)
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return self

    def _add_stream(self, container: Any) -> Any:
        options = {"crf": str(self.crf), "preset": self.preset, "threads": str(self.threads)}
        if self.reproducible:
            # x264's macroblock tree gives run-to-run different output in this build (seen at
            # 848x480 every time); without it, the same frames always give the same file.
            options["x264-params"] = "mbtree=0"
        stream = container.add_stream("libx264", rate=self.fps, options=options)
        stream.width = self.width
        stream.height = self.height
        stream.pix_fmt = "yuv420p"
        ctx = stream.codec_context
        ctx.time_base = 1 / self.fps
        ctx.gop_size = self.gop
        ctx.colorspace = _BT601
        ctx.color_primaries = _BT601
        ctx.color_trc = _BT601
        ctx.color_range = _LIMITED_RANGE
        return stream

    def write(self, frame: np.ndarray, *, keyframe: bool = False) -> None:
        """Append one HxWx3 uint8 RGB frame; `keyframe` forces an intra frame here."""
        expected = (self.height, self.width, 3)
        if frame.shape != expected or frame.dtype != np.uint8:
            raise ValueError(
                f"frame {self.frames_written} for {self.path} is {frame.shape} {frame.dtype}, expected {expected} uint8"
            )
        self.write_yuv420p(*rgb_to_yuv420p(frame), keyframe=keyframe)

    def write_yuv420p(self, y: np.ndarray, u: np.ndarray, v: np.ndarray, *, keyframe: bool = False) -> None:
        """Append one frame given as yuv420p planes (as `rgb_to_yuv420p` returns them)."""
        shapes = (y.shape, u.shape, v.shape)
        half = (self.height // 2, self.width // 2)
        if shapes != ((self.height, self.width), half, half):
            raise ValueError(
                f"frame {self.frames_written} for {self.path} has planes {shapes}, "
                f"expected {(self.height, self.width)}, {half}, {half}"
            )
        packed = np.concatenate([y.ravel(), u.ravel(), v.ravel()]).reshape(-1, self.width)
        vframe = av.VideoFrame.from_ndarray(packed.astype(np.uint8, copy=False), format="yuv420p")
        if keyframe:
            vframe.pict_type = PictureType.I
        self._encode(vframe)

    def _encode(self, vframe: Any) -> None:
        if self._stream is None:
            raise RuntimeError(f"VideoWriter for {self.path} is used outside its `with` block")
        vframe.pts = self.frames_written
        vframe.time_base = self._stream.codec_context.time_base
        for packet in self._stream.encode(vframe):
            self._container.mux(packet)
        self.frames_written += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is None:
            return
        if exc_type is not None:
            # Unwinding with the error in hand lets atomic_path drop the partial file.
            stack.__exit__(exc_type, exc, tb)
            return
        try:
            if self.frames_written == 0:
                raise MediaError(f"no frames were written to {self.path}")
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        except BaseException as error:
            if not stack.__exit__(type(error), error, error.__traceback__):
                raise
            return
        stack.close()


def write_video(
    path: str | Path,
    frames: Iterable[np.ndarray],
    fps: float | Fraction,
    **opts: Any,
) -> int:
    """Write `frames` (HxWx3 uint8, size taken from the first) to `path`; returns the count."""
    iterator = iter(frames)
    try:
        first = next(iterator)
    except StopIteration:
        raise MediaError(f"no frames to write to {path}") from None
    height, width = first.shape[:2]
    with VideoWriter(path, fps=fps, width=width, height=height, **opts) as writer:
        writer.write(first)
        for frame in iterator:
            writer.write(frame)
        return writer.frames_written


# --- reading -------------------------------------------------------------------------


@contextlib.contextmanager
def _open_input(path: str | Path) -> Iterator[Any]:
    """Open a media file for reading, turning PyAV's errors into a MediaError naming it."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"media file not found: {path}")
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, ValueError, UnicodeDecodeError) as error:
        raise MediaError(f"{path} is not a readable audio/video file ({error})") from error
    try:
        yield container
    except av.FFmpegError as error:
        raise MediaError(f"{path} could not be decoded ({error})") from error
    finally:
        container.close()


def _video_stream(container: Any, path: str | Path) -> Any:
    if not container.streams.video:
        raise MediaError(f"{path} has no video stream")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return stream


def iter_frames(
    path: str | Path,
    *,
    size: tuple[int, int] | None = None,
    gray: bool = False,
) -> Iterator[np.ndarray]:
    """Decode every frame as HxWx3 RGB (or HxW grey) uint8, optionally scaled to (width, height)."""
    fmt = "gray" if gray else "rgb24"
    kwargs: dict[str, Any] = {"format": fmt}
    if size is not None:
        # Area averaging keeps small analysis copies free of aliasing.
        kwargs.update(width=int(size[0]), height=int(size[1]), interpolation="AREA")
    with _open_input(path) as container:
        stream = _video_stream(container, path)
        for frame in container.decode(stream):
            yield frame.to_ndarray(**kwargs)


def iter_decoded(path: str | Path) -> Iterator[Any]:
    """Every frame as PyAV decodes it (no conversion), in order; the decoder may use several threads."""
    with _open_input(path) as container:
        stream = _video_stream(container, path)
        stream.thread_type = "AUTO"
        yield from container.decode(stream)


def y_plane(frame: Any) -> np.ndarray:
    """A decoded frame's luma plane as an HxW uint8 array (a view, no copy)."""
    plane = frame.planes[0]
    return np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: frame.height, : frame.width]


def plane_luma(frame: Any, y: np.ndarray) -> float:
    """Mean luma on the 0..255 scale: limited-range video (16..235) is stretched as an RGB conversion would."""
    mean = float(y.mean())
    if frame.format.name.startswith("yuv") and "j" not in frame.format.name:
        mean = (mean - 16.0) * 255.0 / 219.0
    return max(0.0, min(255.0, mean))


def to_rgb(frame: Any) -> np.ndarray:
    return frame.to_ndarray(format="rgb24")


def iter_luma(path: str | Path) -> Iterator[float]:
    """Each frame's mean luma on the 0..255 scale, read from the decoded Y plane (no colour conversion)."""
    for frame in iter_decoded(path):
        yield plane_luma(frame, y_plane(frame))


def read_frames(path: str | Path, indices: list[int]) -> list[np.ndarray]:
    """The RGB frames at `indices` (in the order asked), decoding from the start."""
    if not indices:
        return []
    wanted = set(indices)
    if min(wanted) < 0:
        raise MediaError(f"frame indices must be >= 0, got {min(wanted)} for {path}")
    last = max(wanted)
    found: dict[int, np.ndarray] = {}
    decoded = 0
    for index, frame in enumerate(iter_frames(path)):
        decoded = index + 1
        if index in wanted:
            found[index] = frame
        if index >= last:
            break
    missing = sorted(wanted - found.keys())
    if missing:
        raise MediaError(f"{path} has no frame {missing[0]}: it has {decoded} frames")
    return [found[i] for i in indices]


def first_last_frames(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The first and last RGB frames, decoding to the end (meant for short clips)."""
    first: np.ndarray | None = None
    last: np.ndarray | None = None
    for frame in iter_frames(path):
        if first is None:
            first = frame
        last = frame
    if first is None or last is None:
        raise MediaError(f"{path} has no decodable video frames")
    return first, last


# --- probing -------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    width: int
    height: int
    fps: float
    frames: int
    pix_fmt: str
    duration_s: float  # frames / fps
    stream_duration_s: float | None = None
    bit_rate: int | None = None


@dataclass(frozen=True)
class AudioInfo:
    codec: str
    sample_rate: int
    channels: int
    duration_s: float


@dataclass(frozen=True)
class MediaInfo:
    path: str
    format_name: str
    duration_s: float  # the container's
    video: VideoInfo | None = None
    audio: AudioInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stream_seconds(stream: Any) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base)


def _stream_rate(stream: Any) -> float:
    for rate in (stream.average_rate, stream.base_rate, stream.guessed_rate):
        if rate:
            return float(rate)
    return 0.0


def probe(path: str | Path) -> MediaInfo:
    """Describe a media file; frame counts are exact (every video packet is counted)."""
    with _open_input(path) as container:
        vstream = container.streams.video[0] if container.streams.video else None
        astream = container.streams.audio[0] if container.streams.audio else None
        if vstream is None and astream is None:
            raise MediaError(f"{path} has no audio or video stream")
        audio_seconds = _stream_seconds(astream) if astream is not None else None
        # Counting packets is cheap; audio is decoded only when its length is not recorded.
        decode_audio = astream is not None and audio_seconds is None
        wanted = [s for s in (vstream, astream if decode_audio else None) if s is not None]
        packets = 0
        samples = 0
        for packet in container.demux(wanted):
            if packet.size == 0:
                continue
            if vstream is not None and packet.stream.index == vstream.index:
                packets += 1
            elif decode_audio:
                samples += sum(frame.samples for frame in packet.decode())
        if decode_audio and astream is not None:
            audio_seconds = samples / float(astream.rate or 1)
        duration = container.duration / av.time_base if container.duration else 0.0
        video = _video_info(vstream, packets) if vstream is not None else None
        audio = None
        if astream is not None:
            audio = AudioInfo(
                codec=astream.codec_context.name,
                sample_rate=int(astream.rate or 0),
                channels=int(astream.codec_context.channels),
                duration_s=float(audio_seconds or 0.0),
            )
        return MediaInfo(
            path=str(path),
            format_name=str(container.format.name),
            duration_s=float(duration),
            video=video,
            audio=audio,
        )


def _video_info(stream: Any, frames: int) -> VideoInfo:
    ctx = stream.codec_context
    fps = _stream_rate(stream)
    return VideoInfo(
        codec=ctx.name,
        width=int(ctx.width),
        height=int(ctx.height),
        fps=fps,
        frames=frames,
        pix_fmt=str(ctx.pix_fmt or ""),
        duration_s=frames / fps if fps else 0.0,
        stream_duration_s=_stream_seconds(stream),
        bit_rate=int(ctx.bit_rate) if ctx.bit_rate else None,
    )
