"""The built-in keyframe painter: a flat-shaded illustration of the prompt's words, on any CPU.

A picture is described first (`describe`: the place, the light, who stands where), then painted
as layers (`paint`), then composed into pixels; the animator paints the same description again
and moves its layers. Every random choice comes from a hash of the seed and the prompt, so a
request always gives the same bytes.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sparkle_cli.atomic import atomic_path
from sparkle_cli.backends.base import Box, CharacterLook, FaceInfo, ImageBackend, ImageRequest, ImageResult
from sparkle_cli.backends.image.canvas import F32, Canvas, Palette, Vec, make_palette, soften, structure, to_uint8, tone
from sparkle_cli.backends.image.canvas import vignette as vignette_map
from sparkle_cli.backends.image.faces import draw_face, draw_glasses, eye_marks
from sparkle_cli.backends.image.figures import Drawn, Placed, draw_figures, draw_hands, place_figures, portrait
from sparkle_cli.backends.image.layers import MARGIN, Drift, FaceMarks, Layers, Sprite, compose, pad_background
from sparkle_cli.backends.image.looks import Look, choose_characters, look_for
from sparkle_cli.backends.image.scene import Scene, read_scene, stable_int
from sparkle_cli.backends.image.settings import (
    Overlay,
    back_weather,
    front_weather,
    glow_pass,
    light_spill,
    paint_scene,
)

__all__ = ["PainterBackend", "choose_characters", "describe", "look_for", "paint", "read_scene"]

#: Figures may reach this far past the frame (a fraction of its size), for camera moves that widen.
SPRITE_REACH = 0.2
#: A face is reported (and animated) from this head height in pixels.
MIN_FACE = 40
#: Painted bump: a change here changes pictures, and the animator repaints only what it can match.
PAINTER_VERSION = "3"


@dataclass
class Picture:
    """What a keyframe shows, decided before any pixel is painted."""

    request: ImageRequest
    scene: Scene
    palette: Palette
    seed: int
    looks: list[Look]
    mode: str  # portrait, hands or scene
    subject: Look | None = None
    turn: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The description as plain values: the request it comes from and what was read from it."""
        req = asdict(self.request)
        req.pop("image_id", None)
        return {
            "painter": PAINTER_VERSION,
            "request": req,
            "mode": self.mode,
            "subject": self.subject and self.subject.id,
        }


def request_from(description: dict[str, Any], image_id: str = "view") -> ImageRequest:
    """The request a description was made from, to paint it again (with any field changed by the caller)."""
    req = dict(description["request"])
    req["characters"] = [CharacterLook(**c) for c in req.get("characters", [])]
    return ImageRequest(image_id=image_id, **req)


def portrait_turn(request: ImageRequest, subject: str, cast_size: int) -> float:
    """Which way a close-up faces: characters alternate by their place in the cast, so that in a
    shot and its reverse shot two speakers look at each other, and every close-up of one person
    faces the same way."""
    if cast_size < 2:
        return 0.0
    ids = [c.id for c in request.characters]
    index = ids.index(subject) if subject in ids else stable_int("portrait-turn", subject)
    return 0.35 if index % 2 == 0 else -0.35


def describe(request: ImageRequest) -> Picture:
    """Read the request: the setting, light and palette, the characters and how they are framed."""
    scene = read_scene(request.prompt, request.setting)
    seed = stable_int("painter", request.seed, request.prompt)
    palette = make_palette(scene, np.random.default_rng(stable_int(seed, "palette")))
    looks = [_look(ch, request) for ch in choose_characters(request, scene)]
    if request.closeup_character:
        subject = _look_by_id(looks, request.closeup_character, request)
        cast = {lk.id for lk in looks} | {c.id for c in request.characters} | {subject.id}
        turn = portrait_turn(request, subject.id, len(cast))
        return Picture(request, scene, palette, seed, looks, "portrait", subject, turn)
    mode = "hands" if scene.hands else "scene"
    return Picture(request, scene, palette, seed, looks, mode)


def _background(c: Canvas) -> None:
    paint_scene(c)
    back_weather(c)
    light_spill(c)
    glow_pass(c)


def vignette_at(x0: int, y0: int, pw: int, ph: int, w: int, h: int) -> Vec:
    """The lens's darkening over a patch whose top-left pixel is (x0, y0) in a w x h frame (it may reach past it).

    It is painted into every layer where the layer was painted: a layer that moves a little takes
    its corner shading with it, which no one sees, and no frame pays for a pass over every pixel.
    """
    vx = ((np.arange(x0, x0 + pw, dtype=F32) + 0.5) / w - 0.5) ** 2
    vy = ((np.arange(y0, y0 + ph, dtype=F32) + 0.5) / h - 0.5) ** 2
    return np.maximum(1 - 0.5 * (vx[None, :] + vy[:, None]), 0.3)[..., None]


def _finished(rgb: Vec, gain: float, offset: float, vig: Vec) -> np.ndarray:
    """Straight colour, finished like the rest of the picture (highlights, contrast, vignette), in 8 bits."""
    return to_uint8((tone(rgb) * gain + offset) * vig)


def _sprite_image(rgb: Vec, alpha: Vec, gain: float, offset: float, vig: Vec) -> tuple[np.ndarray, np.ndarray]:
    """Straight colour and coverage of a figure's patch as 8-bit arrays."""
    return _finished(rgb / np.maximum(alpha, 1e-4), gain, offset, vig), to_uint8(alpha[..., 0])


def paint(picture: Picture) -> tuple[Layers, list[FaceInfo], list[dict[str, Any]]]:
    """Paint the picture as layers; returns them, the faces big enough to animate and the figures' metadata."""
    req = picture.request
    w, h = int(req.width), int(req.height)
    sc, pal = picture.scene, picture.palette
    frame = Canvas(w, h, picture.seed, sc, pal)
    # The background is painted a little larger than the frame, so that camera moves find more of the place.
    bw, bh = w + 2 * max(1, round(MARGIN * w)), h + 2 * max(1, round(MARGIN * h))
    back = Canvas(bw, bh, picture.seed, sc, pal)
    reach = (
        -round(SPRITE_REACH * w),
        -round(SPRITE_REACH * h),
        w + round(SPRITE_REACH * w),
        h + round(SPRITE_REACH * h),
    )

    drawn: list[Drawn] = []
    patches: list[tuple[Vec, Vec, int, int]] = []
    if picture.mode == "portrait" and picture.subject is not None:
        _background(back)
        soften(back, 6 * back.u)
        drawn = draw_figures(frame, [portrait(frame, picture.subject, picture.turn)], reach)
    elif picture.mode == "hands":
        _background(back)
        soften(back, 8 * back.u)
        hand_looks = picture.looks or [look_for(CharacterLook(id="hands", name="hands", description=""))]
        rgb, alpha = draw_hands(frame, hand_looks)
        patches.append((rgb, alpha, 0, 0))
    else:
        placed: list[Placed] = place_figures(frame, picture.looks, sc.behind)
        back.has_figures = bool(placed)
        _background(back)
        drawn = draw_figures(frame, placed, reach)
    patches = [(d.rgb, d.alpha, d.x0, d.y0) for d in drawn] + patches

    ox, oy = (bw - w) // 2, (bh - h) // 2
    flat = back.img[oy : oy + h, ox : ox + w].copy()
    for rgb, alpha, x0, y0 in patches:
        _over(flat, rgb, alpha, x0, y0)
    moving, drops = front_weather(frame, flat)
    weather = [ov for ov in (moving, drops) if ov is not None]
    for ov in weather:
        flat = ov.rgb + flat * (1 - ov.alpha)
    vig = vignette_map(w, h)
    gain, offset = structure(tone(flat.copy()) * vig[..., None])

    bh2, bw2 = back.img.shape[:2]
    background, ox2, oy2 = pad_background(
        _finished(back.img, gain, offset, vignette_at(-ox, -oy, bw2, bh2, w, h)), ox, oy
    )
    sprites: list[Sprite] = []
    faces: list[FaceInfo] = []
    light = float(pal.figure.mean())
    for index, (rgb, alpha, x0, y0) in enumerate(patches):
        ph, pw = alpha.shape[:2]
        colour, cover = _sprite_image(rgb, alpha, gain, offset, vignette_at(x0, y0, pw, ph, w, h))
        d = drawn[index] if index < len(drawn) else None
        marks = None
        if d is not None and not d.placed.back and not d.hidden and d.head[3] >= 14:
            marks = _face(colour, d, x0, y0, light, w, h)
            if marks is not None and d.head[3] >= MIN_FACE and _inside(d.head, w, h) and _inside(marks.mouth_box, w, h):
                faces.append(FaceInfo(marks.character_id, marks.face_box, marks.mouth_box))
        sprites.append(_sprite(colour, cover, x0, y0, d, marks, h))
    layers = Layers(
        w,
        h,
        background,
        ox2,
        oy2,
        sprites,
        [_drift(ov, gain, offset, vig[..., None]) for ov in weather],
        None,
        picture.subject.id if picture.mode == "portrait" and picture.subject else None,
    )
    return layers, faces, [_figure_meta(d) for d in drawn]


def _over(img: Vec, rgb: Vec, alpha: Vec, x0: int, y0: int) -> None:
    """Lay a premultiplied patch over the float picture, where they overlap."""
    h, w = img.shape[:2]
    ph, pw = alpha.shape[:2]
    a, b = max(0, x0), min(w, x0 + pw)
    c, d = max(0, y0), min(h, y0 + ph)
    if a >= b or c >= d:
        return
    src = (slice(c - y0, d - y0), slice(a - x0, b - x0))
    region = img[c:d, a:b]
    region *= 1 - alpha[src]
    region += rgb[src]


def _face(colour: np.ndarray, d: Drawn, x0: int, y0: int, light: float, w: int, h: int) -> FaceMarks | None:
    """Paint the face on the figure's patch; returns its marks in frame pixels."""
    hx, hy, hw, hh = d.head
    local: Box = (hx - x0, hy - y0, hw, hh)
    ph, pw = colour.shape[:2]
    if local[0] < 0 or local[1] < 0 or local[0] + hw > pw or local[1] + hh > ph:
        return None
    lk = d.placed.look
    mouth = draw_face(colour, local, lk.face(), turn=d.placed.turn, light=light)
    if "glasses" in lk.extras and hh >= 24:
        draw_glasses(colour, local, d.placed.turn)
    cx, cy = hx + hw // 2, hy + int(hh * 0.66)
    skin = colour[cy - y0, min(pw - 1, max(0, cx - x0))]
    eyes = [(ex + x0, ey + y0, rx, ry) for ex, ey, rx, ry in eye_marks(local, d.placed.turn)]
    lash = tuple(int(v * 0.45) for v in lk.hair) if lk.kind == "person" else (50, 40, 36)
    return FaceMarks(
        lk.id,
        d.head,
        (mouth[0] + x0, mouth[1] + y0, mouth[2], mouth[3]),
        eyes,
        (int(skin[0]), int(skin[1]), int(skin[2])),
        lash,  # type: ignore[arg-type]
    )


def _sprite(
    colour: np.ndarray, cover: np.ndarray, x0: int, y0: int, d: Drawn | None, marks: FaceMarks | None, h: int
) -> Sprite:
    """A premultiplied image with a transparent border of two pixels (resampling reads past the edge)."""
    rgba = np.zeros((colour.shape[0] + 4, colour.shape[1] + 4, 4), np.uint8)
    rgba[2:-2, 2:-2, :3] = colour
    rgba[2:-2, 2:-2, 3] = cover
    image = Image.fromarray(rgba, "RGBA").convert("RGBa")
    if d is None:
        pivot, top, name, back = (x0 + colour.shape[1] / 2, float(h)), 0.0, "hands", False
    else:
        p = d.placed
        # Breathing lifts the body from the ground up; a close-up's feet are far below the frame.
        pivot, top, name, back = (p.x, min(p.y, h * 1.15)), float(d.head[1]), p.look.id, p.back
    return Sprite(name, image, x0 - 2, y0 - 2, pivot, top, marks, back)


def _drift(ov: Overlay, gain: float, offset: float, vig: Vec) -> Drift:
    alpha = np.clip(ov.alpha, 0, 1)
    rgba = np.concatenate([_finished(ov.rgb / np.maximum(alpha, 1e-4), gain, offset, vig), to_uint8(alpha)], axis=2)
    return Drift(Image.fromarray(rgba, "RGBA"), ov.drift)


def _figure_meta(d: Drawn) -> dict[str, Any]:
    p, lk = d.placed, d.placed.look
    return {
        "id": lk.id,
        "box": list(d.box),
        "head": list(d.head),
        "top_swatch": list(d.swatch) if d.swatch else None,
        "view": "back" if p.back else "front",
        "kind": lk.kind,
        "role": lk.role,
        "colours": {
            name: "#{:02x}{:02x}{:02x}".format(*rgb)
            for name, rgb in (("top", lk.top), ("hair", lk.hair), ("skin", lk.skin))
        },
    }


class PainterBackend(ImageBackend):
    """Procedural keyframes: deterministic, fast, no downloads."""

    name = "painter"
    version = PAINTER_VERSION

    def render(self, request: ImageRequest, out_path: Path) -> ImageResult:
        w, h = int(request.width), int(request.height)
        if w < 8 or h < 8:
            raise ValueError(f"image {request.image_id}: {w}x{h} is too small; the painter needs at least 8x8 pixels")
        picture = describe(request)
        layers, faces, figures = paint(picture)
        _remember(_key(request), layers)
        pixels = compose(layers)
        with atomic_path(out_path) as tmp:
            Image.fromarray(pixels, "RGB").save(tmp, format="PNG", compress_level=1)
        sc = picture.scene
        metadata = {
            "time_of_day": sc.time,
            "weather": list(sc.weather) or ["clear"],
            "setting": sc.family,
            "setting_word": sc.variant,
            "place": sc.place,
            "camera": sc.camera,
            "colours": list(sc.colours),
            "lights": list(sc.lights),
            "mode": picture.mode,
            "figures": figures,
            "scene": picture.to_dict(),
        }
        return ImageResult(path=str(out_path), seed=request.seed, width=w, height=h, faces=faces, metadata=metadata)


#: Recently painted layers by description: neighbouring shots share a keyframe, and a process
#: that painted the keyframes animates them without painting them again.
_RECENT: OrderedDict[str, Layers] = OrderedDict()
_RECENT_MAX = 8


def _remember(key: str, layers: Layers) -> None:
    _RECENT[key] = layers
    _RECENT.move_to_end(key)
    while len(_RECENT) > _RECENT_MAX:
        _RECENT.popitem(last=False)


def _key(request: ImageRequest) -> str:
    req = asdict(request)
    req.pop("image_id", None)
    return PAINTER_VERSION + json.dumps(req, sort_keys=True, default=str)


def layers_for(description: dict[str, Any], width: int, height: int, **changes: Any) -> Layers | None:
    """Paint a keyframe's description again (at the clip's size, with any request field changed).

    None when the description is from another painter version, whose pictures this one cannot repeat.
    """
    if description.get("painter") != PAINTER_VERSION:
        return None
    request = request_from(description)
    request.width, request.height = width, height
    for key, value in changes.items():
        setattr(request, key, value)
    key = _key(request)
    if key in _RECENT:
        _RECENT.move_to_end(key)
        return _RECENT[key]
    layers, _, _ = paint(describe(request))
    _remember(key, layers)
    return layers


def _inside(box: Box, w: int, h: int) -> bool:
    x, y, bw, bh = box
    return x >= 0 and y >= 0 and x + bw <= w and y + bh <= h and bw > 0 and bh > 0


def _look(character: CharacterLook, request: ImageRequest) -> Look:
    ids = [c.id for c in request.characters]
    return look_for(character, request.cast_seed, ids.index(character.id) if character.id in ids else None)


def _look_by_id(looks: list[Look], cid: str, request: ImageRequest) -> Look:
    for lk in looks:
        if lk.id == cid:
            return lk
    ch = next((x for x in request.characters if x.id == cid), None) or CharacterLook(id=cid, name=cid, description="")
    return _look(ch, request)
