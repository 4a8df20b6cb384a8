"""Questions about a normalized plan that several stages ask (pure functions)."""

from __future__ import annotations

from typing import Any

from sparkle_cli.validation import stable_seed


def dialogue_lines(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in plan["dialogue_timeline"] if e["type"] == "dialogue"]


def shot_windows(plan: dict[str, Any]) -> list[tuple[float, float]]:
    """Planned (start, end) of every shot, in seconds."""
    windows, cursor = [], 0.0
    for shot in plan["shots"]:
        windows.append((cursor, cursor + shot["duration_sec"]))
        cursor += shot["duration_sec"]
    return windows


def speaker_for_shot(plan: dict[str, Any], index: int) -> str | None:
    """The character a talking close-up shows: the first to speak in its planned window.

    Replies from others in the same shot are heard off-screen, as in a shot/reverse-shot cut.
    """
    start, end = shot_windows(plan)[index]
    lines = sorted(dialogue_lines(plan), key=lambda x: x["start_time_sec"])
    starting = [ln for ln in lines if start <= ln["start_time_sec"] < end]
    running = [ln for ln in lines if ln["start_time_sec"] < end and ln["start_time_sec"] + ln["duration_sec"] > start]
    for line in starting or running:
        return str(line["character_id"])
    return plan["characters"][0]["id"] if plan["characters"] else None


def closeup_character(plan: dict[str, Any], image_index: int) -> str | None:
    """Whose face a keyframe shows: the speaker of the talking close-up it starts, else of the one it ends."""
    shots = plan["shots"]
    for shot_index in (image_index, image_index - 1):
        if 0 <= shot_index < len(shots) and shots[shot_index]["is_talking_closeup"]:
            return speaker_for_shot(plan, shot_index)
    return None


def keyframe_setting(plan: dict[str, Any], image_index: int) -> str:
    """The scene text of the shots that start or end on a keyframe, then the opening shot's setting.

    The opening setting comes last so that a keyframe whose own shots say little ("tighter
    framing near a billboard") still gets the movie's place, time of day and weather.
    """
    parts = []
    for shot_index in (image_index, image_index - 1):
        if 0 <= shot_index < len(plan["shots"]):
            shot = plan["shots"][shot_index]
            parts += [shot["setting"], shot["visual_description"]]
    parts.append(plan["shots"][0]["setting"])
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return ". ".join(seen)


def shot_seed(plan: dict[str, Any], shot_id: str, attempt: int = 1) -> int:
    base = plan.get("metadata", {}).get("seed", plan["title"])
    return stable_seed(base, shot_id, attempt)
