"""The room setting: walls, a window onto the outside, furniture and lamps."""

from __future__ import annotations

import math

import numpy as np

from sparkle_cli.backends.image.canvas import (
    F32,
    Canvas,
    Sketch,
    blur,
    darken,
    is_dark,
    lit_window_share,
    smoothstep,
    to_vec,
    upsample,
)
from sparkle_cli.backends.image.city import floor_lines, skyline
from sparkle_cli.backends.image.looks import TOPS
from sparkle_cli.backends.image.outdoors import conifers, paint_sky
from sparkle_cli.backends.image.scene import RGB


def paint_interior(c: Canvas) -> None:
    """A room: wall with wainscot, a window onto the sky outside, a wooden floor and furniture."""
    sc = c.sc
    v = sc.variant
    dark = is_dark(c)
    wall_base: RGB = (214, 196, 170) if v not in ("bar", "pub") else (120, 70, 60)
    if sc.accents and v not in ("bar", "pub"):
        accent = sc.accents[0]
        wall_base = (int(0.55 * accent[0] + 96), int(0.55 * accent[1] + 88), int(0.55 * accent[2] + 76))
    light = 0.45 if dark else 0.95
    wall = to_vec(wall_base) * light
    floor_y = c.h * 0.74
    c.horizon = floor_y
    c.rect(0, 0, c.w, floor_y, wall * 0.92, 1.0, bottom=wall * 1.02)
    if v not in ("bar", "pub"):
        c.rect(0, c.h * 0.5, c.w, floor_y, wall * 0.8)
        c.rect(0, c.h * 0.5, c.w, c.h * 0.5 + max(1.0, 2 * c.u), wall * 1.1)
        for k in range(1, 14):
            c.rect(c.w * k / 14, c.h * 0.52, c.w * k / 14 + max(1.0, c.u), floor_y, wall * 0.72)
    _window(c)
    c.rect(0, floor_y - 0.02 * c.h, c.w, floor_y, wall * 0.7)
    wood = to_vec((150, 104, 70)) * light
    c.rect(0, floor_y, c.w, c.h, wood * 0.85, 1.0, bottom=wood * 1.05)
    floor_lines(c, floor_y, 0.06, 0.2, 0, 0.18)
    _furniture(c, floor_y, light)
    if dark or "warm" in sc.lights:
        _lamp(c, floor_y)


def _window(c: Canvas) -> None:
    """A window in the back wall showing the sky and a skyline or trees outside, in a white frame."""
    rng = c.rng("window")
    left = c.pal.key_side < 0
    wx0 = c.w * (0.08 if left else 0.56) + float(rng.uniform(-0.02, 0.02)) * c.w
    wx1, wy0, wy1 = wx0 + c.w * 0.34, c.h * 0.14, c.h * 0.56
    ww, wh = int(wx1 - wx0), int(wy1 - wy0)
    if ww < 4 or wh < 4:
        return
    outside = Canvas(ww, wh, c.seed, c.sc, c.pal)
    outside.horizon = wh * 0.85
    paint_sky(outside)
    if c.sc.has("city", "skyline", "town", "neon", "apartment", "loft", "office"):
        skyline(outside, "window-city", wh * 1.0, 0.5, 0.14, (70, 80, 110), 0.4, lit_window_share(c))
    else:
        conifers(outside, "window-trees", 1.02, 0.3, 40, (60, 90, 70), 0.4)
    glow = upsample(blur(outside.glow, 2), ww, wh) if outside.glow.any() else 0.0
    a, b = int(wx0), int(wy0)
    region = c.img[b : b + wh, a : a + ww]
    if region.shape[:2] != (wh, ww):
        return
    region[:] = np.clip(outside.img + glow, 0, 1.2)
    frame = c.lit((236, 232, 224)) * (0.6 if is_dark(c) else 1.0)
    t = max(2.0, 3 * c.u)
    for x0, y0, x1, y1 in (
        (wx0 - t, wy0 - t, wx1 + t, wy0),
        (wx0 - t, wy1, wx1 + t, wy1 + 2 * t),
        (wx0 - t, wy0, wx0, wy1),
        (wx1, wy0, wx1 + t, wy1),
        ((wx0 + wx1) / 2 - t / 2, wy0, (wx0 + wx1) / 2 + t / 2, wy1),
        (wx0, (wy0 + wy1) / 2 - t / 2, wx1, (wy0 + wy1) / 2 + t / 2),
    ):
        c.rect(x0, y0, x1, y1, frame)
    if not is_dark(c) and "rain" not in c.sc.weather:
        _light_patch(c, wx0, wx1)
    c.glow_rect(wx0, wy0, wx1, wy1, c.pal.horizon, 0.15)


def _light_patch(c: Canvas, wx0: float, wx1: float) -> None:
    """Sunlight from the window falling on the floor as a slanted bright shape."""
    shift = -c.pal.key_side * c.w * 0.12
    y0, y1 = int(c.h * 0.76), int(c.h * 0.96)
    if y1 <= y0:
        return
    t = ((np.arange(y0, y1, dtype=F32) - y0) / (y1 - y0))[:, None]
    xs = np.arange(c.w, dtype=F32)[None, :]
    inside = smoothstep(-1, 1, xs - (wx0 + shift * t - c.w * 0.02 * t)) * smoothstep(
        1, -1, xs - (wx1 + shift * t + c.w * 0.06 * t)
    )
    c.img[y0:y1] += (inside * (1 - t * 0.5))[..., None] * c.pal.sun * 0.16


def _furniture(c: Canvas, floor_y: float, light: float) -> None:
    """Furniture for the kind of room: a counter and lamps, a desk and screen, or a sofa, plant and picture."""
    v = c.sc.variant
    rng = c.rng("furniture")
    left = c.pal.key_side > 0
    if v in ("kitchen", "cafe", "coffee shop", "bar", "pub", "restaurant", "diner"):
        x0, x1 = (0.0, 0.45) if left else (0.55, 1.0)
        top = floor_y - 0.2 * c.h
        wood = to_vec((110, 70, 50)) * light
        c.rect(x0 * c.w, top, x1 * c.w, floor_y + 0.04 * c.h, wood, 1.0, bottom=wood * 0.7)
        c.rect(x0 * c.w, top - 0.015 * c.h, x1 * c.w, top + 0.005 * c.h, to_vec((200, 190, 176)) * light)
        if v in ("bar", "pub"):
            for k in range(18):
                bx = c.w * (x0 + (x1 - x0) * (k + 0.5) / 18)
                hue = to_vec(TOPS[int(rng.integers(len(TOPS)))]) * light
                c.rect(bx - 0.006 * c.w, c.h * 0.3, bx + 0.006 * c.w, c.h * 0.38, hue)
                c.rect(bx - 0.002 * c.w, c.h * 0.27, bx + 0.002 * c.w, c.h * 0.3, hue)
            c.rect(x0 * c.w, c.h * 0.38, x1 * c.w, c.h * 0.392, wood * 0.8)
        elif v == "kitchen":
            for k in range(4):
                cx0 = c.w * (x0 + (x1 - x0) * k / 4)
                c.rect(
                    cx0 + 2 * c.u,
                    c.h * 0.12,
                    cx0 + c.w * (x1 - x0) / 4 - 2 * c.u,
                    c.h * 0.3,
                    to_vec((226, 220, 206)) * light,
                )
        for k in range(3):
            _pendant(c, c.w * (x0 + (x1 - x0) * (k + 0.5) / 3), c.h * 0.2, light)
    elif v == "office":
        dx = c.w * (0.2 if left else 0.55)
        c.rect(dx, floor_y - 0.14 * c.h, dx + 0.3 * c.w, floor_y - 0.12 * c.h, to_vec((120, 90, 64)) * light)
        c.rect(
            dx + 0.02 * c.w, floor_y - 0.12 * c.h, dx + 0.03 * c.w, floor_y + 0.02 * c.h, to_vec((60, 60, 60)) * light
        )
        c.rect(
            dx + 0.27 * c.w, floor_y - 0.12 * c.h, dx + 0.28 * c.w, floor_y + 0.02 * c.h, to_vec((60, 60, 60)) * light
        )
        screen = np.array([0.6, 0.8, 1.0], F32)
        c.rect(dx + 0.08 * c.w, floor_y - 0.3 * c.h, dx + 0.2 * c.w, floor_y - 0.17 * c.h, screen * 0.8)
        c.glow_rect(dx + 0.08 * c.w, floor_y - 0.3 * c.h, dx + 0.2 * c.w, floor_y - 0.17 * c.h, screen, 0.6)
    else:
        sx = c.w * (0.05 if left else 0.6)
        fabric = c.lit(TOPS[int(rng.integers(len(TOPS)))]) * (light / max(float(c.pal.ambient.mean()), 0.3))
        sk = Sketch(c, sx, floor_y - 0.22 * c.h, sx + 0.36 * c.w, floor_y + 0.05 * c.h, ss=3)
        r, g, b = (int(v * 255) for v in np.clip(fabric, 0, 1))
        col = (r, g, b)
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
        px = c.w * (0.47 if left else 0.48)
        _plant(c, px, floor_y + 0.02 * c.h, light)
        fx = c.w * (0.3 if left else 0.7)  # on the wall away from the window
        c.rect(fx - 0.05 * c.w, c.h * 0.2, fx + 0.05 * c.w, c.h * 0.38, to_vec((60, 50, 44)) * light)
        art = to_vec(c.sc.accents[0] if c.sc.accents else TOPS[int(rng.integers(len(TOPS)))]) * light
        c.rect(fx - 0.04 * c.w, c.h * 0.21, fx + 0.04 * c.w, c.h * 0.37, art, 1.0, bottom=art * 0.5)


def _pendant(c: Canvas, x: float, y: float, light: float) -> None:
    """A hanging dome lamp on its cord, with a warm bulb under the shade."""
    warm = np.array([1.0, 0.8, 0.5], F32)
    r = 0.045 * c.h
    sk = Sketch(c, x - r * 1.2, 0, x + r * 1.2, y + r * 0.4, ss=3)
    sk.rect(x - max(0.5, 0.5 * c.u), 0, x + max(0.5, 0.5 * c.u), y - r * 0.8, (40, 38, 36))
    sk.chord(x, y, r, r * 0.85, 180, 360, (70, 92, 84))
    sk.paste(lambda rgb, alpha, x0, y0: rgb * max(light, 0.5))
    c.spot(x, y + r * 0.05, r * 0.35, r * 0.22, warm)
    c.glow_spot(x, y + r * 0.2, 0.09 * c.h, warm, 0.6 if light < 0.6 else 0.25)


def _plant(c: Canvas, x: float, base: float, light: float) -> None:
    s = c.h * 0.22
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


def _lamp(c: Canvas, floor_y: float) -> None:
    if c.sc.variant in ("kitchen", "cafe", "coffee shop", "bar", "pub", "restaurant", "diner"):
        return
    x = c.w * (0.9 if c.pal.key_side < 0 else 0.1)
    warm = to_vec(c.sc.light_colour or (255, 190, 110)) if "warm" in c.sc.lights else np.array([1.0, 0.78, 0.48], F32)
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
