"""Standing figures built from a look, talking close-up portraits and clasped hands."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sparkle_cli.backends.base import Box
from sparkle_cli.backends.image.canvas import F32, Canvas, Sketch, Vec, ambient_shade, darken, is_dark
from sparkle_cli.backends.image.costumes import behind, ears, face_parts, hat, head_shape, held, torso
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
    behind(sk, lk, body, back)
    _hair_back(sk, lk, hx, hy, hw, hh, body.shoulders + 0.12 * body.F)
    _tail(sk, lk, body)
    _legs(sk, lk, body)
    _arms(sk, lk, body)
    torso(sk, lk, body, back)
    F, x, sh_y = body.F, body.x, body.shoulders
    if lk.outfit != "sheet":
        sk.rect(x - 0.03 * F, hy + hh * 0.35, x + 0.03 * F, sh_y + 0.02 * F, darken(lk.skin, 0.85))
    if not back:
        held(sk, lk, body)
    ears(sk, lk, hx, hy, hw, hh)
    hair_from_behind = back and lk.kind == "person"
    head_shape(sk, lk, hx, hy, hw, hh, lk.hair if hair_from_behind else lk.skin)
    if not back:
        face_parts(sk, lk, hx, hy, hw, hh, body.turn)
    _hair(sk, lk, hx, hy, hw, hh, back)
    hat(sk, lk, body)
    return (int(round(hx - hw / 2)), int(round(hy - hh / 2)), int(round(hw)), int(round(hh)))


TAILS = ("fox", "cat", "kitten", "dog", "puppy", "wolf", "lion", "tiger", "monkey", "mouse", "dragon", "dinosaur")


def _tail(sk: Sketch, lk: Look, body: Body) -> None:
    if lk.kind not in TAILS:
        return
    F, x, hip_y, ww = body.F, body.x, body.hips, body.half_widths[1]
    colour = lk.skin
    if lk.kind in ("dragon", "dinosaur"):
        pts = [(x + ww * 0.5, hip_y), (x + ww * 2.2, hip_y + 0.25 * F), (x + ww * 3.6, hip_y + 0.35 * F)]
        sk.stroke(pts, colour, 0.09 * F)
        sk.poly(
            [(x + ww * 3.4, hip_y + 0.3 * F), (x + ww * 4.2, hip_y + 0.36 * F), (x + ww * 3.5, hip_y + 0.42 * F)],
            darken(colour, 0.7),
        )
        return
    pts = [(x + ww * 0.8, hip_y + 0.05 * F), (x + ww * 2.0, hip_y - 0.05 * F), (x + ww * 2.4, hip_y - 0.2 * F)]
    sk.stroke(pts, colour, 0.08 * F if lk.kind == "fox" else 0.035 * F)
    if lk.kind == "fox":
        sk.ellipse(x + ww * 2.4, hip_y - 0.22 * F, 0.045 * F, 0.05 * F, (244, 240, 232))
    if lk.kind == "lion":
        sk.ellipse(x + ww * 2.4, hip_y - 0.22 * F, 0.03 * F, 0.04 * F, (150, 90, 40))


def _legs(sk: Sketch, lk: Look, body: Body) -> None:
    F, x, y, hip_y = body.F, body.x, body.y, body.hips
    leg_w = 0.085 * F * body.build
    bare = lk.outfit in ("fur", "scales", "metal")
    shoe = (40, 34, 34) if not bare else darken(lk.skin, 0.8)
    if lk.outfit == "sheet":
        return
    if lk.outfit == "spacesuit":
        leg_w *= 1.3
        shoe = (200, 204, 212)
    for s in (-1, 1):
        if lk.outfit == "robe":
            continue
        if lk.outfit == "dress":
            # Thin legs under a skirt: bare for animals, in tights for people.
            colour = darken(lk.skin, 0.9) if lk.kind != "person" else darken(lk.bottom, 0.8)
            sk.rect(x + s * 0.045 * F - leg_w * 0.35, hip_y, x + s * 0.045 * F + leg_w * 0.35, y - 0.03 * F, colour)
        else:
            lx = x + s * 0.048 * F
            colour = lk.skin if bare else lk.bottom
            sk.rect(lx - leg_w / 2, hip_y - 0.02 * F, lx + leg_w / 2, y - 0.03 * F, colour, radius=leg_w * 0.3)
    for s in (-1, 1):
        sk.ellipse(x + s * 0.055 * F, y - 0.025 * F, 0.058 * F, 0.028 * F, shoe)


def _arms(sk: Sketch, lk: Look, body: Body) -> None:
    F, x, sh_y, hip_y = body.F, body.x, body.shoulders, body.hips
    sw = body.half_widths[0]
    arm_w = 0.068 * F * body.build * (1.35 if lk.outfit in ("spacesuit", "robe") else 1.0)
    sleeve = lk.skin if lk.outfit in ("fur", "scales", "metal", "sheet") else darken(lk.top, 0.88)
    hand_colour = lk.skin if lk.outfit != "spacesuit" else (220, 222, 228)
    for s in (-1, 1):
        hand = (x + s * (sw + 0.01 * F), hip_y + 0.02 * F)
        sk.stroke([(x + s * (sw - arm_w * 0.45), sh_y + 0.04 * F), hand], sleeve, arm_w)
        sk.ellipse(hand[0], hand[1] + 0.03 * F, 0.032 * F, 0.036 * F, hand_colour)


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
    """A figure as drawn on its own patch, with the boxes the result and its metadata report."""

    placed: Placed
    box: Box  # the figure's pixels (in the frame)
    head: Box  # the head oval, where a face goes
    swatch: Box | None  # a patch of clothing in the top's colour, for checking a look across images
    rgb: Vec  # the patch: premultiplied colour (h, w, 3) ...
    alpha: Vec  # ... and coverage (h, w, 1), shadow on the ground included
    x0: int  # where the patch's top-left pixel is in the frame (may be outside it)
    y0: int
    hidden: bool = False  # a nearer figure covers the face


def _clip(box: tuple[float, float, float, float], w: int, h: int) -> Box | None:
    x0, y0 = max(0, int(round(box[0]))), max(0, int(round(box[1])))
    x1, y1 = min(w, int(round(box[0] + box[2]))), min(h, int(round(box[1] + box[3])))
    return (x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None


def _shadow(c: Canvas, p: Placed, x0: int, y0: int, shape: tuple[int, int]) -> Vec:
    """The soft shadow a standing figure casts on the ground, as coverage on its patch."""
    F = p.height
    rx, ry, soft = 0.2 * F, 0.03 * F, max(1.0, 0.03 * F)
    xs = (np.arange(x0, x0 + shape[1], dtype=F32) + 0.5 - p.x) / rx
    ys = (np.arange(y0, y0 + shape[0], dtype=F32)[:, None] + 0.5 - (p.y - 0.01 * F)) / ry
    d = np.sqrt(xs * xs + ys * ys)
    return (np.clip((1 - d) * min(rx, ry) / soft + 0.5, 0, 1) * 0.35)[..., None]


def draw_figures(c: Canvas, placed: list[Placed], bounds: tuple[int, int, int, int] | None = None) -> list[Drawn]:
    """Draw each figure on its own patch, far to near (a figure seen from behind is nearest of all).

    `bounds` lets a patch reach past the frame, so that a camera move can show more of the figure.
    """
    out: list[Drawn] = []
    for p in sorted(placed, key=lambda q: (q.back, q.look.kind != "dragon", q.height)):
        F = p.height
        ss = 3 if F < c.h * 1.2 else 2
        sk = Sketch(c, p.x - 0.33 * F, p.y - 1.16 * F, p.x + 0.33 * F, p.y + 0.05 * F, ss=ss, bounds=bounds)
        if sk.empty:
            continue
        body = Body(p.x, p.y, F, p.look.build, p.turn)
        head = _figure_shapes(sk, p.look, body, p.back)
        rgb, alpha = sk.layer(ambient_shade(c, p.x, rim=0.75 if is_dark(c) else 0.45, size=0.35 * F, people=True))
        a = alpha[..., 0]
        ys, xs = np.nonzero(a > 0.5)
        if len(xs) == 0:
            continue
        for earlier in out:
            hx, hy, hw, hh = earlier.head
            patch = a[max(0, hy - sk.y0) : max(0, hy + hh - sk.y0), max(0, hx - sk.x0) : max(0, hx + hw - sk.x0)]
            if patch.size and float(patch.sum()) > 0.02 * hw * hh:
                earlier.hidden = True
        x0, y0 = sk.x0 + int(xs.min()), sk.y0 + int(ys.min())
        x1, y1 = sk.x0 + int(xs.max()) + 1, sk.y0 + int(ys.max()) + 1
        box = _clip((x0, y0, x1 - x0, y1 - y0), c.w, c.h) or (0, 0, 0, 0)
        # Right of the camera strap and above a hoodie's pocket: plain cloth in the top's colour.
        b, sh_y = p.look.build, body.shoulders
        swatch = _clip((p.x + 0.06 * F * b, sh_y + 0.18 * F, 0.04 * F * b, 0.06 * F), c.w, c.h)
        if not p.back and F < c.h * 1.2:
            # The shadow lies under the figure: figure over shadow, in premultiplied form.
            shade = _shadow(c, p, sk.x0, sk.y0, a.shape)
            alpha = alpha + shade * (1 - alpha)
        out.append(Drawn(p, box, head, swatch, rgb, alpha, sk.x0, sk.y0))
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
    if cam == "two" and n >= 2:
        # A two-shot: waist up, turned towards each other, heads high in the frame; winged creatures
        # stand further apart and behind, so that no wing hides a face.
        placed = []
        winged = any(lk.kind == "dragon" for lk in looks[:3])
        step = (0.5 if winged else 0.4) / (n - 1) if n <= 2 else 0.54 / (n - 1)
        for k, lk in enumerate(looks[:3]):
            offset = k - (min(n, 3) - 1) / 2
            x = w * (0.5 + offset * step * (1 if n <= 2 else 1))
            F = fs * 1.45 * lk.height * (1 - 0.15 * min(headroom(lk), 1.0))
            # Tall figures (a dragon) and tall hats stand further down, so their heads stay in the frame.
            feet = max(h * 1.62, h * 0.04 + headroom(lk) * 0.21 * F + F)
            placed.append(Placed(lk, x, feet, F, turn=float(-0.45 * np.sign(offset))))
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


def draw_hands(c: Canvas, looks: list[Look]) -> tuple[Vec, Vec]:
    """Two hands holding each other, sleeves coming in from each side of the frame, as (colour, coverage)."""
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
    return sk.layer(ambient_shade(c, cx, rim=1.1 if is_dark(c) else 0.6, size=0.3 * s, people=True))


#: How far above the head a hat or ears reach, in head heights, so that framing leaves room for them.
HEADROOM: dict[str, float] = {
    "toque": 0.7, "wizard_hat": 1.0, "witch_hat": 0.95, "crown": 0.4, "circlet": 0.15, "space_helmet": 0.2,
    "helm": 0.4, "fedora": 0.3, "tricorn": 0.3, "cowboy_hat": 0.25, "straw_hat": 0.15, "safari_hat": 0.2,
    "peaked_cap": 0.15, "fire_helmet": 0.2, "army_helmet": 0.1, "baker_cap": 0.1,
    "long": 0.8, "pointed": 0.5, "horns": 0.4, "antenna": 0.35, "antennae": 0.5, "tufts": 0.15,
}  # fmt: skip


def headroom(lk: Look) -> float:
    ears = lk.species.ears if lk.species else ""
    return max(HEADROOM.get(lk.hat or "", 0.0), HEADROOM.get(ears, 0.0))


def portrait(c: Canvas, lk: Look, turn: float) -> Placed:
    """Head and shoulders filling the frame, a little off centre on the side the face turns from;
    a tall hat or long ears get room above the head (the figure is framed a little smaller)."""
    room = headroom(lk)
    F = c.fs * 2.3 * (1 - 0.25 * min(room, 1.0))
    x = c.w * (0.5 - 0.08 * np.sign(turn)) if turn else c.w * 0.5
    head_top = max(c.h * 0.13, c.h * 0.03 + room * 0.21 * F)
    return Placed(lk, x, head_top + F, F, turn=turn)
