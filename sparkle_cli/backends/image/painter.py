"""The built-in keyframe painter: a flat-shaded illustration of the prompt's words, on any CPU.

Every random choice comes from a hash of the seed and the prompt, so a request always gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sparkle_cli.atomic import atomic_path
from sparkle_cli.backends.base import Box, CharacterLook, FaceInfo, ImageBackend, ImageRequest, ImageResult
from sparkle_cli.backends.image.canvas import Canvas, finish, make_palette, soften
from sparkle_cli.backends.image.faces import draw_face
from sparkle_cli.backends.image.figures import Placed, draw_figures, draw_hands, place_figures, portrait
from sparkle_cli.backends.image.looks import Look, choose_characters, look_for
from sparkle_cli.backends.image.scene import read_scene, stable_int
from sparkle_cli.backends.image.settings import glow_pass, light_spill, paint_scene, paint_weather

__all__ = ["PainterBackend", "choose_characters", "look_for", "read_scene"]

FigureFaces = list[tuple[str, Box, float]]  # character id, head box, turn


def _background(c: Canvas) -> None:
    paint_scene(c)
    paint_weather(c, front=False)
    light_spill(c)
    glow_pass(c)


def _figures(c: Canvas, placed: list[Placed]) -> tuple[FigureFaces, list[dict[str, Any]]]:
    faces, meta = [], []
    for d in draw_figures(c, placed):
        p, lk = d.placed, d.placed.look
        if not p.back and not d.hidden and d.head[3] >= 14 and _inside(d.head, c.w, c.h):
            faces.append((lk.id, d.head, p.turn))
        meta.append(
            {
                "id": lk.id,
                "box": list(d.box),
                "top_swatch": list(d.swatch) if d.swatch else None,
                "view": "back" if p.back else "front",
                "colours": {
                    name: "#{:02x}{:02x}{:02x}".format(*rgb)
                    for name, rgb in (("top", lk.top), ("hair", lk.hair), ("skin", lk.skin))
                },
            }
        )
    return faces, meta


def compose_portrait(c: Canvas, subject: Look, looks: list[Look]) -> tuple[FigureFaces, list[dict[str, Any]]]:
    """A talking close-up: head and shoulders before a softened background, turned towards the others."""
    _background(c)
    soften(c, 6 * c.u)
    others = [lk for lk in looks if lk.id != subject.id]
    # The turn depends on the character only, so two close-ups of one speaker line up and a
    # shot between them morphs a face into the same face, not into a ghost beside it.
    turn = 0.35 * (1 if stable_int("portrait-turn", subject.id) % 2 == 0 else -1) if others else 0.0
    return _figures(c, [portrait(c, subject, turn)])


def compose_hands(c: Canvas, looks: list[Look]) -> list[dict[str, Any]]:
    """Clasped hands before a softened background."""
    _background(c)
    soften(c, 8 * c.u)
    hand_looks = looks or [look_for(CharacterLook(id="hands", name="hands", description=""))]
    draw_hands(c, hand_looks)
    paint_weather(c, front=True)
    return [{"id": lk.id, "part": "hands"} for lk in hand_looks[:2]]


def compose_scene(c: Canvas, looks: list[Look]) -> tuple[FigureFaces, list[dict[str, Any]]]:
    """The setting with its figures standing in it, then the weather in front of them."""
    placed = place_figures(c, looks, c.sc.behind)
    c.has_figures = bool(placed)
    _background(c)
    faces, meta = _figures(c, placed)
    paint_weather(c, front=True)
    return faces, meta


class PainterBackend(ImageBackend):
    """Procedural keyframes: deterministic, fast, no downloads."""

    name = "painter"
    version = "2"

    def render(self, request: ImageRequest, out_path: Path) -> ImageResult:
        w, h = int(request.width), int(request.height)
        if w < 8 or h < 8:
            raise ValueError(f"image {request.image_id}: {w}x{h} is too small; the painter needs at least 8x8 pixels")
        scene = read_scene(request.prompt, request.setting)
        seed = stable_int("painter", request.seed, request.prompt)
        c = Canvas(w, h, seed, scene, make_palette(scene, np.random.default_rng(stable_int(seed, "palette"))))
        looks = [look_for(ch) for ch in choose_characters(request, scene)]
        faces: FigureFaces = []
        if request.closeup_character:
            mode, subject = "portrait", _look_by_id(looks, request.closeup_character, request)
            faces, figures = compose_portrait(c, subject, looks + [subject])
        elif scene.hands:
            mode, figures = "hands", compose_hands(c, looks)
        else:
            mode = "scene"
            faces, figures = compose_scene(c, looks)
        pixels = finish(c)
        found = []
        for cid, box, turn in faces:
            mouth = draw_face(
                pixels, box, _look_by_id(looks, cid, request).face(), turn=turn, light=float(c.pal.figure.mean())
            )
            # Only faces big enough to animate are reported; smaller ones keep their painted features.
            if box[3] >= 40 and _inside(box, w, h) and _inside(mouth, w, h):
                found.append(FaceInfo(character_id=cid, face_box=box, mouth_box=mouth))
        with atomic_path(out_path) as tmp:
            Image.fromarray(pixels, "RGB").save(tmp, format="PNG", compress_level=1)
        metadata = {
            "time_of_day": scene.time,
            "weather": list(scene.weather) or ["clear"],
            "setting": scene.family,
            "setting_word": scene.variant,
            "camera": scene.camera,
            "colours": list(scene.colours),
            "lights": list(scene.lights),
            "mode": mode,
            "figures": figures,
        }
        return ImageResult(path=str(out_path), seed=request.seed, width=w, height=h, faces=found, metadata=metadata)


def _inside(box: Box, w: int, h: int) -> bool:
    x, y, bw, bh = box
    return x >= 0 and y >= 0 and x + bw <= w and y + bh <= h and bw > 0 and bh > 0


def _look_by_id(looks: list[Look], cid: str, request: ImageRequest) -> Look:
    for lk in looks:
        if lk.id == cid:
            return lk
    ch = next((x for x in request.characters if x.id == cid), None) or CharacterLook(id=cid, name=cid, description="")
    return look_for(ch)
