"""More open-air places: castle, village, volcano, jungle, swamp, ship deck, station, ruins, cave and the moon."""

from __future__ import annotations

import math

import numpy as np

from sparkle_cli.backends.image.canvas import (
    F32,
    Canvas,
    Sketch,
    ambient_shade,
    darken,
    fill_below,
    is_dark,
    mix,
    noise1d,
    noise2d,
    to_vec,
    upsample,
)
from sparkle_cli.backends.image.outdoors import ground, hills, paint_sky, paint_stars, planet, water
from sparkle_cli.backends.image.scene import RGB


def _grass(c: Canvas) -> RGB:
    return (226, 232, 240) if "snow" in c.sc.weather else (92, 140, 64)


def _lit(c: Canvas, rgb: RGB, depth: float = 0.0) -> RGB:
    v = np.clip(c.lit(rgb, depth), 0, 1)
    return (int(v[0] * 255), int(v[1] * 255), int(v[2] * 255))


def paint_castle(c: Canvas) -> None:
    """A stone castle on a hill: curtain wall with battlements, round towers with pointed roofs, a gate and flags."""
    c.horizon = c.h * 0.62
    paint_sky(c)
    hills(
        c, "castle-far", 0.6, 0.1, 1.2, (100, 116, 150), 0.75, sharp=True, snow=0.3 if "snow" in c.sc.weather else 0.0
    )
    hill = hills(
        c,
        "castle-hill",
        0.66,
        0.05,
        0.6,
        (96, 136, 80) if "snow" not in c.sc.weather else (220, 226, 234),
        0.35,
        fade=0.2,
    )
    side = 1 if c.pal.key_side < 0 else -1
    cx = c.w * (0.5 + 0.18 * side)
    base = float(hill[int(np.clip(cx, 0, c.w - 1))]) + 0.02 * c.h
    s = c.h * 0.34
    stone, dark_stone = _lit(c, (168, 160, 150), 0.3), _lit(c, (120, 114, 108), 0.3)
    roof, flag = _lit(c, (70, 70, 130), 0.3), _lit(c, c.sc.accents[0] if c.sc.accents else (200, 40, 50), 0.2)
    sk = Sketch(c, cx - s * 1.6, base - s * 1.5, cx + s * 1.6, base + 2, ss=2)
    wall_top = base - s * 0.55
    sk.rect(cx - s * 1.2, wall_top, cx + s * 1.2, base, stone)
    for k in range(13):
        x = cx - s * 1.2 + k * s * 0.2
        sk.rect(x, wall_top - s * 0.08, x + s * 0.1, wall_top, stone)
    for tx, th in ((-1.2, 0.95), (1.2, 0.95), (-0.35, 1.2), (0.35, 1.2)):
        x = cx + tx * s
        sk.rect(x - s * 0.16, base - s * th, x + s * 0.16, base, dark_stone if abs(tx) < 1 else stone)
        sk.poly([(x - s * 0.2, base - s * th), (x + s * 0.2, base - s * th), (x, base - s * (th + 0.35))], roof)
        sk.stroke([(x, base - s * (th + 0.35)), (x, base - s * (th + 0.5))], (60, 50, 40), s * 0.012)
        sk.poly([(x, base - s * (th + 0.5)), (x + s * 0.12, base - s * (th + 0.46)), (x, base - s * (th + 0.42))], flag)
        for wy in (0.6, 0.35):
            sk.rect(
                x - s * 0.03, base - s * th * wy - s * 0.05, x + s * 0.03, base - s * th * wy + s * 0.03, (40, 34, 30)
            )
    sk.chord(cx, base - s * 0.16, s * 0.15, s * 0.2, 180, 360, (50, 40, 34))
    sk.rect(cx - s * 0.15, base - s * 0.16, cx + s * 0.15, base, (50, 40, 34))
    sk.paste(ambient_shade(c, cx, rim=0.4))
    if is_dark(c):
        for tx in (-0.35, 0.35):
            c.spot(cx + tx * s, base - s * 0.72, s * 0.025, s * 0.04, np.array([1.0, 0.8, 0.45], F32))
            c.glow_spot(cx + tx * s, base - s * 0.72, s * 0.1, np.array([1.0, 0.75, 0.4], F32), 0.5)
    near = hills(c, "castle-near", 0.84, 0.04, 0.5, _grass(c), 0.0, fade=0.4)
    _path(c, near, cx)


def _path(c: Canvas, near: np.ndarray, towards: float) -> None:
    """A dirt path winding from the foreground towards `towards`."""
    y0 = int(near.min())
    col = c.lit((170, 140, 100))
    for y in range(y0, c.h, max(1, int(c.u))):
        t = (y - y0) / max(c.h - y0, 1)
        x = towards + (c.w * 0.5 - towards) * t
        half = c.w * (0.01 + 0.1 * t)
        if y >= near[int(np.clip(x, 0, c.w - 1))]:
            c.rect(x - half, y, x + half, y + max(1, int(c.u)), col, 0.9)


def paint_village(c: Canvas) -> None:
    """Cottages with pitched roofs and chimneys round a cobbled square, hills behind."""
    c.horizon = c.h * 0.6
    paint_sky(c)
    hills(c, "village-far", 0.58, 0.1, 1.1, (100, 120, 150), 0.7, sharp=True)
    hills(c, "village-hill", 0.66, 0.05, 0.8, _grass(c), 0.35, fade=0.2)
    rng = c.rng("cottages")
    street_y = c.h * 0.76
    x = -float(rng.uniform(0, 0.1)) * c.w
    walls = ((236, 226, 200), (220, 196, 160), (200, 210, 214), (236, 214, 190))
    roofs = ((150, 70, 50), (110, 74, 56), (90, 90, 110), (170, 120, 60))
    snow = "snow" in c.sc.weather
    while x < c.w:
        bw = c.w * float(rng.uniform(0.14, 0.22))
        wall_top = street_y - c.h * float(rng.uniform(0.16, 0.24))
        sk = Sketch(c, x, wall_top - bw * 0.6, x + bw, street_y + 2, ss=2)
        wall = _lit(c, walls[int(rng.integers(len(walls)))], 0.1)
        roof = _lit(c, (236, 240, 248) if snow else roofs[int(rng.integers(len(roofs)))], 0.1)
        sk.rect(x + bw * 0.05, wall_top, x + bw * 0.95, street_y, wall)
        for k in range(3):
            sk.stroke(
                [
                    (x + bw * 0.05, wall_top + (street_y - wall_top) * k / 3),
                    (x + bw * 0.95, wall_top + (street_y - wall_top) * k / 3),
                ],
                darken(wall, 0.6),
                c.u * 1.2,
            )
        sk.poly([(x, wall_top), (x + bw / 2, wall_top - bw * 0.45), (x + bw, wall_top)], roof)
        sk.rect(x + bw * 0.7, wall_top - bw * 0.4, x + bw * 0.8, wall_top - bw * 0.15, darken(wall, 0.7))
        sk.rect(x + bw * 0.42, street_y - (street_y - wall_top) * 0.55, x + bw * 0.58, street_y, (90, 60, 40))
        lit = is_dark(c) or c.sc.time == "golden"
        for wx in (0.2, 0.72):
            sk.rect(
                x + bw * wx,
                wall_top + (street_y - wall_top) * 0.25,
                x + bw * (wx + 0.12),
                wall_top + (street_y - wall_top) * 0.5,
                (250, 206, 120) if lit else (90, 120, 150),
            )
        sk.paste(ambient_shade(c, x + bw / 2, rim=0.4))
        x += bw * float(rng.uniform(1.0, 1.15))
    ground(c, street_y, (150, 140, 126), (176, 166, 150), 0.1)
    rng2 = c.rng("cobbles")
    for _ in range(int(120 * c.w / max(c.h, 1))):
        px, py = float(rng2.uniform(0, c.w)), float(rng2.uniform(street_y, c.h))
        r = c.u * (1 + 3 * (py - street_y) / max(c.h - street_y, 1))
        c.spot(px, py, r * 1.4, r, c.lit((120, 112, 100)), 0.5)
    _well(c, c.w * (0.2 if c.pal.key_side > 0 else 0.8), c.h * 0.86)


def _well(c: Canvas, x: float, base: float) -> None:
    s = c.h * 0.1
    sk = Sketch(c, x - s, base - s * 1.6, x + s, base + 2, ss=3)
    sk.rect(x - s * 0.6, base - s * 0.5, x + s * 0.6, base, _lit(c, (150, 144, 136)))
    for dx in (-0.5, 0.5):
        sk.rect(x + dx * s - s * 0.05, base - s * 1.2, x + dx * s + s * 0.05, base - s * 0.5, _lit(c, (110, 76, 50)))
    sk.poly(
        [(x - s * 0.75, base - s * 1.15), (x, base - s * 1.55), (x + s * 0.75, base - s * 1.15)], _lit(c, (140, 70, 50))
    )
    sk.paste(ambient_shade(c, x, rim=0.4))


def paint_volcano(c: Canvas) -> None:
    """A cone of dark rock with lava running down it, a glowing crater and a plume of ash over a red sky."""
    c.horizon = c.h * 0.66
    paint_sky(c)
    c.img[: int(c.horizon)] = mix(c.img[: int(c.horizon)], np.array([0.5, 0.2, 0.12], F32), 0.35)
    rng = c.rng("volcano")
    cx = c.w * (0.5 + float(rng.uniform(-0.12, 0.12)))
    xs = np.arange(c.w, dtype=F32)
    d = np.abs(xs - cx) / (0.45 * c.w)
    top_y, base_y = c.h * 0.2, c.h * 0.66
    cone = top_y + (base_y - top_y) * np.clip(d, 0, 1) ** 0.8
    cone = np.where(np.abs(xs - cx) < 0.05 * c.w, top_y + 0.015 * c.h, cone) + 0.01 * c.h * noise1d(rng, c.w, 8, 3)
    fill_below(c, cone.astype(F32), c.lit((70, 56, 56), 0.3), fade_to=c.lit((40, 32, 32), 0.2), fade_px=0.3 * c.h)
    lava = np.array([1.0, 0.45, 0.1], F32)
    for k in range(4):
        x = cx + (k - 1.5) * 0.03 * c.w
        pts = []
        for j in range(16):
            t = j / 15
            y = top_y + (base_y - top_y) * 0.9 * t
            xx = x + (k - 1.5) * 0.12 * c.w * t + 0.01 * c.w * math.sin(t * 9 + k)
            pts.append((xx, y))
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            c.spot((x0 + x1) / 2, (y0 + y1) / 2, 0.006 * c.h, abs(y1 - y0) * 0.7, lava, 0.9)
            c.glow_spot((x0 + x1) / 2, (y0 + y1) / 2, 0.03 * c.h, lava, 0.35)
    c.glow_spot(cx, top_y, 0.15 * c.h, lava, 1.2)
    plume = noise2d(rng, c.gh, c.gw, 3)
    ys = (np.arange(c.gh, dtype=F32)[:, None] + 0.5) * 4
    gx = (np.arange(c.gw, dtype=F32)[None, :] + 0.5) * 4
    shape = np.exp(-(((gx - cx - (top_y - ys) * 0.4) / (0.06 * c.w + (top_y - ys) * 0.5)) ** 2)) * (ys < top_y)
    amount = np.clip(shape * (0.5 + 0.6 * plume), 0, 0.9)[..., None].astype(F32)
    full = upsample(amount, c.w, c.h)
    c.img += (np.array([0.25, 0.22, 0.22], F32) - c.img) * full
    ground(c, c.h * 0.8, (50, 40, 38), (80, 64, 58), 0.1)


def paint_jungle(c: Canvas) -> None:
    """Layers of broad-leafed trees in a humid haze, hanging vines and big leaves framing the view."""
    c.horizon = c.h * 0.62
    paint_sky(c)
    rng = c.rng("jungle")
    for k, (depth, base, col) in enumerate(
        ((0.7, 0.5, (80, 130, 100)), (0.4, 0.62, (50, 110, 70)), (0.15, 0.74, (34, 86, 52)))
    ):
        top = (base - 0.12 * noise1d(rng, c.w, 3.5 + k, 4)) * c.h
        fill_below(c, top.astype(F32), c.lit(col, depth), fade_to=c.lit(darken(col, 0.7), depth), fade_px=0.3 * c.h)
    ground(c, c.h * 0.84, (50, 80, 40), (70, 100, 50), 0.1)
    vine = c.lit((40, 90, 50))
    for _ in range(9):
        x = float(rng.uniform(0, c.w))
        length = c.h * float(rng.uniform(0.15, 0.45))
        sk = Sketch(c, x - 0.03 * c.h, 0, x + 0.03 * c.h, length + 0.03 * c.h, ss=2)
        pts = [(x + 0.01 * c.h * math.sin(t * 6), t * length) for t in np.linspace(0, 1, 8)]
        sk.stroke(pts, (40, 90, 50), 0.006 * c.h)
        for px, py in pts[2::2]:
            sk.ellipse(px + 0.01 * c.h, py, 0.012 * c.h, 0.006 * c.h, (60, 130, 60))
        sk.paste(lambda rgb, alpha, x0, y0: rgb * vine / 0.35)
    for side in (-1, 1):
        x = c.w * (0.02 if side < 0 else 0.98)
        for k in range(4):
            a = (-0.6 + k * 0.35) if side > 0 else (math.pi + 0.6 - k * 0.35)
            leaf(c, x, c.h * (0.95 - 0.1 * k), a, c.h * 0.32, (40, 110, 56))


def leaf(c: Canvas, x: float, y: float, angle: float, length: float, colour: RGB) -> None:
    """A big tropical leaf from (x, y) pointing at `angle`, with its midrib."""
    ex, ey = x + math.cos(angle) * length, y - abs(math.sin(angle)) * length * 0.6
    nx, ny = -(ey - y) / length, (ex - x) / length
    w = length * 0.22
    mid = ((x + ex) / 2, (y + ey) / 2)
    pts = [(x, y), (mid[0] + nx * w, mid[1] + ny * w), (ex, ey), (mid[0] - nx * w, mid[1] - ny * w)]
    sk = Sketch(
        c,
        min(p[0] for p in pts) - 2,
        min(p[1] for p in pts) - 2,
        max(p[0] for p in pts) + 2,
        max(p[1] for p in pts) + 2,
        ss=2,
    )
    sk.poly(pts, colour)
    sk.stroke([(x, y), (ex, ey)], darken(colour, 0.7), length * 0.015)
    sk.paste(ambient_shade(c, x, rim=0.3))


def paint_swamp(c: Canvas) -> None:
    """Still dark water with reeds, dead trees reaching out of the mist, and a muddy bank."""
    c.horizon = c.h * 0.6
    paint_sky(c)
    hills(c, "swamp-far", 0.6, 0.05, 2.0, (80, 96, 90), 0.7)
    water(c, c.horizon, (50, 70, 56), calm=2.0)
    rng = c.rng("swamp")
    for k in range(5):
        x = float(rng.uniform(0.05, 0.95)) * c.w
        base = c.h * float(rng.uniform(0.62, 0.7))
        s = c.h * float(rng.uniform(0.25, 0.45))
        sk = Sketch(c, x - s * 0.5, base - s, x + s * 0.5, base + 2, ss=2)
        col = _lit(c, (60, 52, 46), 0.4 - 0.05 * k)
        sk.stroke([(x, base), (x + s * 0.03, base - s * 0.6), (x - s * 0.02, base - s)], col, s * 0.05)
        for j in range(4):
            bx, by = x + s * 0.01 * j, base - s * (0.4 + 0.15 * j)
            d = 1 if j % 2 else -1
            sk.stroke([(bx, by), (bx + d * s * 0.2, by - s * 0.1), (bx + d * s * 0.3, by - s * 0.05)], col, s * 0.02)
        sk.paste()
    bank = (0.86 + 0.04 * noise1d(rng, c.w, 1.3, 3)) * c.h
    fill_below(c, bank.astype(F32), c.lit((70, 64, 44)), fade_to=c.lit((50, 46, 34)), fade_px=0.1 * c.h)
    reed = c.lit((90, 110, 60))
    for _ in range(int(60 * c.w / max(c.h, 1))):
        x = float(rng.uniform(0, c.w))
        y = float(bank[int(np.clip(x, 0, c.w - 1))]) + 2
        hgt = c.h * float(rng.uniform(0.05, 0.14))
        c.rect(x, y - hgt, x + max(1.0, c.u), y, reed * float(rng.uniform(0.7, 1.1)))
        if rng.random() < 0.3:
            c.spot(x + 0.5 * c.u, y - hgt, 1.5 * c.u, 4 * c.u, c.lit((110, 80, 50)))


def paint_ship(c: Canvas) -> None:
    """On a ship's deck: planks underfoot, a rail, the mast with its sail and rigging, the sea beyond."""
    c.horizon = c.h * 0.52
    paint_sky(c)
    water(c, c.horizon, (30, 80, 110), calm=0.6 if "storm" in c.sc.weather else 1.0)
    rail_y = c.h * 0.64
    deck_y = c.h * 0.72
    wood, dark_wood = c.lit((130, 90, 60)), c.lit((90, 60, 40))
    c.rect(0, rail_y, c.w, rail_y + 0.02 * c.h, wood)
    for k in range(int(c.w / (0.05 * c.h)) + 1):
        x = k * 0.06 * c.h
        c.rect(x, rail_y, x + 0.012 * c.h, deck_y, dark_wood)
    c.rect(0, deck_y - 0.012 * c.h, c.w, deck_y, dark_wood)
    c.rect(0, deck_y, c.w, c.h, c.lit((150, 108, 70)), 1.0, bottom=c.lit((120, 84, 54)))
    ys = np.arange(int(deck_y), c.h, dtype=F32)
    for y in ys[:: max(2, int(c.h * 0.03))]:
        c.rect(0, y, c.w, y + max(1.0, c.u), dark_wood, 0.6)
    side = 1 if c.pal.key_side < 0 else -1
    mx = c.w * (0.5 + 0.3 * side)
    c.rect(mx - 0.012 * c.h, 0, mx + 0.012 * c.h, deck_y, c.lit((110, 76, 50)))
    sail = c.sc.accents[0] if c.sc.has("pirate") is False and c.sc.accents else (236, 228, 206)
    sk = Sketch(c, mx - 0.3 * c.w, 0, mx + 0.3 * c.w, rail_y, ss=2)
    bow = 0.04 * c.w * -side
    sk.poly(
        [
            (mx - 0.22 * c.w * side, c.h * 0.06),
            (mx, c.h * 0.04),
            (mx + bow, c.h * 0.3),
            (mx, c.h * 0.5),
            (mx - 0.2 * c.w * side, c.h * 0.48),
        ],
        _lit(c, (30, 30, 34) if c.sc.has("pirate") else sail, 0.05),
    )
    if c.sc.has("pirate"):
        sk.ellipse(mx - 0.1 * c.w * side, c.h * 0.22, 0.03 * c.h, 0.035 * c.h, (236, 236, 230))
    sk.paste(ambient_shade(c, mx, rim=0.4))
    rope = c.lit((70, 60, 50))
    for k in range(5):
        x0 = mx - side * (0.05 + 0.08 * k) * c.w
        for t in np.linspace(0, 1, 60):
            c.spot(mx + (x0 - mx) * t, c.h * 0.02 + (rail_y - c.h * 0.02) * t, 0.5 * c.u, 0.5 * c.u, rope, 0.8)


def paint_station(c: Canvas) -> None:
    """A railway platform under a canopy on iron pillars, a train standing at it, a clock and lamps."""
    c.horizon = c.h * 0.6
    paint_sky(c)
    c.rect(0, 0, c.w, c.h * 0.12, c.lit((70, 74, 80)), 1.0, bottom=c.lit((100, 104, 110)))
    train_top, train_bottom = c.h * 0.3, c.h * 0.7
    body = c.lit(c.sc.accents[0] if c.sc.accents else (40, 90, 150))
    c.rect(0, train_top, c.w, train_bottom, body, 1.0, bottom=body * 0.8)
    c.rect(0, train_top + 0.05 * c.h, c.w, train_top + 0.06 * c.h, c.lit((230, 230, 230)))
    lit = is_dark(c)
    for k in range(int(c.w / (0.2 * c.h)) + 1):
        x = k * 0.2 * c.h + 0.03 * c.h
        c.rect(
            x,
            train_top + 0.09 * c.h,
            x + 0.14 * c.h,
            train_top + 0.2 * c.h,
            np.array([1.0, 0.9, 0.6], F32) if lit else c.lit((150, 190, 210)),
        )
    c.rect(0, train_bottom, c.w, train_bottom + 0.03 * c.h, c.lit((40, 40, 44)))
    platform_y = c.h * 0.73
    c.rect(0, platform_y, c.w, platform_y + 0.02 * c.h, c.lit((236, 210, 70)))
    c.rect(0, platform_y + 0.02 * c.h, c.w, c.h, c.lit((150, 150, 150)), 1.0, bottom=c.lit((120, 120, 122)))
    iron = c.lit((60, 66, 76))
    for f in (0.15, 0.85):
        x = c.w * f
        c.rect(x - 0.01 * c.w, c.h * 0.1, x + 0.01 * c.w, c.h * 0.98, iron)
        c.rect(x - 0.025 * c.w, c.h * 0.1, x + 0.025 * c.w, c.h * 0.13, iron)
    cx, cy, r = c.w * 0.5, c.h * 0.17, 0.045 * c.h
    c.rect(cx - 0.003 * c.w, c.h * 0.12, cx + 0.003 * c.w, cy - r, iron)
    c.spot(cx, cy, r * 1.15, r * 1.15, iron)
    c.spot(cx, cy, r, r, c.lit((246, 244, 236)))
    c.rect(cx - 0.4 * c.u, cy - r * 0.7, cx + 0.4 * c.u, cy, np.zeros(3, F32))
    c.rect(cx, cy - 0.4 * c.u, cx + r * 0.5, cy + 0.4 * c.u, np.zeros(3, F32))
    if lit:
        for f in (0.3, 0.7):
            c.glow_spot(c.w * f, c.h * 0.12, 0.15 * c.h, np.array([1.0, 0.85, 0.6], F32), 0.6)


def paint_ruins(c: Canvas) -> None:
    """An ancient temple: a stepped base, standing and broken columns, a pediment, vines and rubble."""
    c.horizon = c.h * 0.64
    paint_sky(c)
    hills(c, "ruins-far", 0.62, 0.08, 1.0, (110, 130, 120), 0.7, sharp=True)
    jungle = c.sc.has("jungle", "rainforest", "overgrown")
    ground(
        c,
        c.horizon,
        (150, 130, 96) if not jungle else (70, 100, 56),
        (176, 160, 120) if not jungle else (90, 120, 70),
        0.2,
    )
    stone = _lit(c, (206, 196, 174), 0.2)
    shade = darken(stone, 0.78)
    cx = c.w * 0.5
    base = c.h * 0.72
    s = c.h * 0.4
    sk = Sketch(c, cx - s * 1.6, base - s * 1.3, cx + s * 1.6, base + 0.06 * c.h, ss=2)
    for k in range(3):
        sk.rect(
            cx - s * (1.4 - 0.08 * k),
            base - s * 0.06 * (k + 1),
            cx + s * (1.4 - 0.08 * k),
            base - s * 0.06 * k,
            shade if k % 2 else stone,
        )
    rng = c.rng("ruins")
    top = base - s * 0.18
    for k in range(6):
        x = cx + (k - 2.5) * s * 0.45
        height = s * (0.85 if k not in (1, 4) else float(rng.uniform(0.3, 0.6)))
        sk.rect(x - s * 0.08, top - height, x + s * 0.08, top, stone)
        sk.rect(x - s * 0.02, top - height, x + s * 0.01, top, shade)
        if height > s * 0.8:
            sk.rect(x - s * 0.11, top - height - s * 0.05, x + s * 0.11, top - height, stone)
    sk.rect(cx - s * 1.25, top - s * 0.95, cx - s * 0.35, top - s * 0.88, stone)
    sk.poly([(cx - s * 1.3, top - s * 0.95), (cx - s * 0.3, top - s * 0.95), (cx - s * 0.8, top - s * 1.2)], stone)
    for _ in range(6):
        rx = cx + float(rng.uniform(-1.4, 1.4)) * s
        sk.ellipse(rx, base + 0.01 * c.h, s * float(rng.uniform(0.04, 0.09)), s * 0.04, shade)
    sk.paste(ambient_shade(c, cx, rim=0.4))
    vine = c.lit((60, 110, 60))
    for _ in range(12 if jungle else 5):
        x = cx + float(rng.uniform(-1.3, 1.3)) * s
        y = top - float(rng.uniform(0.3, 0.9)) * s
        c.spot(x, y, s * 0.05, s * 0.08, vine, 0.9)


def paint_cave(c: Canvas) -> None:
    """Inside a cave: rock walls closing round a bright mouth, stalactites, a sandy floor, a fire's glow."""
    c.horizon = c.h * 0.62
    paint_sky(c)
    rng = c.rng("cave")
    ys, xs = np.mgrid[0 : c.gh, 0 : c.gw].astype(F32)
    cx, cy = c.gw * (0.5 + 0.2 * c.pal.key_side), c.gh * 0.5
    d = np.sqrt(((xs - cx) / (0.22 * c.gw)) ** 2 + ((ys - cy) / (0.3 * c.gh)) ** 2)
    rough = noise2d(rng, c.gh, c.gw, 4)
    rock = np.clip((d + 0.5 * (rough - 0.5) - 1.0) * 3, 0, 1)[..., None].astype(F32)
    full = upsample(rock, c.w, c.h)
    wall = c.lit((92, 80, 70)) * 0.8
    texture = upsample((0.75 + 0.5 * noise2d(rng, c.gh, c.gw, 8))[..., None].astype(F32), c.w, c.h)
    c.img += (wall * texture - c.img) * full
    for _ in range(14):
        x = float(rng.uniform(0, c.w))
        ln = c.h * float(rng.uniform(0.05, 0.18))
        sk = Sketch(c, x - 0.03 * c.h, 0, x + 0.03 * c.h, ln + 0.06 * c.h, ss=2)
        sk.poly([(x - 0.02 * c.h, 0), (x + 0.02 * c.h, 0), (x, ln + 0.05 * c.h)], _lit(c, (100, 88, 78)))
        sk.paste()
    floor = (0.78 + 0.04 * noise1d(rng, c.w, 1.4, 3)) * c.h
    fill_below(c, floor.astype(F32), c.lit((120, 104, 86)), fade_to=c.lit((80, 70, 60)), fade_px=0.2 * c.h)
    fire = np.array([1.0, 0.55, 0.2], F32)
    fx = c.w * (0.5 - 0.3 * c.pal.key_side)
    c.glow_spot(fx, c.h * 0.85, 0.45 * c.h, fire, 0.5)
    if c.sc.has("crystal", "crystals", "gems", "treasure"):
        for _ in range(8):
            x, y = float(rng.uniform(0.05, 0.95)) * c.w, float(rng.uniform(0.2, 0.8)) * c.h
            col = np.array([0.5, 0.8, 1.0], F32)
            c.spot(x, y, 0.01 * c.h, 0.03 * c.h, col)
            c.glow_spot(x, y, 0.05 * c.h, col, 0.5)


def paint_moon(c: Canvas) -> None:
    """The surface of the moon: black sky full of stars, the Earth rising, grey ground pitted with craters."""
    c.horizon = c.h * 0.62
    c.img[:] = np.array([0.01, 0.01, 0.03], F32)
    paint_stars(c, 2.0, c.horizon)
    ex, ey = c.w * (0.72 if c.pal.key_side < 0 else 0.28), c.h * 0.22
    planet(c, ex, ey, c.h * 0.1, to_vec((80, 140, 230)))
    rng = c.rng("moon")
    top = (0.62 + 0.03 * noise1d(rng, c.w, 2.0, 3)) * c.h
    fill_below(
        c,
        top.astype(F32),
        np.array([0.62, 0.62, 0.64], F32),
        fade_to=np.array([0.42, 0.42, 0.45], F32),
        fade_px=0.3 * c.h,
    )
    for _ in range(int(24 * c.w / max(c.h, 1))):
        x = float(rng.uniform(0, c.w))
        y = float(rng.uniform(c.h * 0.66, c.h))
        r = c.h * 0.012 * (1 + 6 * (y - c.h * 0.62) / c.h) * float(rng.uniform(0.5, 1.3))
        c.spot(x, y, r, r * 0.35, np.array([0.3, 0.3, 0.33], F32), 0.7)
        c.spot(x, y + r * 0.08, r * 0.85, r * 0.25, np.array([0.5, 0.5, 0.53], F32), 0.7)
    if c.sc.has("base", "moonbase", "flag", "lander", "rocket"):
        _lander(c, c.w * (0.2 if c.pal.key_side > 0 else 0.8), c.h * 0.7)


def _lander(c: Canvas, x: float, base: float) -> None:
    s = c.h * 0.12
    sk = Sketch(c, x - s * 1.2, base - s * 1.6, x + s * 1.2, base + 2, ss=3)
    for d in (-1, 1):
        sk.stroke([(x + d * s * 0.4, base - s * 0.6), (x + d * s, base)], (200, 200, 206), s * 0.05)
    sk.rect(x - s * 0.55, base - s * 1.0, x + s * 0.55, base - s * 0.5, (230, 190, 80))
    sk.poly(
        [
            (x - s * 0.4, base - s * 1.0),
            (x + s * 0.4, base - s * 1.0),
            (x + s * 0.25, base - s * 1.45),
            (x - s * 0.25, base - s * 1.45),
        ],
        (210, 212, 220),
    )
    sk.paste(ambient_shade(c, x, rim=0.5))
