"""Character looks from their descriptions (species, role, gender, age, colours), and who a picture shows.

A description starts with what the character is ("a detective", "a talking cat", "an old wizard");
the role dresses the figure (`ROLES`), the species draws it as such (`KINDS`), and everything the
words leave open comes from a hash of the character and the story, so unrelated stories do not
share faces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from sparkle_cli.backends.base import CharacterLook, ImageRequest
from sparkle_cli.backends.image.canvas import darken
from sparkle_cli.backends.image.faces import FaceLook
from sparkle_cli.backends.image.scene import COLOURS, RGB, Scene, Words, stable_int

SKINS: tuple[RGB, ...] = (
    (255, 224, 198),
    (242, 196, 162),
    (226, 174, 132),
    (198, 136, 98),
    (160, 104, 72),
    (118, 80, 58),
)
HAIRS: tuple[RGB, ...] = ((32, 26, 26), (68, 44, 30), (112, 72, 42), (150, 72, 40), (222, 186, 112), (60, 40, 34))
TOPS: tuple[RGB, ...] = (
    (38, 122, 132),
    (214, 160, 52),
    (226, 110, 90),
    (48, 66, 116),
    (112, 122, 62),
    (122, 62, 102),
    (176, 82, 52),
    (84, 100, 126),
    (54, 104, 74),
    (232, 216, 190),
    (136, 42, 58),
    (98, 160, 212),
)
BOTTOMS: tuple[RGB, ...] = ((58, 78, 120), (56, 56, 66), (170, 150, 112), (36, 36, 42), (100, 72, 52))
#: An order of six skins (light to dark) and of six hair colours in which each differs from the next.
CONTRAST = (0, 3, 5, 1, 4, 2)
HAIR_CONTRAST = (4, 0, 3, 5, 2, 1)
HAIR_STYLES = {
    "female": ("long", "bob", "bun", "ponytail", "curly", "long", "bob"),
    "male": ("short", "short", "curly", "short", "bald"),
    "": ("short", "long", "bob", "bun", "ponytail", "curly", "short", "long"),
}


@dataclass(frozen=True)
class Kind:
    """A species: its fur (or metal, or scales), belly, eyes, size and the parts that make it what it is."""

    fur: RGB
    belly: RGB
    eye: RGB
    height: float = 1.0
    face: str = "muzzle"  # muzzle, beak, visor, plain, snout
    ears: str = "none"


KINDS: dict[str, Kind] = {
    "cat": Kind((160, 150, 140), (236, 228, 218), (120, 170, 60), 0.85, "muzzle", "pointed"),
    "kitten": Kind((220, 170, 110), (246, 236, 220), (120, 170, 60), 0.7, "muzzle", "pointed"),
    "dog": Kind((176, 124, 72), (236, 214, 186), (60, 40, 30), 0.9, "muzzle", "floppy"),
    "puppy": Kind((200, 160, 110), (246, 230, 206), (60, 40, 30), 0.72, "muzzle", "floppy"),
    "fox": Kind((220, 112, 46), (246, 240, 232), (70, 50, 30), 0.9, "muzzle", "pointed"),
    "wolf": Kind((132, 134, 144), (214, 214, 220), (200, 170, 60), 1.0, "muzzle", "pointed"),
    "lion": Kind((210, 160, 80), (240, 214, 160), (150, 110, 40), 1.05, "muzzle", "round"),
    "tiger": Kind((230, 130, 40), (246, 236, 220), (150, 130, 40), 1.05, "muzzle", "round"),
    "rabbit": Kind((226, 216, 206), (248, 244, 240), (60, 40, 40), 0.8, "muzzle", "long"),
    "bunny": Kind((226, 216, 206), (248, 244, 240), (60, 40, 40), 0.75, "muzzle", "long"),
    "bear": Kind((124, 84, 54), (176, 136, 100), (40, 30, 24), 1.1, "muzzle", "round"),
    "panda": Kind((240, 240, 236), (240, 240, 236), (30, 30, 30), 1.05, "muzzle", "round"),
    "mouse": Kind((172, 162, 162), (236, 226, 226), (30, 24, 24), 0.65, "muzzle", "round"),
    "pig": Kind((240, 170, 170), (250, 200, 200), (60, 40, 40), 0.9, "snout", "pointed"),
    "monkey": Kind((130, 90, 60), (226, 190, 150), (60, 40, 30), 0.85, "plain", "round"),
    "frog": Kind((90, 170, 70), (210, 230, 150), (40, 30, 20), 0.7, "plain", "none"),
    "owl": Kind((146, 108, 70), (226, 206, 170), (240, 170, 40), 0.8, "beak", "tufts"),
    "bird": Kind((92, 142, 204), (230, 220, 180), (30, 30, 30), 0.7, "beak", "none"),
    "penguin": Kind((40, 44, 56), (244, 244, 240), (30, 30, 30), 0.8, "beak", "none"),
    "duck": Kind((250, 220, 80), (250, 236, 160), (30, 30, 30), 0.7, "beak", "none"),
    "dragon": Kind((70, 150, 90), (220, 200, 120), (240, 190, 40), 1.3, "snout", "horns"),
    "dinosaur": Kind((110, 160, 80), (210, 220, 150), (60, 40, 30), 1.3, "snout", "none"),
    "robot": Kind((176, 186, 200), (120, 130, 146), (40, 220, 255), 1.0, "visor", "antenna"),
    "android": Kind((200, 206, 216), (150, 160, 176), (40, 220, 255), 1.0, "visor", "antenna"),
    "alien": Kind((130, 200, 120), (180, 230, 170), (20, 20, 30), 0.95, "plain", "antennae"),
    "ghost": Kind((236, 240, 250), (236, 240, 250), (40, 40, 60), 1.0, "plain", "none"),
    "monster": Kind((120, 90, 170), (170, 140, 210), (240, 220, 60), 1.2, "plain", "horns"),
}
#: Words that name a species but are spelled differently.
KIND_WORDS = {"kitty": "cat", "hound": "dog", "bot": "robot", "droid": "robot", "cyborg": "android", "spirit": "ghost"}


@dataclass(frozen=True)
class Costume:
    """What a role wears: the outfit's cut and colours, a hat and the things that go with the job."""

    outfit: str
    top: RGB | None = None
    bottom: RGB | None = None
    accent: RGB | None = None
    hat: str | None = None
    extras: tuple[str, ...] = ()


ROLES: dict[str, Costume] = {
    "detective": Costume("coat", (180, 150, 104), (60, 58, 60), (120, 40, 40), "fedora"),
    "inspector": Costume("coat", (120, 110, 96), (50, 50, 56), (110, 30, 36), "fedora"),
    "spy": Costume("coat", (40, 40, 46), (30, 30, 34), (180, 30, 40), "fedora", ("glasses",)),
    "chef": Costume("whites", (246, 246, 242), (48, 48, 54), (200, 40, 40), "toque", ("neckerchief",)),
    "cook": Costume("whites", (246, 246, 242), (60, 60, 70), (40, 90, 170), "toque", ("apron",)),
    "baker": Costume("whites", (246, 240, 230), (120, 110, 100), (230, 200, 150), "baker_cap", ("apron",)),
    "astronaut": Costume("spacesuit", (234, 236, 240), (224, 226, 232), (230, 110, 40), "space_helmet", ("backpack",)),
    "cosmonaut": Costume("spacesuit", (234, 236, 240), (224, 226, 232), (200, 40, 40), "space_helmet", ("backpack",)),
    "knight": Costume("armour", (188, 192, 202), (150, 154, 162), (170, 30, 40), "helm", ("sword", "shield")),
    "paladin": Costume("armour", (210, 200, 170), (160, 150, 130), (240, 240, 240), "helm", ("sword", "shield")),
    "wizard": Costume("robe", (70, 56, 150), (70, 56, 150), (240, 210, 90), "wizard_hat", ("beard", "staff")),
    "sorcerer": Costume("robe", (110, 30, 60), (110, 30, 60), (240, 210, 90), "wizard_hat", ("staff",)),
    "mage": Costume("robe", (40, 90, 140), (40, 90, 140), (240, 210, 90), "wizard_hat", ("staff",)),
    "witch": Costume("robe", (46, 40, 56), (46, 40, 56), (120, 60, 150), "witch_hat", ("broom",)),
    "pirate": Costume("coat", (130, 30, 36), (40, 36, 40), (220, 190, 80), "tricorn", ("sash",)),
    "captain": Costume("coat", (30, 42, 84), (30, 34, 50), (220, 190, 80), "peaked_cap", ("buttons",)),
    "sailor": Costume("stripes", (244, 244, 248), (30, 40, 90), (30, 40, 90), "sailor_cap"),
    "king": Costume("robe", (150, 30, 50), (150, 30, 50), (236, 196, 70), "crown", ("beard",)),
    "queen": Costume("dress", (110, 40, 140), (110, 40, 140), (236, 196, 70), "crown"),
    "prince": Costume("jacket", (40, 70, 150), (240, 236, 230), (236, 196, 70), "circlet"),
    "princess": Costume("dress", (240, 150, 190), (240, 150, 190), (236, 196, 70), "circlet"),
    "doctor": Costume("labcoat", (248, 248, 248), (60, 80, 110), (90, 150, 200), None, ("stethoscope",)),
    "surgeon": Costume("shirt", (90, 160, 150), (90, 160, 150), (90, 160, 150), "surgical_cap"),
    "nurse": Costume("shirt", (110, 180, 190), (110, 180, 190), (240, 240, 240), None, ("badge",)),
    "scientist": Costume("labcoat", (248, 248, 248), (70, 70, 80), (80, 150, 220), None, ("glasses",)),
    "professor": Costume("jacket", (130, 96, 70), (80, 70, 60), (150, 40, 40), None, ("glasses", "tie")),
    "inventor": Costume("labcoat", (240, 236, 226), (90, 70, 50), (200, 140, 40), None, ("goggles",)),
    "police": Costume("uniform", (36, 48, 92), (30, 34, 50), (230, 200, 80), "peaked_cap", ("badge",)),
    "officer": Costume("uniform", (36, 48, 92), (30, 34, 50), (230, 200, 80), "peaked_cap", ("badge",)),
    "cop": Costume("uniform", (36, 48, 92), (30, 34, 50), (230, 200, 80), "peaked_cap", ("badge",)),
    "sheriff": Costume("vest", (170, 130, 80), (70, 60, 50), (236, 196, 70), "cowboy_hat", ("badge",)),
    "cowboy": Costume("vest", (150, 100, 60), (60, 80, 120), (200, 60, 50), "cowboy_hat", ("neckerchief",)),
    "soldier": Costume("uniform", (96, 106, 64), (86, 92, 58), (60, 60, 50), "army_helmet"),
    "firefighter": Costume("coat", (220, 176, 40), (60, 60, 60), (240, 240, 240), "fire_helmet"),
    "farmer": Costume("overalls", (70, 100, 160), (70, 100, 160), (200, 70, 60), "straw_hat"),
    "gardener": Costume("overalls", (90, 130, 80), (90, 130, 80), (230, 200, 140), "straw_hat"),
    "explorer": Costume("vest", (190, 170, 120), (150, 120, 80), (120, 80, 50), "safari_hat", ("backpack",)),
    "archaeologist": Costume("vest", (190, 170, 120), (150, 120, 80), (120, 80, 50), "safari_hat"),
    "adventurer": Costume("jacket", (130, 86, 50), (90, 80, 60), (200, 170, 110), "fedora", ("backpack",)),
    "pilot": Costume("jacket", (110, 80, 50), (60, 60, 70), (240, 240, 240), "peaked_cap", ("scarf",)),
    "host": Costume("suit", (40, 44, 74), (40, 44, 74), (200, 40, 50), None, ("tie",)),
    "presenter": Costume("suit", (120, 40, 60), (40, 40, 50), (240, 200, 80), None, ("tie",)),
    "anchor": Costume("suit", (40, 44, 74), (40, 44, 74), (200, 40, 50), None, ("tie",)),
    "judge": Costume("suit", (30, 30, 36), (30, 30, 36), (150, 30, 40), None, ("tie",)),
    "businessman": Costume("suit", (50, 56, 70), (50, 56, 70), (40, 90, 170), None, ("tie",)),
    "teacher": Costume("jacket", (150, 110, 80), (80, 70, 66), (90, 120, 160), None, ("glasses",)),
    "librarian": Costume("cardigan", (140, 90, 110), (70, 66, 70), (230, 220, 200), None, ("glasses",)),
    "student": Costume("hoodie", None, None, None, None, ("backpack",)),
    "waiter": Costume("vest", (30, 30, 36), (30, 30, 36), (246, 246, 246), None, ("bowtie",)),
    "waitress": Costume("dress", (30, 30, 36), (30, 30, 36), (246, 246, 246), None, ("apron",)),
    "ninja": Costume("uniform", (30, 30, 36), (30, 30, 36), (180, 30, 40), "hood"),
    "monk": Costume("robe", (200, 120, 40), (200, 120, 40), (150, 80, 30), None),
    "dj": Costume("hoodie", None, None, None, None, ("headphones",)),
    "musician": Costume("jacket", None, None, None, None, ("headphones",)),
    "photographer": Costume("jacket", None, None, None, None, ("camera",)),
}
GENDER_WORDS = {
    "female": (
        "woman", "girl", "she", "her", "lady", "mother", "mom", "mum", "sister", "daughter", "queen", "princess",
        "witch", "grandmother", "grandma", "wife", "aunt", "female", "waitress", "actress", "heroine", "granny",
    ),
    "male": (
        "man", "boy", "he", "his", "him", "gentleman", "father", "dad", "brother", "son", "king", "prince",
        "wizard", "grandfather", "grandpa", "husband", "uncle", "male", "guy", "waiter", "actor", "hero",
    ),
}  # fmt: skip
CHILD_WORDS = ("child", "kid", "boy", "girl", "little", "toddler", "kitten", "puppy", "schoolboy", "schoolgirl")
OLD_WORDS = (
    "old",
    "elderly",
    "grandmother",
    "grandfather",
    "grandma",
    "grandpa",
    "aged",
    "ancient",
    "retired",
    "granny",
)
TOP_NOUNS = (
    "jacket", "coat", "shirt", "dress", "hoodie", "sweater", "top", "suit", "uniform", "cloak", "robe", "vest",
    "blouse", "jumper", "cardigan", "parka", "fur", "feathers", "tee", "overalls", "armour", "armor", "scales",
)  # fmt: skip
BOTTOM_NOUNS = ("jeans", "pants", "trousers", "skirt", "shorts", "leggings")
HAIR_NOUNS = ("hair", "haired", "braid", "braids", "ponytail", "curls", "bun", "bob", "beard")
HAIR_WORDS: dict[str, RGB] = {
    "blonde": (226, 190, 112),
    "blond": (226, 190, 112),
    "brunette": (90, 58, 36),
    "redhead": (170, 70, 36),
    "ginger": (182, 84, 40),
}
EXTRAS: dict[str, tuple[str, ...]] = {
    "headphones": ("headphones",),
    "camera": ("camera",),
    "scarf": ("scarf",),
    "glasses": ("glasses", "spectacles", "bespectacled", "nerdy"),
    "beard": ("beard", "bearded"),
    "backpack": ("backpack", "rucksack"),
}
HAT_WORDS: dict[str, str] = {
    "fedora": "fedora",
    "hat": "fedora",
    "cap": "peaked_cap",
    "beanie": "beanie",
    "crown": "crown",
    "helmet": "army_helmet",
    "tiara": "circlet",
}
HAIR_STYLE_WORDS = (
    ("bald", "bald"),
    ("ponytail", "ponytail"),
    ("braid", "ponytail"),
    ("bun", "bun"),
    ("curly", "curly"),
    ("curls", "curly"),
    ("afro", "curly"),
    ("bob", "bob"),
    ("long", "long"),
    ("short hair", "short"),
)


@dataclass(frozen=True)
class Look:
    """How a character is drawn, from its id, description and story seed, so it is the same in every image."""

    id: str
    kind: str
    skin: RGB
    hair: RGB
    hair_style: str
    top: RGB
    bottom: RGB
    accent: RGB
    outfit: str
    height: float
    build: float
    extras: tuple[str, ...]
    eye: RGB
    role: str = ""
    hat: str | None = None
    gender: str = ""
    age: str = "adult"
    belly: RGB = (236, 228, 218)

    @property
    def species(self) -> Kind | None:
        return KINDS.get(self.kind)

    def face(self) -> FaceLook:
        brow = darken(self.hair, 0.7) if self.kind == "person" else darken(self.skin, 0.55)
        blush = 0.0 if self.kind in ("robot", "android", "ghost") else 0.22
        return FaceLook(eye=self.eye, brow=brow, blush=blush)


def _paired_colours(tokens: list[str]) -> dict[str, RGB]:
    """Colour words bound to the clothing, hair or fur noun that follows them ("red jacket")."""
    found: dict[str, RGB] = {}
    for i, tok in enumerate(tokens):
        colour = COLOURS.get(tok)
        if tok in HAIR_WORDS:
            found.setdefault("hair", HAIR_WORDS[tok])
        if colour is None:
            continue
        slot = "loose"
        for nxt in tokens[i + 1 : i + 3]:
            if nxt in ("scarf", "hat", "cap", "beanie", "headphones"):
                slot = "accent"
            elif nxt in TOP_NOUNS:
                slot = "fur" if nxt in ("fur", "feathers", "scales") else "top"
            elif nxt in BOTTOM_NOUNS:
                slot = "bottom"
            elif nxt in HAIR_NOUNS:
                slot = "hair"
            else:
                continue
            break
        found.setdefault(slot, colour)
        if slot == "top" and tokens[i + 1 : i + 3].count("dress"):
            found.setdefault("dress", colour)
    return found


def head_phrase(description: str) -> str:
    """What a description says the character is: its words up to the first clause ("a talking cat")."""
    return re.split(r"[,.;:!?(]| who | with | that | whose | which | and ", f" {description.lower()} ", maxsplit=1)[0]


def _first(words: Words, names: list[str]) -> str | None:
    hits = [(words.joined.find(f" {n} "), n) for n in names if words.has(n)]
    hits = [(at if at >= 0 else 10**6, n) for at, n in hits]
    return min(hits)[1] if hits else None


def _kind(head: Words, words: Words) -> str:
    """The species the description starts with; the rest of it counts only when its start names no role
    ("a detective who loves cats" is a person)."""
    found = _first(head, [*KINDS, *KIND_WORDS])
    if found is None and _first(head, list(ROLES)) is None:
        found = _first(words, [*KINDS, *KIND_WORDS])
    return KIND_WORDS.get(found, found) if found else "person"


def _gender(words: Words) -> str:
    hits = [(words.joined.find(f" {w} "), g) for g, ws in GENDER_WORDS.items() for w in ws if words.has(w)]
    hits = [(at if at >= 0 else 10**6, g) for at, g in hits]
    return min(hits)[1] if hits else ""


def look_for(character: CharacterLook, cast_seed: str = "", index: int | None = None) -> Look:
    """Derive a character's looks from the words of its description, then a stable hash of it and the story.

    The id, the description and the story's seed count; renaming a character does not change how it looks.
    """
    rng = np.random.default_rng(stable_int("look", character.id, character.description, cast_seed))
    words = Words(f"{character.description} {character.id}")
    head = Words(f"{head_phrase(character.description)} {character.id}")
    paired = _paired_colours(Words(character.description).tokens)
    kind = _kind(head, words)
    role = _first(head, list(ROLES)) or _first(words, list(ROLES)) or ""
    costume = ROLES.get(role)
    gender = _gender(words)
    age = (
        "old"
        if any(words.has(w) for w in OLD_WORDS)
        else "child"
        if any(words.has(w) for w in CHILD_WORDS)
        else "adult"
    )
    skin_at, hair_at = int(rng.integers(len(SKINS))), int(rng.integers(len(HAIRS)))
    if index is not None:
        # Characters of one story are told apart: the story picks where to start, and each place in
        # the cast takes the next skin and hair in an order where neighbours contrast.
        start = stable_int("cast", cast_seed)
        skin_at = CONTRAST[(start + index) % len(CONTRAST)]
        hair_at = HAIR_CONTRAST[(start // 7 + index) % len(HAIR_CONTRAST)]
    skin = SKINS[skin_at]
    if words.has("pale") or words.has("fair"):
        skin = SKINS[0]
    elif words.has("dark skinned") or words.has("dark skin"):
        skin = SKINS[4]
    hair = HAIRS[hair_at]
    styles = HAIR_STYLES[gender]
    style = styles[int(rng.integers(len(styles)))]
    if style == "bald" and age != "old" and rng.random() < 0.6:
        style = "short"
    style = next((named for word, named in HAIR_STYLE_WORDS if words.has(word)), style)
    if age == "old" or role == "wizard":
        hair = (196, 196, 200)
    generic_outfit = ("jacket", "shirt", "hoodie", "coat", "sweater")[int(rng.integers(5))]
    top = TOPS[int(rng.integers(len(TOPS)))]
    bottom = BOTTOMS[int(rng.integers(len(BOTTOMS)))]
    accent = TOPS[int(rng.integers(len(TOPS)))]
    outfit, hat, extras = generic_outfit, None, []
    if costume is not None:
        outfit, hat, extras = costume.outfit, costume.hat, list(costume.extras)
        top, bottom, accent = costume.top or top, costume.bottom or bottom, costume.accent or accent
    elif gender == "female" and rng.random() < 0.35:
        outfit = "dress"
    for noun in ("dress", "hoodie", "coat", "jacket", "robe", "armour", "armor", "suit", "uniform", "overalls"):
        if words.has(noun) or (noun == "dress" and "dress" in paired):
            outfit = "armour" if noun == "armor" else noun
            break
    for word, name in HAT_WORDS.items():
        if words.has(word) and hat is None:
            hat = name
    extras += [name for name, ws in EXTRAS.items() if any(words.has(w) for w in ws) and name not in extras]
    if gender == "male" and age != "child" and "beard" not in extras and rng.random() < (0.45 if age == "old" else 0.2):
        extras.append("beard")
    if gender == "female" or age == "child":
        extras = [e for e in extras if e != "beard" or words.has("beard")]
    height = 1.08 if words.has("tall") else 0.9 if words.has("short") and not words.has("short hair") else 1.0
    if age == "child":
        height = 0.76
    height *= float(rng.uniform(0.96, 1.04))
    eye = ((52, 40, 34), (40, 60, 90), (50, 86, 60), (70, 50, 30))[int(rng.integers(4))]
    belly = (236, 228, 218)
    species = KINDS.get(kind)
    if species is not None:
        skin = paired.get("fur", species.fur)
        belly, eye, style = species.belly, species.eye, "none"
        height *= species.height
        if costume is None and not any(words.has(n) for n in TOP_NOUNS if n not in ("fur", "feathers", "scales")):
            # An animal wears its fur: the body is drawn in it, with a lighter belly.
            outfit = "fur" if kind not in ("robot", "android") else "metal"
            if kind == "dragon":
                outfit = "scales"
            if kind == "ghost":
                outfit = "sheet"
            top, bottom = skin, skin
    return Look(
        id=character.id,
        kind=kind,
        skin=skin,
        hair=paired.get("hair", hair),
        hair_style=style,
        top=paired.get("top", paired.get("loose", top)) if outfit not in ("fur", "metal", "scales", "sheet") else top,
        bottom=paired.get("bottom", bottom),
        accent=paired.get("accent", accent),
        outfit=outfit,
        height=height,
        build=float(rng.uniform(0.92, 1.08)) * (1.15 if kind in ("bear", "dragon", "monster") else 1.0),
        extras=tuple(dict.fromkeys(extras)),
        eye=eye,
        role=role,
        hat=hat,
        gender=gender,
        age=age,
        belly=belly,
    )


def _named(character: CharacterLook, text: Words) -> bool:
    names = {character.id.lower().replace("_", " ").replace("-", " "), character.name.lower()}
    names |= {character.name.lower().split()[0]} if character.name.split() else set()
    return any(n and text.has(" ".join(re.findall(r"[a-z]+", n))) for n in names if re.findall(r"[a-z]+", n))


def choose_characters(request: ImageRequest, scene: Scene) -> list[CharacterLook]:
    """The characters to draw: the request's list, else those the prompt names (else the setting), else
    a default by camera: nobody in a wide view, the first one or two of the cast otherwise."""
    chars = list(request.characters)
    by_id = {ch.id: ch for ch in chars}
    if request.in_frame:
        return [by_id.get(i) or CharacterLook(id=i, name=i, description="") for i in request.in_frame]
    prompt = Words(request.prompt)
    if prompt.has("no one") or prompt.has("nobody") or prompt.has("empty") or prompt.has("deserted"):
        return []
    for text in (prompt, Words(request.setting)):
        named = [ch for ch in chars if _named(ch, text)]
        if named:
            return named[:4]
    if scene.camera == "wide" and not scene.plural or not chars:
        return []
    return chars[: 2 if scene.plural or scene.camera == "two" else 1]
