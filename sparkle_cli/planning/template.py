"""The template planner: a MoviePlan written from the reading of the prompt, deterministic for a seed:
named cast and voices, shots from wide to close-ups and back, explicit settings and keyframe words.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sparkle_cli.planning.dialogue import LineWriter, beats_for
from sparkle_cli.planning.options import PlanOptions
from sparkle_cli.planning.reader import Person, Story, read
from sparkle_cli.planning.vocabulary import Vocabulary, vocabulary
from sparkle_cli.planning.voices import cast_voices
from sparkle_cli.schemas.plan import MAX_SHOT_SECONDS
from sparkle_cli.timeline import words_per_second_estimate
from sparkle_cli.validation import stable_seed

#: Letters that do not decompose to ASCII ("Søren" -> "soren" as an id).
LETTERS = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "ł": "l", "Ł": "L", "đ": "d", "þ": "th", "œ": "oe"}
)
SMALL_WORDS = {"a", "an", "the", "of", "in", "on", "at", "and", "for", "to", "by", "with", "over"}
NUMBERS = {2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six"}
MIN_SECONDS = {"wide": 3.5, "close": 4.0, "together": 4.5, "detail": 3.0}
LEAD_IN, GAP, TAIL = 0.5, 0.45, 0.5
NOT_ENGLISH = (
    "the prompt does not read as English, and the template planner reads English only, so this plan "
    "follows little of it; a language-model planner (--planner auto with one configured) reads any language"
)
MOTIONS = {
    "wide": ["Slow crane down into the scene", "Slow pan across the scene", "Gentle drift forward"],
    "close": ["Gentle push-in on the speaker", "Slow pan across the face", "Handheld push-in, slight sway"],
    "together": ["Slow arc around the two", "Gentle dolly sideways", "Slow push-in on both faces"],
    "detail": ["Slow tilt across the detail", "Gentle push-in on the detail"],
    "closing": ["Slow pull back to a wide view", "Crane up and away"],
}


@dataclass
class ShotSpec:
    framing: str  # wide | close | together | detail
    speaker: int | None = None
    listener: int | None = None
    speech: list[str] = field(default_factory=list)  # pair | single | solo | narration, one per moment
    closing: bool = False
    lines: list[tuple[int, str]] = field(default_factory=list)  # (character index, text)


def write_plan(options: PlanOptions) -> dict[str, Any]:
    prompt = options.prompt.strip()
    seed = options.seed if options.seed is not None else stable_seed("template", prompt, options.title or "")
    rng = random.Random(seed)
    v = vocabulary()
    story = read(prompt)
    narrated = not story.cast
    if narrated:
        story.cast = [Person(name="Narrator", role="narrator", kind="narrator")]
    cast = story.cast
    names = readable_names(cast, rng, v)
    ids = _ids(names)
    descriptions = [describe(p, cast, names) for p in cast]
    styles = tuple(v.raw["mood_styles"].get(story.premise.mood, ["warm", "calm"]))
    voices = cast_voices(cast, (styles[0], styles[-1]))
    mode = "narration" if narrated else "monologue" if len(cast) == 1 else "dialogue"
    shots_n = max(1, min(int(options.shots), 200))
    specs = _layout(shots_n, mode, len(cast))
    _speak(specs, story, names, rng, mode)
    setting_text, place_bits = _setting_text(story, v)
    role_phrases = [role_phrase(p) for p in cast]
    shots, timeline = _timeline(specs, ids, options.seconds)
    for i, (spec, shot) in enumerate(zip(specs, shots, strict=True)):
        shot.update(
            {
                "id": f"shot_{i + 1:03d}",
                "setting": setting_text,
                "visual_description": _frame_text(
                    spec.framing, _shown(spec, mode, cast), names, role_phrases, story, place_bits
                ),
                "start_base_image_id": f"frame_{i:03d}",
                "end_base_image_id": f"frame_{i + 1:03d}",
                "motion_prompt": _motion(spec, i, rng),
                "is_talking_closeup": spec.framing == "close" and bool(spec.lines),
            }
        )
    keyframes = _keyframes(specs, mode, cast, names, ids, role_phrases, story, place_bits, seed)
    characters = [
        {"id": ids[i], "name": names[i], "description": descriptions[i][:2000], "voice_profile": voices[i]}
        for i in range(len(cast))
    ]
    return {
        "title": options.title or title_for(story, names),
        "characters": characters,
        "base_images": keyframes,
        "shots": shots,
        "dialogue_timeline": timeline,
        "render_profile": {},
        "metadata": {
            "planner": "template",
            "seed": seed,
            "mood": story.premise.mood,
            "prompt": prompt,
            "shot_count": shots_n,
            "reading": _reading(story, names, ids),
            **({} if story.english else {"notices": [NOT_ENGLISH]}),
        },
    }


# --- cast --------------------------------------------------------------------------------


def readable_names(cast: list[Person], rng: random.Random, v: Vocabulary) -> list[str]:
    pools_raw = v.raw["names"]
    cast_titles = v.raw["cast"]["name_titles"]
    surname_titles = set(v.raw["cast"]["surname_titles"])
    pools: dict[str, list[str]] = {}

    def pool(name: str, items: list[str]) -> list[str]:
        if name not in pools:
            pools[name] = list(items)
            rng.shuffle(pools[name])
        return pools[name]

    taken = {p.name.split()[-1] for p in cast if p.named}
    out: list[str] = []

    def draw(name: str, items: list[str]) -> str:
        choices = pool(name, items)
        for candidate in choices:
            if candidate not in taken:
                taken.add(candidate)
                return candidate
        fallback = f"{items[0]} {len(taken) + 1}"
        taken.add(fallback)
        return fallback

    for p in cast:
        if p.kind == "narrator":
            out.append("Narrator")
            continue
        if p.named:
            out.append(f"{p.title} {p.name}" if p.title else p.name)
            continue
        if p.kind in ("animal", "creature", "machine"):
            species = pools_raw["species"].get(p.role or "")
            out.append(draw(f"species:{p.role}", species) if species else draw("creatures", pools_raw["creatures"]))
            continue
        title = cast_titles.get(p.role or "")
        if title in surname_titles:
            out.append(f"{title} {draw('surnames', pools_raw['surnames'])}")
            continue
        if p.age == "old" and p.gender in ("female", "male"):
            given = draw(f"old_{p.gender}", pools_raw[f"old_{p.gender}"])
        elif p.gender in ("female", "male"):
            given = draw(p.gender, pools_raw[p.gender])
        else:
            given = draw("neutral", pools_raw["neutral"])
        out.append(f"{title} {given}" if title else given)
    return out


def _ids(names: list[str]) -> list[str]:
    out: list[str] = []
    for i, name in enumerate(names):
        ascii_name = unicodedata.normalize("NFKD", name.translate(LETTERS)).encode("ascii", "ignore").decode()
        ident = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:48] or f"character_{i + 1}"
        base, k = ident, 2
        while ident in out:
            ident, k = f"{base}_{k}", k + 1
        out.append(ident)
    return out


def _article(phrase: str) -> str:
    return "an" if phrase[:1].lower() in "aeiou" and not phrase.lower().startswith(("uni", "eu", "one")) else "a"


def role_phrase(p: Person) -> str:
    """ "a lonely old fisherman", "a talking cat", "a TV chef": the role with the prompt's own words."""
    if p.kind == "narrator":
        return "a narrator"
    if not p.role:
        return _gender_noun(p) or "a person"
    words = [*p.modifiers, p.role]
    phrase = " ".join(words)
    return f"{_article(phrase)} {phrase}"


def _gender_noun(p: Person) -> str:
    """ "an old woman", "a young boy", "a man": what the prompt says of gender and age, else ""."""
    child = p.age == "young" and (p.role in vocabulary().sets["young"] or "little" in p.modifiers)
    if p.kind != "person":
        return {"female": "female", "male": "male"}.get(p.gender or "", "")
    if child:
        noun = {"female": "young girl", "male": "young boy"}.get(p.gender or "", "young child")
    else:
        noun = {"female": "woman", "male": "man"}.get(p.gender or "", "person" if p.age else "")
        if noun and p.age:
            noun = f"{p.age} {noun}"
    return f"{_article(noun)} {noun}" if noun else ""


def describe(p: Person, cast: list[Person], names: list[str]) -> str:
    """The role phrase first, then gender and age words, then whose they are."""
    if p.kind == "narrator":
        return "a narrator, heard over the pictures and never seen"
    if p.role == "storyteller":
        return "a storyteller, telling their own story"
    parts = [role_phrase(p)]
    extra = _gender_noun(p) if p.role else ""
    if extra and extra != parts[0]:
        parts.append(extra)
    text = ", ".join(parts)
    if p.owner is not None and p.role:
        text += f"; {names[p.owner]}'s {p.role}"
    if p.named:
        text += f"; named {p.name}"
    return text


# --- shots and lines -----------------------------------------------------------------------


def _layout(n: int, mode: str, people: int) -> list[ShotSpec]:
    if mode == "narration":
        return [ShotSpec("detail" if i % 3 == 2 else "wide", speech=["narration"]) for i in range(n)]
    if mode == "monologue":
        if n == 1:
            return [ShotSpec("close", 0, speech=["solo", "solo"])]
        specs = [ShotSpec("wide", 0, speech=["solo"])]
        for m in range(n - 2):
            if n > 8 and m % 5 == 4:
                specs.append(ShotSpec("detail"))
            elif m % 3 == 1:
                specs.append(ShotSpec("wide", 0, speech=["solo"]))
            else:
                specs.append(ShotSpec("close", 0, speech=["solo", "solo"] if n <= 4 else ["solo"]))
        specs.append(
            ShotSpec("close" if n == 2 else "wide", 0, speech=["solo", "solo"] if n == 2 else ["solo"], closing=n > 2)
        )
        return specs
    if n == 1:
        return [ShotSpec("together", 0, 1, speech=["pair"])]
    if n == 2:
        return [ShotSpec("wide", 0, 1, speech=["single"]), ShotSpec("close", 0, 1, speech=["pair"])]
    specs = [ShotSpec("wide", 0, 1, speech=["single"])]
    turn = 0
    for m in range(n - 2):
        speaker, listener = turn % people, (turn + 1) % people
        if n > 8 and m % 6 == 5:
            specs.append(ShotSpec("detail"))
        elif m % 3 == 2:
            specs.append(ShotSpec("together", speaker, listener, speech=["pair"]))
        else:
            specs.append(ShotSpec("close", speaker, listener, speech=["pair"]))
            turn += 1
    specs.append(ShotSpec("together", 0, 1, speech=["pair"], closing=True))
    return specs


def _speak(specs: list[ShotSpec], story: Story, names: list[str], rng: random.Random, mode: str) -> None:
    writer = LineWriter(story, names, rng)
    moments = [(spec, kind) for spec in specs for kind in spec.speech]
    beats = beats_for(len(moments))
    for (spec, kind), beat in zip(moments, beats, strict=True):
        if kind == "narration":
            text = writer.narration(beat)
            if text:
                spec.lines.append((0, text))
        elif kind == "solo":
            text = writer.monologue(beat, 0)
            if text:
                spec.lines.append((0, text))
        elif kind == "single" and spec.speaker is not None:
            text = writer.single(beat, spec.speaker, spec.listener)
            if text:
                spec.lines.append((spec.speaker, text))
        elif kind == "pair" and spec.speaker is not None and spec.listener is not None:
            texts = writer.pair(beat, spec.speaker, spec.listener) or []
            for who, text in zip((spec.speaker, spec.listener), texts, strict=False):
                spec.lines.append((who, text))


def _timeline(
    specs: list[ShotSpec], ids: list[str], seconds: float | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Shot durations from the lines they hold, and the lines placed in time, pauses written out."""
    needed: list[float] = []
    offsets: list[list[tuple[int, str, float, float]]] = []
    for i, spec in enumerate(specs):
        t = LEAD_IN if i > 0 or spec.framing != "wide" else 0.3
        placed = []
        for who, text in spec.lines:
            length = words_per_second_estimate(text)
            placed.append((who, text, t, length))
            t += length + GAP
        end = (t - GAP + TAIL) if placed else 0.0
        needed.append(round(max(end, MIN_SECONDS[spec.framing] + (0.5 if spec.closing else 0.0)), 2))
        offsets.append(placed)
    durations = list(needed)
    total = sum(durations)
    if seconds and seconds > total:
        scale = float(seconds) / total
        durations = [round(min(d * scale, MAX_SHOT_SECONDS), 2) for d in durations]
    shots: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    cursor = 0.0
    for duration, placed in zip(durations, offsets, strict=True):
        shots.append({"duration_sec": duration})
        for who, text, offset, length in placed:
            start = round(cursor + offset, 2)
            if timeline and start - _end(timeline[-1]) > 0.01:
                timeline.append(_silence(_end(timeline[-1]), start))
            elif not timeline and start > 0.01:
                timeline.append(_silence(0.0, start))
            timeline.append(
                {
                    "type": "dialogue",
                    "character_id": ids[who],
                    "text": text,
                    "start_time_sec": start,
                    "duration_sec": length,
                }
            )
        cursor = round(cursor + duration, 2)
    last = _end(timeline[-1]) if timeline else 0.0
    if cursor - last > 0.01:
        timeline.append(_silence(last, cursor))
    return shots, timeline


def _end(entry: dict[str, Any]) -> float:
    return round(entry["start_time_sec"] + entry["duration_sec"], 2)


def _silence(start: float, end: float) -> dict[str, Any]:
    return {"type": "silence", "start_time_sec": round(start, 2), "duration_sec": round(end - start, 2)}


def _motion(spec: ShotSpec, i: int, rng: random.Random) -> str:
    options = MOTIONS["closing" if spec.closing else spec.framing]
    return options[(i + rng.randrange(len(options))) % len(options)]


# --- words for the painter -----------------------------------------------------------------


def _setting_text(story: Story, v: Vocabulary) -> tuple[str, dict[str, str]]:
    """ "In a small bakery, at dawn, clear weather outside": place, time of day and weather in plain words."""
    setting = story.setting
    time = v.time_phrases[setting.time]["phrase"]
    weather = v.weather_phrases[setting.weather]["phrase"]
    if setting.indoor:
        weather += " outside"
    where = f"{setting.prompt_prep} {setting.phrase}"
    bits = {"where": where, "time": time, "weather": weather, "place": setting.phrase}
    text = f"{where[:1].upper()}{where[1:]}, {time}, {weather}"
    return text, bits


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _shown(spec: ShotSpec, mode: str, cast: list[Person]) -> list[int]:
    """Who is in the picture: the speaker of a close-up, two for a two-shot, everyone in a wide."""
    if mode == "narration" or spec.framing == "detail":
        return []
    if spec.framing == "close" and spec.speaker is not None:
        return [spec.speaker]
    if spec.framing == "together" and len(cast) > 2 and not spec.closing:
        return sorted({spec.speaker or 0, spec.listener or 1})
    return list(range(len(cast)))


def _frame_text(
    framing: str,
    shown: list[int],
    names: list[str],
    phrases: list[str],
    story: Story,
    bits: dict[str, str],
) -> str:
    tail = f"{bits['where']}, {bits['time']}, {bits['weather']}"
    thing = story.premise.thing_full
    concrete = bool(thing and thing.startswith("the ") and not story.premise.state)
    if framing == "close" and shown:
        who = shown[0]
        return f"Close-up of {names[who]}, {phrases[who]}, speaking {tail}"
    if framing == "together" and shown:
        people = [names[i] for i in shown]
        text = f"Medium shot of {_join(people)} together {tail}"
        return text + (f", {thing} between them" if concrete else "")
    if framing == "detail":
        return (
            f"Detail of {thing} {tail}"
            if concrete
            else f"Detail view of {bits['place']}, {bits['time']}, {bits['weather']}, no one in sight"
        )
    wide = f"Wide view of {bits['place']}, {bits['time']}, {bits['weather']}"
    if not shown:
        return f"{wide}, no one in sight"
    if len(shown) == 1:
        who = shown[0]
        return f"{wide}, {names[who]}, {phrases[who]}, small in the frame"
    return f"{wide}, {_join([names[i] for i in shown])} together, small in the frame"


def _keyframes(
    specs: list[ShotSpec],
    mode: str,
    cast: list[Person],
    names: list[str],
    ids: list[str],
    phrases: list[str],
    story: Story,
    bits: dict[str, str],
    seed: int,
) -> list[dict[str, Any]]:
    """Keyframe i starts shot i (and ends shot i-1); the last one ends the movie on a wide view."""
    frames = []
    for i in range(len(specs) + 1):
        if i < len(specs):
            framing, shown = specs[i].framing, _shown(specs[i], mode, cast)
        else:
            framing = "wide"
            shown = [] if mode == "narration" else list(range(len(cast)))
        text = _frame_text(framing, shown, names, phrases, story, bits)
        frames.append(
            {
                "id": f"frame_{i:03d}",
                "prompt": text,
                "metadata": {"seed": stable_seed(seed, i), "framing": framing, "characters": [ids[k] for k in shown]},
            }
        )
    return frames


# --- title ---------------------------------------------------------------------------------


def title_for(story: Story, names: list[str]) -> str:
    premise, setting, cast = story.premise, story.setting, story.cast
    where = f"{setting.prep} {setting.short}"
    if premise.state:
        title = f"{premise.state} {where}"
    elif premise.thing_full and not premise.thing_full.startswith("the "):
        title = f"{premise.thing_full} {where}"  # "Peace at the Volcano"
    elif premise.thing_full:
        title = premise.thing_full
    elif premise.accused is not None and cast[premise.accused].role:
        title = f"the {cast[premise.accused].role}"
    elif cast and cast[0].kind == "narrator":
        weather = story.setting.weather
        title = f"{weather} over {setting.short}" if weather != "clear" else setting.short
    else:
        title = _cast_title(cast, names)
        if len(title.split()) <= 3:
            title += f" {where}"
    return _title_case(title)[:60].rstrip(" ,;")


def _cast_title(cast: list[Person], names: list[str]) -> str:
    if all(p.named for p in cast) and len(cast) <= 2:
        return _join(names)
    if len(names) > 3:
        return f"{names[0]} and Friends"
    if len(cast) == 1:
        return "the " + role_phrase(cast[0]).split(" ", 1)[1]
    first = cast[0]
    if first.group_size == len(cast) and first.role:
        from sparkle_cli.planning.vocabulary import plural

        role = plural(first.role, vocabulary().raw["cast"]["plurals"])
        return " ".join([NUMBERS.get(len(cast), str(len(cast))), *first.modifiers, role])
    if len(cast) == 2 and all(p.role for p in cast):
        return f"the {cast[0].role} and the {cast[1].role}"
    return _join(names)


def _title_case(text: str) -> str:
    words = text.split()
    out = []
    for k, word in enumerate(words):
        if any(ch.isupper() for ch in word) or (k > 0 and word in SMALL_WORDS):
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)


def _reading(story: Story, names: list[str], ids: list[str]) -> dict[str, Any]:
    """What the planner read in the prompt, so a user can see why the plan looks as it does."""
    s, p = story.setting, story.premise
    return {
        "cast": [
            {"id": ids[i], "role": c.role, "kind": c.kind, "gender": c.gender, "age": c.age, "named_in_prompt": c.named}
            for i, c in enumerate(story.cast)
        ],
        "setting": {
            "place": s.key,
            "phrase": s.phrase,
            "time": s.time,
            "weather": s.weather,
            "from_prompt": s.from_prompt,
        },
        "premise": {"action": p.verb, "thing": p.thing_full, "goal": p.goal, "deadline": p.deadline, "state": p.state},
    }
