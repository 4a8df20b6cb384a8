"""Cutting a shot: which view is on screen in each frame, and where it changes (pure arithmetic).

A shot opens on its start keyframe and closes on its end keyframe. In between the picture
changes by a cut, or a dissolve of at most `MAX_DISSOLVE_S`, placed where it serves the
story: in a talking close-up the face on screen is the one speaking (shot and reverse shot,
cut in the pause before each new speaker), elsewhere at a line boundary near the middle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The longest dissolve: beyond this a viewer sees two pictures at once.
MAX_DISSOLVE_S = 0.5
DISSOLVE_S = 0.4
#: Cut this long before a new speaker starts (at most half the pause).
LEAD_S = 0.2
#: No view is held for less than this, except where speech forces it.
MIN_HOLD_S = 0.3
#: After the last line the end keyframe gets this long before the shot ends, when there is room.
TAIL_S = 0.3

START, END = "start", "end"


def close_up(character_id: str) -> str:
    return f"close:{character_id}"


@dataclass(frozen=True)
class Line:
    """A spoken line inside the shot, in frames [start, end)."""

    character_id: str
    start: int
    end: int
    line_id: str = ""


@dataclass(frozen=True)
class View:
    """What a keyframe shows: the subject of a talking close-up, and every face big enough to speak."""

    subject: str | None = None
    faces: frozenset[str] = field(default_factory=frozenset)


@dataclass
class Segment:
    """Frames [first, last) show `view`; the first `dissolve` of them fade in from the previous view."""

    first: int
    last: int
    view: str
    dissolve: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "first_frame": self.first,
            "last_frame": self.last - 1,
            "view": self.view,
            "transition": "dissolve" if self.dissolve else "cut" if self.first else "start",
            "dissolve_frames": self.dissolve,
        }


def plan_edit(
    n: int,
    fps: float,
    lines: list[Line],
    start: View,
    end: View,
    *,
    talking: bool,
    can_close_up: bool,
) -> list[Segment]:
    """The shot's views, covering frames 0..n-1; the first is `start` and the last `end`."""
    if n <= 1:
        return [Segment(0, max(n, 1), START)]
    lines = sorted((ln for ln in lines if ln.end > 0 and ln.start < n), key=lambda ln: ln.start)
    if talking or start.subject or end.subject:
        cuts = _dialogue_cuts(n, fps, lines, start, end, can_close_up)
    else:
        cuts = [(_middle_cut(n, fps, lines), END)]
    return _segments(n, fps, cuts, start, end)


def _speaker_view(cid: str, start: View, end: View, can_close_up: bool, current: str) -> str | None:
    """Where a speaker's face can be shown: a keyframe close-up of them, a close-up painted for the
    shot, or a keyframe where their face is visible; None when they can only be heard."""
    if start.subject == cid:
        return START
    if end.subject == cid:
        return END
    if can_close_up:
        return close_up(cid)
    for name, view in ((START, start), (END, end)):
        if cid in view.faces and (current == name or not _shows(current, cid, start, end)):
            return name
    return None


def _shows(view: str, cid: str, start: View, end: View) -> bool:
    if view == close_up(cid):
        return True
    info = start if view == START else end if view == END else None
    return info is not None and (info.subject == cid or cid in info.faces)


def _dialogue_cuts(
    n: int, fps: float, lines: list[Line], start: View, end: View, can_close_up: bool
) -> list[tuple[int, str]]:
    """Shot and reverse shot: cut to each new speaker's face in the pause before they speak."""
    lead, hold, tail = round(LEAD_S * fps), max(1, round(MIN_HOLD_S * fps)), max(1, round(TAIL_S * fps))
    cuts: list[tuple[int, str]] = []
    current, last_cut, prev_end = START, 0, 0
    for line in lines:
        view = _speaker_view(line.character_id, start, end, can_close_up, current)
        if view is not None and view != current:
            gap = max(0, line.start - prev_end)
            frame = max(line.start - min(lead, gap // 2), 0)
            # The opening keyframe is held a moment even when someone else speaks at once.
            frame = max(frame, last_cut + hold if cuts else hold)
            if frame < min(line.end, n - tail):
                cuts.append((frame, view))
                current, last_cut = view, frame
        prev_end = max(prev_end, line.end)
    if current != END:
        spoken = lines[-1].end if lines else 0
        frame = spoken + min(tail, max(0, (n - spoken) // 2)) if lines else n // 2
        frame = min(max(frame, last_cut + hold), n - tail)
        if frame <= last_cut:
            frame = min(last_cut + 1, n - 1)
        if cuts and frame <= cuts[-1][0]:
            cuts.pop()
        cuts.append((max(frame, 1), END))
    return cuts


def _middle_cut(n: int, fps: float, lines: list[Line]) -> int:
    """Where a shot changes from its start to its end picture: the line boundary nearest the middle
    that falls in a pause, else the middle itself (moved out of a line when one is nearby)."""
    margin = max(1, round(MIN_HOLD_S * fps))
    speaking = [(ln.start, ln.end) for ln in lines]

    def in_line(f: int) -> bool:
        return any(a < f < b for a, b in speaking)

    candidates = {b for _, b in speaking} | {a for a, _ in speaking}
    candidates = {f for f in candidates if max(margin, round(0.2 * n)) <= f <= min(n - margin, round(0.8 * n))}
    free = [f for f in candidates if not in_line(f)]
    if free:
        return min(free, key=lambda f: (abs(f - n / 2), f))
    middle = n // 2
    if in_line(middle):
        ends = [b for a, b in speaking if a < middle < b and b <= n - margin]
        if ends and ends[0] - middle <= 0.3 * n:
            return ends[0]
    return min(max(middle, 1), n - 1)


def _segments(n: int, fps: float, cuts: list[tuple[int, str]], start: View, end: View) -> list[Segment]:
    segments = [Segment(0, n, START)]
    for frame, view in sorted(cuts):
        frame = min(max(frame, 1), n - 1)
        prev = segments[-1]
        if view == prev.view or frame <= prev.first:
            continue
        prev.last = frame
        segments.append(Segment(frame, n, view))
    for prev, seg in zip(segments, segments[1:], strict=False):
        if _dissolves(prev.view, seg.view, start, end):
            # Never more than a quarter of the shot: a short shot cuts rather than melts.
            room = min(seg.last - seg.first - 1, prev.last - prev.first, n // 4)
            seg.dissolve = max(0, min(round(DISSOLVE_S * fps), int(MAX_DISSOLVE_S * fps), room))
            # A dissolve is centred on the change.
            shift = seg.dissolve // 2
            if shift and prev.last - shift > prev.first:
                prev.last -= shift
                seg.first -= shift
    return segments


def _dissolves(a: str, b: str, start: View, end: View) -> bool:
    """Change by a short dissolve between two views of the place where nobody is close enough to
    speak, or between two close-ups of one person (the face stays where it is); cut everywhere
    else: between speakers, and whenever people change size (a dissolve would float giant
    transparent figures over the place)."""
    subjects: list[str | None] = []
    faces: list[bool] = []
    for view in (a, b):
        if view.startswith("close:"):
            subjects.append(view.split(":", 1)[1])
            faces.append(True)
        else:
            info = start if view == START else end
            subjects.append(info.subject)
            faces.append(bool(info.faces) or info.subject is not None)
    if subjects[0] is not None and subjects[0] == subjects[1]:
        return True
    return not faces[0] and not faces[1]
