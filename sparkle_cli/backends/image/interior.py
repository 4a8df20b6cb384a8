"""Rooms: a back wall, a floor, a window onto the outside and the furniture that says which room it is.

Each room is a line in `ROOMS` (wall, floor, window, props); the props are drawn by `props`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sparkle_cli.backends.image.canvas import (
    F32,
    Canvas,
    blur,
    is_dark,
    lit_window_share,
    mix,
    smoothstep,
    to_vec,
    upsample,
)
from sparkle_cli.backends.image.city import floor_lines, skyline
from sparkle_cli.backends.image.outdoors import conifers, paint_sky, paint_stars, planet
from sparkle_cli.backends.image.props import PROPS, pendant
from sparkle_cli.backends.image.scene import RGB


@dataclass(frozen=True)
class Room:
    """What a room is made of: wall colour and finish, floor, the kind of window and the props in it."""

    wall: RGB
    finish: str  # plaster, tiles, brick, wood, stone, metal, glass, curtain, dark
    floor: str  # wood, tiles, carpet, stone, marble, metal, stage
    window: str | None  # window, arched, blinds, shopfront, porthole, cockpit, small, train, glass
    props: tuple[str, ...]
    warm: bool = False  # lit by lamps and fire even by day


ROOMS: dict[str, Room] = {
    "kitchen": Room((226, 216, 196), "tiles", "tiles", "window", ("cabinets", "counter", "stove", "pendants")),
    "bakery": Room((238, 210, 170), "plaster", "tiles", "shopfront", ("bread_shelves", "counter", "cakes", "pendants")),
    "restaurant": Room((150, 62, 58), "wood", "wood", "window", ("tables", "pendants", "picture")),
    "cafe": Room((128, 92, 66), "brick", "wood", "shopfront", ("counter", "coffee_machine", "chalkboard", "pendants")),
    "studio": Room(
        (34, 36, 58), "dark", "stage", None, ("studio_backdrop", "cooking_counter", "studio_lights", "camera")
    ),
    "library": Room((118, 78, 54), "wood", "carpet", "arched", ("bookshelves", "reading_lamp")),
    "classroom": Room((214, 210, 176), "plaster", "wood", "window", ("blackboard", "desks", "clock")),
    "laboratory": Room((212, 226, 230), "tiles", "tiles", None, ("lab_shelves", "lab_bench", "screens")),
    "hospital": Room((204, 226, 220), "plaster", "tiles", "blinds", ("hospital_bed", "monitor", "curtain")),
    "office": Room((196, 198, 196), "plaster", "carpet", "blinds", ("filing", "desk", "plant")),
    "bedroom": Room((196, 178, 208), "plaster", "carpet", "window", ("bed", "bedside_lamp", "picture")),
    "living room": Room((214, 196, 170), "plaster", "wood", "window", ("sofa", "plant", "picture", "floor_lamp")),
    "greenhouse": Room((200, 224, 210), "glass", "tiles", "glass", ("plant_tables", "hanging_plants")),
    "tavern": Room((112, 76, 52), "wood", "wood", "small", ("fireplace", "barrels", "tables", "lanterns"), warm=True),
    "throne room": Room((150, 142, 132), "stone", "carpet", "arched", ("pillars", "banners", "throne", "torches")),
    "dungeon": Room((84, 82, 80), "stone", "stone", "grate", ("cell_bars", "chains", "torches"), warm=True),
    "museum": Room((228, 222, 212), "plaster", "marble", None, ("paintings", "pedestal", "rope")),
    "theater": Room((60, 16, 24), "curtain", "stage", None, ("curtains", "footlights", "spotlight")),
    "space station": Room((170, 180, 192), "metal", "metal", "porthole", ("consoles", "pipes")),
    "spaceship": Room((70, 78, 92), "metal", "metal", "cockpit", ("consoles", "seats")),
    "train": Room((150, 110, 80), "wood", "carpet", "train", ("train_seats", "luggage_rack")),
}
#: Rooms that are not lit by the sky: their light does not change with the time of day outside.
ARTIFICIAL = ("studio", "theater", "space station", "spaceship", "dungeon", "laboratory", "museum")


def room_for(place: str) -> Room:
    return ROOMS.get(place, ROOMS["living room"])


def paint_interior(c: Canvas) -> None:
    """A room: its wall and floor, a window onto the outside, its furniture and lamps."""
    sc = c.sc
    room = room_for(sc.place)
    dark = is_dark(c) and sc.place not in ARTIFICIAL
    wall_base: RGB = room.wall
    if sc.accents and room.finish in ("plaster", "tiles"):
        accent = sc.accents[0]
        wall_base = (int(0.55 * accent[0] + 96), int(0.55 * accent[1] + 88), int(0.55 * accent[2] + 76))
    light = 0.45 if dark else 0.95
    floor_y = c.h * 0.74
    c.horizon = floor_y
    _wall(c, room, to_vec(wall_base) * light, floor_y, light)
    if room.window:
        _window(c, room.window, floor_y)
    _floor(c, room.floor, floor_y, light)
    for name in room.props:
        PROPS[name](c, floor_y, light)
    if (
        (dark or room.warm)
        and room.props
        and "floor_lamp" not in room.props
        and room.window not in (None, "porthole", "cockpit")
    ):
        if sc.place not in ("tavern", "throne room", "dungeon"):
            pendant(c, c.w * (0.86 if c.pal.key_side < 0 else 0.14), c.h * 0.16, max(light, 0.6))


def _wall(c: Canvas, room: Room, wall: np.ndarray, floor_y: float, light: float) -> None:
    """The back wall in its finish: plaster with a dado rail, tiles, bricks, panelling, stone blocks or metal panels."""
    c.rect(0, 0, c.w, floor_y, wall * 0.92, 1.0, bottom=wall * 1.02)
    u = c.u
    finish = room.finish
    if finish == "plaster":
        c.rect(0, c.h * 0.5, c.w, floor_y, wall * 0.8)
        c.rect(0, c.h * 0.5, c.w, c.h * 0.5 + max(1.0, 2 * u), wall * 1.1)
        for k in range(1, 14):
            c.rect(c.w * k / 14, c.h * 0.52, c.w * k / 14 + max(1.0, u), floor_y, wall * 0.72)
    elif finish == "tiles":
        _grid(c, 0, c.h * 0.3, c.w, floor_y, 0.035 * c.h, 0.035 * c.h, wall * 0.85, 0)
        c.rect(0, c.h * 0.3 - 2 * u, c.w, c.h * 0.3, wall * 0.8)
    elif finish in ("brick", "stone"):
        bw, bh = (0.06 * c.h, 0.028 * c.h) if finish == "brick" else (0.12 * c.h, 0.07 * c.h)
        rng = c.rng("blocks")
        rows = int(floor_y / bh) + 1
        for r in range(rows):
            y0 = r * bh
            shift = (bw / 2) * (r % 2)
            x = -shift
            while x < c.w:
                tone = 0.82 + 0.22 * float(rng.random())
                c.rect(x + u, y0 + u, x + bw - u, y0 + bh - u, wall * tone)
                x += bw * (1.0 if finish == "brick" else float(rng.uniform(0.7, 1.3)))
    elif finish == "wood":
        for k in range(int(c.w / (0.05 * c.h)) + 1):
            x = k * 0.05 * c.h
            c.rect(x, 0, x + max(1.0, u), floor_y, wall * 0.78)
        c.rect(0, 0, c.w, 0.05 * c.h, wall * 0.6)
        c.rect(0, floor_y - 0.09 * c.h, c.w, floor_y - 0.08 * c.h, wall * 0.62)
    elif finish == "metal":
        pw = 0.2 * c.h
        for k in range(int(c.w / pw) + 1):
            x = k * pw
            c.rect(x, 0.06 * c.h, x + pw - 2 * u, floor_y - 0.04 * c.h, wall * 0.95, 1.0, bottom=wall * 0.8)
            for yy in (0.1, 0.62):
                c.spot(x + 5 * u, c.h * yy, 1.2 * u, 1.2 * u, wall * 0.6)
        c.rect(0, 0, c.w, 0.06 * c.h, wall * 0.6)
        strip = np.array([0.55, 0.85, 1.0], F32)
        c.rect(0, 0.06 * c.h, c.w, 0.066 * c.h, strip)
        c.glow_rect(0, 0.05 * c.h, c.w, 0.08 * c.h, strip, 0.25)
    elif finish == "glass":
        paint_sky(c)
        c.horizon = floor_y
        outside = mix(c.img, np.array([0.85, 0.95, 0.9], F32), 0.25)
        c.img[: int(floor_y)] = outside[: int(floor_y)]
        frame = to_vec((236, 240, 236)) * light
        for k in range(9):
            x = c.w * k / 8
            c.rect(x - 1.5 * u, 0, x + 1.5 * u, floor_y, frame)
        for yy in (0.18, 0.42):
            c.rect(0, c.h * yy - 1.5 * u, c.w, c.h * yy + 1.5 * u, frame)
    elif finish == "dark":
        t = np.linspace(0, 1, int(floor_y), dtype=F32)[:, None, None]
        c.img[: int(floor_y)] = mix(wall * 1.3, wall * 0.5, t)


def _grid(
    c: Canvas, x0: float, y0: float, x1: float, y1: float, cw: float, ch: float, line: np.ndarray, _: int
) -> None:
    u = max(1.0, 0.8 * c.u)
    y = y0
    while y < y1:
        c.rect(x0, y, x1, y + u, line)
        y += ch
    x = x0
    while x < x1:
        c.rect(x, y0, x + u, y1, line)
        x += cw


def _floor(c: Canvas, kind: str, floor_y: float, light: float) -> None:
    colours = {
        "wood": (150, 104, 70),
        "tiles": (200, 196, 186),
        "carpet": (120, 60, 58),
        "stone": (96, 92, 88),
        "marble": (226, 222, 216),
        "metal": (110, 118, 128),
        "stage": (70, 50, 40),
    }
    base = to_vec(colours.get(kind, (150, 104, 70))) * light
    c.rect(0, floor_y - 0.02 * c.h, c.w, floor_y, base * 0.6)
    c.rect(0, floor_y, c.w, c.h, base * 0.85, 1.0, bottom=base * 1.05)
    if kind == "wood":
        floor_lines(c, floor_y, 0.06, 0.2, 0, 0.18)
    elif kind in ("tiles", "marble", "stone", "metal"):
        floor_lines(c, floor_y, 0.08, 0.25, 6, 0.14 if kind != "marble" else 0.06)
    elif kind == "stage":
        floor_lines(c, floor_y, 0.03, 0.1, 0, 0.25)
    if kind == "carpet" and c.sc.place in ("throne room", "museum"):
        red = to_vec((150, 30, 40)) * light
        ys = np.arange(int(floor_y), c.h, dtype=F32)
        for y in ys[:: max(1, int(c.u))]:
            half = c.w * (0.06 + 0.16 * (y - floor_y) / max(c.h - floor_y, 1))
            c.rect(c.w / 2 - half, y, c.w / 2 + half, y + max(1, int(c.u)), red)


def _outside(c: Canvas, ww: int, wh: int, kind: str) -> np.ndarray:
    """What a window shows: the sky with a skyline or trees, or space for a station or ship."""
    outside = Canvas(ww, wh, c.seed, c.sc, c.pal)
    outside.horizon = wh * 0.85
    if kind in ("porthole", "cockpit"):
        outside.img[:] = np.array([0.02, 0.02, 0.06], F32)
        paint_stars(outside, 2.5, float(wh))
        planet(outside, ww * 0.7, wh * 1.05, wh * 0.7, to_vec((90, 140, 220)))
        return outside.img
    paint_sky(outside)
    if c.sc.has("city", "skyline", "town", "neon", "apartment", "loft", "office", "street"):
        skyline(outside, "window-city", wh * 1.0, 0.5, 0.14, (70, 80, 110), 0.4, lit_window_share(c))
    elif kind == "train":
        conifers(outside, "window-trees", 1.02, 0.5, 30, (70, 110, 80), 0.2)
    else:
        conifers(outside, "window-trees", 1.02, 0.3, 40, (60, 90, 70), 0.4)
    if "rain" in c.sc.weather:
        rng = c.rng("window-rain")
        for _ in range(int(ww * wh / 300)):
            x, y = int(rng.integers(0, ww)), int(rng.integers(0, max(1, wh - 4)))
            outside.img[y : y + 4, x] = mix(outside.img[y : y + 4, x], np.ones(3, F32), 0.35)
    glow = upsample(blur(outside.glow, 2), ww, wh) if outside.glow.any() else 0.0
    return np.clip(outside.img + glow, 0, 1.2)


def _window(c: Canvas, kind: str, floor_y: float) -> None:
    """A window in the back wall showing the outside, in its frame."""
    rng = c.rng("window")
    left = c.pal.key_side < 0
    u = c.u
    if kind == "train":
        for k in range(3):
            x0 = c.w * (0.06 + 0.33 * k)
            _pane(c, x0, c.h * 0.2, x0 + c.w * 0.24, c.h * 0.5, kind, radius=True)
        return
    if kind == "shopfront":
        _pane(c, c.w * 0.04, c.h * 0.12, c.w * 0.96, c.h * 0.52, kind, bars=5)
        return
    if kind == "grate":
        x0 = c.w * (0.62 if left else 0.3)
        _pane(c, x0, c.h * 0.1, x0 + c.w * 0.09, c.h * 0.2, kind, bars=4)
        return
    if kind == "small":
        x0 = c.w * (0.1 if left else 0.7)
        _pane(c, x0, c.h * 0.18, x0 + c.w * 0.14, c.h * 0.42, kind, bars=2)
        return
    if kind in ("porthole", "cockpit"):
        cx, cy, r = c.w * (0.3 if left else 0.7), c.h * 0.36, c.h * (0.24 if kind == "porthole" else 0.3)
        x0, y0, x1, y1 = int(cx - r), int(cy - r), int(cx + r), int(cy + r)
        ww, wh = x1 - x0, y1 - y0
        if ww < 4 or wh < 4 or x0 < 0 or y0 < 0 or x1 > c.w or y1 > c.h:
            return
        view = _outside(c, ww, wh, kind)
        ys, xs = np.mgrid[0:wh, 0:ww]
        d = np.sqrt((xs + 0.5 - r) ** 2 + (ys + 0.5 - r) ** 2) / r
        inside = np.clip((1 - d) * r + 0.5, 0, 1)[..., None]
        region = c.img[y0:y1, x0:x1]
        region += (view - region) * inside
        ring = np.clip(1 - np.abs(d - 1.04) * r / (4 * u), 0, 1)[..., None]
        region += (to_vec((200, 206, 214)) - region) * ring
        c.glow_spot(cx, cy, r, np.array([0.5, 0.6, 1.0], F32), 0.12)
        return
    wx0 = c.w * (0.08 if left else 0.56) + float(rng.uniform(-0.02, 0.02)) * c.w
    wy0, wy1 = c.h * (0.1 if kind == "arched" else 0.14), c.h * 0.56
    _pane(c, wx0, wy0, wx0 + c.w * 0.34, wy1, kind, bars=2 if kind != "blinds" else 0)
    if kind == "blinds":
        for k in range(14):
            y = wy0 + (wy1 - wy0) * k / 14
            c.rect(wx0, y, wx0 + c.w * 0.34, y + (wy1 - wy0) / 28, to_vec((230, 226, 214)) * 0.9, 0.85)
    if not is_dark(c) and "rain" not in c.sc.weather:
        _light_patch(c, wx0, wx0 + c.w * 0.34)


def _pane(
    c: Canvas, wx0: float, wy0: float, wx1: float, wy1: float, kind: str, bars: int = 2, radius: bool = False
) -> None:
    ww, wh = int(wx1 - wx0), int(wy1 - wy0)
    a, b = int(wx0), int(wy0)
    if ww < 4 or wh < 4 or a < 0 or b < 0 or a + ww > c.w or b + wh > c.h:
        return
    region = c.img[b : b + wh, a : a + ww]
    region[:] = _outside(c, ww, wh, kind)
    frame = c.lit((236, 232, 224)) * (0.6 if is_dark(c) else 1.0)
    if kind in ("small", "grate", "train"):
        frame = c.lit((90, 64, 46)) if kind != "grate" else c.lit((60, 60, 62))
    t = max(2.0, 3 * c.u)
    edges = [
        (wx0 - t, wy0 - t, wx1 + t, wy0),
        (wx0 - t, wy1, wx1 + t, wy1 + 2 * t),
        (wx0 - t, wy0, wx0, wy1),
        (wx1, wy0, wx1 + t, wy1),
    ]
    if kind == "arched":
        # The arch: the wall colour fills the corners above a half circle.
        r = (wx1 - wx0) / 2
        ys, xs = np.mgrid[0:wh, 0:ww]
        d = np.sqrt((xs + 0.5 - r) ** 2 + (np.maximum(r - ys - 0.5, 0)) ** 2)
        outside_arch = (d > r)[..., None]
        region[:] = np.where(outside_arch, c.img[max(0, b - 2), a : a + ww][None] * 0.95, region)
    for k in range(1, bars):
        x = wx0 + (wx1 - wx0) * k / bars
        edges.append((x - t / 2, wy0, x + t / 2, wy1))
    if bars >= 2 and kind not in ("grate",):
        edges.append((wx0, (wy0 + wy1) / 2 - t / 2, wx1, (wy0 + wy1) / 2 + t / 2))
    for x0, y0, x1, y1 in edges:
        c.rect(x0, y0, x1, y1, frame)
    c.glow_rect(wx0, wy0, wx1, wy1, c.pal.horizon, 0.15 if not radius else 0.08)


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
