"""The `morph` video backend: an animated shot from its two keyframes, on the CPU.

The shot holds its start keyframe with the camera move, then changes to the end keyframe by a
cut or a short dissolve (see `edit`); in a talking close-up it cuts to whoever speaks. Painted
keyframes are drawn again from their description as layers, so people breathe, sway and blink
and the background moves with parallax; any other keyframe moves as one flat picture. Frame 0
is the start keyframe and the last frame the end keyframe, pixel for pixel before encoding.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sparkle_cli.backends.base import Box, ClipRequest, ClipResult, FaceInfo, VideoBackend
from sparkle_cli.backends.image.layers import Layers, compose, from_image
from sparkle_cli.backends.video.animator import Animator, ShotView
from sparkle_cli.backends.video.camera import parse_motion
from sparkle_cli.backends.video.edit import END, START, Line, View, close_up, plan_edit
from sparkle_cli.media.video import ENCODER_THREADS, VideoWriter, psnr

#: A painted description must give back its keyframe at least this well, else the keyframe's pixels are used.
REPAINT_MIN_PSNR_DB = 45.0
#: A static camera's slow creep over the whole shot (a zoom factor), so that no shot is a still picture.
STATIC_DRIFT = 1.015
#: JSON has no infinity: identical frames report this PSNR.
PSNR_CAP_DB = 100.0


@dataclass(frozen=True)
class Fit:
    """How a keyframe was scaled and centre-cropped to the clip size."""

    scale: float = 1.0
    left: float = 0.0
    top: float = 0.0

    def box(self, box: Box) -> Box:
        x, y, w, h = box
        return (
            int(round(x * self.scale - self.left)),
            int(round(y * self.scale - self.top)),
            max(1, int(round(w * self.scale))),
            max(1, int(round(h * self.scale))),
        )


def fit_to(image: Image.Image, width: int, height: int) -> tuple[Image.Image, Fit]:
    """Scale to cover width x height without distortion, then crop the centre."""
    if image.size == (width, height):
        return image, Fit()
    scale = max(width / image.width, height / image.height)
    scaled_w = max(width, round(image.width * scale))
    scaled_h = max(height, round(image.height * scale))
    left = (scaled_w - width) // 2
    top = (scaled_h - height) // 2
    resized = image.resize((scaled_w, scaled_h), Image.Resampling.LANCZOS)
    cropped = resized.crop((left, top, left + width, top + height))
    return cropped, Fit(scale=scaled_w / image.width, left=float(left), top=float(top))


def load_keyframe(path: str | Path, width: int, height: int) -> tuple[Image.Image, Fit]:
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    return fit_to(rgb, width, height)


def keyframe_layers(image: Image.Image, scene: dict[str, Any] | None, width: int, height: int) -> tuple[Layers, bool]:
    """The keyframe as layers: painted again from its description when that gives back the same
    picture (same painter, same size, image untouched), else its pixels as one flat layer."""
    if scene:
        from sparkle_cli.backends.image.painter import layers_for

        layers = layers_for(scene, width, height)
        if layers is not None and psnr(compose(layers), np.asarray(image)) >= REPAINT_MIN_PSNR_DB:
            return layers, True
    return from_image(image), False


def _view_info(layers: Layers, painted: bool, faces: list[Any]) -> View:
    if painted:
        return View(layers.subject, frozenset(f.character_id for f in layers.faces if _big(f.face_box)))
    return View(None, frozenset(f.character_id for f in faces))


def _big(box: Box) -> bool:
    from sparkle_cli.backends.image.painter import MIN_FACE

    return box[3] >= MIN_FACE


def _lines(request: ClipRequest) -> list[Line]:
    fps, n = request.fps, request.num_frames
    out = []
    for ln in request.lines:
        a, b = round(float(ln["start_s"]) * fps), round(float(ln["end_s"]) * fps)
        if b > 0 and a < n:
            out.append(Line(str(ln["character_id"]), max(0, a), min(n, b), str(ln.get("line_id", ""))))
    return out


class EncoderThread:
    """Encodes frames on a second thread while the next ones are drawn: both halves spend their
    time in C code that releases the interpreter lock, so two cores work on one shot."""

    def __init__(self, writer: VideoWriter, depth: int = 6) -> None:
        self.writer = writer
        self.queue: queue.Queue[tuple[np.ndarray, bool] | None] = queue.Queue(depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="sparkle-encode", daemon=True)

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.writer.write(item[0], keyframe=item[1])
                except BaseException as error:  # handed to the drawing thread, which raises it
                    self.error = error

    def put(self, pixels: np.ndarray, keyframe: bool = False) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((pixels, keyframe))

    def __enter__(self) -> EncoderThread:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None and exc[0] is None:
            raise self.error


def first_last_frames(path: str | Path, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """The first and last frames as encoded. The last frame is written as a keyframe, so decoding
    from it is enough; a file that does not allow that is decoded to the end."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        first_frame = next(container.decode(stream), None)
        if first_frame is None:
            raise RuntimeError(f"{path} has no decodable video frames")
        first = first_frame.to_ndarray(format="rgb24")
        last = first_frame
        if frames > 1:
            target = int((frames - 1) / (stream.average_rate or 1) / stream.time_base) if stream.time_base else 0
            try:
                container.seek(target, stream=stream, backward=True)
            except av.FFmpegError:
                container.seek(0, stream=stream)
            for frame in container.decode(stream):
                last = frame
    return first, last.to_ndarray(format="rgb24")


def _fitted(face: FaceInfo, fit: Fit) -> FaceInfo:
    return FaceInfo(face.character_id, fit.box(face.face_box), fit.box(face.mouth_box))


def _db(value: float) -> float:
    return round(min(value, PSNR_CAP_DB), 3)


class MorphBackend(VideoBackend):
    """An animatic from the keyframes: holds, cuts, camera moves with parallax, breathing and blinks."""

    name = "morph"
    version = "2"

    def render(self, request: ClipRequest, out_path: Path) -> ClipResult:
        if request.num_frames < 1:
            raise ValueError(f"shot {request.shot_id}: num_frames must be at least 1, got {request.num_frames}")
        if request.width % 2 or request.height % 2:
            raise ValueError(
                f"shot {request.shot_id}: H.264 (yuv420p) needs an even size, got {request.width}x{request.height}"
            )
        w, h = request.width, request.height
        start, start_fit = load_keyframe(request.start_image, w, h)
        end, end_fit = load_keyframe(request.end_image, w, h)
        start_layers, start_painted = keyframe_layers(start, request.start_scene, w, h)
        end_layers, end_painted = keyframe_layers(end, request.end_scene, w, h)
        start_faces = [_fitted(f, start_fit) for f in request.start_faces]
        end_faces = [_fitted(f, end_fit) for f in request.end_faces]
        views = {
            START: ShotView.of(START, start_layers, start_painted, [] if start_painted else start_faces),
            END: ShotView.of(END, end_layers, end_painted, [] if end_painted else end_faces),
        }
        lines = _lines(request)
        # Close-ups of other speakers are painted from a painted keyframe of the shot, in its place and light.
        source = next(
            (
                scene
                for scene, painted, layers in (
                    (request.start_scene, start_painted, start_layers),
                    (request.end_scene, end_painted, end_layers),
                )
                if painted and layers.subject
            ),
            request.start_scene if start_painted else request.end_scene if end_painted else None,
        )
        segments = plan_edit(
            request.num_frames,
            request.fps,
            lines,
            _view_info(start_layers, start_painted, start_faces),
            _view_info(end_layers, end_painted, end_faces),
            talking=request.talking_closeup,
            can_close_up=source is not None,
        )
        for seg in segments:
            if seg.view not in views and source is not None:
                from sparkle_cli.backends.image.painter import layers_for

                cid = seg.view.split(":", 1)[1]
                layers = layers_for(source, w, h, closeup_character=cid)
                if layers is not None:
                    views[seg.view] = ShotView.of(seg.view, layers, True)
        missing = [s.view for s in segments if s.view not in views]
        if missing:
            raise RuntimeError(f"shot {request.shot_id}: could not paint the close-ups {sorted(set(missing))}")
        move = parse_motion(request.motion_prompt)
        if move.kinds == ("static",):
            # Even a locked-off shot breathes a little: an empty place held dead still reads as a
            # frozen picture (and is one, to QA).
            move = replace(move, zoom=STATIC_DRIFT)
        levels = None
        if request.voices:
            from sparkle_cli.backends.lipsync.amplitude import speech_levels

            levels = speech_levels(request.voices, request.fps, request.num_frames)
        animator = Animator(
            views,
            segments,
            move,
            num_frames=request.num_frames,
            fps=request.fps,
            seed=request.seed,
            lines=lines,
            mouths=levels,
        )

        ids = sorted(
            {f.character_id for v in views.values() for f in v.layers.faces}
            | {f.character_id for v in views.values() for f in v.flat_faces}
        )
        mouths: dict[str, list[Box | None]] = {cid: [] for cid in ids}
        faces: dict[str, list[Box | None]] = {cid: [] for cid in ids}
        began = time.perf_counter()
        with VideoWriter(
            out_path,
            fps=request.fps,
            width=w,
            height=h,
            crf=int(self.options.get("crf", 18)),
            preset=str(self.options.get("preset", "veryfast")),
            threads=int(self.options.get("threads", ENCODER_THREADS)),
        ) as writer:
            final = request.num_frames - 1
            with EncoderThread(writer) as encoder:
                for i, frame in enumerate(animator.frames()):
                    # The last frame is the next shot's first: encode it as well as that one.
                    encoder.put(frame.pixels, keyframe=i == final)
                    for cid in ids:
                        mouths[cid].append(frame.mouths.get(cid))
                        faces[cid].append(frame.faces.get(cid))
        render_s = time.perf_counter() - began

        first, last = first_last_frames(out_path, request.num_frames)
        # A one-frame clip is the start keyframe alone.
        last_target = end if request.num_frames > 1 else start
        camera = move.to_dict() | {"easing": "smoothstep", "seed": request.seed}
        return ClipResult(
            path=str(out_path),
            num_frames=request.num_frames,
            fps=request.fps,
            width=w,
            height=h,
            camera=camera,
            mouth_tracks=mouths,
            face_tracks=faces,
            metadata={
                "first_frame_psnr_db": _db(psnr(first, np.asarray(start))),
                "last_frame_psnr_db": _db(psnr(last, np.asarray(last_target))),
                "render_s": round(render_s, 4),
                "render_fps": round(request.num_frames / render_s, 1) if render_s > 0 else None,
                "edit": [s.to_dict() for s in segments],
                "views": {name: v.source for name, v in views.items()},
                "parallax": {name: v.depth for name, v in views.items()},
                "keyframes_resized": [start_fit != Fit(), end_fit != Fit()],
                # The speakers' mouths are drawn from their voices (the loudness lipsync, done here).
                "mouths": "drawn" if levels is not None else "closed",
            },
        )


__all__ = ["END", "START", "Fit", "MorphBackend", "close_up", "fit_to", "load_keyframe"]
