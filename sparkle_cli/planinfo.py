"""Questions about a normalized plan that several stages ask (pure functions)."""

from __future__ import annotations

import re
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


#: Words that say how a keyframe is framed, in the order they are looked for.
FRAMINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("hands", ("hands",)),
    ("over_shoulder", ("behind", "over the shoulder", "over-the-shoulder", "over his shoulder", "over her shoulder")),
    ("wide", ("wide", "establishing", "long shot", "aerial", "panorama", "small in the frame", "in the distance")),
    ("group", ("together", "two-shot", "two shot", "side by side", "each other", "both", "group", "everyone")),
    ("close", ("close-up", "closeup", "close up", "tight on", "portrait of", "face of")),
)


def framing(prompt: str) -> str | None:
    """How a keyframe prompt frames its people: hands, over_shoulder, wide, group, close, or None."""
    text = " " + " ".join(re.findall(r"[a-z-]+", prompt.lower())) + " "
    found = [name for name, words in FRAMINGS if any(f" {w} " in text for w in words)]
    if "close" in found and "group" not in found and "hands" not in found:
        return "close"
    return found[0] if found else None


def named_characters(plan: dict[str, Any], text: str) -> list[str]:
    """The plan's characters named in `text`, by id or name, in the order they first appear.

    A character is also found by the first or last word of its name ("Mara" for "Mara Holt"),
    but only when no one else in the cast shares that word: "Chef" names neither of two chefs.
    """
    lowered = text.lower()
    words: dict[str, int] = {}
    for c in plan["characters"]:
        for word in {w.lower() for w in c["name"].split()[:1] + c["name"].split()[-1:]}:
            words[word] = words.get(word, 0) + 1
    hits = []
    for c in plan["characters"]:
        parts = c["name"].split()
        names = {c["id"], c["id"].replace("_", " "), c["name"]}
        names |= {w for w in parts[:1] + parts[-1:] if words.get(w.lower()) == 1}
        spots = []
        for name in names:
            if name and (m := re.search(rf"(?<![a-z0-9]){re.escape(name.lower())}(?![a-z0-9])", lowered)):
                spots.append(m.start())
        if spots:
            hits.append((min(spots), c["id"]))
    return [cid for _, cid in sorted(hits)]


def closeup_character(plan: dict[str, Any], image_index: int) -> str | None:
    """Whose talking close-up a keyframe is, or None when it frames people otherwise.

    A keyframe prompt that frames hands, a group ("A and B together"), a wide view or an
    over-the-shoulder view is painted as that. A close-up prompt shows the first character it
    names; a keyframe that starts or ends a talking close-up and says nothing else shows that
    shot's first speaker.
    """
    prompt = plan["base_images"][image_index]["prompt"]
    kind = framing(prompt)
    if kind in ("hands", "over_shoulder", "wide", "group"):
        return None
    named = named_characters(plan, prompt)
    if kind == "close" and named:
        return named[0]
    shots = plan["shots"]
    for shot_index in (image_index, image_index - 1):
        if 0 <= shot_index < len(shots) and shots[shot_index]["is_talking_closeup"]:
            if len(named) >= 2 and kind != "close":
                return None  # two people named in a talking shot's keyframe: a two-shot
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


def cast_seed(plan: dict[str, Any]) -> str:
    """The story's seed for character looks: the same description looks different in another story."""
    return str(plan.get("metadata", {}).get("seed", plan["title"]))


def shot_seed(plan: dict[str, Any], shot_id: str, attempt: int = 1) -> int:
    base = plan.get("metadata", {}).get("seed", plan["title"])
    return stable_seed(base, shot_id, attempt)
