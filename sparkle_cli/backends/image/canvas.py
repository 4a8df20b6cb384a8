"""The palette, the float canvas and its drawing helpers (blurs, noise, anti-aliased sketches), and the final pixels."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from sparkle_cli.backends.image.scene import COLOURS, RGB, Scene, stable_int

F32 = np.float32
Vec = np.ndarray


SKIES: dict[str, tuple[RGB, RGB, RGB, RGB, tuple[float, float, float]]] = {
    # sky top, middle, horizon, sun or moon, ambient light on things
    "dawn": ((58, 72, 128), (176, 132, 160), (255, 190, 150), (255, 214, 170), (0.86, 0.8, 0.86)),
    "morning": ((92, 150, 215), (150, 195, 235), (226, 236, 240), (255, 246, 226), (1.0, 0.98, 0.95)),
    "noon": ((50, 118, 214), (112, 170, 234), (204, 226, 246), (255, 255, 245), (1.04, 1.04, 1.04)),
    "golden": ((72, 94, 168), (234, 138, 108), (255, 206, 132), (255, 214, 150), (1.0, 0.84, 0.68)),
    "dusk": ((26, 30, 76), (112, 68, 120), (232, 124, 110), (255, 150, 110), (0.55, 0.52, 0.7)),
    "night": ((6, 9, 26), (14, 22, 52), (34, 46, 86), (225, 232, 255), (0.3, 0.34, 0.52)),
}
# Sun (or moon) position: x as a fraction of the width, y relative to the horizon as a fraction of the height.
SUN_AT: dict[str, tuple[float, float]] = {
    "dawn": (0.26, -0.06),
    "morning": (0.3, -0.32),
    "noon": (0.62, -0.5),
    "golden": (0.7, -0.1),
    "dusk": (0.72, 0.04),
    "night": (0.78, -0.42),
}


def to_vec(colour: Iterable[float]) -> Vec:
    """An 8-bit colour as a float vector in 0..1."""
    return np.asarray(tuple(colour), F32) / 255.0


def mix(a: Any, b: Any, t: Any) -> Any:
    """Linear blend from a to b; works on numbers and arrays alike."""
    return a + (b - a) * t


@dataclass
class Palette:
    """Colours and light of one picture, from the time of day and the weather."""

    top: Vec
    mid: Vec
    horizon: Vec
    sun: Vec
    ambient: Vec
    haze: Vec
    key: Vec  # the colour of the light that rims figures
    figure: Vec  # light on people: the ambient, lifted at night so faces still read
    key_side: float  # -1: light from the left, 1: from the right
    sun_x: float
    sun_dy: float
    sun_visible: bool
    stars: float
    bloom: float  # brightness above which pixels glow
    fog: float


def _grey(c: Vec, amount: float, level: float = 1.0) -> Vec:
    lum = float(c @ np.array([0.3, 0.59, 0.11], F32))
    return mix(c, np.full(3, lum, F32), amount) * level


def make_palette(scene: Scene, rng: np.random.Generator) -> Palette:
    """Sky colours, ambient and key light for the scene; weather greys and dims them."""
    top, mid, hz, sun, amb = SKIES[scene.time]
    p = Palette(
        top=to_vec(top),
        mid=to_vec(mid),
        horizon=to_vec(hz),
        sun=to_vec(sun),
        ambient=np.asarray(amb, F32),
        haze=mix(to_vec(hz), to_vec(mid), 0.3),
        key=to_vec(sun),
        key_side=1.0,
        sun_x=0.0,
        sun_dy=0.0,
        sun_visible=True,
        stars=0.0,
        bloom=0.9,
        fog=0.0,
        figure=np.asarray(amb, F32),
    )
    sx, sdy = SUN_AT[scene.time]
    flip = rng.random() < 0.5 and scene.time != "dawn"
    p.sun_x = (1 - sx if flip else sx) + float(rng.uniform(-0.06, 0.06))
    p.sun_dy = sdy
    p.key_side = 1.0 if p.sun_x > 0.5 else -1.0
    dark = scene.time in ("night", "dusk")
    p.stars = {"night": 1.0, "dusk": 0.35}.get(scene.time, 0.0)
    p.bloom = 0.55 if scene.time == "night" else 0.68 if scene.time == "dusk" else 0.86
    if scene.time == "dusk":
        p.sun_visible = False
    wet, overcast = "rain" in scene.weather, "clouds" in scene.weather
    if wet or overcast:
        amount, level = (0.62, 0.72) if wet else (0.5, 0.88)
        if dark:
            level = 0.9
        p.top, p.mid, p.horizon = (_grey(c, amount, level) for c in (p.top, p.mid, p.horizon))
        p.ambient = p.ambient * (0.8 if wet else 0.9)
        p.sun_visible = p.sun_visible and not wet and scene.time in ("golden", "dawn")
        p.stars *= 0.15
    if "snow" in scene.weather:
        p.top, p.mid, p.horizon = (
            mix(c, np.array([0.8, 0.83, 0.88], F32) * (0.45 if dark else 1.0), 0.45) for c in (p.top, p.mid, p.horizon)
        )
        p.stars *= 0.3
    if "fog" in scene.weather:
        p.fog = 0.55
        p.stars *= 0.2
    p.haze = mix(p.horizon, p.mid, 0.3)
    if scene.family == "interior":
        # Indoors people are lit by the room, not by the sky outside.
        p.ambient = np.array([0.98, 0.95, 0.9], F32) if not dark else np.array([0.78, 0.66, 0.56], F32)
    if scene.light_colour is not None and ("sign" in scene.lights or scene.neon):
        p.key = to_vec(scene.light_colour)
    elif scene.neon and dark:
        p.key = to_vec(scene.accents[0] if scene.accents else COLOURS["pink"])
    elif "warm" in scene.lights and (dark or scene.family == "interior"):
        p.key = to_vec(scene.light_colour or COLOURS["amber"])
    # People keep a readable face in the dark: lift the ambient towards the key light's colour.
    p.figure = p.ambient
    if dark and scene.family != "interior":
        p.figure = np.maximum(p.ambient, 0.5) * 0.7 + p.key * 0.3
    return p


def smoothstep(e0: float, e1: float, x: Any) -> Any:
    """Hermite ease from 0 at e0 to 1 at e1, for soft edges and fades."""
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _box_blur(a: Vec, r: int, axis: int) -> Vec:
    if r < 1:
        return a
    n = a.shape[axis]
    pad = [(0, 0)] * a.ndim
    pad[axis] = (r + 1, r)
    cs = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis, dtype=F32)
    hi = np.take(cs, np.arange(2 * r + 1, 2 * r + 1 + n), axis=axis)
    lo = np.take(cs, np.arange(n), axis=axis)
    return (hi - lo) / (2 * r + 1)


def blur(a: Vec, sigma: float) -> Vec:
    """Three box blurs per axis: close to a Gaussian and linear in the image size."""
    r = int(round(math.sqrt(12 * sigma * sigma / 3 + 1) / 2))
    for axis in (0, 1):
        for _ in range(3):
            a = _box_blur(a, r, axis)
    return a


def soft_blur(a: Vec, sigma: float) -> Vec:
    """A Gaussian blur through PIL at 8 bits: fast on large pictures where banding cannot show."""
    if sigma < 0.3:
        return a
    im = Image.fromarray((np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8))
    return np.asarray(im.filter(ImageFilter.GaussianBlur(sigma)), F32) / 255.0


def upsample(a: Vec, w: int, h: int) -> Vec:
    channels = [
        np.asarray(Image.fromarray(np.ascontiguousarray(a[..., k])).resize((w, h), Image.Resampling.BILINEAR))
        for k in range(a.shape[2])
    ]
    return np.stack(channels, axis=-1)


def noise1d(rng: np.random.Generator, n: int, cycles: float, octaves: int = 5, sharp: bool = False) -> Vec:
    """Smooth 1-D noise in [0, 1] whose features scale with the width, so every size looks alike."""
    x = (np.arange(n, dtype=F32) + 0.5) / n
    out = np.zeros(n, F32)
    amp, total = 1.0, 0.0
    for k in range(octaves):
        f = cycles * (2.1**k) * float(rng.uniform(0.85, 1.2))
        wave = np.sin(2 * np.pi * f * x + float(rng.uniform(0, 2 * np.pi)))
        out += amp * ((1 - 2 * np.abs(wave)) if sharp and k < 2 else wave)
        total += amp
        amp *= 0.42 if sharp else 0.5
    return (out / total + 1) / 2


def noise2d(rng: np.random.Generator, h: int, w: int, cells: int) -> Vec:
    """Value noise in [0, 1] built from random grids resized with bicubic interpolation."""
    out = np.zeros((h, w), F32)
    amp, total = 1.0, 0.0
    for k in range(3):
        gx = max(2, cells * 2**k)
        gy = max(2, int(gx * h / max(w, 1)) + 1)
        grid = rng.random((gy, gx), dtype=F32)
        out += amp * np.asarray(Image.fromarray(grid).resize((w, h), Image.Resampling.BICUBIC))
        total += amp
        amp *= 0.5
    return np.clip(out / total, 0, 1)


class Canvas:
    """A float RGB picture in [0, 1], with a quarter-size buffer for light that glows."""

    def __init__(self, w: int, h: int, seed: int, scene: Scene, pal: Palette) -> None:
        self.w, self.h, self.seed, self.sc, self.pal = w, h, seed, scene, pal
        self.img = np.zeros((h, w, 3), F32)
        self.gw, self.gh = max(4, w // 4), max(4, h // 4)
        self.glow = np.zeros((self.gh, self.gw, 3), F32)
        self.u = h / 360.0  # layouts are designed at 640x360
        self.fs = min(float(h), 1.2 * w)  # people are sized by this, so tall frames do not make giants
        self.horizon = h * 0.62
        self.has_figures = False  # wide views keep dry ground under people's feet

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng(stable_int(self.seed, name))

    def lit(self, colour: RGB | Vec, depth: float = 0.0) -> Vec:
        """A surface colour under the scene's light, faded into the haze with distance."""
        base = to_vec(colour) if isinstance(colour, tuple) else colour
        haze = min(1.0, depth * (0.75 + 0.6 * self.pal.fog))
        return mix(base * self.pal.ambient, self.pal.haze, haze)

    def rect(
        self, x0: float, y0: float, x1: float, y1: float, colour: Vec, alpha: float = 1.0, bottom: Vec | None = None
    ) -> None:
        a, b = max(0, int(round(x0))), min(self.w, int(round(x1)))
        c, d = max(0, int(round(y0))), min(self.h, int(round(y1)))
        if a >= b or c >= d:
            return
        col: Vec = colour
        if bottom is not None:
            t = np.linspace(0, 1, d - c, dtype=F32)[:, None, None]
            col = mix(colour, bottom, t)
        region = self.img[c:d, a:b]
        region += (col - region) * alpha

    def spot(
        self, cx: float, cy: float, rx: float, ry: float, colour: Vec, alpha: float = 1.0, soft: float = 1.0
    ) -> None:
        """An anti-aliased ellipse; `soft` widens the edge (in pixels) for shadows and haloes."""
        reach = max(rx, ry) + soft + 1
        x0, x1 = max(0, int(cx - reach)), min(self.w, int(cx + reach) + 1)
        y0, y1 = max(0, int(cy - reach)), min(self.h, int(cy + reach) + 1)
        if x0 >= x1 or y0 >= y1 or rx <= 0 or ry <= 0:
            return
        xs = (np.arange(x0, x1, dtype=F32) + 0.5 - cx) / rx
        ys = (np.arange(y0, y1, dtype=F32) + 0.5 - cy)[:, None] / ry
        d = np.sqrt(xs * xs + ys * ys)
        cover = np.clip((1 - d) * min(rx, ry) / soft + 0.5, 0, 1)[..., None] * alpha
        region = self.img[y0:y1, x0:x1]
        region += (colour - region) * cover

    def glow_spot(self, x: float, y: float, r: float, colour: Vec, strength: float) -> None:
        """Add a round halo of light (Gaussian) to the glow buffer."""
        gx, gy, gr = x / 4, y / 4, max(r / 4, 0.7)
        x0, x1 = max(0, int(gx - 3 * gr)), min(self.gw, int(gx + 3 * gr) + 1)
        y0, y1 = max(0, int(gy - 3 * gr)), min(self.gh, int(gy + 3 * gr) + 1)
        if x0 >= x1 or y0 >= y1:
            return
        xs = (np.arange(x0, x1, dtype=F32) + 0.5 - gx) ** 2
        ys = (np.arange(y0, y1, dtype=F32) + 0.5 - gy)[:, None] ** 2
        self.glow[y0:y1, x0:x1] += np.exp(-(xs + ys) / (2 * gr * gr))[..., None] * (colour * strength)

    def glow_rect(self, x0: float, y0: float, x1: float, y1: float, colour: Vec, strength: float) -> None:
        a, b = max(0, int(x0 / 4)), min(self.gw, max(int(x0 / 4) + 1, int(x1 / 4)))
        c, d = max(0, int(y0 / 4)), min(self.gh, max(int(y0 / 4) + 1, int(y1 / 4)))
        if a < b and c < d:
            self.glow[c:d, a:b] += colour * strength


def fill_below(
    c: Canvas, top: Vec, colour: Vec, fade_to: Vec | None = None, fade_px: float = 1.0, alpha: float = 1.0
) -> None:
    """Fill everything under a silhouette line `top` (one y per column), anti-aliased along its slope.

    `colour` is one colour or one per column; with `fade_to` it turns into that colour
    `fade_px` pixels below the line, like mist settling in a valley.
    """
    y0 = int(np.clip(np.floor(top.min()), 0, c.h))
    if y0 >= c.h:
        return
    ys = np.arange(y0, c.h, dtype=F32)[:, None] + 0.5
    diff = np.abs(np.diff(top))
    slope = np.minimum(np.append(diff, diff[-1:]), np.insert(diff, 0, diff[:1])) + 1.0
    below = ys - top[None, :]
    cover = np.clip(below / slope + 0.5, 0, 1)[..., None]
    col = colour[None] if colour.ndim == 2 else colour
    if fade_to is not None:
        col = col + (fade_to - col) * np.clip(below / fade_px, 0, 1)[..., None]
    region = c.img[y0:]
    region += (col - region) * (cover * alpha if alpha != 1.0 else cover)


class Sketch:
    """Shapes drawn with PIL on a supersampled patch, then blended into the canvas with soft edges.

    Colours are drawn on black and the coverage kept in a separate mask, so that after
    reducing the patch the colour is premultiplied by coverage and edges carry no fringe.
    """

    def __init__(
        self,
        c: Canvas,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        ss: int = 3,
        bounds: tuple[int, int, int, int] | None = None,
    ) -> None:
        self.c, self.ss = c, ss
        # A sprite may reach past the frame (`bounds`), so that a camera move can show more of it.
        bx0, by0, bx1, by1 = bounds or (0, 0, c.w, c.h)
        self.x0, self.y0 = max(bx0, int(math.floor(x0))), max(by0, int(math.floor(y0)))
        self.x1, self.y1 = min(bx1, int(math.ceil(x1))), min(by1, int(math.ceil(y1)))
        size = (max(1, self.x1 - self.x0) * ss, max(1, self.y1 - self.y0) * ss)
        self.rgb = Image.new("RGB", size)
        self.mask = Image.new("L", size)
        self.d, self.m = ImageDraw.Draw(self.rgb), ImageDraw.Draw(self.mask)

    @property
    def empty(self) -> bool:
        return self.x1 <= self.x0 or self.y1 <= self.y0

    def _xy(self, pts: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
        return [((x - self.x0) * self.ss, (y - self.y0) * self.ss) for x, y in pts]

    def _box(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        (a, b), (c, d) = self._xy([(x0, y0), (x1, y1)])
        return [min(a, c), min(b, d), max(a, c), max(b, d)]

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, fill: RGB) -> None:
        box = self._box(cx - rx, cy - ry, cx + rx, cy + ry)
        self.d.ellipse(box, fill=fill)
        self.m.ellipse(box, fill=255)

    def poly(self, pts: Iterable[tuple[float, float]], fill: RGB) -> None:
        xy = self._xy(pts)
        self.d.polygon(xy, fill=fill)
        self.m.polygon(xy, fill=255)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: RGB, radius: float = 0.0) -> None:
        box = self._box(x0, y0, x1, y1)
        r = radius * self.ss
        if r > 0.5:
            self.d.rounded_rectangle(box, r, fill=fill)
            self.m.rounded_rectangle(box, r, fill=255)
        else:
            self.d.rectangle(box, fill=fill)
            self.m.rectangle(box, fill=255)

    def chord(self, cx: float, cy: float, rx: float, ry: float, start: float, end: float, fill: RGB) -> None:
        box = self._box(cx - rx, cy - ry, cx + rx, cy + ry)
        self.d.chord(box, start, end, fill=fill)
        self.m.chord(box, start, end, fill=255)

    def stroke(self, pts: list[tuple[float, float]], fill: RGB, width: float) -> None:
        """A thick line with round ends and joints."""
        xy = self._xy(pts)
        w = max(1, int(round(width * self.ss)))
        self.d.line(xy, fill=fill, width=w)
        self.m.line(xy, fill=255, width=w)
        for x, y in xy:
            r = w / 2
            self.d.ellipse([x - r, y - r, x + r, y + r], fill=fill)
            self.m.ellipse([x - r, y - r, x + r, y + r], fill=255)

    def arc(
        self, cx: float, cy: float, rx: float, ry: float, start: float, end: float, fill: RGB, width: float
    ) -> None:
        box = self._box(cx - rx, cy - ry, cx + rx, cy + ry)
        w = max(1, int(round(width * self.ss)))
        self.d.arc(box, start, end, fill=fill, width=w)
        self.m.arc(box, start, end, fill=255, width=w)

    def layer(self, shade: Callable[[Vec, Vec, int, int], Vec] | None = None) -> tuple[Vec, Vec]:
        """The drawing as premultiplied colour and coverage (h, w, 1), relit by `shade(rgb, alpha, x0, y0)`."""
        rgb = np.asarray(self.rgb.reduce(self.ss), F32) / 255.0 if self.ss > 1 else np.asarray(self.rgb, F32) / 255.0
        alpha = (np.asarray(self.mask.reduce(self.ss) if self.ss > 1 else self.mask, F32) / 255.0)[..., None]
        if shade is not None:
            rgb = shade(rgb, alpha, self.x0, self.y0)
        return rgb, alpha

    def paste(self, shade: Callable[[Vec, Vec, int, int], Vec] | None = None) -> Vec | None:
        """Blend into the canvas; `shade(rgb, alpha, x0, y0)` may relight the premultiplied colour."""
        if self.empty:
            return None
        rgb, alpha = self.layer(shade)
        region = self.c.img[self.y0 : self.y1, self.x0 : self.x1]
        region *= 1 - alpha
        region += rgb
        return alpha


def ambient_shade(
    c: Canvas, centre_x: float, rim: float = 0.6, size: float = 0.0, people: bool = False
) -> Callable[[Vec, Vec, int, int], Vec]:
    """Light a sketch by the scene: ambient colour, a darker side away from the key light and a rim."""
    pal = c.pal
    ambient = pal.figure if people else pal.ambient

    def shade(rgb: Vec, alpha: Vec, x0: int, y0: int) -> Vec:
        h, w = alpha.shape[:2]
        xs = np.arange(x0, x0 + w, dtype=F32) - centre_x
        side = np.clip(0.5 + pal.key_side * xs / max(w, 1.0), 0, 1)[None, :, None]
        lit = rgb * ambient * (0.82 + 0.22 * side)
        # The rim grows with the subject: a few pixels on a small figure, more on a close-up.
        d = max(1, int(round(1.6 * c.u * (1 + min(size or w, c.h) / (c.h * 0.5)))))
        a = alpha[..., 0]
        # Neighbours beyond the patch repeat its edge, so a figure cut by the frame gets no rim there.
        neighbour = np.empty_like(a)
        if pal.key_side > 0:
            neighbour[:, :-d], neighbour[:, -d:] = a[:, d:], a[:, -1:]
        else:
            neighbour[:, d:], neighbour[:, :d] = a[:, :-d], a[:, :1]
        top = np.empty_like(a)
        top[d:], top[:d] = a[:-d], a[:1]
        edge = np.clip(a - np.minimum(neighbour, 1.0), 0, 1) + 0.35 * np.clip(a - top, 0, 1)
        return lit + edge[..., None] * pal.key * rim

    return shade


def is_dark(c: Canvas) -> bool:
    """Night or dusk: when lamps, windows and signs are lit."""
    return c.sc.time in ("night", "dusk")


def lit_window_share(c: Canvas) -> float:
    """The share of windows lit at the scene's time of day."""
    return {"night": 0.38, "dusk": 0.28, "golden": 0.08}.get(c.sc.time, 0.0)


def darken(colour: RGB, f: float) -> RGB:
    """A colour scaled towards black, for shadowed sides and outlines."""
    return (int(colour[0] * f), int(colour[1] * f), int(colour[2] * f))


def soften(c: Canvas, sigma: float) -> None:
    """Replace the picture with a blurred copy, like a shallow depth of field behind a subject."""
    small_w, small_h = max(8, c.w // 3), max(8, c.h // 3)
    small = (
        np.asarray(
            Image.fromarray((np.clip(c.img, 0, 1) * 255).astype(np.uint8)).resize(
                (small_w, small_h), Image.Resampling.BOX
            ),
            F32,
        )
        / 255.0
    )
    c.img = upsample(blur(small, sigma / 3), c.w, c.h)


def vignette(w: int, h: int) -> Vec:
    """The lens's darkening towards the corners, as a factor per pixel of a w x h frame."""
    vx = ((np.arange(w, dtype=F32) + 0.5) / w - 0.5) ** 2
    vy = ((np.arange(h, dtype=F32) + 0.5) / h - 0.5) ** 2
    return 1 - 0.5 * (vx[None, :] + vy[:, None])


def tone(img: Vec) -> Vec:
    """A soft highlight shoulder, so bright light rolls off instead of clipping (in place)."""
    over = img > 0.8
    img[over] = 0.8 + 0.2 * np.tanh((img[over] - 0.8) / 0.2)
    return img


def structure(img: Vec) -> tuple[float, float]:
    """(gain, offset) of the linear map that keeps a minimum contrast, so fog or darkness never gives a flat frame."""
    g = img[::2, ::2] @ np.array([0.3, 0.59, 0.11], F32)
    std, mean = float(g.std()), float(g.mean())
    target = 16 / 255
    if std >= target:
        return 1.0, 0.0
    gain = target / max(std, target / 8)
    return gain, float(np.clip(mean, 0.2, 0.8)) - mean * gain


def to_uint8(img: Vec) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
