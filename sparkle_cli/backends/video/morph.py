"""The `morph` video backend: a camera move over two keyframes with a seeded dissolve, on the CPU.

Frame 0 is the start keyframe and the last frame the end keyframe, pixel for pixel; in between
each keyframe is seen through the camera and the two are blended.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from sparkle_cli.backends.base import Box, ClipRequest, ClipResult, FaceInfo, VideoBackend
from sparkle_cli.backends.video.camera import (
    CameraMove,
    apply_affine,
    camera_affine,
    end_affine,
    is_identity,
    parse_motion,
    smoothstep,
    transform_box,
)
from sparkle_cli.media.video import ENCODER_THREADS, VideoWriter, first_last_frames, psnr, rgb_to_yuv420p

#: Peak change of the blend weight across the image mid-shot, from the seeded field.
DISSOLVE_AMPLITUDE = 0.2
#: Blend weights are computed on a grid this much coarser than the frame, then smoothed up.
WEIGHT_STEP = 4
#: Width (fraction of the frame width) over which a keyframe fades out past its own edge.
EDGE_FEATHER = 0.02
#: Edge-replicated border around each keyframe, as a fraction of its size.
PAD_FRACTION = 0.25
#: A mouth box less visible than this is reported as out of frame.
MOUTH_MIN_VISIBLE = 0.5
#: JSON has no infinity: identical frames report this PSNR.
PSNR_CAP_DB = 100.0


# --- keyframes -------------------------------------------------------------------------


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


class Warper:
    """One image plane, padded by edge replication, resampled through camera matrices.

    `scale` is the plane's size relative to the frame (0.5 for yuv420p chroma); matrices
    are always given in frame pixels.
    """

    def __init__(self, plane: Image.Image, scale: float = 1.0) -> None:
        self.image = plane
        self.scale = scale
        self.width, self.height = plane.size
        self.mx = int(math.ceil(self.width * PAD_FRACTION)) + 2
        self.my = int(math.ceil(self.height * PAD_FRACTION)) + 2
        array = np.asarray(plane)
        pad = ((self.my, self.my), (self.mx, self.mx)) + ((0, 0),) * (array.ndim - 2)
        self.padded = Image.fromarray(np.pad(array, pad, mode="edge"))

    def warp(self, affine: np.ndarray) -> Image.Image:
        """The plane as seen through `affine` (output pixel -> keyframe pixel)."""
        if is_identity(affine):
            return self.image
        size = (self.width, self.height)
        a, b, c = (float(v) for v in affine[0])
        d, e, f = (float(v) for v in affine[1])
        c, f = c * self.scale + self.mx, f * self.scale + self.my
        if abs(b) < 1e-12 and abs(d) < 1e-12 and a > 0 and e > 0:
            # No rotation: a box resize is separable and several times faster than transform.
            pw, ph = self.padded.size
            box = (
                min(max(c, 0.0), pw - 1.0),
                min(max(f, 0.0), ph - 1.0),
                min(max(a * self.width + c, 1.0), float(pw)),
                min(max(e * self.height + f, 1.0), float(ph)),
            )
            return self.padded.resize(size, Image.Resampling.BILINEAR, box=box)
        data = (a, b, c, d, e, f)
        return self.padded.transform(size, Image.Transform.AFFINE, data, resample=Image.Resampling.BILINEAR)


def keyframe_planes(image: Image.Image, yuv: bool) -> list[Warper]:
    """The planes the renderer blends: Y, U, V (what the encoder takes) or one RGB plane."""
    if not yuv:
        return [Warper(image)]
    y, u, v = rgb_to_yuv420p(np.asarray(image))
    return [Warper(Image.fromarray(y)), Warper(Image.fromarray(u), 0.5), Warper(Image.fromarray(v), 0.5)]


# --- blend weights (pure) --------------------------------------------------------------


def weight_grid(width: int, height: int, step: int = WEIGHT_STEP) -> tuple[np.ndarray, np.ndarray]:
    """Centres (x, y) of the coarse weight cells, in output pixels, as (h, w) arrays."""
    gw, gh = max(1, math.ceil(width / step)), max(1, math.ceil(height / step))
    xs = (np.arange(gw) + 0.5) * (width / gw)
    ys = (np.arange(gh) + 0.5) * (height / gh)
    return np.meshgrid(xs, ys)


def dissolve_field(gx: np.ndarray, gy: np.ndarray, width: int, height: int, seed: int) -> np.ndarray:
    """A smooth seeded field in [-1, 1]: where the dissolve runs a little ahead or behind."""
    rng = np.random.default_rng([abs(int(seed)), 0xD155])
    field = np.zeros_like(gx)
    total = 0.0
    for amplitude in (1.0, 0.6, 0.35):
        fx, fy = rng.uniform(-1.6, 1.6, size=2)
        phase = rng.uniform(0.0, 2.0 * math.pi)
        field += amplitude * np.sin(2.0 * math.pi * (fx * gx / width + fy * gy / height) + phase)
        total += amplitude
    return field / total


def coverage(affine: np.ndarray, gx: np.ndarray, gy: np.ndarray, width: int, height: int) -> np.ndarray:
    """1 where the camera sees inside the keyframe, falling to 0 just past its edges."""
    pts = apply_affine(affine, np.stack([gx.ravel(), gy.ravel()], axis=1))
    sx, sy = pts[:, 0], pts[:, 1]
    outside = np.maximum.reduce([-sx, sx - width, -sy, sy - height, np.zeros_like(sx)])
    feather = max(1.0, EDGE_FEATHER * width)
    return np.clip(1.0 - outside / feather, 0.0, 1.0).reshape(gx.shape)


def blend_weight(t: float) -> float:
    """The share of the end keyframe at time t: exactly 0 at t = 0 and 1 at t = 1."""
    return smoothstep(t)


def blend_weights(
    t: float,
    field: np.ndarray,
    cover_start: np.ndarray,
    cover_end: np.ndarray,
    amplitude: float = DISSOLVE_AMPLITUDE,
) -> np.ndarray:
    """Per-cell end-keyframe weight at time t.

    The field shifts the dissolve locally mid-shot (never at the ends), and where one
    keyframe would show past its edge the other takes over.
    """
    w = blend_weight(t)
    if w <= 0.0:
        return np.zeros_like(field)
    if w >= 1.0:
        return np.ones_like(field)
    local = np.clip(w + amplitude * 4.0 * t * (1.0 - t) * field, 0.0, 1.0)
    end_part = local * cover_end
    total = end_part + (1.0 - local) * cover_start
    return np.where(total > 1e-9, end_part / np.maximum(total, 1e-9), local)


# --- rendering -------------------------------------------------------------------------


def frame_times(num_frames: int) -> list[float]:
    if num_frames <= 1:
        return [0.0] * max(0, num_frames)
    return [i / (num_frames - 1) for i in range(num_frames)]


def plane_masks(coarse: Image.Image, sizes: list[tuple[int, int]]) -> dict[tuple[int, int], Image.Image]:
    """The coarse weight mask smoothed up to each plane size."""
    masks: dict[tuple[int, int], Image.Image] = {}
    for size in sorted(set(sizes)):
        half = (size[0] // 2, size[1] // 2)
        if half in masks and half[0] * 2 == size[0] and half[1] * 2 == size[1]:
            # The mask is already smooth at half size; doubling it costs a fifth of a bilinear pass.
            masks[size] = masks[half].resize(size, Image.Resampling.NEAREST)
        else:
            masks[size] = coarse.resize(size, Image.Resampling.BILINEAR)
    return masks


class FrameRenderer:
    """Everything about a shot that does not change from frame to frame.

    With `yuv=True` frames come out as yuv420p planes, which skips a colour conversion
    per frame; the RGB form is for previews and tests.
    """

    def __init__(self, start: Image.Image, end: Image.Image, move: CameraMove, seed: int, *, yuv: bool = False) -> None:
        self.width, self.height = start.size
        self.move = move
        self.seed = seed
        self.start = keyframe_planes(start, yuv)
        self.end = keyframe_planes(end, yuv)
        self.gx, self.gy = weight_grid(self.width, self.height)
        self.field = dissolve_field(self.gx, self.gy, self.width, self.height, seed)

    def affines(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        args = (self.move, t, self.width, self.height, self.seed)
        return camera_affine(*args), end_affine(*args)

    def weights(self, t: float, a_start: np.ndarray, a_end: np.ndarray) -> np.ndarray:
        """The end keyframe's share per coarse cell, quantized to a 0..255 mask."""
        cover_start = coverage(a_start, self.gx, self.gy, self.width, self.height)
        cover_end = coverage(a_end, self.gx, self.gy, self.width, self.height)
        weights = blend_weights(t, self.field, cover_start, cover_end)
        return np.rint(weights * 255.0).astype(np.uint8)

    def planes(self, t: float) -> list[np.ndarray]:
        a_start, a_end = self.affines(t)
        mask = self.weights(t, a_start, a_end)
        if not mask.any():
            return [np.asarray(p.warp(a_start)) for p in self.start]
        if (mask == 255).all():
            return [np.asarray(p.warp(a_end)) for p in self.end]
        masks = plane_masks(Image.fromarray(mask), [p.image.size for p in self.start])
        return [
            np.asarray(Image.composite(last.warp(a_end), first.warp(a_start), masks[first.image.size]))
            for first, last in zip(self.start, self.end, strict=True)
        ]

    def frame(self, t: float) -> np.ndarray:
        """One RGB frame (for a renderer built with yuv=False)."""
        if len(self.start) != 1:
            raise RuntimeError("this renderer makes yuv420p planes; build it with yuv=False for RGB")
        return self.planes(t)[0]


def mouth_tracks(
    request: ClipRequest,
    move: CameraMove,
    start_fit: Fit,
    end_fit: Fit,
) -> dict[str, list[Box | None]]:
    """Per character, the mouth box in each frame, seen through the dominant keyframe's camera."""
    start_faces = {f.character_id: f for f in request.start_faces}
    end_faces = {f.character_id: f for f in request.end_faces}
    ids = list(dict.fromkeys([*start_faces, *end_faces]))
    size = (request.width, request.height)
    tracks: dict[str, list[Box | None]] = {cid: [] for cid in ids}
    for t in frame_times(request.num_frames):
        use_end = blend_weight(t) >= 0.5
        faces, fit = (end_faces, end_fit) if use_end else (start_faces, start_fit)
        camera = end_affine if use_end else camera_affine
        affine = camera(move, t, *size, request.seed)
        for cid in ids:
            face: FaceInfo | None = faces.get(cid)
            box = None
            if face is not None:
                box = transform_box(fit.box(face.mouth_box), affine, *size, min_visible=MOUTH_MIN_VISIBLE)
            tracks[cid].append(box)
    return tracks


def _db(value: float) -> float:
    return round(min(value, PSNR_CAP_DB), 3)


class MorphBackend(VideoBackend):
    """Keyframe-to-keyframe camera move with a dissolve; no model, runs anywhere."""

    name = "morph"
    version = "1"

    def render(self, request: ClipRequest, out_path: Path) -> ClipResult:
        if request.num_frames < 1:
            raise ValueError(f"shot {request.shot_id}: num_frames must be at least 1, got {request.num_frames}")
        if request.width % 2 or request.height % 2:
            raise ValueError(
                f"shot {request.shot_id}: H.264 (yuv420p) needs an even size, got {request.width}x{request.height}"
            )
        size = (request.width, request.height)
        start, start_fit = load_keyframe(request.start_image, *size)
        end, end_fit = load_keyframe(request.end_image, *size)
        move = parse_motion(request.motion_prompt)
        renderer = FrameRenderer(start, end, move, request.seed, yuv=True)

        began = time.perf_counter()
        with VideoWriter(
            out_path,
            fps=request.fps,
            width=request.width,
            height=request.height,
            crf=int(self.options.get("crf", 18)),
            preset=str(self.options.get("preset", "veryfast")),
            threads=int(self.options.get("threads", ENCODER_THREADS)),
        ) as writer:
            times = frame_times(request.num_frames)
            for i, t in enumerate(times):
                # The last frame is the next shot's first: encode it as well as that one.
                writer.write_yuv420p(*renderer.planes(t), keyframe=i == len(times) - 1)
        render_s = time.perf_counter() - began

        first, last = first_last_frames(out_path)
        # A one-frame clip is the start keyframe alone.
        last_target = end if request.num_frames > 1 else start
        camera = move.to_dict() | {"easing": "smoothstep", "seed": request.seed}
        return ClipResult(
            path=str(out_path),
            num_frames=request.num_frames,
            fps=request.fps,
            width=request.width,
            height=request.height,
            camera=camera,
            mouth_tracks=mouth_tracks(request, move, start_fit, end_fit),
            metadata={
                "first_frame_psnr_db": _db(psnr(first, np.asarray(start))),
                "last_frame_psnr_db": _db(psnr(last, np.asarray(last_target))),
                "render_s": round(render_s, 4),
                "render_fps": round(request.num_frames / render_s, 1) if render_s > 0 else None,
                "dissolve_amplitude": DISSOLVE_AMPLITUDE,
                "keyframes_resized": [start_fit != Fit(), end_fit != Fit()],
            },
        )
