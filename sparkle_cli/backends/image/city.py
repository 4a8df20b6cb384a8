"""Buildings and the city settings: skyline, rooftop, street, bridge and harbor."""

from __future__ import annotations

import numpy as np

from sparkle_cli.backends.image.canvas import (
    F32,
    Canvas,
    Sketch,
    Vec,
    ambient_shade,
    blur,
    fill_below,
    is_dark,
    lit_window_share,
    mix,
    to_vec,
    upsample,
)
from sparkle_cli.backends.image.looks import TOPS
from sparkle_cli.backends.image.outdoors import ground, hills, paint_sky, water
from sparkle_cli.backends.image.scene import COLOURS, RGB, stable_int


def _cell_hash(*parts: Vec) -> Vec:
    h = np.zeros(parts[0].shape if parts[0].ndim else (1,), np.uint32) + np.uint32(2166136261)
    for p in parts:
        h = (h ^ p.astype(np.uint32)) * np.uint32(16777619)
        h ^= h >> np.uint32(13)
    return h % np.uint32(1000)


def skyline(
    c: Canvas,
    name: str,
    base_y: float,
    tall: float,
    width: float,
    colour: RGB,
    depth: float,
    lit_share: float,
    windows: bool = True,
) -> tuple[Vec, list[tuple[float, float, float]]]:
    """A row of buildings standing on `base_y`; returns the roof line and each building's (x0, x1, roof)."""
    rng = c.rng(name)
    w = c.w
    tops = np.full(w, base_y, F32)
    roofs = np.full(w, base_y, F32)
    ids = np.zeros(w, np.int64)
    lefts = np.zeros(w, F32)
    blocks: list[tuple[float, float, float]] = []
    x, i = -float(rng.uniform(0, width * c.h)), 1
    while x < w:
        bw = float(rng.uniform(0.5, 1.0)) * width * c.h
        bh = float(rng.uniform(0.35, 1.0)) * tall * c.h * (1.45 if rng.random() < 0.15 else 1.0)
        a, b = int(max(0, x)), int(min(w, x + bw))
        roof = base_y - bh
        if b > a:
            tops[a:b], roofs[a:b], ids[a:b], lefts[a:b] = roof, roof, i, x
            if rng.random() < 0.35:
                ia, ib = int(max(0, x + bw * 0.22)), int(min(w, x + bw * 0.78))
                tops[ia:ib] = roof - bh * float(rng.uniform(0.05, 0.14))
            if rng.random() < 0.25:
                ax = int(x + bw * float(rng.uniform(0.3, 0.7)))
                tops[max(0, ax) : min(w, ax + max(1, int(c.u * 1.5)))] = roof - bh * 0.3
            blocks.append((x, x + bw, roof))
        x += bw + (float(rng.uniform(0, 0.3)) * width * c.h if rng.random() < 0.3 else 0.0)
        i += 1
    shade = (0.9 + 0.2 * (_cell_hash(ids, np.full_like(ids, 7)) / 1000.0)).astype(F32)
    col = c.lit(colour, depth)[None] * shade[:, None]
    fill_below(c, tops, col, fade_to=None)
    if windows and c.u * width > 0.004:
        _windows(c, name, tops, roofs, ids, lefts, base_y, depth, lit_share)
    return tops, blocks


def _windows(
    c: Canvas, name: str, tops: Vec, roofs: Vec, ids: Vec, lefts: Vec, base_y: float, depth: float, lit_share: float
) -> None:
    y0, y1 = int(max(0, roofs.min())), int(min(c.h, base_y))
    if y1 <= y0:
        return
    cw, ch = max(2.0, 7.0 * c.u * (1 - depth * 0.5)), max(3.0, 9.0 * c.u * (1 - depth * 0.5))
    xs = np.arange(c.w, dtype=F32) + 0.5 - lefts
    cx = np.floor((xs - cw * 0.5) / cw)
    in_x = ((xs - cw * 0.5) % cw < cw * 0.55) & (xs > cw * 0.5)
    ys = np.arange(y0, y1, dtype=F32)[:, None] + 0.5 - roofs[None, :] - ch * 0.6
    cy = np.floor(ys / ch)
    in_y = (ys > 0) & (ys % ch < ch * 0.55) & (ys + roofs[None, :] + ch * 0.6 < base_y - ch * 0.5)
    inside = in_y & in_x[None, :] & (ids[None, :] > 0)
    pick = _cell_hash(
        ids[None, :] * 31 + np.int64(stable_int(name) % 97),
        cx[None, :].astype(np.int64) + 50,
        cy.astype(np.int64) + 50,
    )
    on = inside & (pick < lit_share * 1000)
    region = c.img[y0:y1]
    night = c.sc.time in ("night", "dusk")
    if night or c.sc.family == "interior":
        region[inside & ~on] *= 0.8
    else:
        region[inside] = mix(region[inside], c.pal.horizon * 0.85, 0.3)
    if lit_share > 0 and on.any():
        warm = np.array([1.0, 0.8, 0.5], F32)
        cool = np.array([0.75, 0.88, 1.0], F32)
        tint = (pick[on] % 3 == 0)[:, None]
        lamp = np.where(tint, cool, warm) * (1.0 - depth * 0.4)
        region[on] = mix(region[on], lamp, 0.85)


def neon_signs(c: Canvas, blocks: list[tuple[float, float, float]], base_y: float, count: int) -> None:
    """Glowing signs on building fronts: a bright outline, letter strokes and a halo."""
    if not blocks:
        return
    rng = c.rng("neon")
    colours = [to_vec(a) for a in c.sc.accents] or [to_vec(COLOURS["pink"]), to_vec(COLOURS["cyan"])]
    order = rng.permutation(len(blocks))
    for k, idx in enumerate(order[:count]):
        x0, x1, roof = blocks[int(idx)]
        col = colours[k % len(colours)]
        bw, bh = x1 - x0, base_y - roof
        vertical = rng.random() < 0.55
        if vertical:
            sw, sh = bw * 0.26, min(bh * 0.6, bw * 1.6)
        else:
            sw, sh = bw * 0.8, min(bh * 0.2, bw * 0.26)
        sx = x0 + float(rng.uniform(0.1, 0.9)) * (bw - sw)
        sy = roof + float(rng.uniform(0.1, 0.5)) * (bh - sh)
        t = max(1.0, 1.3 * c.u)
        c.rect(sx, sy, sx + sw, sy + sh, col * 0.18)
        for a, b, cc, d in (
            (sx, sy, sx + sw, sy + t),
            (sx, sy + sh - t, sx + sw, sy + sh),
            (sx, sy, sx + t, sy + sh),
            (sx + sw - t, sy, sx + sw, sy + sh),
        ):
            c.rect(a, b, cc, d, mix(col, np.ones(3, F32), 0.35))
        letters = int(max(2, (sh if vertical else sw) / max(6 * c.u, 2)))
        for j in range(letters):
            f = (j + 0.5) / letters
            if vertical:
                ly = sy + sh * f
                c.rect(
                    sx + sw * 0.28,
                    ly - sh / letters * 0.3,
                    sx + sw * 0.72,
                    ly + sh / letters * 0.3,
                    mix(col, np.ones(3, F32), 0.5),
                    0.9,
                )
            else:
                lx = sx + sw * f
                c.rect(
                    lx - sw / letters * 0.3,
                    sy + sh * 0.28,
                    lx + sw / letters * 0.3,
                    sy + sh * 0.72,
                    mix(col, np.ones(3, F32), 0.5),
                    0.9,
                )
        c.glow_rect(sx, sy, sx + sw, sy + sh, col, 1.3)
        c.glow_spot(sx + sw / 2, sy + sh / 2, max(sw, sh) * 0.9, col, 0.35)


def paint_city(c: Canvas) -> None:
    """Three rows of buildings with lit windows, neon signs, and a river in wide views; people in the city
    stand in one of its streets."""
    sc = c.sc
    if c.has_figures and sc.camera != "wide":
        paint_street(c)
        return
    wide = sc.camera == "wide"
    c.horizon = c.h * (0.72 if wide else 0.78)
    paint_sky(c)
    share = lit_window_share(c)
    skyline(c, "city-far", c.horizon, 0.36, 0.07, (90, 100, 130), 0.7, share * 0.6, windows=False)
    skyline(c, "city-mid", c.horizon, 0.3, 0.09, (60, 70, 96), 0.4, share)
    _, blocks = skyline(c, "city-near", c.horizon, 0.22, 0.13, (40, 46, 64), 0.12, share)
    if sc.neon:
        neon_signs(c, blocks, c.horizon, 5)
    if wide and not c.has_figures:
        water(c, c.horizon, (30, 50, 80))
    else:
        ground(c, c.horizon, (40, 42, 50), (70, 72, 84))
        if "rain" in sc.weather:
            _wet(c, c.horizon)


def _wet(c: Canvas, y: float) -> None:
    """Wet ground: a faint, smeared mirror of the lights above it."""
    y0 = int(y)
    if y0 >= c.h or y0 < 1:
        return
    rows = np.arange(y0, c.h)
    src = np.clip(2 * y0 - rows - 1, 0, c.h - 1)
    refl = c.img[src]
    step = max(1, int(c.u))
    streak = blur(refl[::step, ::step], 3) if step > 1 else blur(refl, 3)
    if step > 1:
        streak = upsample(streak, c.w, c.h - y0)
    c.img[y0:] += np.clip(streak - 0.12, 0, 1) * 0.5


def paint_rooftop(c: Canvas) -> None:
    """The skyline seen from a roof: a parapet, a water tower, a wet floor in rain, string lights at night."""
    sc = c.sc
    c.horizon = c.h * 0.64
    paint_sky(c)
    share = lit_window_share(c)
    skyline(c, "roof-far", c.horizon, 0.3, 0.06, (90, 100, 130), 0.7, share * 0.6, windows=False)
    skyline(c, "roof-mid", c.horizon + 0.05 * c.h, 0.3, 0.08, (60, 70, 96), 0.45, share)
    _, blocks = skyline(c, "roof-near", c.horizon + 0.12 * c.h, 0.3, 0.16, (40, 46, 64), 0.15, share)
    if sc.neon:
        neon_signs(c, blocks, c.horizon + 0.12 * c.h, 6)
    if sc.has("billboard") or "sign" in sc.lights:
        _billboard(c, blocks)
    ledge = c.h * 0.74
    c.rect(0, ledge, c.w, ledge + 0.06 * c.h, c.lit((70, 72, 84)), 1.0, bottom=c.lit((46, 48, 58)))
    c.rect(0, ledge - 0.008 * c.h, c.w, ledge + 0.004 * c.h, c.lit((120, 122, 134)))
    floor_y = ledge + 0.06 * c.h
    c.rect(0, floor_y, c.w, c.h, c.lit((58, 60, 70)), 1.0, bottom=c.lit((34, 36, 44)))
    if "rain" in sc.weather or sc.has("glass", "wet", "puddle"):
        floor_lines(c, floor_y, 0.05, 0.16, 7, 0.2)
        _wet(c, floor_y)
    _water_tower(c)
    if is_dark(c) and not sc.has("billboard"):
        _string_lights(c, ledge)


def floor_lines(c: Canvas, y0: float, far: float, near: float, rows: int, strength: float) -> None:
    """Perspective seams on a floor from `y0` down: lines to a vanishing point plus receding rows."""
    a = int(max(0, y0))
    if a >= c.h:
        return
    t = ((np.arange(a, c.h, dtype=F32) + 0.5 - y0) / max(c.h - y0, 1.0))[:, None]
    spacing = (far + (near - far) * t) * c.w
    u = (np.arange(c.w, dtype=F32)[None, :] + 0.5 - c.w / 2) / spacing
    seam = np.clip(1.2 - np.abs(u - np.round(u)) * spacing, 0, 1)
    if rows > 0:
        # Row seams crowd towards the horizon; their distance in pixels comes from the index's slope.
        tt = np.clip(t, 1e-3, 1.0)
        index = rows * tt ** (1 / 1.6)
        per_px = rows / 1.6 * tt ** (1 / 1.6 - 1) / max(c.h - y0, 1.0)
        seam = np.maximum(seam, np.clip(1.2 - np.abs(index - np.round(index)) / per_px, 0, 1))
    c.img[a:] *= 1 - strength * seam[..., None]


def _billboard(c: Canvas, blocks: list[tuple[float, float, float]]) -> None:
    rng = c.rng("billboard")
    col = to_vec(c.sc.light_colour or (c.sc.accents[0] if c.sc.accents else COLOURS["cyan"]))
    x0 = (0.62 if c.pal.key_side > 0 else 0.06) * c.w + float(rng.uniform(-0.03, 0.03)) * c.w
    bw, bh = c.w * 0.3, c.h * 0.2
    y0 = c.h * 0.28
    c.rect(x0 + bw * 0.2, y0 + bh, x0 + bw * 0.24, c.h * 0.74, c.lit((40, 40, 48)))
    c.rect(x0 + bw * 0.76, y0 + bh, x0 + bw * 0.8, c.h * 0.74, c.lit((40, 40, 48)))
    c.rect(x0, y0, x0 + bw, y0 + bh, mix(col, np.ones(3, F32), 0.25), 1.0, bottom=col * 0.7)
    for k in range(3):
        yy = y0 + bh * (0.25 + 0.22 * k)
        c.rect(x0 + bw * 0.1, yy, x0 + bw * (0.9 - 0.2 * k), yy + bh * 0.08, np.ones(3, F32), 0.75)
    c.glow_rect(x0, y0, x0 + bw, y0 + bh, col, 1.0)
    c.glow_spot(x0 + bw / 2, y0 + bh / 2, bw * 0.7, col, 0.5)


def _water_tower(c: Canvas) -> None:
    x = (0.86 if c.pal.key_side < 0 else 0.14) * c.w
    base, s = c.h * 0.74, c.h * 0.34
    sk = Sketch(c, x - s * 0.4, base - s * 1.2, x + s * 0.4, base + 2, ss=3)
    col = (54, 44, 42)
    for dx in (-0.22, 0.22):
        sk.stroke([(x + dx * s, base), (x + dx * 0.8 * s, base - s * 0.45)], col, s * 0.025)
    sk.stroke([(x - 0.2 * s, base - s * 0.2), (x + 0.2 * s, base - s * 0.2)], col, s * 0.02)
    sk.rect(x - s * 0.22, base - s * 0.95, x + s * 0.22, base - s * 0.45, (92, 64, 52), radius=s * 0.02)
    sk.poly([(x - s * 0.25, base - s * 0.95), (x, base - s * 1.15), (x + s * 0.25, base - s * 0.95)], (70, 50, 44))
    sk.paste(ambient_shade(c, x, rim=0.7))


def _string_lights(c: Canvas, ledge: float) -> None:
    warm = np.array([1.0, 0.82, 0.5], F32)
    for k in range(2):
        x0, x1 = c.w * (-0.05 + 0.55 * k), c.w * (0.55 + 0.55 * k)
        y = ledge - c.h * (0.28 + 0.05 * k)
        n = 14
        for j in range(n + 1):
            t = j / n
            x = x0 + (x1 - x0) * t
            yy = y + c.h * 0.08 * 4 * t * (1 - t)
            c.spot(x, yy, 1.4 * c.u, 1.6 * c.u, warm)
            c.glow_spot(x, yy, 5 * c.u, warm, 0.5)
        ts = np.linspace(0, 1, int(max(20, abs(x1 - x0))))
        px = np.clip((x0 + (x1 - x0) * ts).astype(int), 0, c.w - 1)
        py = np.clip((y + c.h * 0.08 * 4 * ts * (1 - ts)).astype(int), 0, c.h - 1)
        c.img[py, px] = c.img[py, px] * 0.5


def paint_street(c: Canvas) -> None:
    """A row of shop fronts with awnings and lit windows, street lamps and a road; darker in an alley."""
    sc = c.sc
    alley = sc.place == "alley"
    c.horizon = c.h * 0.7
    paint_sky(c)
    skyline(c, "street-far", c.h * 0.6, 0.3, 0.07, (90, 100, 130), 0.65, lit_window_share(c) * 0.6, windows=False)
    rng = c.rng("facades")
    walls = ((168, 96, 78), (196, 170, 132), (120, 130, 140), (150, 110, 96), (96, 110, 120), (210, 190, 160))
    x = -float(rng.uniform(0, 0.1)) * c.w
    street_y = c.h * 0.74
    blocks = []
    while x < c.w:
        bw = c.w * float(rng.uniform(0.16, 0.26))
        top = c.h * float(rng.uniform(0.06, 0.32)) - (0.2 * c.h if alley else 0.0)
        col = c.lit(walls[int(rng.integers(len(walls)))], 0.0) * (0.55 if alley else 1.0)
        c.rect(x, top, x + bw, street_y, col, 1.0, bottom=col * 0.8)
        c.rect(x + bw - 1.5 * c.u, top, x + bw, street_y, col * 0.7)
        _facade(c, rng, x, top, bw, street_y, col)
        blocks.append((x, x + bw, top))
        x += bw
    if sc.neon:
        neon_signs(c, blocks, street_y - 0.2 * c.h, 4)
    c.rect(0, street_y, c.w, street_y + 0.04 * c.h, c.lit((140, 136, 130)))
    c.rect(0, street_y + 0.04 * c.h, c.w, c.h, c.lit((70, 72, 80)), 1.0, bottom=c.lit((44, 46, 52)))
    for k in range(6):
        dx = c.w * (k / 6 + float(rng.uniform(0, 0.02)))
        c.rect(dx, c.h * 0.88, dx + c.w * 0.07, c.h * 0.895, c.lit((220, 210, 170)), 0.7)
    for k in range(2):
        _street_lamp(c, c.w * (0.2 + 0.6 * k), street_y + 0.02 * c.h)
    if "rain" in sc.weather or sc.has("wet", "puddle"):
        _wet(c, street_y + 0.04 * c.h)
    if sc.place == "market":
        _stalls(c, street_y)


def _stalls(c: Canvas, street_y: float) -> None:
    """Market stalls along the street: striped awnings over counters piled with fruit and goods."""
    rng = c.rng("stalls")
    colours = [(220, 60, 60), (240, 180, 40), (60, 140, 200), (80, 170, 90), (230, 120, 40)]
    x = c.w * float(rng.uniform(-0.05, 0.02))
    while x < c.w:
        bw = c.w * float(rng.uniform(0.2, 0.26))
        top, counter = street_y - 0.2 * c.h, street_y + 0.02 * c.h
        awning = colours[int(rng.integers(len(colours)))]
        sk = Sketch(c, x, top - 0.06 * c.h, x + bw, counter + 0.08 * c.h, ss=2)
        for d in (0.04, 0.96):
            sk.rect(x + bw * d - 0.004 * c.h, top, x + bw * d + 0.004 * c.h, counter + 0.07 * c.h, (90, 64, 44))
        for k in range(6):
            col = awning if k % 2 == 0 else (246, 240, 230)
            sk.poly(
                [
                    (x + bw * k / 6, top - 0.05 * c.h),
                    (x + bw * (k + 1) / 6, top - 0.05 * c.h),
                    (x + bw * (k + 1) / 6, top + 0.02 * c.h),
                    (x + bw * k / 6, top + 0.02 * c.h),
                ],
                col,
            )
        sk.rect(x, counter, x + bw, counter + 0.07 * c.h, (150, 108, 70))
        for k in range(8):
            fruit = colours[int(rng.integers(len(colours)))]
            sk.ellipse(x + bw * (0.1 + 0.1 * k), counter - 0.01 * c.h, 0.014 * c.h, 0.013 * c.h, fruit)
        sk.paste(ambient_shade(c, x + bw / 2, rim=0.3))
        x += bw * float(rng.uniform(1.05, 1.3))


def _facade(c: Canvas, rng: np.random.Generator, x: float, top: float, bw: float, street_y: float, col: Vec) -> None:
    cols = int(rng.integers(2, 4))
    floor_h = c.h * 0.11
    shop_top = street_y - c.h * 0.13
    night = is_dark(c)
    glass = c.pal.horizon * 0.7 if not night else np.array([0.12, 0.12, 0.18], F32)
    lamp = np.array([1.0, 0.8, 0.5], F32)
    y = top + floor_h * 0.4
    while y + floor_h * 0.6 < shop_top:
        for k in range(cols):
            wx = x + bw * (k + 0.5) / cols
            on = night and rng.random() < 0.45
            c.rect(wx - bw * 0.12, y, wx + bw * 0.12, y + floor_h * 0.58, lamp * 0.9 if on else glass)
            c.rect(wx - bw * 0.14, y + floor_h * 0.58, wx + bw * 0.14, y + floor_h * 0.62, col * 1.15)
        y += floor_h
    awning = to_vec(
        c.sc.accents[int(rng.integers(len(c.sc.accents)))] if c.sc.accents else TOPS[int(rng.integers(len(TOPS)))]
    )
    shop = lamp * 0.95 if night or c.sc.time == "golden" else glass * 1.1
    c.rect(x + bw * 0.1, shop_top + c.h * 0.03, x + bw * 0.9, street_y - c.h * 0.005, shop)
    if night:
        c.glow_rect(x + bw * 0.1, shop_top + c.h * 0.03, x + bw * 0.9, street_y, lamp, 0.5)
    c.rect(x + bw * 0.05, shop_top, x + bw * 0.95, shop_top + c.h * 0.035, awning * c.pal.ambient)
    for k in range(0, 8, 2):
        sx = x + bw * (0.05 + 0.9 * k / 8)
        c.rect(sx, shop_top, sx + bw * 0.9 / 8, shop_top + c.h * 0.035, np.ones(3, F32) * c.pal.ambient * 0.9, 0.7)


def _street_lamp(c: Canvas, x: float, base: float) -> None:
    s = c.h * 0.42
    pole = c.lit((30, 32, 38))
    c.rect(x - 0.012 * s, base - s, x + 0.012 * s, base, pole)
    c.rect(x - 0.01 * s, base - s, x + 0.12 * s, base - s + 0.02 * s, pole)
    lamp_x, lamp_y = x + 0.11 * s, base - s + 0.04 * s
    if is_dark(c) or "rain" in c.sc.weather:
        warm = np.array([1.0, 0.85, 0.55], F32)
        c.spot(lamp_x, lamp_y, 0.03 * s, 0.02 * s, warm)
        c.glow_spot(lamp_x, lamp_y, 0.12 * s, warm, 0.9)
        c.glow_spot(lamp_x, base, 0.3 * s, warm, 0.15)


def paint_bridge(c: Canvas) -> None:
    """A suspension bridge over water: two towers, the main cable, hangers and a lit deck."""
    c.horizon = c.h * 0.6
    paint_sky(c)
    if c.sc.has("city", "skyline", "town") or c.sc.neon:
        skyline(c, "bridge-city", c.horizon, 0.25, 0.06, (80, 90, 120), 0.6, lit_window_share(c) * 0.7)
    else:
        hills(c, "bridge-hills", 0.6, 0.1, 1.2, (90, 110, 140), 0.7, sharp=True)
    rng = c.rng("bridge")
    deck, tower_top = c.h * 0.5, c.h * 0.12
    span = c.w * float(rng.uniform(0.5, 0.62))
    t0, t1 = c.w * 0.5 - span / 2, c.w * 0.5 + span / 2
    steel = c.lit((176, 70, 52) if c.sc.has("red", "golden", "gold") else (96, 104, 122), 0.15)
    if is_dark(c):
        steel = steel * 1.6 + 0.04
    xs = np.arange(c.w, dtype=F32) + 0.5
    sag = deck - tower_top - 0.02 * c.h
    inner = np.clip(1 - ((xs - c.w / 2) / (span / 2)) ** 2, 0, 1)
    outer = np.clip(np.where(xs < t0, (t0 - xs) / max(t0, 1.0), (xs - t1) / max(c.w - t1, 1.0)), 0, 1) ** 0.8
    cable = np.where((xs > t0) & (xs < t1), tower_top + sag * inner, tower_top + sag * outer)
    y0, y1 = int(tower_top), int(deck)
    ys = np.arange(y0, y1, dtype=F32)[:, None] + 0.5
    thick = max(1.0, 1.4 * c.u)
    line = np.clip(thick / 2 + 0.5 - np.abs(ys - cable[None]), 0, 1)
    step = max(3.0, 9 * c.u)
    hangers = (np.abs((xs % step) - step / 2) < 0.5 * max(1.0, 0.7 * c.u))[None] & (ys > cable[None])
    cover = np.maximum(line, hangers * 0.7)[..., None]
    c.img[y0:y1] += (steel - c.img[y0:y1]) * cover
    for tx in (t0, t1):
        for dx in (-0.014, 0.014):
            c.rect(tx + (dx - 0.007) * c.w, tower_top - 0.02 * c.h, tx + (dx + 0.007) * c.w, c.horizon, steel)
        for yy in (tower_top + 0.03 * c.h, deck - 0.14 * c.h, deck + 0.03 * c.h):
            c.rect(tx - 0.022 * c.w, yy, tx + 0.022 * c.w, yy + 0.014 * c.h, steel)
    c.rect(0, deck, c.w, deck + 0.028 * c.h, steel * 0.85)
    c.rect(0, deck, c.w, deck + 0.006 * c.h, steel * 1.2)
    if is_dark(c):
        lamp = np.array([1.0, 0.85, 0.55], F32)
        for k in range(28):
            x = c.w * (k + 0.5) / 28
            c.spot(x, deck - 0.006 * c.h, 1.3 * c.u, 1.3 * c.u, lamp)
            c.glow_spot(x, deck, 5 * c.u, lamp, 0.5)
        for k in range(1, 16):
            x = t0 + span * k / 16
            c.spot(x, float(cable[int(np.clip(x, 0, c.w - 1))]), 1.1 * c.u, 1.1 * c.u, lamp * 0.9)
        for tx in (t0, t1):
            c.glow_spot(tx, tower_top, 4 * c.u, np.array([1.0, 0.3, 0.25], F32), 0.8)
    water(c, c.horizon, (40, 80, 110))
    if c.has_figures:
        _promenade(c)


def _promenade(c: Canvas) -> None:
    """A quay with a railing in the foreground, so people stand on something by the water."""
    top = c.h * 0.84
    c.rect(0, top, c.w, c.h, c.lit((120, 116, 110)), 1.0, bottom=c.lit((80, 78, 76)))
    rail = c.lit((50, 52, 58))
    c.rect(0, top - 0.09 * c.h, c.w, top - 0.08 * c.h, rail)
    for k in range(14):
        x = c.w * (k + 0.5) / 14
        c.rect(x - 0.6 * c.u, top - 0.09 * c.h, x + 0.6 * c.u, top, rail)


def paint_harbor(c: Canvas) -> None:
    """Water with moored sailing boats and a pier; cranes at a port, a lighthouse when named."""
    sc = c.sc
    c.horizon = c.h * 0.58
    paint_sky(c)
    hills(c, "harbor-hills", 0.58, 0.08, 1.2, (90, 110, 140), 0.7)
    if sc.has("port", "cargo", "crane"):
        _cranes(c)
    if sc.has("lighthouse"):
        _lighthouse(c)
    water(c, c.horizon, (34, 84, 110))
    rng = c.rng("boats")
    for k in range(3):
        x = c.w * float(rng.uniform(0.15, 0.85))
        y = c.h * (0.68 + 0.08 * k)
        _boat(c, x, y, c.h * (0.14 + 0.08 * k), rng)
    pier_y = c.h * 0.9
    c.rect(0, pier_y, c.w, c.h, c.lit((96, 72, 54)), 1.0, bottom=c.lit((70, 52, 40)))
    for k in range(12):
        px = c.w * (k + 0.5) / 12
        c.rect(px - 2 * c.u, pier_y - 0.03 * c.h, px + 2 * c.u, pier_y + 0.01 * c.h, c.lit((70, 52, 40)))


def _boat(c: Canvas, x: float, waterline: float, s: float, rng: np.random.Generator) -> None:
    hull = TOPS[int(rng.integers(len(TOPS)))]
    sk = Sketch(c, x - s, waterline - s * 1.3, x + s, waterline + s * 0.2, ss=3)
    sk.poly(
        [
            (x - s * 0.6, waterline - s * 0.18),
            (x + s * 0.6, waterline - s * 0.18),
            (x + s * 0.45, waterline + s * 0.05),
            (x - s * 0.45, waterline + s * 0.05),
        ],
        hull,
    )
    sk.rect(x - s * 0.6, waterline - s * 0.2, x + s * 0.6, waterline - s * 0.15, (236, 232, 224))
    sk.rect(x - s * 0.2, waterline - s * 0.42, x + s * 0.15, waterline - s * 0.2, (226, 222, 214))
    sk.stroke([(x + s * 0.05, waterline - s * 0.2), (x + s * 0.05, waterline - s * 1.2)], (60, 56, 52), s * 0.025)
    sk.poly(
        [
            (x + s * 0.08, waterline - s * 1.15),
            (x + s * 0.08, waterline - s * 0.45),
            (x + s * 0.5, waterline - s * 0.45),
        ],
        (240, 236, 226),
    )
    sk.paste(ambient_shade(c, x, rim=0.5))
    c.rect(x - s * 0.45, waterline + s * 0.05, x + s * 0.45, waterline + s * 0.09, c.lit((20, 30, 40)), 0.4)


def _cranes(c: Canvas) -> None:
    col = c.lit((150, 70, 50), 0.4)
    for fx in (0.2, 0.75):
        x, base, s = c.w * fx, c.horizon, c.h * 0.32
        c.rect(x - 0.01 * s, base - s, x + 0.01 * s, base, col)
        c.rect(x - 0.3 * s, base - s, x + 0.7 * s, base - s + 0.03 * s, col)
        c.rect(x + 0.5 * s, base - s, x + 0.505 * s, base - s * 0.55, col * 0.8)


def _lighthouse(c: Canvas) -> None:
    x = c.w * (0.82 if c.pal.key_side < 0 else 0.18)
    base, s = c.horizon + 0.01 * c.h, c.h * 0.3
    sk = Sketch(c, x - s * 0.2, base - s * 1.1, x + s * 0.2, base + 2, ss=3)
    sk.poly(
        [(x - s * 0.1, base), (x + s * 0.1, base), (x + s * 0.06, base - s * 0.85), (x - s * 0.06, base - s * 0.85)],
        (236, 232, 226),
    )
    for k in range(3):
        y = base - s * (0.15 + 0.22 * k)
        sk.poly(
            [(x - s * 0.095, y), (x + s * 0.095, y), (x + s * 0.088, y - s * 0.08), (x - s * 0.088, y - s * 0.08)],
            (196, 52, 48),
        )
    sk.rect(x - s * 0.07, base - s * 1.0, x + s * 0.07, base - s * 0.85, (60, 60, 64))
    sk.paste(ambient_shade(c, x, rim=0.5))
    if is_dark(c):
        warm = np.array([1.0, 0.9, 0.6], F32)
        c.spot(x, base - s * 0.93, s * 0.05, s * 0.05, warm)
        c.glow_spot(x, base - s * 0.93, s * 0.4, warm, 0.9)
