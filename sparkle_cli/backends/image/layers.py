"""A picture as layers (a background with painted margins, figure sprites, weather) and the frames they make.

The painter builds the layers once; a keyframe is `compose` with every layer where it was
painted, and the animator calls the same function with the layers moved, so motion never
needs to blend finished pictures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageChops

from sparkle_cli.backends.base import Box
from sparkle_cli.backends.image.faces import Eye, draw_lids

Affine = np.ndarray  # 2x3: an output pixel (x, y, 1) -> a pixel of the keyframe, as in the camera module
RGB = tuple[int, int, int]

#: The background is painted this far past each edge of the frame (a fraction of its size).
MARGIN = 0.06
#: Past the painted margin, edge pixels repeat this much further, so no camera move reads outside.
PAD = 0.2


@dataclass
class FaceMarks:
    """A face on a sprite, in keyframe pixels: where the mouth and eyes are and the colours a blink needs."""

    character_id: str
    face_box: Box
    mouth_box: Box
    eyes: list[Eye]
    skin: RGB
    lash: RGB


@dataclass
class Sprite:
    """One figure on its own transparent image ("RGBa", premultiplied), placed at (x, y) in the keyframe."""

    id: str
    image: Image.Image
    x: int
    y: int
    pivot: tuple[float, float]  # where it stands: breathing and swaying are about this point
    head_top: float
    face: FaceMarks | None = None
    back: bool = False
    _straight: Image.Image | None = field(default=None, repr=False, compare=False)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size

    @property
    def straight(self) -> Image.Image:
        """The sprite in straight alpha ("RGBA"), as `paste` takes it; made once."""
        if self._straight is None:
            self._straight = self.image.convert("RGBA")
        return self._straight


@dataclass
class Drift:
    """Weather in front of the lens ("RGBA", frame size); it wraps around as it drifts, in pixels per second."""

    image: Image.Image
    speed: tuple[float, float] = (0.0, 0.0)


@dataclass
class Layers:
    """Everything a frame of this picture is made of."""

    width: int
    height: int
    background: Image.Image  # "RGB", the frame plus `ox`, `oy` pixels on every side
    ox: int
    oy: int
    sprites: list[Sprite] = field(default_factory=list)
    weather: list[Drift] = field(default_factory=list)
    vignette: Image.Image | None = None  # "RGB", 255 times the darkening factor
    subject: str | None = None  # whose talking close-up this is

    @property
    def faces(self) -> list[FaceMarks]:
        return [s.face for s in self.sprites if s.face is not None]


def identity() -> Affine:
    return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def pad_background(painted: np.ndarray, ox: int, oy: int) -> tuple[Image.Image, int, int]:
    """The painted background with its edges repeated a little further; returns it and the frame's new offset."""
    h, w = painted.shape[:2]
    fw, fh = w - 2 * ox, h - 2 * oy
    px, py = int(math.ceil(PAD * fw)) + 2, int(math.ceil(PAD * fh)) + 2
    padded = np.pad(painted, ((py, py), (px, px), (0, 0)), mode="edge")
    return Image.fromarray(padded), ox + px, oy + py


def from_image(image: Image.Image) -> Layers:
    """A keyframe known only by its pixels: one flat layer, its edges repeated for camera moves."""
    rgb = np.asarray(image.convert("RGB"))
    background, ox, oy = pad_background(rgb, 0, 0)
    return Layers(image.width, image.height, background, ox, oy)


def _axis_aligned(m: Affine) -> bool:
    return abs(float(m[0, 1])) < 1e-12 and abs(float(m[1, 0])) < 1e-12 and m[0, 0] > 0 and m[1, 1] > 0


def _is_shift(m: Affine) -> bool:
    """Identity up to a whole-pixel shift: the warp is a plain copy."""
    return (
        _axis_aligned(m)
        and abs(float(m[0, 0]) - 1) < 1e-9
        and abs(float(m[1, 1]) - 1) < 1e-9
        and abs(float(m[0, 2]) - round(float(m[0, 2]))) < 1e-6
        and abs(float(m[1, 2]) - round(float(m[1, 2]))) < 1e-6
    )


def _background(layers: Layers, m: Affine) -> Image.Image:
    """The background seen through `m` (output pixel -> keyframe pixel)."""
    w, h = layers.width, layers.height
    bw, bh = layers.background.size
    c, f = float(m[0, 2]) + layers.ox, float(m[1, 2]) + layers.oy
    if _is_shift(m):
        x0, y0 = int(round(c)), int(round(f))
        x0, y0 = min(max(x0, 0), bw - w), min(max(y0, 0), bh - h)
        return layers.background.crop((x0, y0, x0 + w, y0 + h))
    a, e = float(m[0, 0]), float(m[1, 1])
    if _axis_aligned(m):
        box = (
            min(max(c, 0.0), bw - 1.0),
            min(max(f, 0.0), bh - 1.0),
            min(max(a * w + c, 1.0), float(bw)),
            min(max(e * h + f, 1.0), float(bh)),
        )
        return layers.background.resize((w, h), Image.Resampling.BILINEAR, box=box)
    data = (a, float(m[0, 1]), c, float(m[1, 0]), e, f)
    return layers.background.transform((w, h), Image.Transform.AFFINE, data, resample=Image.Resampling.BILINEAR)


def _paste_sprite(frame: Image.Image, sprite: Sprite, m: Affine) -> None:
    """Lay `sprite`, seen through `m` (output pixel -> keyframe pixel), over `frame`."""
    w, h = frame.size
    sw, sh = sprite.size
    c, f = float(m[0, 2]) - sprite.x, float(m[1, 2]) - sprite.y
    if _is_shift(m):
        part = sprite.straight
        frame.paste(part, (int(round(-c)), int(round(-f))), part)
        return
    a, e = float(m[0, 0]), float(m[1, 1])
    if _axis_aligned(m):
        # Output pixels whose source lies inside the sprite; its transparent border absorbs the rounding.
        ox0, ox1 = max(0, math.ceil(-c / a)), min(w, math.floor((sw - c) / a))
        oy0, oy1 = max(0, math.ceil(-f / e)), min(h, math.floor((sh - f) / e))
        if ox1 <= ox0 or oy1 <= oy0:
            return
        box = (
            max(0.0, a * ox0 + c),
            max(0.0, e * oy0 + f),
            min(float(sw), a * ox1 + c),
            min(float(sh), e * oy1 + f),
        )
        part = sprite.image.resize((ox1 - ox0, oy1 - oy0), Image.Resampling.BILINEAR, box=box).convert("RGBA")
        frame.paste(part, (ox0, oy0), part)
        return
    data = (a, float(m[0, 1]), c, float(m[1, 0]), e, f)
    part = sprite.image.transform((w, h), Image.Transform.AFFINE, data, resample=Image.Resampling.BILINEAR)
    part = part.convert("RGBA")
    frame.paste(part, (0, 0), part)


def _eyes_through(face: FaceMarks, m: Affine) -> tuple[list[Eye], float]:
    """The face's eyes in output pixels, and the scale they are seen at."""
    full = np.vstack([m, [0.0, 0.0, 1.0]])
    inv = np.linalg.inv(full)[:2]
    scale = 1.0 / math.sqrt(abs(float(np.linalg.det(m[:, :2])))) if np.linalg.det(m[:, :2]) else 1.0
    out = []
    for ex, ey, rx, ry in face.eyes:
        x, y = inv @ np.array([ex, ey, 1.0])
        out.append((float(x), float(y), rx, ry))
    return out, scale


def compose(
    layers: Layers,
    background: Affine | None = None,
    sprites: list[Affine] | None = None,
    *,
    seconds: float = 0.0,
    lids: list[float] | None = None,
) -> np.ndarray:
    """One RGB frame: the background and each sprite seen through its own matrix, the weather drifted by
    `seconds`, eyelids closed by `lids` (one value per sprite), then the vignette.

    With no matrices and no time this is the keyframe as painted.
    """
    # Every path through `_background` makes a new image, so it can be drawn on.
    frame = _background(layers, identity() if background is None else background)
    moves = sprites if sprites is not None else [identity()] * len(layers.sprites)
    for sprite, m in zip(layers.sprites, moves, strict=True):
        _paste_sprite(frame, sprite, m)
    if lids and any(v > 0.02 for v in lids):
        pixels = np.array(frame)
        for sprite, m, closure in zip(layers.sprites, moves, lids, strict=True):
            if sprite.face is not None and closure > 0.02:
                eyes, scale = _eyes_through(sprite.face, m)
                draw_lids(pixels, eyes, closure, sprite.face.skin, sprite.face.lash, scale)
        frame = Image.fromarray(pixels)
    for drift in layers.weather:
        dx, dy = (int(round(v * seconds)) for v in drift.speed)
        moved = ImageChops.offset(drift.image, dx, dy) if (dx or dy) else drift.image
        frame.paste(moved, (0, 0), moved)
    if layers.vignette is not None:
        frame = ImageChops.multiply(frame, layers.vignette)
    return np.asarray(frame)
