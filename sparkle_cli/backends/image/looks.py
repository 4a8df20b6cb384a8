"""Character looks from their descriptions (skin, hair, clothes, kind), and which characters a picture shows."""

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
HAIR_STYLES = ("short", "long", "bob", "bun", "ponytail", "curly", "short", "long")
KINDS: dict[str, RGB] = {
    "fox": (220, 112, 46),
    "cat": (160, 150, 140),
    "dog": (176, 124, 72),
    "wolf": (132, 134, 144),
    "rabbit": (226, 216, 206),
    "bunny": (226, 216, 206),
    "bear": (124, 84, 54),
    "owl": (146, 108, 70),
    "bird": (92, 142, 204),
    "mouse": (172, 162, 162),
    "robot": (176, 186, 200),
    "android": (176, 186, 200),
}
TOP_NOUNS = (
    "jacket",
    "coat",
    "shirt",
    "dress",
    "hoodie",
    "sweater",
    "top",
    "suit",
    "uniform",
    "cloak",
    "robe",
    "vest",
    "blouse",
    "jumper",
    "cardigan",
    "parka",
    "fur",
    "feathers",
    "tee",
    "overalls",
)
BOTTOM_NOUNS = ("jeans", "pants", "trousers", "skirt", "shorts", "leggings")
HAIR_NOUNS = ("hair", "haired", "braid", "braids", "ponytail", "curls", "bun", "bob")
HAIR_WORDS: dict[str, RGB] = {
    "blonde": (226, 190, 112),
    "blond": (226, 190, 112),
    "brunette": (90, 58, 36),
    "redhead": (170, 70, 36),
    "ginger": (182, 84, 40),
}
EXTRAS: dict[str, tuple[str, ...]] = {
    "headphones": ("dj", "headphones", "musician", "producer"),
    "camera": ("photographer", "camera", "photojournalist"),
    "hat": ("hat", "cap", "beanie", "fedora"),
    "scarf": ("scarf",),
}


@dataclass(frozen=True)
class Look:
    """How a character is drawn, from its id and description only, so it is the same in every image."""

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

    def face(self) -> FaceLook:
        brow = darken(self.hair, 0.7) if self.kind == "person" else (70, 50, 40)
        return FaceLook(eye=self.eye, brow=brow, blush=0.22 if self.kind != "robot" else 0.0)


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
                slot = "fur" if nxt in ("fur", "feathers") else "top"
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


def _skin(words: Words, guess: RGB) -> RGB:
    if words.has("pale") or words.has("fair"):
        return SKINS[0]
    if words.has("dark skinned") or words.has("dark skin"):
        return SKINS[4]
    return guess


def _height(words: Words, jitter: float) -> float:
    height = 1.08 if words.has("tall") else 0.9 if words.has("short") and not words.has("short hair") else 1.0
    if words.has("child") or words.has("kid") or words.has("little"):
        height = 0.78
    return height * jitter


def _outfit(words: Words, paired: dict[str, RGB], guess: str) -> str:
    if "dress" in paired or words.has("dress"):
        return "dress"
    return next((o for o in ("hoodie", "coat", "jacket") if words.has(o)), guess)


def look_for(character: CharacterLook) -> Look:
    """Derive a character's colours, hair and build from a stable hash and the words of its description.

    Only the id and the description count, so renaming a character does not change how it looks.
    """
    rng = np.random.default_rng(stable_int("look", character.id, character.description))
    words = Words(f"{character.description} {character.id}")
    paired = _paired_colours(Words(character.description).tokens)
    kind = next((k for k in KINDS if words.has(k)), "person")
    skin = _skin(words, SKINS[int(rng.integers(len(SKINS)))])
    hair = HAIRS[int(rng.integers(len(HAIRS)))]
    style = HAIR_STYLES[int(rng.integers(len(HAIR_STYLES)))]
    style = next((named for word, named in HAIR_STYLE_WORDS if words.has(word)), style)
    if any(words.has(w) for w in ("old", "elderly", "grandmother", "grandfather")):
        hair = (188, 188, 192)
    top = paired.get("top", paired.get("loose", TOPS[int(rng.integers(len(TOPS)))]))
    outfit = _outfit(words, paired, ("jacket", "shirt", "hoodie", "coat")[int(rng.integers(4))])
    if kind != "person":
        skin, style = paired.get("fur", KINDS[kind]), "none"
    height = _height(words, float(rng.uniform(0.96, 1.04)))
    eye = ((52, 40, 34), (40, 60, 90), (50, 86, 60), (70, 50, 30))[int(rng.integers(4))]
    return Look(
        id=character.id,
        kind=kind,
        skin=skin,
        hair=paired.get("hair", hair),
        hair_style=style,
        top=top,
        bottom=paired.get("bottom", BOTTOMS[int(rng.integers(len(BOTTOMS)))]),
        accent=paired.get("accent", TOPS[int(rng.integers(len(TOPS)))]),
        outfit=outfit,
        height=height,
        build=float(rng.uniform(0.92, 1.08)),
        extras=tuple(name for name, ws in EXTRAS.items() if any(words.has(w) for w in ws)),
        eye=(40, 220, 255) if kind in ("robot", "android") else eye,
    )


def _named(character: CharacterLook, text: Words) -> bool:
    names = {character.id.lower().replace("_", " ").replace("-", " "), character.name.lower()}
    names |= {character.name.lower().split()[0]} if character.name.split() else set()
    return any(n and text.has(" ".join(re.findall(r"[a-z]+", n))) for n in names if re.findall(r"[a-z]+", n))


def choose_characters(request: ImageRequest, scene: Scene) -> list[CharacterLook]:
    """The characters to draw: the request's list, else those named, else a default by camera."""
    chars = list(request.characters)
    by_id = {ch.id: ch for ch in chars}
    if request.in_frame:
        return [by_id.get(i) or CharacterLook(id=i, name=i, description="") for i in request.in_frame]
    text = Words(f"{request.prompt} . {request.setting}")
    named = [ch for ch in chars if _named(ch, text)]
    if named:
        return named[:4]
    if scene.camera == "wide" or not chars:
        return []
    return chars[: 2 if scene.plural else 1]
