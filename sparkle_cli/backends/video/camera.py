"""Camera moves read from a shot's motion prompt, and the camera path as 2x3 affine matrices.

Pure numpy: every function here is arithmetic on the prompt, the time t in [0, 1] and sizes.
Matrices map an output pixel (x, y, 1) to a keyframe pixel, in continuous pixel coordinates
where pixel i spans [i, i + 1] (the convention PIL's transforms use).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from sparkle_cli.backends.base import Box

# Base magnitudes at speed 1.0.
PUSH_ZOOM = 1.18
PAN_FRACTION = 0.10  # of the width
TRACK_FRACTION = 0.09  # of the width
ORBIT_FRACTION = 0.06  # of the width
ORBIT_DEGREES = 2.5
TILT_FRACTION = 0.08  # of the height
CRANE_FRACTION = 0.08  # of the height
SHAKE_FRACTION = 0.012  # of the frame size, peak of the handheld wobble
SLOW, FAST = 0.6, 1.6
MAX_ZOOM = 1.35
MAX_SHIFT = 0.18
#: How far into the clip the handheld wobble takes to reach full strength (and to fade).
SHAKE_RAMP = 0.25

# (pattern, kind). A trailing (left|right|up|down) group, when matched, picks the direction.
_DIR = r"(?:\s+(?:\w+\s+){0,3}?(?:to\s+the\s+|towards?\s+the\s+)?(left|right|up|down|upward|downward)s?\b)?"
_MOVES: list[tuple[str, str]] = [
    (r"\bpush(?:es|ed|ing)?\s*(?:in|into|toward|towards|closer)\b", "push_in"),
    (r"\bdoll(?:y|ies|ied|ying)\s+(?:in|forward|toward|towards|closer)\b", "push_in"),
    (r"\bzoom(?:s|ed|ing)?\s+in\b", "push_in"),
    (r"\bmov(?:e|es|ed|ing)\s+(?:in\s+)?closer\b", "push_in"),
    (r"\bclos(?:e|es|ed|ing)\s+in\b", "push_in"),
    (r"\bcreep(?:s|ing)?\s+(?:in|closer)\b", "push_in"),
    (r"\bends?\s+on\b", "push_in"),
    (r"\bpull(?:s|ed|ing)?\s*(?:back|out|away)\b", "pull_back"),
    (r"\bdoll(?:y|ies|ied|ying)\s+(?:out|back|backward)\b", "pull_back"),
    (r"\bzoom(?:s|ed|ing)?\s+out\b", "pull_back"),
    (r"\breveal(?:s|ed|ing)?\b", "pull_back"),
    (r"\bwiden(?:s|ed|ing)?\b", "pull_back"),
    (r"\bpan(?:s|ned|ning)?\s+across\b", "pan"),
    (r"\b(?:whip[\s-]*)?pan(?:s|ned|ning)?\b" + _DIR, "pan"),
    (r"\btilt(?:s|ed|ing)?\b" + _DIR, "tilt"),
    (r"\b(?:crane|boom)(?:s|ed|ing)?\b" + _DIR, "crane"),
    (r"\b(?:rise|rises|rising|ascend|ascends|ascending)\b", "crane_up"),
    (r"\b(?:descend|descends|descending|lower|lowers|lowering)\b", "crane_down"),
    (r"\b(?:track|tracks|tracked|tracking|truck|trucks|trucking|follow|follows|following)\b" + _DIR, "track"),
    (r"\b(?:orbit|orbits|orbiting|arc|arcs|arcing|circles\s+around|circling)\b" + _DIR, "orbit"),
]
_HANDHELD = r"\bhand[\s-]?held\b|\bshak(?:y|e|es|ing)\b|\bjitter(?:y|s)?\b|\bwobbl(?:y|e|es|ing)\b"
_STATIC = (
    r"\b(?:static|locked(?:\s*(?:off|down))?|tripod|motionless)\b"
    r"|\b(?:camera|shot|frame)\s+(?:\w+\s+)?still\b|\bstill\s+(?:camera|shot|frame)\b"
    r"|\b(?:holds?|stays?|remains?)\s+still\b|^\s*still\s*$"
)
_SLOW = r"\b(?:slow|slowly|gentle|gently|subtle|subtly|soft|softly|lazy|lazily|barely)\b"
_FAST = r"\b(?:fast|quick|quickly|rapid|rapidly|whip|swift|swiftly|sudden|suddenly|snap)\b"

#: Moves on the same axis exclude each other; the one named first wins.
_AXIS = {
    "push_in": "zoom",
    "pull_back": "zoom",
    "pan_left": "x",
    "pan_right": "x",
    "track_left": "x",
    "track_right": "x",
    "orbit_left": "x",
    "orbit_right": "x",
    "tilt_up": "y",
    "tilt_down": "y",
    "crane_up": "y",
    "crane_down": "y",
}


@dataclass(frozen=True)
class CameraMove:
    """A camera move over one shot. Shifts are fractions of the frame, + meaning right/down."""

    kinds: tuple[str, ...]
    speed: float = 1.0
    zoom: float = 1.0  # scale at the end of the shot: > 1 pushes in
    pan_x: float = 0.0  # the camera's sideways travel; content moves the other way
    pan_y: float = 0.0
    rotate_deg: float = 0.0
    shake: float = 0.0
    matched: tuple[str, ...] = ()
    default: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "kinds": list(self.kinds),
            "speed": self.speed,
            "zoom": round(self.zoom, 6),
            "pan_x": round(self.pan_x, 6),
            "pan_y": round(self.pan_y, 6),
            "rotate_deg": round(self.rotate_deg, 6),
            "shake": round(self.shake, 6),
            "matched": list(self.matched),
            "default": self.default,
        }


# --- reading the prompt ----------------------------------------------------------------


def _normalize(prompt: str) -> str:
    return re.sub(r"\s+", " ", prompt.lower().replace("-", " ")).strip()


def _directed(kind: str, direction: str | None) -> str:
    """Turn a family (pan, tilt, crane, track, orbit) and a direction word into a kind."""
    word = (direction or "").removesuffix("ward")
    if kind in ("pan", "track", "orbit"):
        return f"{kind}_{word if word in ('left', 'right') else 'right'}"
    if kind in ("tilt", "crane"):
        return f"{kind}_{word if word in ('up', 'down') else 'up'}"
    return kind


def _find_moves(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) of every move phrase in `text`, in reading order."""
    found: list[tuple[int, int, str, str]] = []
    for pattern, family in _MOVES:
        for match in re.finditer(pattern, text):
            direction = match.group(1) if match.re.groups else None
            phrase = match.group(0)
            # At one position the longest phrase is the most telling.
            found.append((match.start(), -len(phrase), _directed(family, direction), phrase))
    found.sort()
    return [(kind, phrase) for _, _, kind, phrase in found]


def _speed(text: str) -> tuple[float | None, list[str]]:
    slow = re.findall(_SLOW, text)
    fast = re.findall(_FAST, text)
    if slow and not fast:
        return SLOW, slow
    if fast and not slow:
        return FAST, fast
    return None, slow + fast


def parse_motion(prompt: str) -> CameraMove:
    """Read the camera move from free text; text naming no move gets a slow push-in."""
    text = _normalize(prompt or "")
    speed_word, speed_matched = _speed(text)
    speed = speed_word or 1.0
    chosen: dict[str, str] = {}
    matched: list[str] = []
    for kind, phrase in _find_moves(text):
        axis = _AXIS[kind]
        if axis not in chosen:
            chosen[axis] = kind
            matched.append(phrase)
    handheld = re.search(_HANDHELD, text)
    if handheld:
        matched.append(handheld.group(0))
    kinds = [chosen[axis] for axis in ("zoom", "x", "y") if axis in chosen]
    if not kinds and not handheld:
        static = re.search(_STATIC, text)
        if static:
            return CameraMove(kinds=("static",), speed=speed, matched=(static.group(0),))
        # Nothing named: drift in slowly rather than freeze.
        return _build(("push_in",), speed_word or SLOW, tuple(speed_matched), default=True)
    if handheld:
        kinds.append("handheld")
    return _build(tuple(kinds), speed, tuple(matched + speed_matched))


def _build(kinds: tuple[str, ...], speed: float, matched: tuple[str, ...], default: bool = False) -> CameraMove:
    zoom_log = 0.0
    pan_x = pan_y = rotate = shake = 0.0
    for kind in kinds:
        family, _, direction = kind.partition("_")
        sign = -1.0 if direction in ("left", "up") else 1.0
        if kind == "push_in":
            zoom_log = math.log(PUSH_ZOOM)
        elif kind == "pull_back":
            zoom_log = -math.log(PUSH_ZOOM)
        elif family == "pan":
            pan_x = sign * PAN_FRACTION
        elif family == "track":
            pan_x = sign * TRACK_FRACTION
        elif family == "orbit":
            pan_x = sign * ORBIT_FRACTION
            # Orbiting right swings the horizon clockwise on screen.
            rotate = -sign * ORBIT_DEGREES
        elif family == "tilt":
            pan_y = sign * TILT_FRACTION
        elif family == "crane":
            pan_y = sign * CRANE_FRACTION
        elif kind == "handheld":
            shake = SHAKE_FRACTION
    zoom_log = float(np.clip(zoom_log * speed, -math.log(MAX_ZOOM), math.log(MAX_ZOOM)))
    return CameraMove(
        kinds=kinds,
        speed=speed,
        zoom=math.exp(zoom_log),
        pan_x=float(np.clip(pan_x * speed, -MAX_SHIFT, MAX_SHIFT)),
        pan_y=float(np.clip(pan_y * speed, -MAX_SHIFT, MAX_SHIFT)),
        rotate_deg=rotate * speed,
        shake=shake * speed,
        matched=matched,
        default=default,
    )


# --- the camera path -------------------------------------------------------------------


def smoothstep(t: float) -> float:
    """0 at 0, 1 at 1, with zero slope at both ends."""
    t = min(1.0, max(0.0, float(t)))
    return t * t * (3.0 - 2.0 * t)


def shake_envelope(t: float) -> float:
    """Handheld strength over the shot: 0 at both ends, full across the middle."""
    t = min(1.0, max(0.0, float(t)))
    return smoothstep(t / SHAKE_RAMP) * smoothstep((1.0 - t) / SHAKE_RAMP)


def _shake_noise(t: float, seed: int) -> tuple[float, float]:
    """Smooth deterministic wobble in [-1, 1] per axis: a few seeded sines."""
    rng = np.random.default_rng([abs(int(seed)), 0x5A7])
    freqs = np.array([1.3, 2.9, 5.1]) * rng.uniform(0.8, 1.25, size=(2, 3))
    phases = rng.uniform(0.0, 2.0 * math.pi, size=(2, 3))
    weights = np.array([1.0, 0.5, 0.25])
    waves = np.sin(2.0 * math.pi * freqs * t + phases) @ weights / weights.sum()
    return float(waves[0]), float(waves[1])


def cover_scale(rotate_rad: float, width: int, height: int) -> float:
    """The zoom at which a frame rotated by `rotate_rad` still covers the output's corners."""
    a = abs(rotate_rad)
    aspect = max(width / height, height / width)
    return math.cos(a) + aspect * math.sin(a)


def camera_state(move: CameraMove, t: float, width: int, height: int, seed: int) -> tuple[float, float, float, float]:
    """(scale, rotation in radians, x shift, y shift in pixels) of the camera at time t."""
    e = smoothstep(t)
    scale = move.zoom**e
    rotation = math.radians(move.rotate_deg) * e
    shift_x = move.pan_x * width * e
    shift_y = move.pan_y * height * e
    if rotation:
        scale *= cover_scale(rotation, width, height)
    if move.shake:
        env = shake_envelope(t)
        nx, ny = _shake_noise(t, seed)
        shift_x += move.shake * width * env * nx
        shift_y += move.shake * height * env * ny
        # A touch of zoom so the wobble never uncovers an edge.
        scale *= 1.0 + 2.2 * move.shake * env
    return scale, rotation, shift_x, shift_y


def state_affine(scale: float, rotation: float, shift_x: float, shift_y: float, width: int, height: int) -> np.ndarray:
    """Output pixel -> source pixel for a camera zoomed and rotated about the centre, then shifted."""
    cx, cy = width / 2.0, height / 2.0
    c, s = math.cos(rotation) / scale, math.sin(rotation) / scale
    m = np.array([[c, -s], [s, c]])
    offset = np.array([cx + shift_x, cy + shift_y]) - m @ np.array([cx, cy])
    return np.hstack([m, offset[:, None]])


def camera_affine(move: CameraMove, t: float, width: int, height: int, seed: int = 0) -> np.ndarray:
    """2x3: output pixel at time t -> pixel of the START keyframe; identity at t = 0."""
    if t <= 0.0:
        return identity_affine()
    return state_affine(*camera_state(move, t, width, height, seed), width, height)


def end_affine(move: CameraMove, t: float, width: int, height: int, seed: int = 0) -> np.ndarray:
    """2x3: output pixel at time t -> pixel of the END keyframe; identity at t = 1.

    The end keyframe is what the camera sees at t = 1, so this is the camera's motion
    relative to where it stops.
    """
    if t >= 1.0:
        return identity_affine()
    final = camera_affine(move, 1.0, width, height, seed)
    now = camera_affine(move, t, width, height, seed)
    return compose(invert_affine(final), now)


def identity_affine() -> np.ndarray:
    return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _full(affine: np.ndarray) -> np.ndarray:
    return np.vstack([affine, [0.0, 0.0, 1.0]])


def compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The affine applying `inner` first, then `outer`."""
    return (_full(outer) @ _full(inner))[:2]


def invert_affine(affine: np.ndarray) -> np.ndarray:
    return np.linalg.inv(_full(affine))[:2]


def is_identity(affine: np.ndarray, tol: float = 1e-9) -> bool:
    return bool(np.allclose(affine, identity_affine(), rtol=0.0, atol=tol))


def apply_affine(affine: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map an (N, 2) array of points."""
    return points @ affine[:, :2].T + affine[:, 2]


def transform_box(
    box: Box,
    affine: np.ndarray,
    width: int,
    height: int,
    *,
    min_visible: float = 0.0,
) -> Box | None:
    """Where a keyframe's box lies in the output frame, given `affine` (output -> keyframe).

    Returns the box clipped to the frame, or None when it is outside it (or when less than
    `min_visible` of its area is inside).
    """
    x, y, w, h = box
    corners = np.array([[x, y], [x + w, y], [x, y + h], [x + w, y + h]], dtype=np.float64)
    out = apply_affine(invert_affine(affine), corners)
    x0, y0 = out.min(axis=0)
    x1, y1 = out.max(axis=0)
    area = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    cx0, cy0 = max(0.0, x0), max(0.0, y0)
    cx1, cy1 = min(float(width), x1), min(float(height), y1)
    if cx1 <= cx0 or cy1 <= cy0:
        return None
    if area > 0 and (cx1 - cx0) * (cy1 - cy0) < min_visible * area:
        return None
    left, top = int(round(cx0)), int(round(cy0))
    right, bottom = int(round(cx1)), int(round(cy1))
    if right <= left or bottom <= top:
        return None
    return (left, top, right - left, bottom - top)


def at_depth(move: CameraMove, depth: float) -> CameraMove:
    """The same move seen on a layer `depth` times as near as the subject: far layers move less (parallax)."""
    if depth == 1.0:
        return move
    return CameraMove(
        kinds=move.kinds,
        speed=move.speed,
        zoom=move.zoom**depth,
        pan_x=move.pan_x * depth,
        pan_y=move.pan_y * depth,
        rotate_deg=move.rotate_deg * depth,
        shake=move.shake * depth,
        matched=move.matched,
        default=move.default,
    )
