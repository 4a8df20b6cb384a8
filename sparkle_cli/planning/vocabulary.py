"""The template planner's vocabulary and dialogue, loaded once from the YAML files beside this module."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

KINDS = ("person", "animal", "creature", "machine")


@dataclass(frozen=True)
class Role:
    """A role word as the reader knows it: "grandmother" is a person, female and old."""

    word: str
    kind: str = "person"
    gender: str | None = None
    age: str | None = None
    spirit: bool = False
    big: bool = False
    croaks: bool = False


@dataclass(frozen=True)
class Place:
    key: str
    label: str
    prep: str
    indoor: bool
    events: tuple[str, ...] = ()


@dataclass
class Vocabulary:
    roles: dict[str, Role]  # singular and plural forms -> role
    plural_of: dict[str, str]  # plural form -> singular
    role_words: int  # the most words a role has ("police officer": 2)
    places: dict[str, Place]  # any word or phrase naming a place -> place
    place_words: int
    times: dict[str, str]  # word or phrase -> dawn|morning|day|sunset|dusk|night
    time_phrases: dict[str, dict[str, str]]
    weather: dict[str, str]  # word -> clear|rain|storm|snow|fog|wind
    weather_phrases: dict[str, dict[str, str]]
    raw: dict[str, Any]
    sets: dict[str, frozenset[str]] = field(default_factory=dict)

    def has(self, group: str, word: str) -> bool:
        return word in self.sets[group]


def _read(name: str) -> dict[str, Any]:
    text = resources.files("sparkle_cli.planning").joinpath(name).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader, chosen for speed
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping")
    return data


def plural(word: str, irregular: dict[str, str]) -> str:
    """The plural of a role word: irregulars first, then the last word by rule."""
    if word in irregular:
        return irregular[word]
    head, _, last = word.rpartition(" ")
    if last in irregular:
        return f"{head} {irregular[last]}".strip()
    if last.endswith("y") and last[-2:-1] not in set("aeiou"):
        last = last[:-1] + "ies"
    elif last.endswith(("s", "sh", "ch", "x", "z")):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}".strip()


@functools.cache
def vocabulary() -> Vocabulary:
    data = _read("vocabulary.yaml")
    cast = data["cast"]
    irregular = {str(k): str(v) for k, v in cast["plurals"].items()}
    sets = {
        name: frozenset(str(w).lower() for w in cast[name])
        for name in ("young", "old", "spirits", "big_creatures", "croaking", "ambiguous", "modifier_heads")
    }
    roles: dict[str, Role] = {}
    plural_of: dict[str, str] = {}

    def add(word: str, kind: str, gender: str | None) -> None:
        word = word.lower()
        if word in roles and roles[word].gender and gender is None:
            return  # "sorcerer" is listed as neutral and male: the gendered entry wins
        role = Role(
            word=word,
            kind=kind,
            gender=gender,
            age="young" if word in sets["young"] else "old" if word in sets["old"] else None,
            spirit=word in sets["spirits"],
            big=word in sets["big_creatures"],
            croaks=word in sets["croaking"],
        )
        roles[word] = role
        many = plural(word, irregular)
        if many != word:
            plural_of[many] = word
        roles.setdefault(many, role)

    for word in cast["people_neutral"]:
        add(word, "person", None)
    for word in cast["people_female"]:
        add(word, "person", "female")
    for word in cast["people_male"]:
        add(word, "person", "male")
    for word in cast["animals"]:
        add(word, "animal", None)
    for word in cast["creatures"]:
        add(word, "creature", "female" if word in ("mermaid", "fairy", "banshee") else None)
    for word in cast["machines"]:
        add(word, "machine", None)

    places: dict[str, Place] = {}
    for entry in data["places"]:
        place = Place(
            key=entry["key"],
            label=entry["label"],
            prep=entry["prep"],
            indoor=bool(entry["indoor"]),
            events=tuple(w for w in entry["words"] if " show" in w or "competition" in w),
        )
        for word in entry["words"]:
            places.setdefault(str(word).lower(), place)

    times = {str(w).lower(): key for key, spec in data["times"].items() for w in spec["words"]}
    weather = {str(w).lower(): key for key, spec in data["weather"].items() for w in spec["words"]}
    for name in (
        "not_names",
        "place_parts",
        "location_words",
        "not_location_words",
        "weather_not_after",
        "adjectives",
        "containers",
        "verb_helpers",
        "linking_verbs",
        "stop_words",
        "possessives",
        "determiners",
    ):
        sets[name] = frozenset(str(w).lower() for w in data[name])
    sets["titles"] = frozenset(cast["titles"])
    sets["female_titles"] = frozenset(cast["female_titles"])
    sets["male_titles"] = frozenset(cast["male_titles"])
    sets["known_female"] = frozenset(data["names"]["known_female"])
    sets["known_male"] = frozenset(data["names"]["known_male"])
    return Vocabulary(
        roles=roles,
        plural_of=plural_of,
        role_words=max(len(w.split()) for w in roles),
        places=places,
        place_words=max(len(w.split()) for w in places),
        times=times,
        time_phrases={k: dict(v) for k, v in data["times"].items()},
        weather=weather,
        weather_phrases={k: dict(v) for k, v in data["weather"].items()},
        raw=data,
        sets=sets,
    )


@functools.cache
def lines() -> dict[str, Any]:
    """The dialogue templates (lines.yaml)."""
    return _read("lines.yaml")
