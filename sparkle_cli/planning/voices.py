"""Voices that follow the cast: gender, age and kind pick the espeak-ng voice, pitch and rate (tables in vocabulary.yaml)."""

from __future__ import annotations

from typing import Any

from sparkle_cli.planning.reader import Person
from sparkle_cli.planning.vocabulary import vocabulary

SMALL_ANIMALS = {
    "cat", "kitten", "mouse", "rat", "bird", "parrot", "owl", "fox", "rabbit", "bunny", "hare", "squirrel",
    "hedgehog", "hamster", "frog", "puppy", "duckling", "butterfly", "bee", "fairy", "pixie", "gnome", "imp",
    "elf", "hummingbird", "penguin", "puffin", "ferret", "mole", "snail", "ladybug", "firefly", "moth",
}  # fmt: skip


def table_for(person: Person, gender: str) -> tuple[str, str]:
    """(voices table, rate key) for a character."""
    if person.kind == "narrator":
        return "narrator", "narrator"
    if person.kind == "machine":
        return "machine", "machine"
    if person.spirit:
        return "spirit", "adult"
    if person.croaks:
        return "croaking", "adult"
    if person.big:
        return "big", "big"
    if person.role in SMALL_ANIMALS:
        return f"small_{gender}", "young"
    if person.age == "old":
        return f"old_{gender}", "old"
    if person.age == "young" and person.kind == "person" and _is_child(person):
        return f"young_{gender}", "young"
    return gender, "adult"


def _is_child(person: Person) -> bool:
    """A grandson or a little brother speaks like a child; a "young doctor" does not."""
    v = vocabulary()
    return bool(person.role and person.role in v.sets["young"]) or "little" in person.modifiers


def cast_voices(cast: list[Person], styles: tuple[str, str]) -> list[dict[str, Any]]:
    v = vocabulary()
    tables = v.raw["voices"]
    rates = tables["rates"]
    taken: set[tuple[str, int]] = set()
    used_per_table: dict[str, int] = {}
    unknown = 0
    profiles = []
    for i, person in enumerate(cast):
        gender = person.gender
        if gender is None:
            # No word in the prompt says: alternate, so that two unknowns never sound alike.
            gender = "female" if unknown % 2 == 0 else "male"
            unknown += 1
        name, rate_key = table_for(person, gender)
        entries = tables[name]
        k = used_per_table.get(name, 0)
        used_per_table[name] = k + 1
        variant, pitch = entries[k % len(entries)]
        pitch = int(pitch) + 6 * (k // len(entries))
        while (variant, pitch) in taken:
            pitch += 6
        pitch = max(0, min(100, pitch))
        taken.add((variant, pitch))
        profile: dict[str, Any] = {
            "voice": f"en-us+{variant}",
            "gender": gender,
            "pitch": pitch,
            "rate": int(rates[rate_key]),
            "style": styles[i % len(styles)],
            "language": "en-US",
        }
        if person.age:
            profile["age"] = person.age
        profiles.append(profile)
    return profiles
