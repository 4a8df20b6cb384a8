"""The background of a picture: the setting painter for its family, weather overlays and light glow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from sparkle_cli.backends.image.canvas import F32, Canvas, Vec, blur, is_dark, mix, noise2d, upsample
from sparkle_cli.backends.image.city import paint_bridge, paint_city, paint_harbor, paint_rooftop, paint_street
from sparkle_cli.backends.image.interior import paint_interior
from sparkle_cli.backends.image.outdoors import (
    paint_beach,
    paint_desert,
    paint_field,
    paint_forest,
    paint_mountain,
    paint_space,
)
from sparkle_cli.backends.image.places import (
    paint_castle,
    paint_cave,
    paint_jungle,
    paint_ruins,
    paint_ship,
    paint_station,
    paint_swamp,
    paint_village,
    paint_volcano,
)

FAMILY_PAINTERS: dict[str, Callable[[Canvas], None]] = {
    "field": paint_field,
    "forest": paint_forest,
    "beach": paint_beach,
    "mountain": paint_mountain,
    "desert": paint_desert,
    "city": paint_city,
    "rooftop": paint_rooftop,
    "street": paint_street,
    "bridge": paint_bridge,
    "harbor": paint_harbor,
    "space": paint_space,
    "interior": paint_interior,
    "castle": paint_castle,
    "village": paint_village,
    "volcano": paint_volcano,
    "jungle": paint_jungle,
    "swamp": paint_swamp,
    "ship": paint_ship,
    "station": paint_station,
    "ruins": paint_ruins,
    "cave": paint_cave,
}


def paint_scene(c: Canvas) -> None:
    """Paint the background of the scene's setting family."""
    FAMILY_PAINTERS[c.sc.family](c)


@dataclass
class Overlay:
    """Weather in front of everything: premultiplied colour and coverage at frame size, and how it drifts."""

    rgb: Vec
    alpha: Vec
    drift: tuple[float, float] = (0.0, 0.0)  # pixels per second; rain falls, snow settles, wind blows

    def over(self, rgb: Vec | np.ndarray, alpha: Vec) -> None:
        """Lay more of the same weather on top (in place)."""
        self.rgb = rgb + self.rgb * (1 - alpha)
        self.alpha = alpha + self.alpha * (1 - alpha)


def _streaks(c: Canvas, front: bool) -> tuple[Vec, Vec, float]:
    """Slanted rain streaks as (colour, coverage, slant); the layer in front is longer and brighter."""
    rng = c.rng("rain-front" if front else "rain-back")
    # Large frames draw the streaks at half size; upscaling softens them like motion blur.
    k = 2 if c.w > 960 else 1
    w, h, u = c.w // k, c.h // k, c.u / k
    layer = Image.new("L", (w, h))
    d = ImageDraw.Draw(layer)
    # As many streaks at every size: they grow with the frame, so the picture looks the same.
    heavy = 1.6 if "storm" in c.sc.weather else 1.0
    n = int(heavy * 360 * 360 * c.w / c.h / (900 if front else 500))
    slant = float(rng.uniform(0.08, 0.2)) * (1 if rng.random() < 0.5 else -1) * (2.0 if "wind" in c.sc.weather else 1)
    length = h * (0.07 if front else 0.035)
    width = max(1, int(round(u * (1.0 if front else 0.6))))
    xs = rng.uniform(-0.1 * w, 1.1 * w, n)
    ys = rng.uniform(-length, h, n)
    ls = length * rng.uniform(0.5, 1.0, n)
    vals = rng.integers(60 if front else 40, 150 if front else 90, n)
    for x, y, ln, v in zip(xs.tolist(), ys.tolist(), ls.tolist(), vals.tolist(), strict=True):
        d.line([(x, y), (x + slant * ln, y + ln)], fill=v, width=width)
    if k > 1:
        layer = layer.resize((c.w, c.h), Image.Resampling.BILINEAR)
    m = np.asarray(layer, F32)[..., None] / 255.0
    tint = mix(c.pal.horizon, np.ones(3, F32), 0.5)
    if c.sc.neon or "sign" in c.sc.lights:
        tint = mix(tint, c.pal.key, 0.35)
    return tint, m * (0.55 if is_dark(c) else 0.45), slant


def rain(c: Canvas) -> None:
    """Far rain, painted into the background."""
    tint, a, _ = _streaks(c, front=False)
    c.img += (tint - c.img) * a


def lens_drops(c: Canvas, behind: Vec, ov: Overlay) -> None:
    """Raindrops on the lens: soft brighter discs with a highlight, coloured by what is `behind` them."""
    rng = c.rng("drops")
    paint = Canvas(c.w, c.h, c.seed, c.sc, c.pal)
    cover = Canvas(c.w, c.h, c.seed, c.sc, c.pal)
    one = np.ones(3, F32)
    for _ in range(int(6 + 4 * c.w / max(c.h, 1))):
        x, y = float(rng.uniform(0, c.w)), float(rng.uniform(0, c.h))
        r = c.h * float(rng.uniform(0.015, 0.045))
        col = np.clip(behind[int(min(y, c.h - 1)), int(min(x, c.w - 1))] * 1.3 + 0.06, 0, 1)
        for cx, cy, rx, ry, colour, soft in (
            (x, y, r, r, col, r * 0.4),
            (x - r * 0.3, y - r * 0.35, r * 0.22, r * 0.16, one, 1.0),
        ):
            # Both canvases start black: one collects premultiplied colour, the other coverage.
            paint.spot(cx, cy, rx, ry, colour, 0.35, soft=soft)
            cover.spot(cx, cy, rx, ry, one, 0.35, soft=soft)
    ov.over(paint.img, cover.img[..., :1])


def _snowflakes(c: Canvas) -> tuple[Vec, Vec]:
    """Snowflakes of several sizes in front of everything, as (colour, coverage)."""
    rng = c.rng("snow")
    layer = Image.new("L", (c.w, c.h))
    d = ImageDraw.Draw(layer)
    for _ in range(int(360 * 360 * c.w / c.h / 700)):
        x, y = float(rng.uniform(0, c.w)), float(rng.uniform(0, c.h))
        r = c.u * float(rng.uniform(0.5, 1.0) ** 3 * 3.2 + 0.5)
        d.ellipse([x - r, y - r, x + r, y + r], fill=int(rng.integers(150, 255)))
    m = np.asarray(layer, F32)[..., None] / 255.0
    return np.array([0.95, 0.96, 1.0], F32) * (0.6 if is_dark(c) else 1.0), m * 0.85


def _gusts(c: Canvas) -> tuple[Vec, Vec]:
    """Leaves and dust carried by the wind: small tilted flecks in the colour of the place."""
    rng = c.rng("wind")
    layer = Image.new("L", (c.w, c.h))
    d = ImageDraw.Draw(layer)
    for _ in range(int(60 * c.w / max(c.h, 1))):
        x, y = float(rng.uniform(0, c.w)), float(rng.uniform(0, c.h))
        r = c.u * float(rng.uniform(1.0, 2.6))
        d.ellipse([x - r * 1.6, y - r * 0.6, x + r * 1.6, y + r * 0.6], fill=int(rng.integers(150, 230)))
        d.line([(x - r * 10, y + r), (x - r * 2, y)], fill=40, width=max(1, int(c.u)))
    m = np.asarray(layer, F32)[..., None] / 255.0
    leaf = (
        np.array([0.62, 0.5, 0.3], F32) if c.sc.family not in ("desert", "beach") else np.array([0.85, 0.74, 0.55], F32)
    )
    return leaf * c.pal.ambient, m * 0.8


def front_weather(c: Canvas, behind: Vec) -> tuple[Overlay | None, Overlay | None]:
    """The weather in front of the picture: what falls or blows (it drifts) and drops on the lens (they stay)."""
    sc = c.sc
    if sc.family in ("interior", "space", "cave"):
        return None, None
    zero = np.zeros((c.h, c.w, 3), F32)
    moving: Overlay | None = None
    if "rain" in sc.weather:
        tint, a, slant = _streaks(c, front=True)
        # A streak is one frame's motion blur: the rain falls about its own length per frame.
        speed = c.h * 0.07 * 24 * (1.3 if "storm" in sc.weather else 1.0)
        moving = Overlay(tint * a, a, (slant * speed, speed))
    if "snow" in sc.weather:
        colour, a = _snowflakes(c)
        drift = (c.w * (0.1 if "wind" in sc.weather else 0.02), c.h * 0.12)
        if moving is None:
            moving = Overlay(colour * a, a, drift)
        else:
            moving.over(colour * a, a)
    if "wind" in sc.weather and moving is None:
        colour, a = _gusts(c)
        moving = Overlay(colour * a, a, (c.w * 0.6, c.h * 0.05))
    drops = None
    if "rain" in sc.weather and sc.has("lens", "window", "glass"):
        drops = Overlay(zero.copy(), zero[..., :1].copy())
        lens_drops(c, behind, drops)
    return moving, drops


def fog(c: Canvas) -> None:
    """A noisy band of fog around the horizon, thinning upwards."""
    rng = c.rng("fog")
    field = noise2d(rng, c.gh, c.gw, 2)
    ys = (np.arange(c.gh, dtype=F32)[:, None] + 0.5) * 4
    band = np.exp(-(((ys - c.horizon) / (0.35 * c.h)) ** 2))
    amount = np.clip(band * (0.45 + 0.55 * field) * 0.9 + 0.12, 0, 0.9)[..., None] * c.pal.fog / 0.55
    full = upsample(amount.astype(F32), c.w, c.h)
    fog_col = mix(c.pal.haze, np.array([0.85, 0.87, 0.9], F32) * float(c.pal.ambient.mean()), 0.5)
    c.img += (fog_col - c.img) * np.clip(full, 0, 0.9)


def light_spill(c: Canvas) -> None:
    """A big soft wash of coloured light from the side a sign or lamp stands on."""
    sc = c.sc
    if sc.light_colour is None and not (sc.neon and is_dark(c)) and "warm" not in sc.lights:
        return
    col = c.pal.key
    x = c.w * (1.05 if c.pal.key_side > 0 else -0.05)
    strength = (0.3 if sc.light_colour is not None else 0.18) * (1.0 if is_dark(c) else 0.45)
    c.glow_spot(x, c.h * 0.45, c.h * 0.6, col, strength)


def glow_pass(c: Canvas) -> None:
    """Bloom bright pixels and add the glow buffer, then empty it.

    Run on the background before figures are drawn, so a sign's halo lights the air
    behind people rather than washing over them.
    """
    img = c.img
    # Four scattered samples per 4x4 block are plenty for a source that is blurred anyway.
    gh, gw = c.gh, c.gw
    q = (
        img[0 : gh * 4 : 4, 0 : gw * 4 : 4]
        + img[2 : gh * 4 : 4, 2 : gw * 4 : 4]
        + img[1 : gh * 4 : 4, 3 : gw * 4 : 4]
        + img[3 : gh * 4 : 4, 1 : gw * 4 : 4]
    ) * 0.25
    lum = q @ np.array([0.3, 0.59, 0.11], F32)
    bright = q * np.clip((lum - c.pal.bloom) / (1 - c.pal.bloom + 1e-3), 0, 1)[..., None]
    src = bright * 0.6 + c.glow
    s = c.gh / 90.0
    glow = blur(src, 1.5 * s) * 0.45 + blur(src, 7 * s) * 0.55
    img += upsample(glow.astype(F32), c.w, c.h)
    c.glow[:] = 0


def back_weather(c: Canvas) -> None:
    """Fog and far rain, painted into the background."""
    if c.sc.family in ("interior", "space", "cave"):
        return
    if "fog" in c.sc.weather:
        fog(c)
    if "rain" in c.sc.weather:
        rain(c)
