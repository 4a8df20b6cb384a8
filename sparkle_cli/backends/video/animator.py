"""The animator: a shot's frames drawn from its pictures' layers, with the camera move, parallax and life.

Each view (the start keyframe, the end keyframe, a close-up painted for the shot) is a set of
layers; a frame is those layers composed through the camera, the background moving less than
the people in front of it, who breathe, sway, blink and move more while they speak. Views
change by the cuts the edit plans, never by blending two pictures for longer than a dissolve.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from sparkle_cli.backends.base import Box, FaceInfo
from sparkle_cli.backends.image.faces import draw_mouth
from sparkle_cli.backends.image.layers import Layers, Sprite, compose
from sparkle_cli.backends.image.scene import stable_int
from sparkle_cli.backends.video.camera import (
    CameraMove,
    at_depth,
    camera_affine,
    end_affine,
    invert_affine,
    transform_box,
)
from sparkle_cli.backends.video.camera import (
    compose as compose_affine,
)
from sparkle_cli.backends.video.edit import END, START, Line, Segment

#: How far the background moves compared with the people (1: no parallax).
BACKGROUND_DEPTH = {"portrait": 0.55, "scene": 0.75, "pixels": 1.0}
#: Life, as fractions of a head's height: sideways sway, breathing, and the extra bob of speech.
SWAY, BREATH, SPEECH_BOB = 0.028, 0.014, 0.012
#: Frames over which life fades in after the first frame and out before the last (they are keyframes).
LIFE_RAMP = 6
#: A mouth box less visible than this is reported as out of frame.
MOUTH_MIN_VISIBLE = 0.5


@dataclass
class ShotView:
    """One picture the shot can show: its layers and how they were obtained."""

    name: str
    layers: Layers
    source: str  # "painted" (from a description) or "pixels" (a keyframe image alone)
    depth: float = 1.0  # the background's depth
    #: Faces a flat keyframe's backend reported: they move with the picture.
    flat_faces: list[FaceInfo] = field(default_factory=list)

    @classmethod
    def of(cls, name: str, layers: Layers, painted: bool, faces: list[FaceInfo] | None = None) -> ShotView:
        kind = "pixels" if not painted else "portrait" if layers.subject else "scene"
        return cls(name, layers, "painted" if painted else "pixels", BACKGROUND_DEPTH[kind], list(faces or []))


@dataclass
class Life:
    """One character's small movements: seeded phases and blink times."""

    phases: tuple[float, float, float, float]
    blinks: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, character_id: str, seed: int, seconds: float) -> Life:
        rng = np.random.default_rng(stable_int("life", character_id, seed))
        phases = tuple(float(v) for v in rng.uniform(0, 2 * math.pi, 4))
        blinks, t = [], float(rng.uniform(0.5, 2.2))
        while t < seconds + 1:
            blinks.append(t)
            t += float(rng.uniform(2.2, 4.6))
        return cls(phases, blinks)  # type: ignore[arg-type]

    def closure(self, t: float) -> float:
        """How shut the eyes are at time t: a blink shuts them in 50 ms, holds, and opens in 100 ms."""
        for b in self.blinks:
            d = t - b
            if 0 <= d < 0.2:
                return min(1.0, d / 0.05) if d < 0.1 else max(0.0, 1 - (d - 0.1) / 0.1)
        return 0.0

    def offsets(self, t: float, speaking: float) -> tuple[float, float]:
        """(sideways sway, rise) in head heights at time t; `speaking` in [0, 1] adds the bob of speech."""
        p = self.phases
        sway = SWAY * (0.6 * math.sin(2 * math.pi * t / 5.3 + p[0]) + 0.4 * math.sin(2 * math.pi * t / 2.7 + p[1]))
        sway *= 1 + 0.6 * speaking
        rise = BREATH * math.sin(2 * math.pi * t / 3.7 + p[2])
        rise += SPEECH_BOB * speaking * math.sin(2 * math.pi * t * 2.3 + p[3])
        return sway, rise


def life_matrix(sprite: Sprite, sway: float, rise: float) -> np.ndarray:
    """2x3, a living figure's pixel -> the painted figure's pixel: swayed sideways, chest and head lifted
    by stretching upwards from where it stands."""
    head = float(sprite.face.face_box[3]) if sprite.face else max(4.0, sprite.size[1] * 0.18)
    px, py = sprite.pivot
    span = max(1.0, py - sprite.head_top)
    dx, lift = sway * head, rise * head
    s = 1 + lift / span
    # q = (x + dx, py + (y - py) * s)  =>  x = qx - dx, y = py + (qy - py) / s
    return np.array([[1.0, 0.0, -dx], [0.0, 1.0 / s, py - py / s]])


@dataclass
class Frame:
    pixels: np.ndarray
    mouths: dict[str, Box | None]
    faces: dict[str, Box | None]


class Animator:
    """Renders a shot frame by frame from its views, its edit and its camera move."""

    def __init__(
        self,
        views: dict[str, ShotView],
        segments: list[Segment],
        move: CameraMove,
        *,
        num_frames: int,
        fps: float,
        seed: int,
        lines: list[Line],
        mouths: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.views, self.segments, self.move = views, segments, move
        #: Per character, how open the mouth is in each frame (from its own voice); none: mouths stay shut.
        self.mouths = mouths or {}
        self.n, self.fps, self.seed = num_frames, fps, seed
        first = next(iter(views.values())).layers
        self.w, self.h = first.width, first.height
        self.lines = lines
        seconds = num_frames / fps
        ids = {s.id for v in views.values() for s in v.layers.sprites}
        self.life = {cid: Life.of(cid, seed, seconds) for cid in sorted(ids)}

    def t(self, i: int) -> float:
        return i / (self.n - 1) if self.n > 1 else 0.0

    def camera(self, view: str, depth: float, i: int, since: int) -> np.ndarray:
        """Output pixel -> the view's keyframe pixel at frame i, for a layer at `depth`."""
        move = at_depth(self.move, depth)
        t, size = self.t(i), (self.w, self.h)
        if view == START:
            return camera_affine(move, t, *size, self.seed)
        if view == END:
            return end_affine(move, t, *size, self.seed)
        # A close-up painted for the shot starts square on and travels with the move from there.
        origin = camera_affine(move, self.t(since), *size, self.seed)
        return compose_affine(invert_affine(origin), camera_affine(move, t, *size, self.seed))

    def speaking(self, cid: str, i: int) -> float:
        level = self.mouths.get(cid)
        if level is not None and i < len(level):
            return float(min(1.0, level[i] * 1.5))
        for line in self.lines:
            if line.character_id == cid and line.start <= i < line.end:
                return 1.0
        return 0.0

    def view_frame(self, name: str, i: int, since: int) -> Frame:
        view = self.views[name]
        back = self.camera(name, view.depth, i, since)
        front = self.camera(name, 1.0, i, since)
        ramp = min(1.0, i / LIFE_RAMP, (self.n - 1 - i) / LIFE_RAMP) if self.n > 1 else 0.0
        ramp = ramp * ramp * (3 - 2 * ramp)
        seconds = i / self.fps
        moves, lids = [], []
        for sprite in view.layers.sprites:
            life = self.life.get(sprite.id)
            if life is None or sprite.back or ramp <= 0:
                moves.append(front)
                lids.append(0.0)
                continue
            sway, rise = life.offsets(seconds, self.speaking(sprite.id, i))
            moves.append(compose_affine(life_matrix(sprite, sway * ramp, rise * ramp), front))
            lids.append(life.closure(seconds) if ramp >= 1 else 0.0)
        # Weather drifts from where it was painted: at the first frame for the start picture, the last for the end.
        anchor = 0 if name == START else self.n - 1 if name == END else since
        pixels = compose(view.layers, back, moves, seconds=(i - anchor) / self.fps, lids=lids)
        mouths: dict[str, Box | None] = {}
        faces: dict[str, Box | None] = {}
        for sprite, m in zip(view.layers.sprites, moves, strict=True):
            if sprite.face is None:
                continue
            mouths[sprite.id] = transform_box(sprite.face.mouth_box, m, self.w, self.h, min_visible=MOUTH_MIN_VISIBLE)
            faces[sprite.id] = transform_box(sprite.face.face_box, m, self.w, self.h, min_visible=MOUTH_MIN_VISIBLE)
        for face in view.flat_faces:
            mouths[face.character_id] = transform_box(
                face.mouth_box, back, self.w, self.h, min_visible=MOUTH_MIN_VISIBLE
            )
            faces[face.character_id] = transform_box(face.face_box, back, self.w, self.h, min_visible=MOUTH_MIN_VISIBLE)
        talking = [(box, float(self.mouths[cid][i])) for cid, box in mouths.items() if box and cid in self.mouths]
        talking = [(box, level) for box, level in talking if level > 0.02]
        if talking:
            pixels = np.array(pixels)
            for box, level in talking:
                draw_mouth(pixels, box, level)
        return Frame(pixels, mouths, faces)

    def frames(self) -> Iterator[Frame]:
        for index, seg in enumerate(self.segments):
            prev = self.segments[index - 1] if index else None
            for i in range(seg.first, seg.last):
                frame = self.view_frame(seg.view, i, seg.first)
                k = i - seg.first
                if prev is not None and k < seg.dissolve:
                    weight = (k + 1) / (seg.dissolve + 1)
                    old = self.view_frame(prev.view, i, prev.first)
                    mixed = Image.blend(Image.fromarray(old.pixels), Image.fromarray(frame.pixels), weight)
                    # The picture that dominates the mix is the one whose mouths can move.
                    keep = frame if weight >= 0.5 else old
                    frame = Frame(np.asarray(mixed), keep.mouths, keep.faces)
                yield frame
