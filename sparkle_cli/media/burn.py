"""Subtitles drawn into the picture: each cue white on a dark box, at most two lines, clear of the mouth.

A cue is laid out once (font size, line breaks, place) and drawn onto the frames it spans; frames
without a cue pass through unchanged. The place is the bottom of the frame unless a mouth shown
while the cue is on screen would sit under the box; then it is the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

Box = tuple[int, int, int, int]  # x, y, width, height

#: Largest and smallest type, as a share of the frame's height.
_SIZE_MAX = 0.07
_SIZE_MIN = 0.04
_MAX_LINES = 2


@dataclass
class Cue:
    start_s: float
    end_s: float
    text: str


@dataclass
class Placement:
    lines: list[str]
    size: int
    box: Box  # the dark box behind the text, in frame pixels
    at_top: bool


def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def wrap(text: str, font: Any, width: float) -> list[str]:
    """Greedy word wrap to `width` pixels; a word longer than the width stands on its own line."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and font.getlength(trial) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def split_long(cue: Cue, width: int, height: int) -> list[Cue]:
    """A cue that does not fit in two lines at the smallest size becomes several, sharing its time."""
    font = _font(max(10, round(height * _SIZE_MIN)))
    lines = wrap(cue.text, font, width * 0.9)
    if len(lines) <= _MAX_LINES:
        return [cue]
    parts = [" ".join(lines[i : i + _MAX_LINES]) for i in range(0, len(lines), _MAX_LINES)]
    total = sum(len(p) for p in parts)
    out, start = [], cue.start_s
    for part in parts:
        end = start + (cue.end_s - cue.start_s) * len(part) / total
        out.append(Cue(start, end, part))
        start = end
    return out


def overlaps(a: Box, b: Box) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def place(text: str, width: int, height: int, avoid: list[Box]) -> Placement:
    """Font size, lines and box for a cue: the largest size that fits two lines, bottom unless a mouth is there."""
    size = round(height * _SIZE_MAX)
    smallest = max(10, round(height * _SIZE_MIN))
    while True:
        font = _font(size)
        lines = wrap(text, font, width * 0.9)
        if len(lines) <= _MAX_LINES or size <= smallest:
            break
        size -= 1
    lines = lines[:_MAX_LINES]
    line_h = round(size * 1.25)
    text_w = max(font.getlength(line) for line in lines) if lines else 0
    pad = max(4, size // 3)
    box_w = min(width, round(text_w) + 2 * pad)
    box_h = line_h * len(lines) + 2 * pad
    margin = round(height * 0.05)
    x = (width - box_w) // 2
    bottom: Box = (x, height - margin - box_h, box_w, box_h)
    if not any(overlaps(bottom, mouth) for mouth in avoid):
        return Placement(lines, size, bottom, at_top=False)
    return Placement(lines, size, (x, margin, box_w, box_h), at_top=True)


def render_patch(placement: Placement) -> tuple[np.ndarray, np.ndarray]:
    """The cue as RGB pixels and an alpha mask (0..1) the size of its box."""
    from PIL import Image, ImageDraw

    _, _, w, h = placement.box
    patch = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(patch)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=max(2, placement.size // 4), fill=(0, 0, 0, 170))
    font = _font(placement.size)
    line_h = round(placement.size * 1.25)
    pad = max(4, placement.size // 3)
    stroke = max(1, placement.size // 14)
    for i, line in enumerate(placement.lines):
        line_w = font.getlength(line)
        draw.text(
            ((w - line_w) / 2, pad + i * line_h),
            line,
            font=font,
            fill=(255, 255, 255, 255),
            stroke_width=stroke,
            stroke_fill=(0, 0, 0, 255),
        )
    rgba = np.asarray(patch, dtype=np.float32)
    return rgba[..., :3], rgba[..., 3:] / 255.0


def burn_video(
    source: str | Path,
    out_path: str | Path,
    cues: list[Cue],
    fps: float,
    mouths: dict[int, list[Box]] | None = None,
    crf: int = 14,
) -> list[dict[str, Any]]:
    """Write `source` with the cues drawn in; returns where each cue went (frames and box).

    The picture is encoded a second time, so at a higher quality than the clips (crf 14) to keep
    the loss of that generation out of sight.
    """
    from sparkle_cli.media.video import VideoWriter, iter_frames, probe

    info = probe(source)
    if info.video is None:
        raise ValueError(f"{source} has no video stream")
    width, height, frames = info.video.width, info.video.height, info.video.frames
    mouths = mouths or {}
    laid: list[tuple[int, int, Placement, np.ndarray, np.ndarray]] = []
    for part in [piece for cue in cues for piece in split_long(cue, width, height)]:
        first, last = round(part.start_s * fps), min(frames, round(part.end_s * fps))
        if last <= first:
            continue
        avoid = [box for i in range(first, last) for box in mouths.get(i, [])]
        placement = place(part.text, width, height, avoid)
        rgb, alpha = render_patch(placement)
        laid.append((first, last, placement, rgb, alpha))
    with VideoWriter(out_path, fps=fps, width=width, height=height, crf=crf) as writer:
        for index, frame in enumerate(iter_frames(source)):
            for first, last, placement, rgb, alpha in laid:
                if first <= index < last:
                    x, y, w, h = placement.box
                    region = frame[y : y + h, x : x + w].astype(np.float32)
                    frame = frame.copy() if not frame.flags.writeable else frame
                    frame[y : y + h, x : x + w] = np.clip(region * (1 - alpha) + rgb * alpha, 0, 255).astype(np.uint8)
            writer.write(frame)
    return [
        {
            "start_frame": first,
            "end_frame": last,
            "box": list(placement.box),
            "lines": placement.lines,
            "position": "top" if placement.at_top else "bottom",
        }
        for first, last, placement, _, _ in laid
    ]
