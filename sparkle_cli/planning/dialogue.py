"""Dialogue from story beats: lines from lines.yaml filled with the prompt's own words, never repeated in a plan."""

from __future__ import annotations

import random
import re
import string
from typing import Any

from sparkle_cli.planning.reader import Person, Story
from sparkle_cli.planning.vocabulary import lines, vocabulary

BEATS = ("opening", "problem", "conflict", "turn", "resolution")
NUMBER_WORDS = {3: "three", 4: "four", 5: "five", 6: "six"}
_FIELDS = string.Formatter()
#: Slots that carry the premise: the first lines of a beat that has them say what the story is about.
SPECIFIC_SLOTS = {"deadline", "lost", "broken", "prize", "sought", "state", "accused"}
PREMISE_SLOTS = {
    "thing",
    "thing_full",
    "goal",
    "deadline",
    "state",
    "accused",
    "lost",
    "sought",
    "broken",
    "prize",
    "object",
}


def beats_for(count: int) -> list[str]:
    """The beat of each of `count` speaking moments, in story order."""
    if count <= 0:
        return []
    short = {1: ["problem"], 2: ["problem", "resolution"], 3: ["opening", "problem", "resolution"]}
    if count in short:
        return short[count]
    if count == 4:
        return ["opening", "problem", "turn", "resolution"]
    shares = (0.15, 0.25, 0.25, 0.2, 0.15)
    out = []
    for k in range(count):
        position = (k + 0.5) / count
        edge = 0.0
        for beat, share in zip(BEATS, shares, strict=True):
            edge += share
            if position <= edge:
                out.append(beat)
                break
        else:
            out.append("resolution")
    out[0], out[-1] = "opening", "resolution"
    return out


def template_slots(template: str) -> set[str]:
    return {name for _, name, _, _ in _FIELDS.parse(template) if name}


class _Slots(dict[str, str]):
    def __missing__(self, key: str) -> str:
        lower = key[:1].lower() + key[1:]
        if lower != key and lower in self:
            value = self[lower]
            return value[:1].upper() + value[1:]
        raise KeyError(key)


class LineWriter:
    def __init__(self, story: Story, names: list[str], rng: random.Random) -> None:
        self.story = story
        self.names = names
        self.rng = rng
        self.used: set[str] = set()
        self.data = lines()
        self.role_lines = self._role_lines()

    # --- slots ---------------------------------------------------------------------------

    def slots(self, speaker: int | None, listener: int | None) -> _Slots:
        story, setting, premise = self.story, self.story.setting, self.story.premise
        v = vocabulary()
        s = _Slots()
        if listener is not None:
            s["other"] = self.names[listener]
            other = story.cast[listener]
            if premise.accused == listener:
                s["accused"] = other.role or ""
            elif other.role and other.kind == "person" and other.role not in ("person", "narrator"):
                s["other_role"] = other.role
        if premise.thing:
            s["thing"] = premise.thing
            s["thing_full"] = premise.thing_full or premise.thing
            s["is"] = "are" if premise.plural else "is"
            s["it"] = "them" if premise.plural else "it"
            for kind in premise.kind:
                s[kind] = premise.thing
        if premise.goal:
            s["goal"] = premise.goal
        if premise.deadline:
            s["deadline"] = premise.deadline
        if premise.state:
            s["state"] = premise.state
        s["place"] = setting.short
        s["here"] = f"{setting.prep} {setting.short}"
        s["when"] = v.time_phrases[setting.time]["spoken"]
        if setting.weather != "clear":
            s["sky"] = v.weather_phrases[setting.weather]["spoken"]
        people = len(story.cast)
        if people >= 3:
            s["group"] = f"the {NUMBER_WORDS.get(people, str(people))} of us"
        return s

    def _render(self, template: str, slots: _Slots) -> str | None:
        try:
            text = template.format_map(slots)
        except (KeyError, IndexError, ValueError):
            return None
        text = re.sub(r"\s+", " ", text).strip()
        return text[:1].upper() + text[1:] if text else None

    # --- candidates ----------------------------------------------------------------------

    def _families(self, section: dict[str, Any]) -> list[str]:
        story = self.story
        order = []
        if story.premise.state and "state" in section:
            order.append("state")
        if story.premise.mood in section:
            order.append(story.premise.mood)
        if story.setting.weather != "clear" and "weather" in section:
            order.append("weather")
        if len(story.cast) >= 3 and "group" in section:
            order.append("group")
        order.append("any")
        return order

    def _ordered(self, beat: str, kind: str) -> list[Any]:
        section = self.data["dialogue"][beat]
        own = self._own(section, kind)
        found = [item for family in self._families(section) for item in section.get(family, {}).get(kind, [])]
        # The story's own mood is likelier first, not always: two stories of one mood differ.
        keyed = sorted(
            ((self.rng.random() - (0.4 if id(item) in own else 0.0), k, item) for k, item in enumerate(found))
        )
        found = [item for _, _, item in keyed]
        premise, rest = self._premise_first(beat, found, own)
        return premise + rest

    def _own(self, section: dict[str, Any], kind: str) -> set[int]:
        """Ids of the lines written for this story's mood or state (not the `any` family)."""
        families = [f for f in self._families(section) if f not in ("any", "weather", "group")]
        return {id(item) for f in families for item in section.get(f, {}).get(kind, [])}

    def _own_pairs(self, section: dict[str, Any]) -> list[Any]:
        families = [f for f in self._families(section) if f not in ("any", "weather", "group")]
        return [pair for f in families for pair in section.get(f, {}).get("pairs", [])]

    def _premise_first(self, beat: str, items: list[Any], own: set[int] | None = None) -> tuple[list[Any], list[Any]]:
        """In the opening and problem beats, lines that name the premise come first (from every
        family at once, the most specific first, the story's own mood before the rest), so that
        even a short plan says what the story is about. A premise with no object is named by its place."""
        if beat not in ("problem", "opening"):
            return [], items
        own = own or set()
        wanted = self._premise_slots()
        known = set(self.slots(0, 1 if len(self.story.cast) > 1 else None)) | {"other"}
        scored = []
        for k, item in enumerate(items):
            text = " ".join(item) if isinstance(item, list) else str(item)
            names = {n[:1].lower() + n[1:] for n in template_slots(text)}
            if names <= known and names & wanted:
                weight = sum(2 if n in SPECIFIC_SLOTS else 1 for n in names & wanted) + (1.5 if id(item) in own else 0)
                scored.append((-weight, self.rng.random(), k, item))
        scored.sort(key=lambda x: x[:3])
        chosen = {id(x[3]) for x in scored}
        return [x[3] for x in scored], [item for item in items if id(item) not in chosen]

    def _premise_slots(self) -> set[str]:
        premise = self.story.premise
        if premise.thing or premise.goal or premise.state or premise.accused is not None:
            return set(PREMISE_SLOTS)
        return {"place", "here"}

    def _fresh(self, texts: list[str | None]) -> bool:
        return all(t and t not in self.used for t in texts) and len(set(texts)) == len(texts)

    def _prefixed(self, k: int, texts: list[str]) -> list[str]:
        firsts, replies = self.data["prefixes"]["first"], self.data["prefixes"]["reply"]
        out = [firsts[k] + texts[0]]
        out += [replies[k] + t for t in texts[1:]]
        return out

    def _take(self, rendered: list[list[str]]) -> list[str] | None:
        """The first candidate not said yet, else the first that is new with an opening word."""
        for texts in rendered:
            if self._fresh(list(texts)):
                self.used.update(texts)
                return texts
        for k in range(len(self.data["prefixes"]["first"])):
            for texts in rendered:
                variant = self._prefixed(k, texts)
                if self._fresh(list(variant)):
                    self.used.update(variant)
                    return variant
        return None

    # --- what the planner asks for ----------------------------------------------------------

    def pair(self, beat: str, speaker: int, listener: int) -> list[str] | None:
        a, b = self.slots(speaker, listener), self.slots(listener, speaker)
        rendered = []
        for first, second in self._ordered(beat, "pairs"):
            one, two = self._render(first, a), self._render(second, b)
            if one and two:
                rendered.append([one, two])
        return self._take(rendered) or self.single_pair(beat, speaker, listener)

    def single_pair(self, beat: str, speaker: int, listener: int) -> list[str] | None:
        one = self.single(beat, speaker, listener)
        two = self.single(beat, listener, speaker)
        return [t for t in (one, two) if t] or None

    def single(self, beat: str, speaker: int, listener: int | None) -> str | None:
        slots = self.slots(speaker, listener)
        section = self.data["dialogue"][beat]
        singles: list[Any] = []
        firsts: list[Any] = []  # a pair's first line also stands alone
        for family in self._families(section):
            items = list(section.get(family, {}).get("singles", []))
            self.rng.shuffle(items)
            singles += items
            firsts += [pair[0] for pair in section.get(family, {}).get("pairs", [])]
        own = self._own(section, "singles") | {id(pair[0]) for pair in self._own_pairs(section)}
        premise, rest = self._premise_first(beat, singles + firsts, own)
        role = []
        if beat in ("opening", "problem", "conflict") and self.rng.random() < 0.6:
            role = list(self.role_lines.get(speaker, []))
        # A role line opens the scene when the problem beat will name the premise; a story whose
        # premise is its place names the place first.
        role_first = beat != "problem" and self._premise_slots() == set(PREMISE_SLOTS)
        ordered = role + premise + rest if role_first else premise + role + rest
        rendered = [[t] for t in (self._render(x, slots) for x in ordered) if t]
        taken = self._take(rendered)
        return taken[0] if taken else None

    def monologue(self, beat: str, speaker: int) -> str | None:
        return self._solo("monologue", beat, self.slots(speaker, None), speaker)

    def narration(self, beat: str) -> str | None:
        return self._solo("narration", beat, self.slots(None, None), None)

    def _solo(self, section: str, beat: str, slots: _Slots, speaker: int | None) -> str | None:
        items = list(self.data[section][beat])
        self.rng.shuffle(items)
        premise, rest = self._premise_first(beat, items)
        role = []
        if speaker is not None and beat in ("opening", "problem", "conflict") and self.rng.random() < 0.5:
            role = [t for t in self.role_lines.get(speaker, []) if "{other" not in t]
        role_first = beat != "problem" and self._premise_slots() == set(PREMISE_SLOTS)
        ordered = role + premise + rest if role_first else premise + role + rest
        rendered = [[t] for t in (self._render(x, slots) for x in ordered) if t]
        taken = self._take(rendered)
        return taken[0] if taken else None

    def _role_lines(self) -> dict[int, list[str]]:
        roles = self.data["roles"]
        aliases = self.data["role_aliases"]
        out: dict[int, list[str]] = {}
        for i, person in enumerate(self.story.cast):
            key = _role_key(person, roles, aliases)
            if key:
                items = list(roles[key])
                self.rng.shuffle(items)
                out[i] = items
        return out


def _role_key(person: Person, roles: dict[str, Any], aliases: dict[str, str]) -> str | None:
    role = person.role
    if not role:
        return None
    role = aliases.get(role, role)
    if role in roles:
        return role
    last = role.split()[-1]
    last = aliases.get(last, last)
    return last if last in roles else None
