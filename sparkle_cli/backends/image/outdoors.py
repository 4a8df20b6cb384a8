"""Skies, landscape layers and the open-air settings: field, forest, beach, mountain, desert and space."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from sparkle_cli.backends.image.canvas import (
    F32,
    Canvas,
    Sketch,
    Vec,
    ambient_shade,
    darken,
    fill_below,
    is_dark,
    mix,
    noise1d,
    noise2d,
    smoothstep,
    soft_blur,
    to_vec,
    upsample,
)
from sparkle_cli.backends.image.scene import COLOURS, RGB


def paint_sky(c: Canvas) -> None:
    """A three-stop gradient to the horizon with the sun or moon, stars and clouds."""
    pal, hz = c.pal, max(c.horizon, 1.0)
    t = np.clip((np.arange(c.h, dtype=F32) + 0.5) / hz, 0, 1)[:, None]
    upper = mix(pal.top, pal.mid, smoothstep(0, 0.62, t))
    col = mix(upper, pal.horizon, smoothstep(0.45, 1.0, t))
    c.img[:] = col[:, None, :] if col.ndim == 2 else col
    sx, sy = pal.sun_x * c.w, c.horizon + pal.sun_dy * c.h
    c.glow_spot(sx, sy, c.h * 0.4, pal.sun, 0.16 if c.sc.time != "night" else 0.06)
    if c.sc.family == "space":
        return
    if pal.stars > 0:
        paint_stars(c, pal.stars, c.horizon)
    if pal.sun_visible and sy < c.horizon:
        night = c.sc.time == "night"
        r = c.h * (0.035 if night else 0.05 if c.sc.time in ("golden", "dawn") else 0.04)
        c.spot(sx, sy, r, r, mix(pal.sun, np.ones(3, F32), 0.5))
        if night:
            c.spot(sx - r * 0.3, sy + r * 0.2, r * 0.22, r * 0.18, pal.sun * 0.85, 0.5)
        c.glow_spot(sx, sy, r * 2.2, pal.sun, 0.45 if not night else 0.3)
    wet = "rain" in c.sc.weather
    if wet or "clouds" in c.sc.weather:
        paint_clouds(c, 0.55 if wet and is_dark(c) else 1.0 if wet else 0.7, dark=0.25 if wet else 0.0)


def paint_stars(c: Canvas, amount: float, bottom: float) -> None:
    """Single-pixel stars fading towards the horizon, a few of them with a halo."""
    rng = c.rng("stars")
    n = int(c.w * bottom * amount / 900) + 4
    xs = rng.integers(0, c.w, n)
    ys = rng.integers(0, max(1, int(bottom)), n)
    bright = rng.uniform(0.25, 1.0, n).astype(F32) ** 2 * amount
    fade = np.clip(1.2 - ys / max(bottom, 1.0), 0, 1)
    c.img[ys, xs] += (bright * fade)[:, None] * np.array([0.9, 0.92, 1.0], F32)
    for i in np.flatnonzero(bright > 0.6 * amount)[:12]:
        c.glow_spot(float(xs[i]), float(ys[i]), 3 * c.u, np.array([0.8, 0.85, 1.0], F32), 0.5 * amount)


def paint_clouds(c: Canvas, cover: float, dark: float = 0.0) -> None:
    """Flat illustrated clouds: puffs on a flat base, lit along the top edge."""
    rng = c.rng("clouds")
    pal = c.pal
    # Drawn at half size: the edges are softened anyway, and it halves the cost.
    hw, hh = max(4, c.w // 2), max(4, c.h // 2)
    mask = Image.new("L", (hw, hh))
    d = ImageDraw.Draw(mask)
    for _ in range(int(3 + cover * 9)):
        width = hw * float(rng.uniform(0.12, 0.32))
        cx = float(rng.uniform(-0.1, 1.1)) * hw
        base = c.horizon / 2 * float(rng.uniform(0.18, 0.8))
        puffs = int(rng.integers(3, 6))
        for k in range(puffs):
            px = cx - width / 2 + width * (k + 0.5) / puffs
            r = width / puffs * float(rng.uniform(0.7, 1.25)) * (1.25 if 0 < k < puffs - 1 else 0.9)
            d.ellipse([px - r, base - r * 1.4, px + r, base], fill=255)
        d.rounded_rectangle([cx - width / 2, base - width * 0.12, cx + width / 2, base], width * 0.06, fill=255)
    soft = mask.filter(ImageFilter.GaussianBlur(max(0.5, 0.7 * c.u))).resize((c.w, c.h), Image.Resampling.BILINEAR)
    rows = int(min(c.h, c.horizon + 2))
    m = np.asarray(soft, F32)[:rows, :, None] / 255.0
    shift = max(1, int(3 * c.u))
    edge = np.zeros_like(m)
    edge[shift:] = np.clip(m[shift:] - m[:-shift], 0, 1)
    body = mix(pal.horizon, np.array([0.97, 0.97, 1.0], F32), 0.55) * (1 - dark)
    if c.sc.time in ("night", "dusk"):
        body = mix(mix(pal.mid, pal.horizon, 0.5) * 1.15, pal.key, 0.12)
    shadow = mix(body, pal.top, 0.4)
    ys = (np.arange(rows, dtype=F32)[:, None, None] + 0.5) / max(c.horizon, 1.0)
    colour = mix(shadow, body, np.clip(1.1 - ys * 0.6, 0, 1)) + edge * pal.sun * (0.35 if c.sc.time != "night" else 0.1)
    sky = c.img[:rows]
    sky += (colour - sky) * (m * (0.65 if is_dark(c) else 0.9))


def hills(
    c: Canvas,
    name: str,
    base: float,
    amp: float,
    cycles: float,
    colour: RGB,
    depth: float,
    sharp: bool = False,
    fade: float = 0.35,
    snow: float = 0.0,
) -> Vec:
    """A ridge of hills or mountains across the frame; `base` and `amp` are fractions of the height."""
    rng = c.rng(name)
    top = (base - amp * noise1d(rng, c.w, cycles, sharp=sharp)) * c.h
    col = c.lit(colour, depth)
    haze = mix(col, c.pal.haze, 0.35 + 0.3 * c.pal.fog)
    fill_below(c, top, col, fade_to=haze if fade > 0 else None, fade_px=max(1.0, fade * c.h))
    if snow > 0:
        # Snow above a ragged snow line, so only the peaks turn white.
        peak, low = float(top.min()), float(top.max())
        line = peak + (low - peak) * snow * (0.55 + 0.45 * noise1d(rng, c.w, cycles * 6, 3))
        snow_col = c.lit((236, 240, 248), depth * 0.8)
        y0, y1 = int(max(0, peak)), int(min(c.h, line.max() + 1))
        if y1 > y0:
            ys = np.arange(y0, y1, dtype=F32)[:, None] + 0.5
            m = (np.clip(ys - top[None] + 0.5, 0, 1) * np.clip(line[None] - ys + 0.5, 0, 1))[..., None]
            region = c.img[y0:y1]
            region += (snow_col - region) * m * 0.9
    return top


def conifers(
    c: Canvas, name: str, base: float, height: float, count: int, colour: RGB, depth: float, snow: bool = False
) -> Vec:
    """A band of pine trees as one silhouette line: stacked triangles with saw-tooth branches."""
    rng = c.rng(name)
    xs = np.arange(c.w, dtype=F32) + 0.5
    n = max(3, int(count * c.w / max(c.h * 16 / 9, 1)))
    centres = np.sort(rng.uniform(-0.05, 1.05, n).astype(F32)) * c.w
    heights = (height * c.h * rng.uniform(0.6, 1.15, n)).astype(F32)
    halfw = heights * rng.uniform(0.2, 0.28, n).astype(F32)
    bases = (base * c.h + rng.uniform(-0.015, 0.015, n) * c.h).astype(F32)
    dx = np.abs(xs[None, :] - centres[:, None]) / halfw[:, None]
    tiers = 1 - (dx * 3 % 1) * 0.28
    prof = bases[:, None] - heights[:, None] * np.clip(1 - dx, 0, 1) * tiers
    prof = np.where(dx < 1, prof, bases[:, None] + 0 * dx)
    top = prof.min(axis=0)
    col = c.lit(colour, depth)
    fill_below(c, top, col, fade_to=mix(col, c.pal.haze, 0.3 + 0.4 * c.pal.fog), fade_px=height * c.h)
    if snow:
        m_y0 = int(max(0, top.min()))
        ys = np.arange(m_y0, c.h, dtype=F32)[:, None] + 0.5
        cap = np.clip(ys - top[None] + 0.5, 0, 1) * np.clip(top[None] + 2.5 * c.u - ys, 0, 1)
        c.img[m_y0:] += (c.lit((236, 242, 250), depth) - c.img[m_y0:]) * cap[..., None] * 0.8
    return top


def ground(c: Canvas, y: float, near: RGB, far: RGB, depth: float = 0.25) -> None:
    """Flat ground from `y` down, lighter far away and darker near the camera."""
    top = np.full(c.w, y, F32)
    fill_below(c, top, c.lit(far, depth), fade_to=c.lit(near), fade_px=max(1.0, c.h - y))


def water(c: Canvas, y: float, tint: RGB, calm: float = 1.0) -> None:
    """A water surface from `y` down reflecting what is above it, rippled and tinted."""
    y0 = int(round(y))
    if y0 >= c.h or y0 <= 0:
        return
    rng = c.rng("water")
    rows = np.arange(y0, c.h)
    t = ((rows - y0) / max(c.h - y0, 1)).astype(F32)
    src = np.clip(2 * y0 - rows - 1, 0, c.h - 1)
    wobble = (
        (np.sin(rows * (0.9 / c.u) + float(rng.uniform(0, 6))) + 0.6 * np.sin(rows * (2.3 / c.u) + 1.3))
        * (0.5 + 6 * t)
        * c.u
        / calm
    )
    cols = (np.arange(c.w)[None, :] + wobble.astype(np.int64)[:, None]) % c.w
    refl = c.img[src[:, None], cols]
    refl = soft_blur(refl, 1.2 * c.u)
    base = c.lit(tint, 0.0)
    far = mix(base, c.pal.horizon, 0.5)
    colour = mix(far, base, t[:, None, None])
    c.img[y0:] = mix(refl * 0.85, colour, (0.35 + 0.35 * t)[:, None, None])
    # Glints: short bright dashes that thin out towards the horizon.
    n = int(c.w * (c.h - y0) / (120 * max(c.u, 0.3)))
    gx = rng.integers(0, c.w, n)
    gy = (y0 + (rng.random(n) ** 1.6) * (c.h - y0)).astype(np.int64)
    ln = (1 + 10 * c.u * (gy - y0) / max(c.h - y0, 1)).astype(np.int64)
    glint = mix(c.pal.horizon, np.ones(3, F32), 0.6) * (0.22 if c.sc.time != "night" else 0.12)
    for k in range(3 if c.u > 0.3 else 1):
        xx = np.clip(gx + (k * ln) // 3, 0, c.w - 1)
        c.img[np.clip(gy, 0, c.h - 1), xx] += glint
    if c.pal.sun_visible and c.pal.sun_dy < 0:
        sx = c.pal.sun_x * c.w
        width = (0.02 + 0.12 * t) * c.w
        xs = np.arange(c.w, dtype=F32)[None, :]
        path = np.exp(-(((xs - sx) / width[:, None]) ** 2)) * (
            0.5 + 0.5 * np.sin(rows[:, None] * 1.7 / c.u + xs * 0.05)
        )
        c.img[y0:] += path[..., None] * c.pal.sun * 0.25 * (1.0 if c.sc.time != "noon" else 0.4)


def dunes(c: Canvas, name: str, base: float, amp: float, colour: RGB, depth: float) -> None:
    """Sand dunes: the face turned to the sun is lit, the other in warm shadow, both settling into one tone."""
    rng = c.rng(name)
    top = (base - amp * noise1d(rng, c.w, 0.9, octaves=2)) * c.h
    slope = np.gradient(top) * c.pal.key_side
    lit, shade = c.lit(colour, depth), c.lit(darken(colour, 0.7), depth)
    per_col = mix(shade[None], lit[None], smoothstep(-0.15, 0.15, -slope / max(c.u, 0.2))[:, None])
    fill_below(c, top, per_col, fade_to=mix(lit, shade, 0.4), fade_px=0.1 * c.h)


def paint_field(c: Canvas) -> None:
    """Open country: distant peaks, rolling hills, a lone tree; a barn on a farm, flowers in a garden."""
    sc = c.sc
    snow = "snow" in sc.weather
    c.horizon = c.h * (0.6 if sc.camera != "wide" else 0.64)
    paint_sky(c)
    hills(c, "field-far", 0.6, 0.12, 1.3, (96, 116, 150), 0.75, sharp=True, snow=0.25 if snow else 0.0)
    green = (236, 240, 246) if snow else (112, 156, 82) if sc.place != "farm" else (150, 160, 80)
    hills(c, "field-mid", 0.68, 0.07, 0.9, green, 0.35, fade=0.3)
    rng = c.rng("field-tree")
    tx = float(rng.uniform(0.15, 0.35) if c.pal.key_side > 0 else rng.uniform(0.65, 0.85)) * c.w
    near = hills(c, "field-near", 0.8, 0.08, 0.6, (226, 232, 240) if snow else (92, 140, 64), 0.0, fade=0.4)
    if sc.place == "farm":
        _barn(c, float(c.w) - tx, float(near[int(np.clip(c.w - tx, 0, c.w - 1))]))
        _fence(c, near)
    if sc.place == "park":
        _park(c, near)
    _round_tree(
        c,
        tx,
        float(near[int(np.clip(tx, 0, c.w - 1))]) + 2 * c.u,
        0.3 * c.h,
        (60, 100, 50) if not snow else (120, 130, 130),
    )
    if sc.place in ("garden", "meadow", "park") and not snow:
        _flowers(c, near)
    if sc.place == "garden":
        _hedges(c, near)


def _round_tree(c: Canvas, x: float, base: float, size: float, leaf: RGB) -> None:
    sk = Sketch(c, x - size * 0.6, base - size * 1.05, x + size * 0.6, base + 2, ss=3)
    trunk = (70, 52, 40)
    sk.poly(
        [
            (x - size * 0.05, base),
            (x + size * 0.05, base),
            (x + size * 0.03, base - size * 0.45),
            (x - size * 0.03, base - size * 0.45),
        ],
        trunk,
    )
    rng = c.rng(f"tree{x:.0f}")
    dark = darken(leaf, 0.8)
    for k in range(6):
        a = k / 6 * 2 * np.pi
        r = size * float(rng.uniform(0.22, 0.3))
        sk.ellipse(x + math.cos(a) * size * 0.22, base - size * 0.68 + math.sin(a) * size * 0.16, r, r * 0.9, dark)
    sk.ellipse(x - size * 0.05, base - size * 0.76, size * 0.3, size * 0.26, leaf)
    sk.paste(ambient_shade(c, x, rim=0.5))


def _barn(c: Canvas, x: float, base: float) -> None:
    s = c.h * 0.12
    sk = Sketch(c, x - s, base - s * 1.3, x + s, base + 2, ss=3)
    sk.poly(
        [
            (x - s * 0.8, base),
            (x - s * 0.8, base - s * 0.7),
            (x, base - s * 1.2),
            (x + s * 0.8, base - s * 0.7),
            (x + s * 0.8, base),
        ],
        (150, 50, 40),
    )
    sk.rect(x - s * 0.25, base - s * 0.55, x + s * 0.25, base, (90, 30, 26))
    sk.paste(ambient_shade(c, x, rim=0.4))


def _fence(c: Canvas, near: Vec) -> None:
    """A wooden rail fence across the near field, and furrows of crops beyond it."""
    wood = c.lit((140, 104, 70))
    y0 = float(near.min())
    for k in range(6):
        y = y0 - c.h * 0.02 * k
        c.rect(0, y - 0.003 * c.h, c.w, y, c.lit((120, 130, 60), 0.3), 0.5)
    base = c.h * 0.93
    c.rect(0, base - 0.07 * c.h, c.w, base - 0.062 * c.h, wood)
    c.rect(0, base - 0.04 * c.h, c.w, base - 0.032 * c.h, wood)
    for k in range(9):
        x = c.w * (k + 0.5) / 9
        c.rect(x - 0.006 * c.h, base - 0.09 * c.h, x + 0.006 * c.h, base, wood * 0.85)


def _park(c: Canvas, near: Vec) -> None:
    """A path across the grass, round trees behind, a bench and a lamp post."""
    y0 = float(near.min()) + 0.04 * c.h
    c.rect(0, y0, c.w, y0 + 0.06 * c.h, c.lit((200, 186, 160)), 0.9, bottom=c.lit((186, 170, 146)))
    rng = c.rng("park")
    for _ in range(3):
        x = float(rng.uniform(0.1, 0.9)) * c.w
        _round_tree(c, x, y0 - 0.005 * c.h, c.h * float(rng.uniform(0.22, 0.32)), (70, 120, 60))
    bx = c.w * (0.25 if c.pal.key_side < 0 else 0.75)
    s = c.h * 0.08
    sk = Sketch(c, bx - s * 1.5, y0 - s * 0.9, bx + s * 1.5, y0 + s * 0.5, ss=3)
    sk.rect(bx - s * 1.3, y0 - s * 0.8, bx + s * 1.3, y0 - s * 0.6, (120, 80, 50))
    sk.rect(bx - s * 1.3, y0 - s * 0.45, bx + s * 1.3, y0 - s * 0.3, (120, 80, 50))
    for d in (-1, 1):
        sk.rect(bx + d * s * 1.1 - s * 0.05, y0 - s * 0.3, bx + d * s * 1.1 + s * 0.05, y0 + s * 0.3, (40, 40, 44))
    sk.paste(ambient_shade(c, bx, rim=0.4))
    lx = c.w - bx
    c.rect(lx - 0.004 * c.h, y0 - 0.3 * c.h, lx + 0.004 * c.h, y0 + 0.03 * c.h, c.lit((40, 44, 48)))
    c.spot(
        lx,
        y0 - 0.3 * c.h,
        0.015 * c.h,
        0.02 * c.h,
        np.array([1.0, 0.9, 0.6], F32) if is_dark(c) else c.lit((220, 220, 210)),
    )
    if is_dark(c):
        c.glow_spot(lx, y0 - 0.3 * c.h, 0.1 * c.h, np.array([1.0, 0.85, 0.5], F32), 0.7)


def _hedges(c: Canvas, near: Vec) -> None:
    """Clipped hedges and a low garden wall along the back of the lawn."""
    y = float(near.min())
    green = c.lit((50, 100, 56), 0.1)
    for k in range(5):
        x0 = c.w * (k * 0.22 - 0.02)
        c.spot(x0 + 0.1 * c.w, y - 0.02 * c.h, 0.1 * c.w, 0.05 * c.h, green * (0.9 + 0.05 * (k % 2)))


def _rocks(c: Canvas, shore: Vec) -> None:
    """Dark rocks where the waves break."""
    rng = c.rng("rocks")
    for _ in range(6):
        x = float(rng.uniform(0, c.w))
        y = float(shore[int(np.clip(x, 0, c.w - 1))]) + float(rng.uniform(0, 0.1)) * c.h
        r = c.h * float(rng.uniform(0.03, 0.08))
        c.spot(x, y, r * 1.4, r, c.lit((70, 70, 76)))
        c.spot(x - r * 0.3, y - r * 0.4, r * 0.6, r * 0.3, c.lit((110, 110, 116)), 0.7)
        c.spot(x, y + r * 0.8, r * 1.6, r * 0.25, np.array([0.95, 0.97, 1.0], F32) * c.pal.ambient, 0.5)


def _flowers(c: Canvas, near: Vec) -> None:
    rng = c.rng("flowers")
    n = int(60 * c.w / max(c.h * 16 / 9, 1))
    hues = [to_vec(a) for a in c.sc.accents] or [
        to_vec((255, 230, 240)),
        to_vec((250, 210, 80)),
        to_vec((230, 120, 160)),
    ]
    for _ in range(n):
        x = float(rng.uniform(0, c.w))
        y0 = float(near[int(np.clip(x, 0, c.w - 1))])
        y = y0 + float(rng.random() ** 0.7) * (c.h - y0)
        r = c.u * (0.8 + 2.2 * (y - y0) / max(c.h - y0, 1))
        c.spot(x, y, r, r * 0.8, c.lit(hues[int(rng.integers(len(hues)))]) * 1.1, 0.9)


def paint_forest(c: Canvas) -> None:
    """Layers of pines fading into the haze, light rays at dawn and tree trunks framing closer shots."""
    sc = c.sc
    snow = "snow" in sc.weather
    c.horizon = c.h * 0.6
    paint_sky(c)
    hills(c, "forest-ridge", 0.58, 0.14, 1.1, (90, 110, 140), 0.8, sharp=True, snow=0.2 if snow else 0.0)
    greens = ((70, 110, 96), (44, 84, 66), (28, 60, 48))
    if snow:
        greens = ((90, 120, 120), (60, 96, 90), (40, 72, 66))
    for k, (base, height, col, depth) in enumerate(
        ((0.63, 0.2, greens[0], 0.6), (0.72, 0.28, greens[1], 0.32), (0.84, 0.36, greens[2], 0.08))
    ):
        conifers(c, f"forest-{k}", base, height, 46 - 12 * k, col, depth, snow=snow)
    ground(c, c.h * 0.86, (236, 240, 248) if snow else (58, 80, 44), (220, 228, 238) if snow else (72, 100, 56), 0.1)
    if sc.time in ("dawn", "morning", "golden") and "rain" not in sc.weather:
        _god_rays(c)
    if sc.camera != "wide":
        _trunks(c)


def _god_rays(c: Canvas) -> None:
    rng = c.rng("rays")
    sx = c.pal.sun_x * c.w
    ys = np.arange(c.gh, dtype=F32)[:, None] + 0.5
    xs = np.arange(c.gw, dtype=F32)[None, :] + 0.5
    ang = np.arctan2(xs - sx / 4, ys + c.gh * 0.3)
    rays = np.zeros_like(ang)
    for _ in range(5):
        a0 = float(rng.uniform(-0.6, 0.6))
        rays += np.exp(-(((ang - a0) / 0.03) ** 2))
    fade = np.clip(1 - ys / c.gh, 0, 1) * 0.6
    c.glow += (rays * fade)[..., None] * c.pal.sun * 0.12


def _trunks(c: Canvas) -> None:
    rng = c.rng("trunks")
    for k in range(2):
        x = float(rng.uniform(0.0, 0.12) if k == 0 else rng.uniform(0.88, 1.0)) * c.w
        w = c.h * float(rng.uniform(0.035, 0.06))
        c.rect(x - w, 0, x + w, c.h, c.lit((36, 30, 28)), 1.0, bottom=c.lit((24, 20, 20)))
        c.rect(
            x - w if c.pal.key_side < 0 else x + w * 0.5,
            0,
            x - w * 0.5 if c.pal.key_side < 0 else x + w,
            c.h,
            c.lit((70, 56, 48)),
            0.5,
        )


def paint_beach(c: Canvas) -> None:
    """Sea to the horizon, foam lines and sand; a lake gets a wooded far shore instead."""
    sc = c.sc
    lake = sc.place in ("lake", "river")
    c.horizon = c.h * (0.55 if sc.camera != "wide" else 0.58)
    paint_sky(c)
    if lake:
        hills(c, "lake-far", 0.55, 0.1, 1.2, (90, 110, 140), 0.7, sharp=True, snow=0.3 if "snow" in sc.weather else 0.0)
        conifers(c, "lake-shore", c.horizon / c.h + 0.005, 0.06, 90, (50, 80, 70), 0.45)
    water(c, c.horizon + (0.005 * c.h if lake else 0.0), (40, 110, 140) if not lake else (40, 90, 110))
    rng = c.rng("shore")
    shore = (0.8 + 0.06 * noise1d(rng, c.w, 0.7, 3)) * c.h
    xs = np.arange(c.w, dtype=F32)
    for k in range(3):
        line = shore - (k + 1) * 2.2 * c.u * (1 + k) - 3 * c.u * np.sin(xs / (40 * c.u) + k * 2.0)
        fill_below(c, line, np.array([0.92, 0.95, 0.98], F32) * c.pal.ambient, alpha=0.18 + 0.08 * k)
    sand = (236, 240, 248) if "snow" in sc.weather else (226, 196, 150)
    fill_below(c, shore, c.lit(darken(sand, 0.78)), fade_to=c.lit(sand), fade_px=8 * c.u)
    if sc.place == "island" or sc.has("palm", "tropical"):
        _palm(c, (0.12 if c.pal.key_side > 0 else 0.88) * c.w, float(c.h * 0.95))
    if sc.place == "sea":
        _rocks(c, shore)


def _palm(c: Canvas, x: float, base: float) -> None:
    s = c.h * 0.6
    sk = Sketch(c, x - s * 0.6, base - s * 1.1, x + s * 0.6, base + 2, ss=2)
    top = (x + s * 0.12, base - s)
    sk.stroke([(x, base), (x + s * 0.06, base - s * 0.5), top], (60, 46, 36), s * 0.04)
    for k in range(7):
        a = -np.pi / 2 + (k - 3) * 0.5
        tip = (top[0] + math.cos(a) * s * 0.45, top[1] + math.sin(a) * s * 0.28 + s * 0.15)
        mid = ((top[0] + tip[0]) / 2, (top[1] + tip[1]) / 2 - s * 0.06)
        sk.stroke([top, mid, tip], (40, 70, 50), s * 0.035)
    sk.paste(ambient_shade(c, x, rim=0.4))


def paint_mountain(c: Canvas) -> None:
    """Ridged mountains with snowy peaks and green foothills; a cliff drops to the sea."""
    sc = c.sc
    snow = "snow" in sc.weather
    c.horizon = c.h * 0.64
    paint_sky(c)
    soft = sc.variant in ("hills", "hill", "valley")
    hills(
        c,
        "mtn-0",
        0.5,
        0.3 if not soft else 0.14,
        1.3,
        (120, 136, 170),
        0.8,
        sharp=not soft,
        snow=0.28 if not soft else 0.0,
    )
    hills(
        c, "mtn-1", 0.6, 0.22 if not soft else 0.1, 1.7, (86, 104, 130), 0.5, sharp=not soft, snow=0.18 if snow else 0.0
    )
    if sc.variant in ("cliff", "canyon"):
        _cliff(c)
        return
    hills(c, "mtn-2", 0.74, 0.1, 1.0, (226, 232, 240) if snow else (84, 118, 70), 0.2, fade=0.3)
    hills(c, "mtn-3", 0.88, 0.06, 0.7, (236, 240, 248) if snow else (64, 98, 52), 0.0, fade=0.3)


def _cliff(c: Canvas) -> None:
    """A grassy headland on one side falling to the sea in a steep, ragged rock face."""
    water(c, c.h * 0.66, (40, 100, 130))
    rng = c.rng("cliff")
    xs = np.arange(c.w, dtype=F32) / c.w
    # Positive on the headland, negative past its edge; the land is on the side the light comes from.
    run = (0.45 - xs) if c.pal.key_side > 0 else (xs - 0.55)
    drop = 0.5 * np.clip(-run / 0.1, 0, 1) ** 1.5
    ragged = 0.012 * noise1d(rng, c.w, 12.0, octaves=3)
    top = c.h * (0.62 + 0.06 * noise1d(rng, c.w, 1.2) + drop + ragged)
    top = np.where(run > -0.1, top, float(c.h) + 2).astype(F32)
    fill_below(c, top, c.lit((70, 62, 56)), fade_to=c.lit((46, 42, 40)), fade_px=0.3 * c.h)
    # Grass is a band along the top of the flat part only; the face stays bare rock.
    y0 = int(max(0, top.min()))
    below = np.arange(y0, c.h, dtype=F32)[:, None] - top[None]
    band = np.clip(below + 0.5, 0, 1) * np.clip(1 - below / (0.04 * c.h), 0, 1) * (run > 0)[None]
    c.img[y0:] += (c.lit((96, 128, 70)) - c.img[y0:]) * band[..., None]


def paint_desert(c: Canvas) -> None:
    """Mesas in the haze and dunes lit on the sun side; cacti when named."""
    c.horizon = c.h * 0.64
    paint_sky(c)
    hills(c, "mesa", 0.62, 0.08, 0.8, (190, 120, 100), 0.7, fade=0.2)
    dunes(c, "dune-0", 0.7, 0.08, (226, 170, 110), 0.35)
    dunes(c, "dune-1", 0.82, 0.1, (230, 176, 112), 0.1)
    dunes(c, "dune-2", 0.95, 0.1, (236, 186, 120), 0.0)
    if c.sc.has("cactus", "cacti"):
        rng = c.rng("cactus")
        for _ in range(2):
            _cactus(
                c,
                float(rng.uniform(0.1, 0.9)) * c.w,
                c.h * float(rng.uniform(0.85, 0.95)),
                c.h * float(rng.uniform(0.12, 0.2)),
            )


def _cactus(c: Canvas, x: float, base: float, s: float) -> None:
    sk = Sketch(c, x - s * 0.5, base - s * 1.1, x + s * 0.5, base + 2, ss=3)
    col = (60, 120, 70)
    sk.stroke([(x, base), (x, base - s)], col, s * 0.16)
    sk.stroke([(x, base - s * 0.45), (x - s * 0.3, base - s * 0.45), (x - s * 0.3, base - s * 0.75)], col, s * 0.12)
    sk.stroke([(x, base - s * 0.6), (x + s * 0.28, base - s * 0.6), (x + s * 0.28, base - s * 0.85)], col, s * 0.12)
    sk.paste(ambient_shade(c, x, rim=0.4))


def paint_space(c: Canvas) -> None:
    """A nebula, dense stars and a banded planet; a rocky surface when people stand in it; the moon's surface."""
    if c.sc.place == "moon":
        from sparkle_cli.backends.image.places import paint_moon

        paint_moon(c)
        return
    c.horizon = float(c.h)
    pal = c.pal
    deep = np.array([0.02, 0.02, 0.06], F32)
    rng = c.rng("nebula")
    hues = [to_vec(a) for a in c.sc.accents] or [to_vec(COLOURS["purple"]), to_vec(COLOURS["teal"])]
    field = noise2d(rng, c.gh, c.gw, 3)
    second = noise2d(rng, c.gh, c.gw, 2)
    neb = (
        smoothstep(0.45, 0.85, field)[..., None] * hues[0] + smoothstep(0.5, 0.9, second)[..., None] * hues[-1]
    ) * 0.55
    c.img[:] = deep
    c.img += upsample(neb.astype(F32), c.w, c.h)
    paint_stars(c, 2.5, float(c.h))
    px, py = c.w * (0.72 if pal.key_side < 0 else 0.28), c.h * 0.78
    r = c.h * 0.42
    planet(c, px, py, r, to_vec(c.sc.accents[1] if len(c.sc.accents) > 1 else (120, 150, 210)))
    if c.sc.has("surface", "moon", "ground", "landing") or c.sc.camera != "wide" or c.has_figures:
        top = (0.86 + 0.04 * noise1d(rng, c.w, 1.5)) * c.h
        fill_below(
            c,
            top.astype(F32),
            np.array([0.32, 0.3, 0.34], F32),
            fade_to=np.array([0.16, 0.15, 0.18], F32),
            fade_px=0.12 * c.h,
        )


def planet(c: Canvas, px: float, py: float, r: float, colour: Vec) -> None:
    x0, x1 = max(0, int(px - r * 1.3)), min(c.w, int(px + r * 1.3) + 1)
    y0, y1 = max(0, int(py - r * 1.3)), min(c.h, int(py + r * 1.3) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    xs = (np.arange(x0, x1, dtype=F32) + 0.5 - px) / r
    ys = (np.arange(y0, y1, dtype=F32)[:, None] + 0.5 - py) / r
    d = np.sqrt(xs * xs + ys * ys)
    inside = np.clip((1 - d) * r + 0.5, 0, 1)[..., None]
    # Lit from the side the key light comes from, a little from above.
    lx, ly = c.pal.key_side * 0.6, -0.5
    z = np.sqrt(np.clip(1 - d * d, 0, 1))
    light = np.clip(xs * lx + ys * ly + z * 0.6, 0, 1)
    bands = 0.85 + 0.15 * np.sin(ys * 14 + np.sin(xs * 3) * 0.5)
    surf = colour * (0.12 + 0.9 * light[..., None]) * bands[..., None]
    region = c.img[y0:y1, x0:x1]
    region += (surf - region) * inside
    rim = np.exp(-(((d - 1) / 0.05) ** 2))[..., None] * (0.4 + light[..., None])
    region += rim * mix(colour, np.ones(3, F32), 0.4) * 0.6
