"""Standing figures built from a look, talking close-up portraits and clasped hands."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sparkle_cli.backends.base import Box
from sparkle_cli.backends.image.canvas import F32, Canvas, Sketch, ambient_shade, darken, is_dark
from sparkle_cli.backends.image.looks import Look
from sparkle_cli.backends.image.scene import RGB, stable_int


@dataclass
class Placed:
    """A figure to draw: whose look, where its feet are, how tall, seen from behind or turned."""

    look: Look
    x: float  # feet, centre
    y: float
    height: float
    back: bool = False
    turn: float = 0.0


@dataclass(frozen=True)
class Body:
    """Where a figure's parts go: feet at (x, y), height F, proportions of a stylised person."""

    x: float
    y: float
    F: float
    build: float
    turn: float

    @property
    def head(self) -> tuple[float, float, float, float]:
        hw, hh = 0.185 * self.F, 0.21 * self.F
        return self.x + self.turn * 0.01 * self.F, self.y - self.F + hh / 2, hw, hh

    @property
    def shoulders(self) -> float:
        return self.y - 0.765 * self.F

    @property
    def hips(self) -> float:
        return self.y - 0.43 * self.F

    @property
    def half_widths(self) -> tuple[float, float]:
        return 0.13 * self.F * self.build, 0.1 * self.F * self.build  # shoulders, waist


def _figure_shapes(sk: Sketch, lk: Look, body: Body, back: bool) -> Box:
    """Draw a stylised figure, back to front; returns its head box."""
    hx, hy, hw, hh = body.head
    _hair_back(sk, lk, hx, hy, hw, hh, body.shoulders + 0.12 * body.F)
    _tail(sk, lk, body)
    _legs(sk, lk, body)
    _arms(sk, lk, body)
    _torso(sk, lk, body, back)
    F, x, sh_y = body.F, body.x, body.shoulders
    sk.rect(x - 0.03 * F, hy + hh * 0.35, x + 0.03 * F, sh_y + 0.02 * F, darken(lk.skin, 0.85))
    if "scarf" in lk.extras:
        sw = body.half_widths[0]
        sk.rect(x - sw * 0.55, sh_y - 0.015 * F, x + sw * 0.55, sh_y + 0.035 * F, lk.accent, radius=0.02 * F)
    _ears(sk, lk, hx, hy, hw, hh)
    hair_from_behind = back and lk.kind == "person"
    sk.ellipse(hx, hy, hw / 2, hh / 2, lk.hair if hair_from_behind else lk.skin)
    _hair(sk, lk, hx, hy, hw, hh, back)
    _headwear(sk, lk, body)
    return (int(round(hx - hw / 2)), int(round(hy - hh / 2)), int(round(hw)), int(round(hh)))


def _tail(sk: Sketch, lk: Look, body: Body) -> None:
    if lk.kind not in ("fox", "cat", "dog", "wolf"):
        return
    F, x, hip_y, ww = body.F, body.x, body.hips, body.half_widths[1]
    colour = lk.skin if lk.kind != "fox" else (230, 120, 50)
    pts = [(x + ww * 0.8, hip_y + 0.05 * F), (x + ww * 2.0, hip_y - 0.05 * F), (x + ww * 2.4, hip_y - 0.2 * F)]
    sk.stroke(pts, colour, 0.08 * F if lk.kind == "fox" else 0.035 * F)
    if lk.kind == "fox":
        sk.ellipse(x + ww * 2.4, hip_y - 0.22 * F, 0.045 * F, 0.05 * F, (244, 240, 232))


def _legs(sk: Sketch, lk: Look, body: Body) -> None:
    F, x, y, hip_y = body.F, body.x, body.y, body.hips
    leg_w = 0.085 * F * body.build
    for s in (-1, 1):
        if lk.outfit == "dress":
            # Thin legs under a skirt: bare for animals, in tights for people.
            colour = darken(lk.skin, 0.9) if lk.kind not in ("person", "robot") else darken(lk.bottom, 0.8)
            sk.rect(x + s * 0.045 * F - leg_w * 0.35, hip_y, x + s * 0.045 * F + leg_w * 0.35, y - 0.03 * F, colour)
        else:
            lx = x + s * 0.048 * F
            sk.rect(lx - leg_w / 2, hip_y - 0.02 * F, lx + leg_w / 2, y - 0.03 * F, lk.bottom, radius=leg_w * 0.3)
    for s in (-1, 1):
        sk.ellipse(x + s * 0.055 * F, y - 0.025 * F, 0.058 * F, 0.028 * F, (40, 34, 34))


def _arms(sk: Sketch, lk: Look, body: Body) -> None:
    F, x, sh_y, hip_y = body.F, body.x, body.shoulders, body.hips
    sw = body.half_widths[0]
    arm_w = 0.068 * F * body.build
    for s in (-1, 1):
        hand = (x + s * (sw + 0.01 * F), hip_y + 0.02 * F)
        sk.stroke([(x + s * (sw - arm_w * 0.45), sh_y + 0.04 * F), hand], darken(lk.top, 0.88), arm_w)
        sk.ellipse(hand[0], hand[1] + 0.03 * F, 0.032 * F, 0.036 * F, lk.skin)


def _torso(sk: Sketch, lk: Look, body: Body, back: bool) -> None:
    F, x, sh_y, hip_y = body.F, body.x, body.shoulders, body.hips
    sw, ww = body.half_widths
    length = 0.3 * F if lk.outfit in ("coat", "dress") else 0.0
    hem = ww * (1.5 if lk.outfit == "dress" else 1.0)
    outline = [(x - sw, sh_y + 0.035 * F), (x - sw * 0.8, sh_y), (x + sw * 0.8, sh_y), (x + sw, sh_y + 0.035 * F)]
    sk.poly([*outline, (x + hem, hip_y + length), (x - hem, hip_y + length)], lk.top)
    if back:
        return
    if lk.outfit in ("jacket", "coat"):
        inner = [
            (x - sw * 0.25, sh_y),
            (x + sw * 0.25, sh_y),
            (x + sw * 0.12, hip_y + length * 0.5),
            (x - sw * 0.12, hip_y + length * 0.5),
        ]
        sk.poly(inner, lk.accent)
        for s in (-1, 1):
            sk.stroke([(x + s * sw * 0.25, sh_y), (x + s * sw * 0.1, sh_y + 0.12 * F)], darken(lk.top, 0.75), 0.018 * F)
    elif lk.outfit == "hoodie":
        sk.rect(x - ww * 0.6, hip_y - 0.12 * F, x + ww * 0.6, hip_y - 0.04 * F, darken(lk.top, 0.85), radius=0.02 * F)
        for s in (-1, 1):
            sk.stroke(
                [(x + s * 0.025 * F, sh_y + 0.01 * F), (x + s * 0.03 * F, sh_y + 0.09 * F)], (236, 232, 224), 0.008 * F
            )
    if "camera" in lk.extras:
        strap = [(x - sw * 0.7, sh_y + 0.01 * F), (x + 0.02 * F, sh_y + 0.14 * F), (x + sw * 0.7, sh_y + 0.01 * F)]
        sk.stroke(strap, (30, 28, 28), 0.012 * F)
        sk.rect(x - 0.05 * F, sh_y + 0.12 * F, x + 0.06 * F, sh_y + 0.19 * F, (36, 36, 40), radius=0.01 * F)
        sk.ellipse(x + 0.005 * F, sh_y + 0.155 * F, 0.025 * F, 0.025 * F, (90, 110, 130))


def _headwear(sk: Sketch, lk: Look, body: Body) -> None:
    hx, hy, hw, hh = body.head
    F = body.F
    if "headphones" in lk.extras:
        sk.arc(hx, hy - hh * 0.02, hw * 0.58, hh * 0.6, 180, 360, (40, 40, 46), 0.03 * F)
        for s in (-1, 1):
            ex = hx + s * hw * 0.56
            sk.rect(ex - 0.025 * F, hy - 0.03 * F, ex + 0.025 * F, hy + 0.05 * F, (46, 46, 54), radius=0.015 * F)
            sk.rect(ex - 0.012 * F, hy - 0.02 * F, ex + 0.012 * F, hy + 0.04 * F, lk.accent, radius=0.01 * F)
    if "hat" in lk.extras:
        brim = darken(lk.accent, 0.8)
        sk.ellipse(hx, hy - hh * 0.3, hw * 0.75, hh * 0.09, brim)
        sk.rect(hx - hw * 0.4, hy - hh * 0.72, hx + hw * 0.4, hy - hh * 0.3, brim, radius=hw * 0.1)


def _ears(sk: Sketch, lk: Look, hx: float, hy: float, hw: float, hh: float) -> None:
    if lk.kind == "person":
        for s in (-1, 1):
            sk.ellipse(hx + s * hw * 0.49, hy + hh * 0.06, hw * 0.09, hh * 0.11, darken(lk.skin, 0.92))
    elif lk.kind == "owl":
        for s in (-1, 1):
            sk.poly(
                [
                    (hx + s * hw * 0.2, hy - hh * 0.4),
                    (hx + s * hw * 0.46, hy - hh * 0.28),
                    (hx + s * hw * 0.62, hy - hh * 0.62),
                ],
                darken(lk.skin, 0.8),
            )
    elif lk.kind in ("fox", "cat", "wolf", "dog"):
        tall = 0.5
        for s in (-1, 1):
            sk.poly(
                [
                    (hx + s * hw * 0.12, hy - hh * 0.42),
                    (hx + s * hw * 0.5, hy - hh * 0.15),
                    (hx + s * hw * 0.42, hy - hh * (0.45 + tall)),
                ],
                darken(lk.skin, 0.9),
            )
    elif lk.kind in ("rabbit", "bunny"):
        for s in (-1, 1):
            sk.ellipse(hx + s * hw * 0.22, hy - hh * 0.8, hw * 0.12, hh * 0.4, lk.skin)
    elif lk.kind in ("bear", "mouse"):
        for s in (-1, 1):
            sk.ellipse(hx + s * hw * 0.38, hy - hh * 0.38, hw * 0.17, hh * 0.17, darken(lk.skin, 0.9))
    elif lk.kind in ("robot", "android"):
        sk.stroke([(hx, hy - hh * 0.5), (hx, hy - hh * 0.8)], (120, 124, 130), hw * 0.04)
        sk.ellipse(hx, hy - hh * 0.82, hw * 0.07, hw * 0.07, (255, 90, 90))


def _curve(pts: list[tuple[float, float]], steps: int = 6) -> list[tuple[float, float]]:
    """A Catmull-Rom curve through the points, so hairlines bend instead of breaking at corners."""
    p = np.array([pts[0], *pts, pts[-1]], F32)
    t = (np.arange(steps, dtype=F32) / steps)[:, None]
    out: list[tuple[float, float]] = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        seg = 0.5 * (
            2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (3 * p1 - p0 - 3 * p2 + p3) * t**3
        )
        out.extend((float(x), float(y)) for x, y in seg)
    out.append(pts[-1])
    return out


def _hair_back(sk: Sketch, lk: Look, hx: float, hy: float, hw: float, hh: float, shoulders: float) -> None:
    """The hair mass behind the head: it gives the silhouette its volume above and beside the face."""
    style, hair = lk.hair_style, darken(lk.hair, 0.86)
    if style in ("none", "bald") or lk.kind != "person":
        return
    if style == "long":
        sk.rect(hx - hw * 0.6, hy - hh * 0.3, hx + hw * 0.6, shoulders, hair, radius=hw * 0.4)
    elif style == "bob":
        sk.rect(hx - hw * 0.62, hy - hh * 0.4, hx + hw * 0.62, hy + hh * 0.42, hair, radius=hw * 0.4)
    elif style == "curly":
        for k in range(11):
            a = np.pi * 0.8 + k * np.pi * 1.4 / 10
            sk.ellipse(hx + math.cos(a) * hw * 0.52, hy - hh * 0.04 + math.sin(a) * hh * 0.5, hw * 0.2, hh * 0.18, hair)
    elif style == "ponytail":
        sk.ellipse(hx + hw * 0.5, hy + hh * 0.25, hw * 0.16, hh * 0.4, hair)
    sk.ellipse(hx, hy - hh * 0.06, hw * 0.56, hh * 0.53, hair)
    if style == "bun":
        sk.ellipse(hx, hy - hh * 0.6, hw * 0.25, hh * 0.2, hair)


def _hair(sk: Sketch, lk: Look, hx: float, hy: float, hw: float, hh: float, back: bool) -> None:
    """Hair in front of the head: a side-swept fringe over the forehead, or the whole head from behind."""
    style, hair = lk.hair_style, lk.hair
    if style in ("none", "bald") or lk.kind != "person":
        return
    if back:
        sk.ellipse(hx, hy - hh * 0.04, hw * 0.55, hh * 0.53, hair)
        if style in ("long", "bob"):
            sk.rect(
                hx - hw * 0.55,
                hy - hh * 0.1,
                hx + hw * 0.55,
                hy + hh * (0.9 if style == "long" else 0.4),
                hair,
                radius=hw * 0.3,
            )
        # A few darker strands, so light hair seen from behind does not read as a bald head.
        for k in (-2, -1, 0, 1, 2):
            strand = [
                (hx + k * hw * 0.04, hy - hh * 0.4),
                (hx + k * hw * 0.14, hy - hh * 0.05),
                (hx + k * hw * 0.17, hy + hh * 0.3),
            ]
            sk.stroke(strand, darken(hair, 0.8), hw * 0.025)
        return
    part = 1.0 if stable_int(lk.id, "part") % 2 else -1.0
    arc = [
        (hx + math.cos(a) * hw * 0.54, hy - hh * 0.03 + math.sin(a) * hh * 0.54)
        for a in np.linspace(np.pi * 1.03, np.pi * 1.97, 14)
    ]
    edge = [(0.53, 0.02), (0.4, -0.1), (0.12, -0.22), (-0.2, -0.3), (-0.42, -0.2), (-0.53, 0.06)]
    if style == "curly":
        edge = [(0.52, -0.02), (0.3, -0.26), (0.0, -0.3), (-0.3, -0.26), (-0.52, -0.02)]
    knots = [(hx + part * ex * hw, hy + ey * hh) for ex, ey in (edge if part > 0 else edge[::-1])]
    sk.poly(arc + _curve(knots), hair)
    if style == "curly":
        for k in range(5):
            a = np.pi * 1.15 + k * np.pi * 0.7 / 4
            sk.ellipse(
                hx + math.cos(a) * hw * 0.4, hy - hh * 0.12 + math.sin(a) * hh * 0.34, hw * 0.13, hh * 0.12, hair
            )
    if style in ("long", "bob"):
        reach = hh * (0.75 if style == "long" else 0.36)
        for sgn in (-1, 1):
            sk.rect(
                hx + sgn * hw * 0.49 - hw * 0.1,
                hy - hh * 0.12,
                hx + sgn * hw * 0.49 + hw * 0.1,
                hy + reach,
                hair,
                radius=hw * 0.09,
            )


@dataclass
class Drawn:
    """A figure as drawn, with the boxes the result and its metadata report."""

    placed: Placed
    box: Box  # the figure's pixels
    head: Box  # the head oval, where a face goes
    swatch: Box | None  # a patch of clothing in the top's colour, for checking a look across images
    hidden: bool = False  # a nearer figure covers the face


def _clip(box: tuple[float, float, float, float], w: int, h: int) -> Box | None:
    x0, y0 = max(0, int(round(box[0]))), max(0, int(round(box[1])))
    x1, y1 = min(w, int(round(box[0] + box[2]))), min(h, int(round(box[1] + box[3])))
    return (x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None


def draw_figures(c: Canvas, placed: list[Placed]) -> list[Drawn]:
    """Draw figures far to near (a figure seen from behind is nearest of all)."""
    out: list[Drawn] = []
    for p in sorted(placed, key=lambda q: (q.back, q.height)):
        F = p.height
        c.spot(p.x, p.y - 0.01 * F, 0.2 * F, 0.03 * F, np.zeros(3, F32), 0.35, soft=max(1.0, 0.03 * F))
        sk = Sketch(c, p.x - 0.33 * F, p.y - 1.16 * F, p.x + 0.33 * F, p.y + 0.01 * F, ss=3 if F < c.h * 1.2 else 2)
        if sk.empty:
            continue
        body = Body(p.x, p.y, F, p.look.build, p.turn)
        head = _figure_shapes(sk, p.look, body, p.back)
        alpha = sk.paste(ambient_shade(c, p.x, rim=0.75 if is_dark(c) else 0.45, size=0.35 * F, people=True))
        if alpha is None:
            continue
        a = alpha[..., 0]
        ys, xs = np.nonzero(a > 0.5)
        if len(xs) == 0:
            continue
        for earlier in out:
            hx, hy, hw, hh = earlier.head
            patch = a[max(0, hy - sk.y0) : max(0, hy + hh - sk.y0), max(0, hx - sk.x0) : max(0, hx + hw - sk.x0)]
            if patch.size and float(patch.sum()) > 0.02 * hw * hh:
                earlier.hidden = True
        box = (sk.x0 + int(xs.min()), sk.y0 + int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
        # Right of the camera strap and above a hoodie's pocket: plain cloth in the top's colour.
        b, sh_y = p.look.build, body.shoulders
        swatch = _clip((p.x + 0.06 * F * b, sh_y + 0.18 * F, 0.04 * F * b, 0.06 * F), c.w, c.h)
        out.append(Drawn(p, box, head, swatch))
    return out


def place_figures(c: Canvas, looks: list[Look], behind: str | None) -> list[Placed]:
    """Where figures stand and how big they are, from the camera word and how many there are."""
    n = len(looks)
    if n == 0:
        return []
    cam, w, h, fs = c.sc.camera, c.w, c.h, c.fs
    if cam == "over_shoulder" and n >= 1:
        back = next((lk for lk in looks if lk.id.lower() == (behind or "")), looks[0])
        others = [lk for lk in looks if lk is not back][:2]
        side = -1 if c.rng("ots").random() < 0.5 else 1
        placed = [Placed(back, w * (0.5 + side * 0.3), h * 0.25 + fs * 1.85, fs * 1.85 * back.height, back=True)]
        for k, lk in enumerate(others):
            placed.append(
                Placed(lk, w * (0.5 - side * (0.14 + 0.16 * k)), h * 0.98, fs * 0.74 * lk.height, turn=side * 0.45)
            )
        return placed
    if cam == "wide":
        size, feet, spread = 0.17, 0.92, 0.09
    elif cam == "close":
        size, feet, spread = 1.7, 0.1 + 1.75 * fs / h, 0.38
    else:
        size, feet, spread = (0.62, 0.97, 0.28) if n <= 2 else (0.5, 0.96, 0.2)
    step = spread * w * (1 if n <= 2 else 2 / (n - 1) if n > 1 else 1)
    placed = []
    for k, lk in enumerate(looks):
        offset = k - (n - 1) / 2
        x = w / 2 + offset * step
        turn = -0.4 * np.sign(offset) if n > 1 else 0.0
        placed.append(Placed(lk, x, h * feet, fs * size * lk.height, turn=float(turn)))
    return placed


def _finger(sk: Sketch, pts: list[tuple[float, float]], skin: RGB, width: float) -> None:
    # A darker stroke under a thinner one leaves a crease line between neighbouring fingers.
    sk.stroke(pts, darken(skin, 0.8), width * 1.25)
    sk.stroke(pts, skin, width)


def _limb(sk: Sketch, p0: tuple[float, float], p1: tuple[float, float], w0: float, w1: float, fill: RGB) -> None:
    """A straight tapered band from p0 to p1, square at both ends (sleeves, cuffs, forearms)."""
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    n = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / n, dx / n
    sk.poly(
        [
            (p0[0] + nx * w0 / 2, p0[1] + ny * w0 / 2),
            (p1[0] + nx * w1 / 2, p1[1] + ny * w1 / 2),
            (p1[0] - nx * w1 / 2, p1[1] - ny * w1 / 2),
            (p0[0] - nx * w0 / 2, p0[1] - ny * w0 / 2),
        ],
        fill,
    )


def _oval(sk: Sketch, cx: float, cy: float, rx: float, ry: float, angle: float, fill: RGB) -> None:
    ca, sa = math.cos(angle), math.sin(angle)
    pts = []
    for k in range(28):
        t = 2 * math.pi * k / 28
        x, y = rx * math.cos(t), ry * math.sin(t)
        pts.append((cx + x * ca - y * sa, cy + x * sa + y * ca))
    sk.poly(pts, fill)


def _arm_in(sk: Sketch, lk: Look, start: tuple[float, float], wrist: tuple[float, float], s: float) -> None:
    """A sleeve entering the frame, its cuff and the bare forearm up to the wrist."""
    dx, dy = wrist[0] - start[0], wrist[1] - start[1]
    n = math.hypot(dx, dy)
    ux, uy = dx / n, dy / n
    cuff_end = (wrist[0] - ux * 0.1 * s, wrist[1] - uy * 0.1 * s)
    cuff_start = (cuff_end[0] - ux * 0.07 * s, cuff_end[1] - uy * 0.07 * s)
    _limb(sk, start, cuff_start, 0.34 * s, 0.27 * s, lk.top)
    _limb(sk, cuff_start, cuff_end, 0.29 * s, 0.28 * s, darken(lk.top, 0.8))
    _limb(
        sk, (cuff_end[0] - ux * 0.01 * s, cuff_end[1] - uy * 0.01 * s), wrist, 0.17 * s, 0.15 * s, darken(lk.skin, 0.94)
    )


def draw_hands(c: Canvas, looks: list[Look]) -> None:
    """Two hands holding each other, sleeves coming in from each side of the frame."""
    s = c.fs * 0.8
    cx, cy = c.w * 0.5, c.h * 0.5
    sk = Sketch(c, 0, 0, c.w, c.h, ss=2 if c.h > 400 else 3)
    left, right = looks[0], looks[-1] if len(looks) > 1 else looks[0]
    # The right person's hand is underneath: arm, palm and the fingertips curling under the other hand.
    _arm_in(sk, right, (cx + 0.95 * s, c.h + 0.2 * s), (cx + 0.27 * s, cy + 0.13 * s), s)
    _oval(sk, cx + 0.14 * s, cy + 0.06 * s, 0.16 * s, 0.11 * s, 0.45, right.skin)
    for k in range(3):
        x = cx - 0.1 * s - k * 0.045 * s
        _finger(sk, [(x + 0.04 * s, cy + 0.1 * s), (x, cy + 0.17 * s + k * 0.006 * s)], right.skin, 0.045 * s)
    # The left person's hand lies on top, fingers draped over the back of the other hand.
    _arm_in(sk, left, (cx - 0.95 * s, c.h + 0.2 * s), (cx - 0.27 * s, cy + 0.13 * s), s)
    _oval(sk, cx - 0.14 * s, cy + 0.05 * s, 0.16 * s, 0.115 * s, -0.45, left.skin)
    for k in range(4):
        y = cy - 0.035 * s + k * 0.045 * s
        _finger(
            sk, [(cx - 0.05 * s, y), (cx + 0.1 * s, y + 0.012 * s), (cx + 0.15 * s, y + 0.06 * s)], left.skin, 0.045 * s
        )
    # The right thumb crosses over the top hand.
    _finger(
        sk,
        [(cx + 0.12 * s, cy + 0.0 * s), (cx + 0.0 * s, cy - 0.055 * s), (cx - 0.09 * s, cy - 0.065 * s)],
        right.skin,
        0.05 * s,
    )
    sk.paste(ambient_shade(c, cx, rim=1.1 if is_dark(c) else 0.6, size=0.3 * s, people=True))


def portrait(c: Canvas, lk: Look, turn: float) -> Placed:
    """Head and shoulders filling the frame, a little off centre on the side the face turns from."""
    F = c.fs * 2.3
    x = c.w * (0.5 - 0.08 * np.sign(turn)) if turn else c.w * 0.5
    head_top = c.h * 0.13
    return Placed(lk, x, head_top + F, F, turn=turn)
