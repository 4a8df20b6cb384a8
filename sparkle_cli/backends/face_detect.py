"""Faces on generated pictures and clips, for lipsync: OpenCV's bundled Haar cascades, offline.

The cascades ship inside `opencv-python-headless` 4.x (5.0 ships none), so nothing is downloaded.
A candidate counts as a face only when it is large (a close-up), the face cascade is sure of it
(9 neighbours) and an eye cascade also fires in its upper part; that keeps
moons, windows and noise out. Boxes are padded and smoothed over time as the original Wav2Lip
inference does (pads top/bottom/left/right, then the mean over a window of 5 frames); the mouth
box is a fixed part of the face box, so a face box can always be recovered from a mouth track.
"""

from __future__ import annotations

import functools
from typing import Any

from sparkle_cli.backends.base import BackendUnavailable, Box

OPENCV_HINT = "pip install 'opencv-python-headless>=4.8,<5' (the ml extra has it; OpenCV 5 ships no cascades)"
#: Wav2Lip pads its detector's boxes (top, bottom, left, right) by [0, 10, 0, 0] pixels to include the chin.
#: A Haar box ends higher, around the lower lip, so the pad here is a fraction of the box height.
PADS = (0.0, 0.15, 0.0, 0.0)
SMOOTH_WINDOW = 5
#: The mouth inside an unpadded Haar face box, as fractions (x0, y0, x1, y1).
MOUTH = (0.27, 0.58, 0.73, 0.84)
EYE_WIDTH = 120
DETECT_SIDE = 640  # frames are searched at most this wide: faster, and the cascades are trained on small faces
#: A gap of up to this many frames between detections is bridged by interpolation.
MAX_GAP = 8


@functools.cache
def _cascades() -> tuple[Any, Any]:
    try:
        import cv2
    except ImportError as exc:
        raise BackendUnavailable(f"face detection needs OpenCV: {OPENCV_HINT}") from exc
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if not folder or not hasattr(cv2, "CascadeClassifier"):
        raise BackendUnavailable(f"this OpenCV ({cv2.__version__}) ships no Haar cascades: {OPENCV_HINT}")
    face = cv2.CascadeClassifier(folder + "haarcascade_frontalface_default.xml")
    eyes = cv2.CascadeClassifier(folder + "haarcascade_eye.xml")
    if face.empty() or eyes.empty():
        raise BackendUnavailable(f"OpenCV's face cascades did not load from {folder}: {OPENCV_HINT}")
    return face, eyes


def available() -> str | None:
    """None when faces can be detected here, else what to install."""
    try:
        _cascades()
    except BackendUnavailable as exc:
        return str(exc)
    return None


def detect_faces(rgb: Any, min_fraction: float = 0.25) -> list[Box]:
    """Face boxes (x, y, w, h, unpadded) in an RGB uint8 picture, largest first.

    `min_fraction`: the smallest face side as a fraction of the picture's shorter side (talking
    close-ups show large faces; small background faces are not lipsynced).
    """
    import cv2
    import numpy as np

    face_cascade, eye_cascade = _cascades()
    frame = np.asarray(rgb)
    h, w = frame.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(h, w))
    gray = cv2.cvtColor(np.ascontiguousarray(frame[:, :, :3]), cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(gray)
    side = max(24, int(min(gray.shape) * min_fraction))
    found = face_cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=9, minSize=(side, side))
    boxes = []
    for x, y, bw, bh in found if len(found) else []:
        # The eyes are looked for in the upper part of the face, brought to one width, so that the
        # eye cascade sees eyes of the size it was trained on whatever the face's size.
        upper = gray[y : y + round(0.6 * bh), x : x + bw]
        upper = cv2.resize(upper, (EYE_WIDTH, max(1, round(EYE_WIDTH * upper.shape[0] / upper.shape[1]))))
        eye_side = EYE_WIDTH // 12
        if len(eye_cascade.detectMultiScale(upper, scaleFactor=1.05, minNeighbors=1, minSize=(eye_side, eye_side))):
            boxes.append((round(x / scale), round(y / scale), round(bw / scale), round(bh / scale)))
    return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)


def pad_box(box: Box, width: int, height: int, pads: tuple[float, float, float, float] = PADS) -> Box:
    """The face box grown by `pads` (fractions of its height/width), kept inside the picture."""
    x, y, w, h = box
    top, bottom, left, right = pads
    x0, y0 = max(0, round(x - left * w)), max(0, round(y - top * h))
    x1, y1 = min(width, round(x + w + right * w)), min(height, round(y + h + bottom * h))
    return (x0, y0, x1 - x0, y1 - y0)


def mouth_box(box: Box) -> Box:
    """The mouth region of an unpadded face box."""
    x, y, w, h = box
    x0, y0, x1, y1 = MOUTH
    return (round(x + x0 * w), round(y + y0 * h), round((x1 - x0) * w), round((y1 - y0) * h))


def _centre(box: Box) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def nearest(boxes: list[Box], target: Box | None) -> Box | None:
    """The box closest to `target` (centre distance), or the largest when there is no target.

    A box whose centre is more than one target width away is a different face, not this one.
    """
    if not boxes:
        return None
    if target is None:
        return boxes[0]
    tx, ty = _centre(target)
    best = min(boxes, key=lambda b: (_centre(b)[0] - tx) ** 2 + (_centre(b)[1] - ty) ** 2)
    bx, by = _centre(best)
    return best if ((bx - tx) ** 2 + (by - ty) ** 2) ** 0.5 <= max(target[2], target[3]) else None


def smooth(boxes: list[Box | None], window: int = SMOOTH_WINDOW) -> list[Box | None]:
    """Wav2Lip's smoothing: each box becomes the mean of the `window` boxes from it on (the last ones
    share the final window); frames without a face stay without one, and runs are smoothed separately."""
    out: list[Box | None] = list(boxes)
    start = 0
    while start < len(boxes):
        if boxes[start] is None:
            start += 1
            continue
        end = start
        while end < len(boxes) and boxes[end] is not None:
            end += 1
        run = [b for b in boxes[start:end] if b is not None]
        span = min(window, len(run))
        for i in range(len(run)):
            part = run[len(run) - span :] if i + span > len(run) else run[i : i + span]
            out[start + i] = tuple(round(sum(b[k] for b in part) / len(part)) for k in range(4))  # type: ignore[assignment]
        start = end
    return out


def fill_gaps(boxes: list[Box | None], max_gap: int = MAX_GAP) -> list[Box | None]:
    """Bridge short runs of missed detections between two found boxes by linear interpolation."""
    out = list(boxes)
    known = [i for i, b in enumerate(boxes) if b is not None]
    for a, b in zip(known, known[1:], strict=False):
        if 1 < b - a <= max_gap + 1:
            first, last = boxes[a], boxes[b]
            assert first is not None and last is not None
            for i in range(a + 1, b):
                t = (i - a) / (b - a)
                out[i] = tuple(round(p + (q - p) * t) for p, q in zip(first, last, strict=True))  # type: ignore[assignment]
    return out


def track_face(frames: list[Any], start: Box | None, end: Box | None = None) -> list[Box | None]:
    """The unpadded face box in every frame, following the face nearest the previous one.

    `start`/`end`: the face in the first/last keyframe when known (the track starts from it).
    Missed frames between detections are bridged (`fill_gaps`), then the boxes are smoothed.
    """
    raw: list[Box | None] = []
    previous = start
    for frame in frames:
        box = nearest(detect_faces(frame), previous)
        raw.append(box)
        if box is not None:
            previous = box
    if end is not None and raw and raw[-1] is None:
        raw[-1] = nearest([end], previous) if previous is not None else end
    return smooth(fill_gaps(raw))
