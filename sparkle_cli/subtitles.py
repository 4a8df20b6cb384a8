"""Subtitles (SRT and WebVTT) from the lines' actual times (pure functions)."""

from __future__ import annotations

from typing import Any


def timestamp(seconds: float, sep: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{ms:03d}"


def cues(lines: list[dict[str, Any]], names: dict[str, str]) -> list[tuple[float, float, str]]:
    out = []
    for line in sorted(lines, key=lambda x: x["start_time_actual_s"]):
        speaker = names.get(line["character_id"], line["character_id"])
        out.append((line["start_time_actual_s"], line["end_time_actual_s"], f"{speaker}: {line['text']}"))
    return out


def to_srt(lines: list[dict[str, Any]], names: dict[str, str]) -> str:
    blocks = [
        f"{i}\n{timestamp(a, ',')} --> {timestamp(b, ',')}\n{text}\n"
        for i, (a, b, text) in enumerate(cues(lines, names), start=1)
    ]
    return "\n".join(blocks)


def to_vtt(lines: list[dict[str, Any]], names: dict[str, str]) -> str:
    blocks = [f"{timestamp(a, '.')} --> {timestamp(b, '.')}\n{text}\n" for a, b, text in cues(lines, names)]
    return "WEBVTT\n\n" + "\n".join(blocks)


#: ISO 639-2 (terminology) codes, as MP4 stores a track's language, for the primary language subtag.
ISO_639_2 = {
    "ar": "ara", "da": "dan", "de": "deu", "el": "ell", "en": "eng", "es": "spa", "fi": "fin", "fr": "fra",
    "he": "heb", "hi": "hin", "it": "ita", "ja": "jpn", "ko": "kor", "nl": "nld", "no": "nor", "nb": "nob",
    "pl": "pol", "pt": "por", "ru": "rus", "sv": "swe", "tr": "tur", "uk": "ukr", "zh": "zho",
}  # fmt: skip


def track_language(plan: dict[str, Any]) -> str:
    """The subtitle track's language: render_profile.subtitles.language, else the first voice's, else und."""
    chosen = ((plan.get("render_profile") or {}).get("subtitles") or {}).get("language")
    if not chosen:
        for character in plan.get("characters") or []:
            chosen = (character.get("voice_profile") or {}).get("language")
            if chosen:
                break
    tag = str(chosen or "").strip().lower().replace("_", "-")
    if len(tag) == 3 and tag.isalpha():
        return tag
    return ISO_639_2.get(tag.split("-", 1)[0], "und")
