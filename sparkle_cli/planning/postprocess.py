"""One path for what every planner writes: the request's title and profile, the repairs a reader would
make without asking, then the validator.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sparkle_cli.planning.options import PlanOptions
from sparkle_cli.schemas.plan import MAX_SHOT_SECONDS
from sparkle_cli.validation import check_plan, stable_seed

EPS = 1e-3


@dataclass
class Finished:
    plan: dict[str, Any] | None
    errors: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)


def finish(data: Any, options: PlanOptions, render_profile: dict[str, Any]) -> Finished:
    """The plan in `data` made ready for a run, with the validator's lines (empty when valid)."""
    if isinstance(data, dict) and isinstance(data.get("validated_plan"), dict):
        data = data["validated_plan"]
    if not isinstance(data, dict):
        return Finished(None, [f"(plan): expected a JSON object, got {type(data).__name__}"])
    plan = copy.deepcopy(data)
    plan["render_profile"] = render_profile
    if options.title:
        plan["title"] = options.title
    repairs: list[str] = []
    _repair_seeds(plan, repairs)
    _repair_timeline(plan, repairs)
    errors = list(check_plan(plan).errors)
    shots = plan.get("shots")
    if isinstance(shots, list) and len(shots) != int(options.shots):
        errors.append(f"shots: the request asks for exactly {options.shots} shots, the plan has {len(shots)}")
    if repairs and not errors:
        metadata = plan.get("metadata")
        plan["metadata"] = {**(metadata if isinstance(metadata, dict) else {}), "repairs": repairs}
    return Finished(plan, errors, repairs)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _repair_seeds(plan: dict[str, Any], repairs: list[str]) -> None:
    images = plan.get("base_images")
    if not isinstance(images, list):
        return
    for i, image in enumerate(images):
        if not isinstance(image, dict) or not isinstance(image.get("id"), str):
            continue
        metadata = image.get("metadata")
        if metadata is None:
            metadata = image["metadata"] = {}
        if isinstance(metadata, dict) and not isinstance(metadata.get("seed"), int):
            metadata["seed"] = stable_seed(plan.get("title", ""), image["id"])
            repairs.append(f"base_images[{i}].metadata.seed: set to {metadata['seed']}")


def _repair_timeline(plan: dict[str, Any], repairs: list[str]) -> None:
    timeline, shots = plan.get("dialogue_timeline"), plan.get("shots")
    if not isinstance(timeline, list) or not isinstance(shots, list):
        return
    durations = [_number(s.get("duration_sec")) if isinstance(s, dict) else None for s in shots]
    if not shots or any(d is None or d <= 0 for d in durations):
        return  # the validator names bad durations; nothing here can guess them
    lines = []
    for entry in timeline:
        if not isinstance(entry, dict) or entry.get("type") not in ("dialogue", "silence"):
            return  # an entry the validator must name; leave the timeline as written
        start, length = _number(entry.get("start_time_sec")), _number(entry.get("duration_sec"))
        if start is None or length is None or start < 0 or length <= 0:
            return
        if entry["type"] == "dialogue":
            lines.append(dict(entry))
    ordered = sorted(lines, key=lambda e: e["start_time_sec"])
    if [id(x) for x in ordered] != [id(x) for x in lines]:
        repairs.append("dialogue_timeline: put in time order")
    cursor = 0.0
    for line in ordered:
        if line["start_time_sec"] < cursor - EPS:
            repairs.append(
                f"dialogue_timeline: {line.get('character_id')}'s line {line.get('text', '')[:40]!r} moved from "
                f"{line['start_time_sec']:.2f} s to {cursor:.2f} s so it does not overlap the line before"
            )
            line["start_time_sec"] = round(cursor, 3)
        cursor = line["start_time_sec"] + line["duration_sec"]
    total = sum(d for d in durations if d)
    last = shots[-1]
    if cursor > total + EPS and isinstance(last, dict):
        longer = round(float(last["duration_sec"]) + cursor - total + 0.3, 2)
        if longer <= MAX_SHOT_SECONDS:
            repairs.append(
                f"shots[{len(shots) - 1}].duration_sec: {last['duration_sec']} -> {longer} so the dialogue fits"
            )
            last["duration_sec"] = longer
            total = sum(float(s["duration_sec"]) for s in shots)
    rebuilt: list[dict[str, Any]] = []
    cursor = 0.0
    for line in ordered:
        if line["start_time_sec"] - cursor > EPS:
            rebuilt.append(_silence(cursor, line["start_time_sec"]))
        rebuilt.append(line)
        cursor = line["start_time_sec"] + line["duration_sec"]
    if total - cursor > EPS:
        rebuilt.append(_silence(cursor, total))
    if _shape(rebuilt) != _shape(timeline):
        if not any(r.startswith("dialogue_timeline: pauses") for r in repairs):
            repairs.append("dialogue_timeline: pauses written out between the lines")
        plan["dialogue_timeline"] = rebuilt


def _silence(start: float, end: float) -> dict[str, Any]:
    return {"type": "silence", "start_time_sec": round(start, 3), "duration_sec": round(end - start, 3)}


def _shape(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            e.get("type"),
            e.get("character_id"),
            e.get("text"),
            round(e["start_time_sec"], 2),
            round(e["duration_sec"], 2),
        )
        for e in entries
    ]
