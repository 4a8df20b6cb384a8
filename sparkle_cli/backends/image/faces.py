"""Faces shared by the keyframe painter and the lip-sync pass.

`draw_face` paints eyes, brows, nose, cheeks and a closed mouth on an already painted head;
`draw_mouth` repaints the mouth at any openness, so animation starts from the painted mouth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sparkle_cli.backends.base import Box

RGB = tuple[int, int, int]

_INTERIOR = np.array([58, 18, 26], np.float32)
_TEETH = np.array([238, 232, 224], np.float32)
_TONGUE = np.array([196, 92, 104], np.float32)
_LIP_TINT = np.array([178, 72, 86], np.float32)
# Samples per mouth draw; bounded so that large portrait mouths stay fast.
_MOUTH_SAMPLES = 48_000


@dataclass(frozen=True)
class FaceLook:
    """Colours of one character's face; the skin itself is sampled from the painted head."""

    eye: RGB = (52, 40, 34)
    brow: RGB = (60, 42, 30)
    blush: float = 0.22


def mouth_box_for(face_box: Box, turn: float = 0.0) -> Box:
    """Where the mouth sits in a face box (the head oval); `turn` in [-1, 1] looks sideways."""
    x, y, w, h = face_box
    mw = max(6, round(w * 0.36))
    mh = max(5, round(h * 0.16))
    cx = x + w * (0.5 + 0.09 * turn)
    cy = y + h * 0.78
    return (round(cx - mw / 2), round(cy - mh / 2), mw, mh)


def _clip_box(frame: np.ndarray, box: Box) -> tuple[int, int, int, int] | None:
    x, y, w, h = box
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(frame.shape[1], x + w), min(frame.shape[0], y + h)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    return x0, y0, x1, y1


def _restore_skin(region: np.ndarray) -> np.ndarray:
    """Coons patch from the box's outer ring: reproduces smooth skin shading under the mouth."""
    h, w = region.shape[:2]
    u = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
    v = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    left, right = region[:, :1], region[:, -1:]
    top, bottom = region[:1], region[-1:]
    c00, c01, c10, c11 = region[0, 0], region[0, -1], region[-1, 0], region[-1, -1]
    horizontal = left * (1 - u) + right * u
    vertical = top * (1 - v) + bottom * v
    corners = (c00 * (1 - u) + c01 * u) * (1 - v) + (c10 * (1 - u) + c11 * u) * v
    return horizontal + vertical - corners


def _ring(region: np.ndarray) -> np.ndarray:
    return np.concatenate([region[0], region[-1], region[1:-1, 0], region[1:-1, -1]])


def _light_of(skin: np.ndarray) -> float:
    """How lit a face is, guessed from its skin: about 1 in daylight, lower in the dark."""
    return float(np.clip(skin.mean() / 190.0, 0.35, 1.0))


def default_lip_color(skin: np.ndarray) -> np.ndarray:
    return (skin * 0.55 + _LIP_TINT * 0.45 * _light_of(skin)) * 0.92


def _coverage(mask: np.ndarray, s: int, h: int, w: int) -> np.ndarray:
    return mask.reshape(h, s, w, s).mean(axis=(1, 3), dtype=np.float32)[..., None]


def draw_mouth(frame: np.ndarray, mouth_box: Box, openness: float, *, lip_color: RGB | None = None) -> None:
    """Paint a mouth in place inside `mouth_box`, from closed lips (0) to wide open (1).

    Only pixels strictly inside the box change: its outer ring is the skin the mouth is
    painted over, so drawing again at another openness first restores that skin.
    """
    clipped = _clip_box(frame, mouth_box)
    if clipped is None:
        return
    x0, y0, x1, y1 = clipped
    region = frame[y0:y1, x0:x1].astype(np.float32)
    skin = np.median(_ring(region), axis=0)
    lip = np.asarray(lip_color, np.float32) if lip_color is not None else default_lip_color(skin)
    # Teeth and mouth interior take the light the skin is in, so a night-lit face has no glowing teeth.
    light = _light_of(skin)
    h, w = region.shape[0] - 2, region.shape[1] - 2
    out = _restore_skin(region)[1:-1, 1:-1]

    s = int(max(2, min(4, np.sqrt(_MOUTH_SAMPLES / (w * h)))))
    # The mouth is centred on the whole box, whose ring lies outside `inner`.
    bx, by, bw, bh = mouth_box
    cx = bx + bw / 2 - (x0 + 1)
    cy = by + bh / 2 - (y0 + 1)
    xs = (np.arange(w * s, dtype=np.float32) + 0.5) / s - cx
    ys = ((np.arange(h * s, dtype=np.float32) + 0.5) / s - cy)[:, None]
    o = float(np.clip(openness, 0.0, 1.0))

    a = bw * 0.36 * (1.0 - 0.18 * o)
    t = np.clip(1.0 - (xs / a) ** 2, 0.0, 1.0)[None, :]
    taper = t**0.7
    line = max(0.8, bh * 0.1) * t**0.35
    centre = bh * 0.05 * t  # a slight smile: the corners sit higher
    upper = centre - o * bh * 0.26 * taper - line / 2
    lower = centre + o * bh * 0.34 * taper + line / 2
    inside = t > 0

    upper_lip = inside & (ys > upper - bh * 0.11 * t**0.5) & (ys <= upper)
    lower_lip = inside & (ys >= lower) & (ys < lower + bh * 0.14 * t**0.5)
    gap = inside & (ys > upper) & (ys < lower)
    teeth = gap & (ys < upper + 0.3 * (lower - upper)) & (np.abs(xs) < a * 0.62)[None, :]
    depth = np.maximum(lower - upper, 1e-3)
    tongue = gap & ((xs / (a * 0.55)) ** 2 + ((ys - lower) / (0.42 * depth)) ** 2 < 1.0)

    line_color = lip * 0.48
    gap_color = line_color + (_INTERIOR * light - line_color) * float(np.clip(o / 0.25, 0.0, 1.0))
    layers = (
        (upper_lip, lip * 0.94, 0.55),
        (lower_lip, lip * 1.06, 0.55),
        (gap, gap_color, 1.0),
        (teeth, _TEETH * (0.75 + 0.2 * o) * light, min(1.0, o * 3.0)),
        (tongue, _TONGUE * light, min(1.0, o * 2.5)),
    )
    for mask, color, strength in layers:
        if strength <= 0:
            continue
        alpha = _coverage(mask, s, h, w) * strength
        out = out + (np.minimum(color, 255.0) - out) * alpha
    frame[y0 + 1 : y1 - 1, x0 + 1 : x1 - 1] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def soft_ellipse(
    frame: np.ndarray,
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    color: np.ndarray | RGB,
    alpha: float = 1.0,
    angle: float = 0.0,
    feather: float = 1.0,
) -> None:
    """Blend an anti-aliased (optionally rotated, feathered) ellipse into a uint8 frame."""
    if rx <= 0 or ry <= 0 or alpha <= 0:
        return
    ca, sa = np.cos(angle), np.sin(angle)

    def cover(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        u, v = xs * ca + ys * sa, -xs * sa + ys * ca
        d = np.sqrt((u / rx) ** 2 + (v / ry) ** 2)
        return np.clip((1.0 - d) * min(rx, ry) / feather + 0.5, 0.0, 1.0)

    _blend(frame, cx, cy, max(rx, ry) + feather + 1, color, alpha, cover)


def _blend(
    frame: np.ndarray,
    cx: float,
    cy: float,
    reach: float,
    color: np.ndarray | RGB,
    alpha: float,
    cover: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> None:
    """Blend `color` into the pixels within `reach` of (cx, cy), each by `cover(dx, dy) * alpha`, where
    dx (a row) and dy (a column) are the pixel centres' offsets from (cx, cy)."""
    x0, x1 = max(0, int(cx - reach)), min(frame.shape[1], int(cx + reach) + 2)
    y0, y1 = max(0, int(cy - reach)), min(frame.shape[0], int(cy + reach) + 2)
    if x1 <= x0 or y1 <= y0:
        return
    xs = np.arange(x0, x1, dtype=np.float32) + 0.5 - cx
    ys = (np.arange(y0, y1, dtype=np.float32) + 0.5 - cy)[:, None]
    amount = cover(xs, ys)[..., None] * alpha
    region = frame[y0:y1, x0:x1].astype(np.float32)
    region += (np.asarray(color, np.float32) - region) * amount
    frame[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


def _sample_skin(frame: np.ndarray, face_box: Box) -> np.ndarray:
    x, y, w, h = face_box
    cx, cy = x + w // 2, y + int(h * 0.66)
    r = max(1, w // 12)
    patch = frame[max(0, cy - r) : cy + r + 1, max(0, cx - r) : cx + r + 1].reshape(-1, 3)
    return np.median(patch, axis=0).astype(np.float32) if len(patch) else np.array([220, 180, 150], np.float32)


Eye = tuple[float, float, float, float]  # centre x, centre y, radius x, radius y of the eye white


def eye_marks(face_box: Box, turn: float = 0.0) -> list[Eye]:
    """Where the eyes sit on a head oval: the shape a blink's lids must cover."""
    x, y, w, h = face_box
    cx = x + w / 2 + w * 0.09 * turn
    eye_rx, eye_ry = max(0.9, w * 0.075), max(1.1, h * 0.085)
    big = h >= 90
    out = []
    for side in (-1, 1):
        ex = cx + side * w * 0.2 * (1.0 - 0.25 * turn * side)
        out.append((ex, y + h * 0.55, eye_rx * (1.25 if big else 1.0), eye_ry * (0.95 if big else 1.0)))
    return out


def draw_lids(frame: np.ndarray, eyes: list[Eye], closure: float, skin: RGB, lash: RGB, scale: float = 1.0) -> None:
    """Close the eyes by `closure` (0 open, 1 shut): skin-coloured lids coming down, a lash line at their edge."""
    if closure <= 0.02:
        return
    c = float(min(1.0, closure))
    for ex, ey, rx, ry in eyes:
        rx, ry = rx * scale * 1.12, ry * scale * 1.12
        # The lid is the upper part of a slightly larger eye shape, lowered as the eye closes.
        top = ey - ry
        edge = top + 2 * ry * c * 0.92
        mid = (top + edge) / 2
        soft_ellipse(frame, ex, mid, rx, max(0.6, (edge - top) / 2 + 0.3), skin)
        soft_ellipse(frame, ex, edge, rx * 0.95, max(0.5, ry * 0.14), lash, 0.85 * c)


def draw_face(
    frame: np.ndarray, face_box: Box, look: FaceLook = FaceLook(), *, turn: float = 0.0, light: float | None = None
) -> Box:
    """Paint the features of a face on the head oval `face_box`; returns the mouth box.

    `light` (about 0.3 at night, 1 at noon) dims the eyes and brows with the scene; without it
    the level is guessed from the painted skin.
    """
    x, y, w, h = face_box
    skin = _sample_skin(frame, face_box)
    light = float(np.clip(skin.mean() / 190.0 if light is None else light, 0.3, 1.1))
    shift = w * 0.09 * turn
    cx = x + w / 2 + shift
    eye_y = y + h * 0.55
    eye_rx, eye_ry = max(0.9, w * 0.075), max(1.1, h * 0.085)
    eye = np.asarray(look.eye, np.float32) * light
    brow = np.asarray(look.brow, np.float32) * light

    for side, (ex, _, _, _) in zip((-1, 1), eye_marks(face_box, turn), strict=True):
        bx = cx + side * w * 0.25
        soft_ellipse(
            frame,
            bx,
            y + h * 0.65,
            w * 0.08,
            h * 0.035,
            (235, 120, 120),
            look.blush * light,
            feather=max(1.0, w * 0.03),
        )
        if h >= 90:
            soft_ellipse(
                frame,
                ex,
                eye_y,
                eye_rx * 1.25,
                eye_ry * 0.95,
                np.array([244, 240, 236], np.float32) * min(1.0, light * 1.05),
            )
            soft_ellipse(frame, ex + shift * 0.25, eye_y, eye_rx * 0.8, eye_ry * 0.9, eye * 1.4)
            soft_ellipse(frame, ex + shift * 0.25, eye_y, eye_rx * 0.42, eye_ry * 0.48, (18, 14, 16))
            soft_ellipse(frame, ex, eye_y - eye_ry * 0.85, eye_rx * 1.35, max(0.8, eye_ry * 0.2), eye * 0.5)
        else:
            soft_ellipse(frame, ex + shift * 0.2, eye_y, eye_rx, eye_ry, eye)
        hl = max(0.6, eye_rx * 0.3)
        soft_ellipse(
            frame, ex + shift * 0.2 - eye_rx * 0.3, eye_y - eye_ry * 0.35, hl, hl, (255, 255, 255), 0.9 * light
        )
        soft_ellipse(frame, ex, y + h * 0.41, w * 0.09, max(0.7, h * 0.018), brow, 0.9, angle=side * 0.16)
    soft_ellipse(frame, cx + shift * 0.3, y + h * 0.665, w * 0.045, max(0.8, h * 0.022), skin * 0.8, 0.8)
    mouth = mouth_box_for(face_box, turn)
    draw_mouth(frame, mouth, 0.0)
    return mouth


def ring(
    frame: np.ndarray, cx: float, cy: float, rx: float, ry: float, width: float, color: RGB, alpha: float = 1.0
) -> None:
    """An anti-aliased elliptical outline (glasses, a monocle)."""

    def cover(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        dist = np.abs(np.sqrt((xs / rx) ** 2 + (ys / ry) ** 2) - 1.0) * min(rx, ry)
        return np.clip(width / 2 - dist + 0.5, 0.0, 1.0)

    _blend(frame, cx, cy, max(rx, ry) + width + 2, color, alpha, cover)


def draw_glasses(frame: np.ndarray, face_box: Box, turn: float = 0.0, color: RGB = (40, 34, 34)) -> None:
    """Round glasses over the eyes, with a bridge between them."""
    eyes = eye_marks(face_box, turn)
    w = face_box[2]
    width = max(1.0, w * 0.025)
    for ex, ey, rx, ry in eyes:
        ring(frame, ex, ey, max(rx * 1.5, w * 0.11), max(ry * 1.4, w * 0.1), width, color)
    (ax, ay, arx, _), (bx, by, brx, _) = eyes
    left, right = ax + max(arx * 1.5, w * 0.11), bx - max(brx * 1.5, w * 0.11)
    if right > left:
        soft_ellipse(frame, (left + right) / 2, (ay + by) / 2 - 1, (right - left) / 2 + 1, width / 2 + 0.3, color)
