"""Furniture and fittings that say which room a picture is in, each drawn against the back wall.

Every prop is `prop(canvas, floor_y, light)`; rooms list theirs in `interior.ROOMS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sparkle_cli.backends.image.canvas import F32, Canvas, Sketch, ambient_shade, darken, to_vec
from sparkle_cli.backends.image.looks import TOPS
from sparkle_cli.backends.image.scene import RGB

Prop = Callable[[Canvas, float, float], None]
PROPS: dict[str, Prop] = {}

WARM = np.array([1.0, 0.8, 0.5], F32)


def prop(fn: Prop) -> Prop:
    PROPS[fn.__name__.lstrip("_")] = fn
    return fn


def _far(c: Canvas) -> float:
    """-1 or 1: the side away from the window (windows sit on the side the light comes from)."""
    return 1.0 if c.pal.key_side < 0 else -1.0


def _x(c: Canvas, frac: float) -> float:
    """A position on the side away from the window: 0 is the middle, 1 the edge."""
    return c.w * (0.5 + 0.5 * frac * _far(c))


def _lit(rgb: RGB, light: float) -> RGB:
    v = min(1.0, max(light, 0.35))
    return (int(rgb[0] * v), int(rgb[1] * v), int(rgb[2] * v))


def _sketch(c: Canvas, x0: float, y0: float, x1: float, y1: float) -> Sketch:
    return Sketch(c, min(x0, x1) - 2, min(y0, y1) - 2, max(x0, x1) + 2, max(y0, y1) + 2, ss=2)


def _done(c: Canvas, sk: Sketch, x: float) -> None:
    sk.paste(ambient_shade(c, x, rim=0.3))


def pendant(c: Canvas, x: float, y: float, light: float) -> None:
    """A hanging dome lamp on its cord, with a warm bulb under the shade."""
    r = 0.045 * c.h
    sk = Sketch(c, x - r * 1.2, 0, x + r * 1.2, y + r * 0.4, ss=3)
    sk.rect(x - max(0.5, 0.5 * c.u), 0, x + max(0.5, 0.5 * c.u), y - r * 0.8, (40, 38, 36))
    sk.chord(x, y, r, r * 0.85, 180, 360, (70, 92, 84))
    sk.paste(lambda rgb, alpha, x0, y0: rgb * max(light, 0.5))
    c.spot(x, y + r * 0.05, r * 0.35, r * 0.22, WARM)
    c.glow_spot(x, y + r * 0.2, 0.09 * c.h, WARM, 0.6 if light < 0.6 else 0.25)


@prop
def _pendants(c: Canvas, floor_y: float, light: float) -> None:
    for k in range(3):
        pendant(c, _x(c, 0.25 + 0.3 * k), c.h * 0.18, light)


@prop
def _counter(c: Canvas, floor_y: float, light: float) -> None:
    x0, x1 = sorted((_x(c, 0.1), _x(c, 1.05)))
    top = floor_y - 0.2 * c.h
    wood = to_vec(_lit((110, 70, 50), light))
    c.rect(x0, top, x1, floor_y + 0.04 * c.h, wood, 1.0, bottom=wood * 0.7)
    c.rect(x0, top - 0.015 * c.h, x1, top + 0.005 * c.h, to_vec(_lit((206, 198, 186), light)))
    for k in range(1, 4):
        x = x0 + (x1 - x0) * k / 4
        c.rect(x - 0.6 * c.u, top + 0.02 * c.h, x + 0.6 * c.u, floor_y, wood * 0.7)


@prop
def _cabinets(c: Canvas, floor_y: float, light: float) -> None:
    x0, x1 = sorted((_x(c, 0.1), _x(c, 1.05)))
    for k in range(4):
        a = x0 + (x1 - x0) * k / 4
        c.rect(a + 2 * c.u, c.h * 0.1, a + (x1 - x0) / 4 - 2 * c.u, c.h * 0.3, to_vec(_lit((226, 222, 208), light)))
        c.spot(a + (x1 - x0) / 8, c.h * 0.27, 1.5 * c.u, 1.5 * c.u, to_vec(_lit((90, 90, 90), light)))


@prop
def _stove(c: Canvas, floor_y: float, light: float) -> None:
    x = _x(c, 0.55)
    top = floor_y - 0.2 * c.h
    s = 0.09 * c.h
    sk = _sketch(c, x - s, top - s * 1.6, x + s, top)
    sk.rect(x - s * 0.7, top - s * 0.9, x + s * 0.7, top - 0.01 * c.h, _lit((200, 200, 206), light), radius=s * 0.05)
    sk.rect(x - s * 0.75, top - s * 1.0, x + s * 0.75, top - s * 0.85, _lit((60, 60, 66), light))
    sk.stroke(
        [(x + s * 0.5, top - s * 1.0), (x + s * 0.5, top - s * 1.4), (x + s * 1.0, top - s * 1.4)],
        _lit((60, 60, 66), light),
        s * 0.08,
    )
    _done(c, sk, x)
    for k in (-1, 1):
        c.spot(x + k * s * 0.35, top - s * 0.3, s * 0.16, s * 0.05, np.array([1.0, 0.45, 0.15], F32), 0.8)


@prop
def _bread_shelves(c: Canvas, floor_y: float, light: float) -> None:
    x0, x1 = sorted((_x(c, 0.15), _x(c, 1.0)))
    wood = to_vec(_lit((130, 90, 58), light))
    rng = c.rng("bread")
    for r in range(3):
        y = c.h * (0.22 + 0.13 * r)
        c.rect(x0, y, x1, y + 0.012 * c.h, wood)
        x = x0 + 0.01 * c.w
        while x < x1 - 0.03 * c.w:
            rw = c.h * float(rng.uniform(0.025, 0.045))
            crust = _lit((200 + int(rng.integers(-20, 30)), 140 + int(rng.integers(-20, 20)), 70), light)
            sk = _sketch(c, x, y - rw, x + rw * 2.2, y)
            sk.ellipse(x + rw * 1.1, y - rw * 0.45, rw * 1.1, rw * 0.5, crust)
            sk.stroke([(x + rw * 0.6, y - rw * 0.75), (x + rw * 0.8, y - rw * 0.35)], darken(crust, 0.7), rw * 0.1)
            sk.stroke([(x + rw * 1.2, y - rw * 0.8), (x + rw * 1.4, y - rw * 0.4)], darken(crust, 0.7), rw * 0.1)
            sk.paste()
            x += rw * 2.4


@prop
def _cakes(c: Canvas, floor_y: float, light: float) -> None:
    top = floor_y - 0.215 * c.h
    for k, col in enumerate(((250, 220, 230), (120, 70, 50), (250, 240, 200))):
        x = _x(c, 0.3 + 0.22 * k)
        s = 0.035 * c.h
        sk = _sketch(c, x - s * 1.5, top - s * 2, x + s * 1.5, top)
        sk.rect(x - s * 1.2, top - s * 1.1, x + s * 1.2, top, _lit(col, light), radius=s * 0.2)
        sk.rect(
            x - s * 1.25, top - s * 1.25, x + s * 1.25, top - s * 0.95, _lit((255, 250, 245), light), radius=s * 0.2
        )
        sk.ellipse(x, top - s * 1.45, s * 0.2, s * 0.2, _lit((220, 40, 50), light))
        _done(c, sk, x)


@prop
def _tables(c: Canvas, floor_y: float, light: float) -> None:
    cloth = (236, 232, 222) if c.sc.place == "restaurant" else (140, 96, 64)
    for k, f in enumerate((0.25, 0.8)):
        x = _x(c, f) if k else _x(c, -f)
        y = floor_y + 0.05 * c.h
        s = 0.1 * c.h
        sk = _sketch(c, x - s * 1.3, y - s * 1.5, x + s * 1.3, y + s * 0.6)
        sk.rect(x - s * 1.1, y - s * 0.55, x + s * 1.1, y + s * 0.4, _lit(cloth, light), radius=s * 0.08)
        sk.rect(x - s * 0.12, y - s * 0.85, x + s * 0.12, y - s * 0.55, _lit((220, 230, 240), light), radius=s * 0.05)
        sk.ellipse(x, y - s * 0.9, s * 0.06, s * 0.06, (255, 210, 120))
        for d in (-1, 1):
            sk.rect(
                x + d * s * 1.25, y - s * 0.8, x + d * s * 1.45, y + s * 0.5, _lit((90, 56, 40), light), radius=s * 0.05
            )
        _done(c, sk, x)
        c.glow_spot(x, y - s * 0.9, 0.04 * c.h, WARM, 0.4)


@prop
def _picture(c: Canvas, floor_y: float, light: float) -> None:
    fx = _x(c, 0.45)
    rng = c.rng("picture")
    c.rect(fx - 0.05 * c.w, c.h * 0.2, fx + 0.05 * c.w, c.h * 0.38, to_vec(_lit((60, 50, 44), light)))
    art = to_vec(c.sc.accents[0] if c.sc.accents else TOPS[int(rng.integers(len(TOPS)))]) * light
    c.rect(fx - 0.04 * c.w, c.h * 0.21, fx + 0.04 * c.w, c.h * 0.37, art, 1.0, bottom=art * 0.5)


@prop
def _coffee_machine(c: Canvas, floor_y: float, light: float) -> None:
    x = _x(c, 0.45)
    top = floor_y - 0.215 * c.h
    s = 0.07 * c.h
    sk = _sketch(c, x - s, top - s * 1.6, x + s, top)
    sk.rect(x - s * 0.8, top - s * 1.5, x + s * 0.8, top, _lit((190, 192, 198), light), radius=s * 0.1)
    sk.rect(x - s * 0.5, top - s * 0.7, x + s * 0.5, top - s * 0.45, _lit((40, 40, 44), light))
    sk.rect(x - s * 0.15, top - s * 0.3, x + s * 0.15, top, _lit((250, 250, 250), light))
    _done(c, sk, x)


@prop
def _chalkboard(c: Canvas, floor_y: float, light: float) -> None:
    x = _x(c, -0.55)
    y0, y1 = c.h * 0.18, c.h * 0.42
    c.rect(x - 0.09 * c.w, y0, x + 0.09 * c.w, y1, to_vec(_lit((110, 80, 50), light)))
    c.rect(x - 0.083 * c.w, y0 + 0.012 * c.h, x + 0.083 * c.w, y1 - 0.012 * c.h, to_vec(_lit((40, 52, 46), light)))
    chalk = to_vec(_lit((220, 220, 210), light))
    for k in range(4):
        y = y0 + 0.05 * c.h + k * 0.045 * c.h
        c.rect(x - 0.06 * c.w, y, x + (0.06 - 0.025 * (k % 2)) * c.w, y + 0.006 * c.h, chalk, 0.8)


@prop
def _studio_backdrop(c: Canvas, floor_y: float, light: float) -> None:
    """A lit set wall: a big screen with the show's colour and a glowing frame of bulbs."""
    col = to_vec(c.sc.accents[0] if c.sc.accents else (230, 120, 60))
    x0, x1, y0, y1 = c.w * 0.18, c.w * 0.82, c.h * 0.1, c.h * 0.5
    c.rect(x0, y0, x1, y1, col * 0.55, 1.0, bottom=col * 0.3)
    c.rect(x0 + 0.02 * c.w, y0 + 0.03 * c.h, x1 - 0.02 * c.w, y1 - 0.03 * c.h, col * 0.9, 1.0, bottom=col * 0.5)
    for k in range(3):
        y = y0 + (y1 - y0) * (0.3 + 0.18 * k)
        c.rect(c.w * 0.38, y, c.w * (0.62 - 0.05 * k), y + 0.025 * c.h, np.ones(3, F32), 0.8)
    c.glow_rect(x0, y0, x1, y1, col, 0.4)
    bulbs = np.array([1.0, 0.9, 0.65], F32)
    n = 16
    for k in range(n + 1):
        for y in (y0 - 0.02 * c.h, y1 + 0.02 * c.h):
            x = x0 + (x1 - x0) * k / n
            c.spot(x, y, 1.6 * c.u, 1.6 * c.u, bulbs)
            c.glow_spot(x, y, 5 * c.u, bulbs, 0.5)


@prop
def _cooking_counter(c: Canvas, floor_y: float, light: float) -> None:
    """The show's kitchen island, in front of the set, with pots, a bowl and vegetables."""
    top = floor_y - 0.06 * c.h
    x0, x1 = c.w * 0.12, c.w * 0.88
    sk = _sketch(c, x0, top - 0.12 * c.h, x1, c.h * 0.86)
    sk.rect(x0, top, x1, c.h * 0.86, (232, 228, 220))
    sk.rect(x0 - 0.01 * c.w, top - 0.02 * c.h, x1 + 0.01 * c.w, top + 0.01 * c.h, (60, 64, 72))
    sk.rect(
        x0 + 0.02 * c.w,
        top + 0.05 * c.h,
        x1 - 0.02 * c.w,
        top + 0.07 * c.h,
        c.sc.accents[0] if c.sc.accents else (230, 120, 60),
    )
    sk.rect(c.w * 0.2, top - 0.07 * c.h, c.w * 0.29, top - 0.02 * c.h, (150, 154, 160), radius=0.01 * c.h)
    sk.stroke([(c.w * 0.29, top - 0.06 * c.h), (c.w * 0.33, top - 0.065 * c.h)], (40, 40, 44), 0.008 * c.h)
    sk.chord(c.w * 0.74, top - 0.02 * c.h, 0.05 * c.h, 0.05 * c.h, 0, 180, (214, 90, 70))
    for k, col in enumerate(((220, 60, 50), (240, 170, 40), (80, 160, 60))):
        sk.ellipse(c.w * (0.6 + 0.03 * k), top - 0.025 * c.h, 0.014 * c.h, 0.013 * c.h, col)
    sk.paste(ambient_shade(c, c.w / 2, rim=0.3))


@prop
def _studio_lights(c: Canvas, floor_y: float, light: float) -> None:
    """A lighting rig overhead: a truss with spotlights and their beams."""
    c.rect(0, c.h * 0.03, c.w, c.h * 0.045, to_vec((50, 50, 56)))
    beam = np.array([1.0, 0.95, 0.85], F32)
    for k in range(5):
        x = c.w * (0.1 + 0.2 * k)
        sk = _sketch(c, x - 0.03 * c.h, c.h * 0.03, x + 0.03 * c.h, c.h * 0.11)
        sk.rect(x - 0.022 * c.h, c.h * 0.045, x + 0.022 * c.h, c.h * 0.1, (40, 40, 46), radius=0.005 * c.h)
        sk.paste()
        c.spot(x, c.h * 0.1, 0.016 * c.h, 0.008 * c.h, beam)
        c.glow_spot(x, c.h * 0.12, 0.05 * c.h, beam, 0.5)
    ys = np.arange(int(c.h * 0.1), int(floor_y), dtype=F32)
    for k in (1, 3):
        x = c.w * (0.1 + 0.2 * k)
        for y in ys[:: max(1, int(2 * c.u))]:
            half = 0.01 * c.w + (y - c.h * 0.1) * 0.18
            c.rect(x - half, y, x + half, y + max(1, int(2 * c.u)), beam, 0.035)


@prop
def _camera(c: Canvas, floor_y: float, light: float) -> None:
    """A studio camera on its pedestal at the edge of the frame."""
    x = c.w * (0.06 if _far(c) > 0 else 0.94)
    base = c.h * 0.98
    s = 0.12 * c.h
    sk = _sketch(c, x - s * 1.3, base - s * 3, x + s * 1.3, base)
    sk.rect(x - s * 0.08, base - s * 1.8, x + s * 0.08, base - s * 0.2, (50, 50, 56))
    sk.poly(
        [(x - s * 0.6, base), (x + s * 0.6, base), (x + s * 0.1, base - s * 0.3), (x - s * 0.1, base - s * 0.3)],
        (44, 44, 50),
    )
    sk.rect(x - s * 0.55, base - s * 2.5, x + s * 0.55, base - s * 1.8, (36, 36, 42), radius=s * 0.08)
    sk.rect(x - s * 0.9 * _far(c), base - s * 2.35, x - s * 0.5 * _far(c), base - s * 1.95, (30, 30, 34))
    sk.ellipse(x + s * 0.3, base - s * 2.4, s * 0.05, s * 0.05, (230, 40, 40))
    _done(c, sk, x)
    c.glow_spot(x + s * 0.3, base - s * 2.4, 0.02 * c.h, np.array([1, 0.2, 0.2], F32), 0.5)


@prop
def _bookshelves(c: Canvas, floor_y: float, light: float) -> None:
    rng = c.rng("books")
    wood = to_vec(_lit((96, 62, 40), light))
    for x0, x1 in ((0.0, 0.4), (0.6, 1.0)) if c.sc.camera != "close" else ((0.0, 1.0),):
        a, b = c.w * x0, c.w * x1
        c.rect(a, c.h * 0.06, b, floor_y, wood * 0.7)
        for r in range(5):
            y1 = c.h * (0.2 + 0.11 * r)
            c.rect(a, y1, b, y1 + 0.014 * c.h, wood)
            x = a + 0.01 * c.w
            while x < b - 0.01 * c.w:
                bw = c.h * float(rng.uniform(0.012, 0.024))
                bh = c.h * float(rng.uniform(0.065, 0.09))
                col = TOPS[int(rng.integers(len(TOPS)))]
                c.rect(x, y1 - bh, x + bw, y1, to_vec(_lit(col, light)) * float(rng.uniform(0.7, 1.0)))
                x += bw + 0.6 * c.u


@prop
def _reading_lamp(c: Canvas, floor_y: float, light: float) -> None:
    x = _x(c, -0.05)
    y = floor_y + 0.02 * c.h
    s = 0.1 * c.h
    sk = _sketch(c, x - s * 1.4, y - s * 1.8, x + s * 1.4, y + s * 0.2)
    sk.rect(x - s * 1.2, y - s * 0.75, x + s * 1.2, y - s * 0.62, _lit((110, 72, 48), light))
    sk.rect(x - s * 1.1, y - s * 0.62, x - s * 1.0, y, _lit((90, 60, 40), light))
    sk.rect(x + s * 1.0, y - s * 0.62, x + s * 1.1, y, _lit((90, 60, 40), light))
    sk.rect(x + s * 0.6, y - s * 1.5, x + s * 0.64, y - s * 0.75, (60, 70, 50))
    sk.chord(x + s * 0.62, y - s * 1.45, s * 0.3, s * 0.22, 180, 360, (40, 110, 70))
    sk.rect(x - s * 0.6, y - s * 0.88, x - s * 0.1, y - s * 0.75, (150, 40, 40))
    _done(c, sk, x)
    c.glow_spot(x + s * 0.62, y - s * 1.35, 0.12 * c.h, WARM, 0.5)


@prop
def _blackboard(c: Canvas, floor_y: float, light: float) -> None:
    x0, x1 = c.w * 0.2, c.w * 0.8
    y0, y1 = c.h * 0.14, c.h * 0.44
    c.rect(x0 - 0.01 * c.w, y0 - 0.015 * c.h, x1 + 0.01 * c.w, y1 + 0.015 * c.h, to_vec(_lit((120, 86, 56), light)))
    c.rect(x0, y0, x1, y1, to_vec(_lit((46, 70, 56), light)))
    chalk = to_vec(_lit((230, 232, 224), light))
    for k in range(4):
        y = y0 + 0.05 * c.h + k * 0.06 * c.h
        c.rect(x0 + 0.05 * c.w, y, x0 + (0.25 + 0.08 * (k % 3)) * c.w, y + 0.007 * c.h, chalk, 0.75)
    c.rect(x1 - 0.2 * c.w, y0 + 0.06 * c.h, x1 - 0.05 * c.w, y0 + 0.067 * c.h, chalk, 0.75)
    c.spot(x1 - 0.12 * c.w, y0 + 0.16 * c.h, 0.04 * c.h, 0.04 * c.h, chalk, 0.3)


@prop
def _desks(c: Canvas, floor_y: float, light: float) -> None:
    for k in range(4):
        x = c.w * (0.14 + 0.24 * k)
        y = floor_y + 0.03 * c.h
        s = 0.07 * c.h
        sk = _sketch(c, x - s * 1.3, y - s * 1.2, x + s * 1.3, y + s * 0.6)
        sk.rect(x - s * 1.2, y - s * 0.5, x + s * 1.2, y - s * 0.35, _lit((170, 130, 86), light))
        sk.rect(x - s * 1.1, y - s * 0.35, x - s * 1.0, y + s * 0.5, _lit((70, 70, 76), light))
        sk.rect(x + s * 1.0, y - s * 0.35, x + s * 1.1, y + s * 0.5, _lit((70, 70, 76), light))
        _done(c, sk, x)


@prop
def _clock(c: Canvas, floor_y: float, light: float) -> None:
    x, y, r = c.w * 0.5, c.h * 0.07, 0.04 * c.h
    c.spot(x, y, r * 1.1, r * 1.1, to_vec(_lit((40, 40, 44), light)))
    c.spot(x, y, r, r, to_vec(_lit((246, 244, 236), light)))
    c.rect(x - 0.5 * c.u, y - r * 0.7, x + 0.5 * c.u, y, to_vec((20, 20, 20)))
    c.rect(x, y - 0.5 * c.u, x + r * 0.5, y + 0.5 * c.u, to_vec((20, 20, 20)))


@prop
def _lab_shelves(c: Canvas, floor_y: float, light: float) -> None:
    rng = c.rng("flasks")
    x0, x1 = sorted((_x(c, 0.05), _x(c, 1.0)))
    for r in range(2):
        y = c.h * (0.24 + 0.14 * r)
        c.rect(x0, y, x1, y + 0.01 * c.h, to_vec(_lit((200, 204, 210), light)))
        x = x0 + 0.02 * c.w
        while x < x1 - 0.03 * c.w:
            s = c.h * float(rng.uniform(0.02, 0.035))
            liquid = ((80, 220, 140), (80, 160, 255), (240, 100, 200), (250, 200, 60))[int(rng.integers(4))]
            sk = _sketch(c, x - s, y - s * 3, x + s, y)
            sk.ellipse(x, y - s * 0.8, s * 0.8, s * 0.8, _lit((220, 236, 240), light))
            sk.rect(x - s * 0.25, y - s * 2.4, x + s * 0.25, y - s * 1.2, _lit((220, 236, 240), light))
            sk.chord(x, y - s * 0.8, s * 0.7, s * 0.7, 0, 180, liquid)
            sk.paste()
            c.glow_spot(x, y - s * 0.6, s * 1.5, to_vec(liquid), 0.25)
            x += s * 2.6


@prop
def _lab_bench(c: Canvas, floor_y: float, light: float) -> None:
    top = floor_y - 0.12 * c.h
    x0, x1 = c.w * 0.05, c.w * 0.95
    c.rect(
        x0,
        top,
        x1,
        floor_y + 0.03 * c.h,
        to_vec(_lit((236, 238, 240), light)),
        1.0,
        bottom=to_vec(_lit((170, 176, 182), light)),
    )
    c.rect(x0, top - 0.012 * c.h, x1, top + 0.004 * c.h, to_vec(_lit((40, 44, 50), light)))
    s = 0.03 * c.h
    x = _x(c, -0.6)
    sk = _sketch(c, x - s * 3, top - s * 4, x + s * 3, top)
    sk.rect(x - s * 0.3, top - s * 3.5, x + s * 0.3, top, (60, 64, 70))
    sk.rect(x - s * 1.2, top - s * 0.4, x + s * 1.2, top, (50, 54, 60))
    sk.rect(x - s * 0.5, top - s * 4.0, x + s * 1.8, top - s * 3.4, (70, 74, 80), radius=s * 0.2)
    sk.paste()


@prop
def _screens(c: Canvas, floor_y: float, light: float) -> None:
    col = np.array([0.45, 0.85, 1.0], F32)
    for k in range(2):
        x = _x(c, -0.15 - 0.45 * k)
        y0, y1 = c.h * 0.2, c.h * 0.38
        c.rect(x - 0.07 * c.w, y0, x + 0.07 * c.w, y1, to_vec((30, 34, 40)))
        c.rect(x - 0.063 * c.w, y0 + 0.01 * c.h, x + 0.063 * c.w, y1 - 0.01 * c.h, col * 0.5)
        for j in range(4):
            yy = y0 + 0.03 * c.h + j * 0.03 * c.h
            c.rect(x - 0.05 * c.w, yy, x + (0.05 - 0.02 * (j % 2)) * c.w, yy + 0.006 * c.h, col, 0.9)
        c.glow_rect(x - 0.07 * c.w, y0, x + 0.07 * c.w, y1, col, 0.4)


@prop
def _hospital_bed(c: Canvas, floor_y: float, light: float) -> None:
    x = _x(c, 0.55)
    y = floor_y + 0.02 * c.h
    s = 0.12 * c.h
    sk = _sketch(c, x - s * 2, y - s * 1.5, x + s * 2, y + s * 0.3)
    sk.rect(x - s * 1.8, y - s * 0.75, x + s * 1.8, y - s * 0.35, (236, 240, 244), radius=s * 0.1)
    sk.rect(x - s * 1.8, y - s * 0.4, x + s * 1.8, y - s * 0.25, (170, 180, 190))
    sk.rect(x - s * 1.85, y - s * 1.3, x - s * 1.7, y + s * 0.2, (160, 170, 180))
    sk.rect(x + s * 1.7, y - s * 1.0, x + s * 1.85, y + s * 0.2, (160, 170, 180))
    sk.rect(x - s * 1.6, y - s * 0.95, x - s * 0.9, y - s * 0.7, (250, 250, 252), radius=s * 0.1)
    sk.rect(x - s * 0.8, y - s * 0.85, x + s * 1.7, y - s * 0.6, (120, 170, 200), radius=s * 0.05)
    _done(c, sk, x)


@prop
def _monitor(c: Canvas, floor_y: float, light: float) -> None:
    x = _x(c, 0.95)
    y0, y1 = c.h * 0.24, c.h * 0.36
    c.rect(x - 0.02 * c.w, y1, x - 0.016 * c.w, floor_y, to_vec((150, 156, 164)))
    c.rect(x - 0.05 * c.w, y0, x + 0.02 * c.w, y1, to_vec((40, 44, 50)))
    green = np.array([0.3, 1.0, 0.5], F32)
    xs = np.linspace(x - 0.045 * c.w, x + 0.015 * c.w, 40)
    for k, xx in enumerate(xs):
        yy = (y0 + y1) / 2 + (0.03 * c.h if k % 13 == 6 else -0.02 * c.h if k % 13 == 7 else 0)
        c.spot(float(xx), yy, c.u, c.u, green)
    c.glow_rect(x - 0.05 * c.w, y0, x + 0.02 * c.w, y1, green, 0.3)


@prop
def _curtain(c: Canvas, floor_y: float, light: float) -> None:
    x = _x(c, -0.9)
    col = to_vec(_lit((150, 196, 200), light))
    c.rect(x - 0.08 * c.w, c.h * 0.05, x + 0.08 * c.w, floor_y + 0.04 * c.h, col)
    for k in range(6):
        xx = x - 0.08 * c.w + k * 0.032 * c.w
        c.rect(xx, c.h * 0.05, xx + 0.01 * c.w, floor_y + 0.04 * c.h, col * 0.82)
    c.rect(0, c.h * 0.04, c.w, c.h * 0.05, to_vec((170, 176, 184)))


@prop
def _filing(c: Canvas, floor_y: float, light: float) -> None:
    x = _x(c, 0.92)
    c.rect(
        x - 0.05 * c.w, floor_y - 0.3 * c.h, x + 0.05 * c.w, floor_y + 0.02 * c.h, to_vec(_lit((150, 156, 162), light))
    )
    for k in range(3):
        y = floor_y - 0.28 * c.h + k * 0.1 * c.h
        c.rect(x - 0.045 * c.w, y, x + 0.045 * c.w, y + 0.08 * c.h, to_vec(_lit((176, 182, 188), light)))
        c.rect(x - 0.012 * c.w, y + 0.02 * c.h, x + 0.012 * c.w, y + 0.027 * c.h, to_vec((60, 60, 60)))


@prop
def _desk(c: Canvas, floor_y: float, light: float) -> None:
    dx = _x(c, 0.5)
    wood = to_vec(_lit((120, 90, 64), light))
    c.rect(dx - 0.15 * c.w, floor_y - 0.14 * c.h, dx + 0.15 * c.w, floor_y - 0.12 * c.h, wood)
    c.rect(dx - 0.14 * c.w, floor_y - 0.12 * c.h, dx - 0.12 * c.w, floor_y + 0.02 * c.h, wood * 0.7)
    c.rect(dx + 0.12 * c.w, floor_y - 0.12 * c.h, dx + 0.14 * c.w, floor_y + 0.02 * c.h, wood * 0.7)
    screen = np.array([0.6, 0.8, 1.0], F32)
    c.rect(dx - 0.06 * c.w, floor_y - 0.3 * c.h, dx + 0.06 * c.w, floor_y - 0.17 * c.h, screen * 0.8)
    c.rect(dx - 0.005 * c.w, floor_y - 0.17 * c.h, dx + 0.005 * c.w, floor_y - 0.14 * c.h, to_vec((50, 50, 50)))
    c.glow_rect(dx - 0.06 * c.w, floor_y - 0.3 * c.h, dx + 0.06 * c.w, floor_y - 0.17 * c.h, screen, 0.6)
    c.spot(dx + 0.11 * c.w, floor_y - 0.16 * c.h, 0.012 * c.h, 0.02 * c.h, to_vec(_lit((230, 230, 220), light)))


@prop
def _plant(c: Canvas, floor_y: float, light: float) -> None:
    x, base = _x(c, -0.95) if c.sc.place != "living room" else _x(c, 0.0), floor_y + 0.02 * c.h
    potted(c, x, base, c.h * 0.22, light)


def potted(c: Canvas, x: float, base: float, s: float, light: float) -> None:
    sk = Sketch(c, x - s * 0.5, base - s * 1.1, x + s * 0.5, base + 2, ss=3)
    sk.poly(
        [(x - s * 0.12, base - s * 0.25), (x + s * 0.12, base - s * 0.25), (x + s * 0.09, base), (x - s * 0.09, base)],
        (170, 96, 70),
    )
    for k in range(7):
        a = -np.pi / 2 + (k - 3) * 0.38
        sk.ellipse(
            x + math.cos(a) * s * 0.28, base - s * 0.3 + math.sin(a) * s * 0.45, s * 0.07, s * 0.18, (60, 120, 70)
        )
    sk.paste(lambda rgb, alpha, x0, y0: rgb * light)


@prop
def _sofa(c: Canvas, floor_y: float, light: float) -> None:
    rng = c.rng("furniture")
    sx = _x(c, 0.3)
    sx = min(sx, c.w - 0.36 * c.w) if _far(c) > 0 else max(0.0, sx - 0.36 * c.w)
    fabric = c.lit(TOPS[int(rng.integers(len(TOPS)))]) * (light / max(float(c.pal.ambient.mean()), 0.3))
    r, g, b = (int(v * 255) for v in np.clip(fabric, 0, 1))
    col = (r, g, b)
    sk = Sketch(c, sx, floor_y - 0.22 * c.h, sx + 0.36 * c.w, floor_y + 0.05 * c.h, ss=3)
    sk.rect(sx, floor_y - 0.2 * c.h, sx + 0.35 * c.w, floor_y - 0.06 * c.h, col, radius=0.03 * c.h)
    sk.rect(
        sx + 0.01 * c.w,
        floor_y - 0.1 * c.h,
        sx + 0.34 * c.w,
        floor_y + 0.02 * c.h,
        darken(col, 0.85),
        radius=0.02 * c.h,
    )
    sk.paste()


@prop
def _floor_lamp(c: Canvas, floor_y: float, light: float) -> None:
    if not (light < 0.6 or "warm" in c.sc.lights):
        return
    x = c.w * (0.9 if c.pal.key_side < 0 else 0.1)
    warm = to_vec(c.sc.light_colour or (255, 190, 110)) if "warm" in c.sc.lights else WARM
    top = floor_y - 0.42 * c.h
    c.rect(x - 0.4 * c.u, top, x + 0.8 * c.u, floor_y, to_vec((40, 36, 34)))
    sk = Sketch(c, x - 0.06 * c.h, top - 0.08 * c.h, x + 0.06 * c.h, top + 0.02 * c.h, ss=3)
    sk.poly(
        [
            (x - 0.035 * c.h, top - 0.07 * c.h),
            (x + 0.035 * c.h, top - 0.07 * c.h),
            (x + 0.055 * c.h, top + 0.005 * c.h),
            (x - 0.055 * c.h, top + 0.005 * c.h),
        ],
        (250, 220, 170),
    )
    sk.paste()
    c.glow_spot(x, top - 0.03 * c.h, 0.1 * c.h, warm, 1.0)
    c.glow_spot(x, top + 0.1 * c.h, 0.35 * c.h, warm, 0.35)


@prop
def _bed(c: Canvas, floor_y: float, light: float) -> None:
    x = _x(c, 0.5)
    y = floor_y + 0.03 * c.h
    s = 0.12 * c.h
    quilt = c.sc.accents[0] if c.sc.accents else (90, 120, 190)
    sk = _sketch(c, x - s * 2.2, y - s * 1.6, x + s * 2.2, y + s * 0.2)
    sk.rect(x - s * 2.0 * _far(c), y - s * 1.5, x - s * 1.85 * _far(c), y + s * 0.15, _lit((110, 74, 50), light))
    sk.rect(x - s * 1.9, y - s * 0.7, x + s * 1.9, y + s * 0.1, _lit((236, 232, 226), light), radius=s * 0.1)
    sk.rect(
        x - s * 1.2 * _far(c), y - s * 0.75, x + s * 1.9 * _far(c), y + s * 0.1, _lit(quilt, light), radius=s * 0.08
    )
    sk.rect(
        x - s * 1.8 * _far(c),
        y - s * 0.9,
        x - s * 1.3 * _far(c),
        y - s * 0.62,
        _lit((250, 250, 250), light),
        radius=s * 0.1,
    )
    _done(c, sk, x)


@prop
def _bedside_lamp(c: Canvas, floor_y: float, light: float) -> None:
    x = _x(c, 0.95)
    y = floor_y
    c.rect(x - 0.04 * c.w, y - 0.12 * c.h, x + 0.04 * c.w, y + 0.02 * c.h, to_vec(_lit((120, 84, 56), light)))
    sk = _sketch(c, x - 0.05 * c.h, y - 0.24 * c.h, x + 0.05 * c.h, y - 0.12 * c.h)
    sk.poly(
        [
            (x - 0.03 * c.h, y - 0.23 * c.h),
            (x + 0.03 * c.h, y - 0.23 * c.h),
            (x + 0.045 * c.h, y - 0.17 * c.h),
            (x - 0.045 * c.h, y - 0.17 * c.h),
        ],
        (250, 226, 180),
    )
    sk.rect(x - 0.004 * c.h, y - 0.17 * c.h, x + 0.004 * c.h, y - 0.12 * c.h, (60, 50, 40))
    sk.paste()
    c.glow_spot(x, y - 0.2 * c.h, 0.14 * c.h, WARM, 0.7 if light < 0.6 else 0.25)


@prop
def _plant_tables(c: Canvas, floor_y: float, light: float) -> None:
    rng = c.rng("greenhouse")
    for side in (-1, 1):
        x0, x1 = (0.0, 0.38) if side < 0 else (0.62, 1.0)
        top = floor_y - 0.08 * c.h
        c.rect(c.w * x0, top, c.w * x1, top + 0.02 * c.h, to_vec(_lit((120, 90, 60), light)))
        for k in range(5):
            x = c.w * (x0 + (x1 - x0) * (k + 0.5) / 5)
            potted(c, x, top, c.h * float(rng.uniform(0.12, 0.22)), light)
            if rng.random() < 0.5:
                c.spot(x, top - 0.12 * c.h, 0.012 * c.h, 0.012 * c.h, to_vec(((240, 90, 120), (250, 210, 60))[k % 2]))


@prop
def _hanging_plants(c: Canvas, floor_y: float, light: float) -> None:
    leaf = (60, 130, 70)
    for k in range(4):
        x = c.w * (0.12 + 0.25 * k)
        y = c.h * (0.12 + 0.04 * (k % 2))
        sk = _sketch(c, x - 0.06 * c.h, 0, x + 0.06 * c.h, y + 0.12 * c.h)
        sk.rect(x - 0.4 * c.u, 0, x + 0.4 * c.u, y, (60, 60, 60))
        sk.chord(x, y, 0.035 * c.h, 0.03 * c.h, 0, 180, (170, 96, 70))
        for j in range(5):
            sk.stroke(
                [(x + (j - 2) * 0.012 * c.h, y + 0.02 * c.h), (x + (j - 2) * 0.02 * c.h, y + 0.1 * c.h)],
                leaf,
                0.01 * c.h,
            )
        sk.paste(lambda rgb, alpha, x0, y0: rgb * light)


@prop
def _fireplace(c: Canvas, floor_y: float, light: float) -> None:
    x = _x(c, 0.5)
    s = 0.16 * c.h
    sk = _sketch(c, x - s * 1.3, floor_y - s * 1.9, x + s * 1.3, floor_y + 0.02 * c.h)
    sk.rect(x - s * 1.2, floor_y - s * 1.4, x + s * 1.2, floor_y, _lit((130, 120, 110), light))
    sk.rect(x - s * 1.35, floor_y - s * 1.55, x + s * 1.35, floor_y - s * 1.4, _lit((90, 70, 56), light))
    sk.rect(x - s * 0.75, floor_y - s * 0.95, x + s * 0.75, floor_y, (30, 20, 18), radius=s * 0.3)
    sk.paste()
    fire = np.array([1.0, 0.55, 0.15], F32)
    for k, (dx, r) in enumerate(((0.0, 0.35), (-0.3, 0.22), (0.3, 0.25))):
        c.spot(x + dx * s, floor_y - s * (0.25 + 0.05 * k), s * r * 0.6, s * r, fire * (1.0 - 0.1 * k))
    c.spot(x, floor_y - s * 0.2, s * 0.15, s * 0.22, np.array([1.0, 0.9, 0.5], F32))
    c.glow_spot(x, floor_y - s * 0.3, 0.4 * c.h, fire, 0.7)


@prop
def _barrels(c: Canvas, floor_y: float, light: float) -> None:
    for k in range(3):
        x = _x(c, -0.75 - 0.12 * k) if k < 2 else _x(c, -0.81)
        base = floor_y + 0.03 * c.h - (0.11 * c.h if k == 2 else 0)
        s = 0.1 * c.h
        sk = _sketch(c, x - s * 0.7, base - s * 1.2, x + s * 0.7, base)
        sk.ellipse(x, base - s * 0.55, s * 0.55, s * 0.6, _lit((126, 84, 52), light))
        for dy in (-0.35, 0.25):
            sk.rect(
                x - s * 0.55,
                base - s * (0.55 - dy) - s * 0.04,
                x + s * 0.55,
                base - s * (0.55 - dy) + s * 0.04,
                _lit((60, 56, 54), light),
            )
        _done(c, sk, x)


@prop
def _lanterns(c: Canvas, floor_y: float, light: float) -> None:
    fire = np.array([1.0, 0.7, 0.3], F32)
    for k in range(3):
        x = c.w * (0.2 + 0.3 * k)
        y = c.h * 0.16
        c.rect(x - 0.4 * c.u, 0, x + 0.4 * c.u, y, to_vec((40, 34, 30)))
        c.rect(x - 0.012 * c.h, y, x + 0.012 * c.h, y + 0.035 * c.h, to_vec((60, 44, 30)))
        c.spot(x, y + 0.018 * c.h, 0.008 * c.h, 0.012 * c.h, fire)
        c.glow_spot(x, y + 0.02 * c.h, 0.1 * c.h, fire, 0.6)
    wood = to_vec(_lit((70, 46, 32), light))
    for y in (0.0, 0.1):
        c.rect(0, c.h * y, c.w, c.h * y + 0.03 * c.h, wood)


@prop
def _pillars(c: Canvas, floor_y: float, light: float) -> None:
    stone = to_vec(_lit((190, 182, 170), light))
    for f in (0.08, 0.92):
        x = c.w * f
        c.rect(x - 0.035 * c.w, c.h * 0.04, x + 0.035 * c.w, floor_y, stone, 1.0, bottom=stone * 0.8)
        for k in range(-2, 3):
            c.rect(
                x + k * 0.012 * c.w - 0.6 * c.u,
                c.h * 0.06,
                x + k * 0.012 * c.w + 0.6 * c.u,
                floor_y - 0.03 * c.h,
                stone * 0.8,
            )
        c.rect(x - 0.045 * c.w, c.h * 0.02, x + 0.045 * c.w, c.h * 0.06, stone * 1.05)
        c.rect(x - 0.045 * c.w, floor_y - 0.03 * c.h, x + 0.045 * c.w, floor_y, stone * 1.05)


@prop
def _banners(c: Canvas, floor_y: float, light: float) -> None:
    col = c.sc.accents[0] if c.sc.accents else (170, 30, 40)
    for f in (0.25, 0.75):
        x = c.w * f
        sk = _sketch(c, x - 0.05 * c.w, c.h * 0.05, x + 0.05 * c.w, c.h * 0.5)
        sk.poly(
            [
                (x - 0.04 * c.w, c.h * 0.06),
                (x + 0.04 * c.w, c.h * 0.06),
                (x + 0.04 * c.w, c.h * 0.45),
                (x, c.h * 0.4),
                (x - 0.04 * c.w, c.h * 0.45),
            ],
            _lit(col, light),
        )
        sk.ellipse(x, c.h * 0.2, 0.02 * c.w, 0.02 * c.w, _lit((240, 200, 80), light))
        sk.rect(x - 0.045 * c.w, c.h * 0.05, x + 0.045 * c.w, c.h * 0.065, (80, 60, 40))
        _done(c, sk, x)


@prop
def _throne(c: Canvas, floor_y: float, light: float) -> None:
    x = c.w * 0.5
    base = floor_y - 0.01 * c.h
    s = 0.2 * c.h
    c.rect(x - s * 1.2, base - 0.02 * c.h, x + s * 1.2, base + 0.03 * c.h, to_vec(_lit((170, 160, 150), light)))
    sk = _sketch(c, x - s, base - s * 1.6, x + s, base)
    sk.poly(
        [
            (x - s * 0.5, base - s * 1.1),
            (x - s * 0.3, base - s * 1.5),
            (x, base - s * 1.25),
            (x + s * 0.3, base - s * 1.5),
            (x + s * 0.5, base - s * 1.1),
            (x + s * 0.5, base),
            (x - s * 0.5, base),
        ],
        _lit((220, 180, 70), light),
    )
    sk.rect(x - s * 0.35, base - s * 1.05, x + s * 0.35, base - s * 0.35, _lit((150, 30, 40), light))
    sk.rect(x - s * 0.6, base - s * 0.45, x + s * 0.6, base - s * 0.3, _lit((200, 160, 60), light))
    _done(c, sk, x)


@prop
def _torches(c: Canvas, floor_y: float, light: float) -> None:
    fire = np.array([1.0, 0.6, 0.2], F32)
    for f in (0.18, 0.82):
        x, y = c.w * f, c.h * 0.3
        c.rect(x - 0.006 * c.h, y, x + 0.006 * c.h, y + 0.07 * c.h, to_vec((70, 50, 36)))
        c.spot(x, y - 0.015 * c.h, 0.012 * c.h, 0.025 * c.h, fire)
        c.spot(x, y - 0.01 * c.h, 0.006 * c.h, 0.012 * c.h, np.array([1.0, 0.92, 0.6], F32))
        c.glow_spot(x, y - 0.02 * c.h, 0.18 * c.h, fire, 0.8)


@prop
def _cell_bars(c: Canvas, floor_y: float, light: float) -> None:
    iron = to_vec(_lit((50, 50, 54), light))
    x0, x1 = sorted((_x(c, 0.2), _x(c, 1.0)))
    c.rect(x0, c.h * 0.08, x1, c.h * 0.1, iron)
    x = x0
    while x < x1:
        c.rect(x, c.h * 0.08, x + 0.008 * c.w, floor_y, iron, 1.0, bottom=iron * 0.7)
        x += 0.035 * c.w


@prop
def _chains(c: Canvas, floor_y: float, light: float) -> None:
    iron = to_vec(_lit((80, 80, 84), light))
    for f in (-0.4, -0.6):
        x = _x(c, f)
        for k in range(8):
            y = c.h * (0.2 + 0.03 * k)
            c.spot(x, y, 0.008 * c.h, 0.014 * c.h, iron)
            c.spot(x, y, 0.004 * c.h, 0.009 * c.h, c.img[min(c.h - 1, int(y)), min(c.w - 1, int(x + 0.02 * c.h))])


@prop
def _paintings(c: Canvas, floor_y: float, light: float) -> None:
    rng = c.rng("paintings")
    gold = to_vec(_lit((200, 160, 70), light))
    for k, f in enumerate((0.15, 0.5, 0.85)):
        x = c.w * f
        hw, hh = 0.08 * c.w, 0.11 * c.h + 0.02 * c.h * (k % 2)
        y = c.h * 0.3
        c.rect(x - hw - 0.008 * c.w, y - hh - 0.015 * c.h, x + hw + 0.008 * c.w, y + hh + 0.015 * c.h, gold)
        top = to_vec(TOPS[int(rng.integers(len(TOPS)))]) * light
        low = to_vec(TOPS[int(rng.integers(len(TOPS)))]) * light
        c.rect(x - hw, y - hh, x + hw, y + hh, top, 1.0, bottom=low)
        c.spot(x + hw * 0.3, y - hh * 0.3, hh * 0.25, hh * 0.25, to_vec((250, 230, 160)) * light, 0.8)
        c.glow_spot(x, y - hh - 0.06 * c.h, 0.08 * c.h, WARM, 0.25)


@prop
def _pedestal(c: Canvas, floor_y: float, light: float) -> None:
    x = _x(c, 0.7)
    s = 0.1 * c.h
    sk = _sketch(c, x - s, floor_y - s * 2.4, x + s, floor_y + 0.02 * c.h)
    sk.rect(x - s * 0.5, floor_y - s * 1.2, x + s * 0.5, floor_y, _lit((236, 234, 228), light))
    sk.rect(x - s * 0.6, floor_y - s * 1.3, x + s * 0.6, floor_y - s * 1.15, _lit((220, 218, 210), light))
    sk.ellipse(x, floor_y - s * 1.7, s * 0.35, s * 0.4, _lit((110, 160, 190), light))
    sk.rect(x - s * 0.12, floor_y - s * 2.2, x + s * 0.12, floor_y - s * 1.9, _lit((110, 160, 190), light))
    _done(c, sk, x)


@prop
def _rope(c: Canvas, floor_y: float, light: float) -> None:
    red = to_vec(_lit((170, 30, 40), light))
    gold = to_vec(_lit((210, 180, 90), light))
    posts = [c.w * f for f in (0.1, 0.4, 0.6, 0.9)]
    y = floor_y + 0.01 * c.h
    for x in posts:
        c.rect(x - 0.004 * c.w, y - 0.1 * c.h, x + 0.004 * c.w, y, gold)
    for a, b in zip(posts, posts[1:], strict=False):
        xs = np.linspace(a, b, 30)
        for t, xx in enumerate(xs):
            sag = 0.03 * c.h * math.sin(math.pi * t / 29)
            c.spot(float(xx), y - 0.09 * c.h + sag, 0.004 * c.h, 0.004 * c.h, red)


@prop
def _curtains(c: Canvas, floor_y: float, light: float) -> None:
    red = to_vec((170, 24, 40))
    for side in (-1, 1):
        x0, x1 = (0.0, 0.2) if side < 0 else (0.8, 1.0)
        c.rect(c.w * x0, 0, c.w * x1, floor_y, red, 1.0, bottom=red * 0.6)
        for k in range(6):
            x = c.w * (x0 + (x1 - x0) * k / 6)
            c.rect(x, 0, x + 0.012 * c.w, floor_y, red * 0.7)
    c.rect(0, 0, c.w, c.h * 0.12, red * 0.9, 1.0, bottom=red * 0.6)
    for k in range(12):
        c.spot(c.w * (k + 0.5) / 12, c.h * 0.12, c.w / 26, c.h * 0.03, red * 0.8)


@prop
def _footlights(c: Canvas, floor_y: float, light: float) -> None:
    warm = np.array([1.0, 0.85, 0.55], F32)
    y = c.h * 0.98
    for k in range(9):
        x = c.w * (k + 0.5) / 9
        c.spot(x, y, 0.02 * c.h, 0.01 * c.h, warm)
        c.glow_spot(x, y - 0.04 * c.h, 0.1 * c.h, warm, 0.35)


@prop
def _spotlight(c: Canvas, floor_y: float, light: float) -> None:
    """A pool of light on the stage and its cone from above."""
    beam = np.array([1.0, 0.95, 0.8], F32)
    cx = c.w * 0.5
    y0 = int(c.h * 0.12)
    for y in range(y0, int(c.h), max(1, int(2 * c.u))):
        half = c.w * (0.04 + 0.2 * (y - y0) / c.h)
        c.rect(cx - half, y, cx + half, y + max(1, int(2 * c.u)), beam, 0.06)
    c.spot(cx, c.h * 0.92, c.w * 0.22, c.h * 0.06, beam, 0.25, soft=0.03 * c.h)


@prop
def _consoles(c: Canvas, floor_y: float, light: float) -> None:
    rng = c.rng("consoles")
    top = floor_y - 0.1 * c.h
    c.rect(0, top, c.w, floor_y + 0.03 * c.h, to_vec((60, 66, 78)), 1.0, bottom=to_vec((36, 40, 48)))
    c.rect(0, top - 0.012 * c.h, c.w, top + 0.004 * c.h, to_vec((130, 140, 156)))
    colours = [np.array(v, F32) for v in ((0.3, 0.9, 1.0), (1.0, 0.4, 0.3), (0.4, 1.0, 0.5), (1.0, 0.85, 0.3))]
    for _ in range(40):
        x = float(rng.uniform(0.02, 0.98)) * c.w
        y = top + float(rng.uniform(0.025, 0.08)) * c.h
        col = colours[int(rng.integers(len(colours)))]
        c.rect(x, y, x + 0.012 * c.w, y + 0.008 * c.h, col)
        c.glow_spot(x, y, 0.01 * c.h, col, 0.3)


@prop
def _pipes(c: Canvas, floor_y: float, light: float) -> None:
    metal = to_vec(_lit((150, 156, 166), light))
    for k in range(3):
        y = c.h * (0.02 + 0.025 * k)
        c.rect(0, y, c.w, y + 0.012 * c.h, metal * (0.8 + 0.1 * k), 1.0, bottom=metal * 0.6)


@prop
def _seats(c: Canvas, floor_y: float, light: float) -> None:
    for f in (0.2, 0.8):
        x = c.w * f
        s = 0.14 * c.h
        base = c.h * 0.99
        sk = _sketch(c, x - s, base - s * 2.2, x + s, base)
        sk.rect(x - s * 0.55, base - s * 2.1, x + s * 0.55, base - s * 0.6, (50, 54, 64), radius=s * 0.15)
        sk.rect(x - s * 0.65, base - s * 0.75, x + s * 0.65, base - s * 0.45, (70, 74, 86), radius=s * 0.1)
        sk.rect(x - s * 0.1, base - s * 0.45, x + s * 0.1, base, (40, 42, 50))
        _done(c, sk, x)


@prop
def _train_seats(c: Canvas, floor_y: float, light: float) -> None:
    fabric = _lit((60, 90, 150), light)
    for k in range(3):
        x = c.w * (0.18 + 0.33 * k)
        s = 0.1 * c.h
        base = floor_y + 0.02 * c.h
        sk = _sketch(c, x - s * 1.3, base - s * 1.6, x + s * 1.3, base)
        sk.rect(x - s * 1.2, base - s * 1.5, x + s * 1.2, base - s * 0.5, fabric, radius=s * 0.15)
        sk.rect(x - s * 1.2, base - s * 0.6, x + s * 1.2, base - s * 0.3, darken(fabric, 0.8), radius=s * 0.1)
        _done(c, sk, x)


@prop
def _luggage_rack(c: Canvas, floor_y: float, light: float) -> None:
    metal = to_vec(_lit((180, 184, 190), light))
    c.rect(0, c.h * 0.12, c.w, c.h * 0.13, metal)
    rng = c.rng("luggage")
    for _ in range(4):
        x = c.w * float(rng.uniform(0.05, 0.85))
        col = to_vec(_lit(TOPS[int(rng.integers(len(TOPS)))], light))
        c.rect(x, c.h * 0.06, x + c.w * 0.08, c.h * 0.12, col)
