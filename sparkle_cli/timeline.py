"""Timeline arithmetic: fit spoken lines into the plan without ever cutting speech.

A line longer than its slot first uses the silence after it (up to the next line); when
that is not enough, time is inserted where the slot ends and the shot holding that point
gets longer. Everything after an insertion moves later by the inserted amount.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: The least silence kept after a line before the next one starts.
MIN_GAP_S = 0.12


@dataclass
class LineTiming:
    line_id: str
    character_id: str
    text: str
    start_time_planned_s: float
    duration_planned_s: float
    duration_audio_raw_s: float
    start_time_actual_s: float = 0.0
    end_time_actual_s: float = 0.0
    slot_s: float = 0.0
    padding_before_s: float = 0.0
    padding_after_s: float = 0.0
    overflow_s: float = 0.0
    shot_id: str = ""


@dataclass
class Insertion:
    line_id: str
    at_planned_s: float
    seconds: float
    shot_id: str


@dataclass
class Reconciled:
    lines: list[LineTiming]
    shot_durations_planned: dict[str, float]
    shot_durations_revised: dict[str, float]
    insertions: list[Insertion] = field(default_factory=list)

    @property
    def total_planned_s(self) -> float:
        return sum(self.shot_durations_planned.values())

    @property
    def total_revised_s(self) -> float:
        return sum(self.shot_durations_revised.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": [asdict(line) for line in self.lines],
            "shot_durations_planned": self.shot_durations_planned,
            "shot_durations_revised": self.shot_durations_revised,
            "insertions": [asdict(i) for i in self.insertions],
            "total_planned_s": round(self.total_planned_s, 6),
            "total_revised_s": round(self.total_revised_s, 6),
        }


def shot_at(time_s: float, shot_ids: list[str], durations: list[float], *, closed_right: bool) -> int:
    """Index of the shot holding `time_s`; at a boundary, the earlier shot when closed_right."""
    cursor = 0.0
    for i, duration in enumerate(durations):
        end = cursor + duration
        if time_s < end - 1e-9 or (closed_right and time_s <= end + 1e-9):
            return i
        cursor = end
    return len(durations) - 1


def reconcile(
    timeline: list[dict[str, Any]],
    shots: list[tuple[str, float]],
    audio_durations: dict[str, float],
    min_gap_s: float = MIN_GAP_S,
) -> Reconciled:
    """Place every dialogue line at its actual time and revise shot durations to fit speech."""
    shot_ids = [s for s, _ in shots]
    durations = [d for _, d in shots]
    total = sum(durations)
    dialogue = sorted((e for e in timeline if e["type"] == "dialogue"), key=lambda e: e["start_time_sec"])
    revised = list(durations)
    lines: list[LineTiming] = []
    insertions: list[Insertion] = []
    shift = 0.0
    for i, entry in enumerate(dialogue):
        start = float(entry["start_time_sec"])
        slot_end = float(dialogue[i + 1]["start_time_sec"]) if i + 1 < len(dialogue) else total
        spoken = float(audio_durations[entry["id"]])
        line = LineTiming(
            line_id=entry["id"],
            character_id=entry["character_id"],
            text=entry["text"],
            start_time_planned_s=start,
            duration_planned_s=float(entry["duration_sec"]),
            duration_audio_raw_s=spoken,
            start_time_actual_s=start + shift,
            slot_s=slot_end - start,
            shot_id=shot_ids[shot_at(start, shot_ids, durations, closed_right=False)],
        )
        line.end_time_actual_s = line.start_time_actual_s + spoken
        overflow = max(0.0, spoken + min_gap_s - line.slot_s)
        if overflow > 1e-9:
            k = shot_at(slot_end, shot_ids, durations, closed_right=True)
            revised[k] += overflow
            insertions.append(Insertion(entry["id"], slot_end, overflow, shot_ids[k]))
            line.overflow_s = overflow
            shift += overflow
        lines.append(line)
    for i, line in enumerate(lines):
        next_start = lines[i + 1].start_time_actual_s if i + 1 < len(lines) else total + shift
        line.padding_after_s = next_start - line.end_time_actual_s
        line.padding_before_s = line.start_time_actual_s - (lines[i - 1].end_time_actual_s if i else 0.0)
    return Reconciled(
        lines=lines,
        shot_durations_planned=dict(zip(shot_ids, durations, strict=True)),
        shot_durations_revised=dict(zip(shot_ids, revised, strict=True)),
        insertions=insertions,
    )


def frame_counts(durations: list[float], fps: float) -> list[int]:
    """Frames per shot, rounding at cumulative boundaries so the movie's total never drifts."""
    counts = []
    cursor = 0.0
    previous = 0
    for duration in durations:
        cursor += duration
        boundary = max(previous + 1, round(cursor * fps))
        counts.append(boundary - previous)
        previous = boundary
    return counts


def shot_starts(counts: list[int], fps: float) -> list[float]:
    """Each shot's start time in the assembled movie, from its frame counts."""
    starts, frames = [], 0
    for count in counts:
        starts.append(frames / fps)
        frames += count
    return starts


def words_per_second_estimate(text: str, words_per_second: float = 2.6) -> float:
    """How long a line takes to say, for planning (the audio stage measures the real length)."""
    words = max(1, len(text.split()))
    return round(words / words_per_second + 0.3, 2)
