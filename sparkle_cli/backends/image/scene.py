"""Reading a prompt's words: time of day, weather, setting, colours, lights and camera, as a `Scene`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

RGB = tuple[int, int, int]


TIMES: dict[str, tuple[str, ...]] = {
    "dawn": ("dawn", "sunrise", "daybreak", "first light"),
    "morning": ("morning", "breakfast"),
    "noon": ("noon", "midday", "afternoon", "daytime", "lunch"),
    "golden": ("sunset", "golden hour", "sundown"),
    "dusk": ("dusk", "twilight", "evening", "blue hour"),
    "night": ("night", "midnight", "nighttime", "tonight", "moonlight", "moonlit"),
}
WEATHER: dict[str, tuple[str, ...]] = {
    "rain": (
        "rain",
        "rainy",
        "raining",
        "drizzle",
        "storm",
        "stormy",
        "thunder",
        "thunderstorm",
        "downpour",
        "showers",
    ),
    "snow": ("snow", "snowy", "snowing", "snowfall", "blizzard", "snowflake", "frost", "frosty", "winter"),
    "fog": ("fog", "foggy", "mist", "misty", "haze", "hazy", "smoke", "smoky"),
    "clouds": ("cloud", "cloudy", "overcast", "gloomy"),
    "clear": ("clear", "sunny", "cloudless"),
}
# Setting families in priority order: (family, words that pick it, words that pick it only when nothing else does).
FAMILIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "interior",
        (
            "room",
            "bedroom",
            "kitchen",
            "cafe",
            "coffee shop",
            "bar",
            "pub",
            "studio",
            "apartment",
            "office",
            "classroom",
            "library",
            "restaurant",
            "diner",
            "indoors",
            "hallway",
            "lobby",
            "loft",
            "living room",
        ),
        (),
    ),
    (
        "space",
        ("space", "planet", "galaxy", "orbit", "spaceship", "spacecraft", "asteroid", "nebula", "cosmos"),
        ("stars",),
    ),
    ("rooftop", ("rooftop", "roof", "terrace", "balcony"), ()),
    ("street", ("street", "alley", "alleyway", "road", "avenue", "sidewalk", "crosswalk", "downtown", "market"), ()),
    ("bridge", ("bridge",), ()),
    ("harbor", ("harbor", "harbour", "port", "dock", "pier", "boat", "ship", "marina", "wharf", "lighthouse"), ()),
    ("city", ("city", "skyline", "skyscraper", "town", "metropolis", "buildings", "tower", "urban"), ("neon",)),
    ("forest", ("forest", "woods", "woodland", "trees", "jungle", "grove", "pine"), ("tree",)),
    ("mountain", ("cliff",), ()),  # a cliff is the subject even when the sea below it is named
    ("beach", ("beach", "ocean", "sea", "shore", "coast", "lake", "river", "waves", "seaside", "island", "bay"), ()),
    ("mountain", ("mountain", "hills", "hill", "cliff", "peak", "valley", "canyon", "ridge"), ()),
    ("desert", ("desert", "dunes", "dune", "cactus", "oasis"), ("sand",)),
    (
        "field",
        ("field", "meadow", "farm", "garden", "park", "countryside", "prairie", "orchard", "vineyard"),
        ("grass",),
    ),
)
# A more specific family named by the setting refines the prompt's broader one.
REFINES: dict[str, tuple[str, ...]] = {
    "city": ("rooftop", "street", "bridge", "harbor", "interior"),
    "beach": ("harbor", "bridge"),
    "field": ("forest", "mountain"),
}
CAMERA: dict[str, tuple[str, ...]] = {
    "close": ("closeup", "close up", "tight", "tighter", "extreme close", "macro", "detail"),
    "wide": ("wide", "establishing", "skyline", "aerial", "panorama", "panoramic", "vista", "long shot"),
    "medium": ("medium", "mid shot", "two shot", "waist"),
}
PLURAL = ("friends", "two", "couple", "they", "both", "together", "pair", "each other", "duo")
WARM_LIGHTS = (
    "lamp",
    "lantern",
    "candle",
    "candlelight",
    "fire",
    "fireplace",
    "campfire",
    "bonfire",
    "torch",
    "streetlight",
    "firelight",
    "fairy lights",
    "string lights",
)
SIGN_LIGHTS = ("signage", "sign", "billboard", "screen", "marquee", "hologram")
COLOURS: dict[str, RGB] = {
    "red": (228, 60, 62),
    "crimson": (200, 30, 62),
    "scarlet": (230, 40, 40),
    "pink": (255, 105, 180),
    "magenta": (240, 50, 200),
    "purple": (150, 80, 225),
    "violet": (160, 100, 240),
    "lavender": (190, 160, 240),
    "blue": (60, 120, 255),
    "navy": (40, 55, 112),
    "cyan": (40, 228, 255),
    "teal": (20, 176, 168),
    "turquoise": (60, 220, 200),
    "green": (70, 200, 100),
    "lime": (160, 230, 60),
    "emerald": (30, 170, 110),
    "yellow": (255, 220, 70),
    "gold": (255, 195, 70),
    "golden": (255, 195, 70),
    "amber": (255, 165, 40),
    "orange": (255, 140, 50),
    "white": (240, 240, 240),
    "black": (34, 34, 38),
    "grey": (128, 128, 135),
    "gray": (128, 128, 135),
    "silver": (190, 195, 205),
    "brown": (120, 80, 50),
    "beige": (215, 195, 160),
}
NEUTRAL = {"white", "black", "grey", "gray", "silver", "brown", "beige", "navy"}


class Words:
    """The lower-cased words of a text, for whole-word and phrase look-ups."""

    def __init__(self, text: str) -> None:
        self.tokens = re.findall(r"[a-z]+", text.lower().replace("close-up", "closeup"))
        self.joined = " " + " ".join(self.tokens) + " "
        self.set = set(self.tokens) | {t[:-1] for t in self.tokens if t.endswith("s") and len(t) > 3}

    def has(self, phrase: str) -> bool:
        return f" {phrase} " in self.joined if " " in phrase else phrase in self.set

    def first(self, phrases: Iterable[str]) -> str | None:
        hits = [(self.joined.find(f" {p} "), p) for p in phrases if self.has(p)]
        return min(hits)[1] if hits else None

    def colours(self) -> list[str]:
        found: list[str] = []
        for i, tok in enumerate(self.tokens):
            nxt = self.tokens[i + 1] if i + 1 < len(self.tokens) else ""
            if tok in COLOURS and not (tok == "golden" and nxt == "hour"):
                name = "gold" if tok == "golden" else tok
                if name not in found:
                    found.append(name)
        return found


@dataclass(frozen=True)
class Scene:
    """What the painter read from the prompt and setting."""

    time: str
    weather: tuple[str, ...]
    family: str
    variant: str
    camera: str
    colours: tuple[str, ...]
    lights: tuple[str, ...]
    light_colour: RGB | None
    neon: bool
    hands: bool
    plural: bool
    behind: str | None
    words: frozenset[str]

    def has(self, *words: str) -> bool:
        return any(w in self.words for w in words)

    @property
    def accents(self) -> list[RGB]:
        return [COLOURS[c] for c in self.colours if c not in NEUTRAL]


def _pick(groups: dict[str, tuple[str, ...]], *texts: Words) -> str | None:
    for text in texts:
        best = [(text.joined.find(f" {text.first(ws)} "), key) for key, ws in groups.items() if text.first(ws)]
        if best:
            return min(best)[1]
    return None


def _family(prompt: Words, setting: Words) -> tuple[str, str]:
    def strong(text: Words) -> tuple[str, str] | None:
        for fam, words, _ in FAMILIES:
            hit = text.first(words)
            if hit:
                return fam, hit
        return None

    found, extra = strong(prompt), strong(setting)
    if found and extra and extra[0] in REFINES.get(found[0], ()):
        return extra
    if found:
        return found
    if extra:
        return extra
    for fam, _, weak in FAMILIES:
        for text in (prompt, setting):
            hit = text.first(weak)
            if hit:
                return fam, hit
    return "field", "meadow"


def _light_colour(words: Words) -> RGB | None:
    """The colour of a named light: "lit by cyan signage", "pink neon", "a red sign"."""
    toks = words.tokens
    for i in range(len(toks) - 1):
        if toks[i] == "lit" and toks[i + 1] == "by":
            for tok in toks[i + 2 : i + 6]:
                if tok in COLOURS and tok not in NEUTRAL:
                    return COLOURS[tok]
    for i, tok in enumerate(toks):
        if tok.rstrip("s") in SIGN_LIGHTS or tok == "neon":
            for prev in toks[max(0, i - 3) : i]:
                if prev in COLOURS and prev not in NEUTRAL:
                    return COLOURS[prev]
    return None


def read_scene(prompt: str, setting: str = "") -> Scene:
    """Recognise time of day, weather, setting, camera, colours and lights; the prompt wins over the setting."""
    p, s = Words(prompt), Words(setting)
    both = Words(prompt + " . " + setting)
    family, variant = _family(p, s)
    neon = both.has("neon")
    time = _pick(TIMES, p, s)
    if time is None:
        time = "night" if neon or family == "space" else "noon" if family == "interior" else "golden"
    weather = tuple(w for w, ws in WEATHER.items() if any(both.has(x) for x in ws) and w != "clear")
    camera = _pick(CAMERA, p, s) or "medium"
    behind = None
    toks = p.tokens
    for i, tok in enumerate(toks[:-1]):
        if tok == "behind" or (tok == "over" and toks[i + 1] == "shoulder"):
            camera, behind = "over_shoulder", toks[i + 1] if tok == "behind" else None
            break
    lights = tuple(
        name
        for name, present in (
            ("warm", any(both.has(w) for w in WARM_LIGHTS)),
            ("sign", any(both.has(w) for w in SIGN_LIGHTS) or both.has("glowing")),
            ("neon", neon),
        )
        if present
    )
    return Scene(
        time=time,
        weather=weather,
        family=family,
        variant=variant,
        camera=camera,
        colours=tuple(p.colours() + [c for c in s.colours() if c not in p.colours()]),
        lights=lights,
        light_colour=_light_colour(both),
        neon=neon,
        hands=p.has("hands") or (camera == "close" and s.has("hands")),
        plural=any(both.has(w) for w in PLURAL),
        behind=behind,
        words=frozenset(both.set),
    )


def stable_int(*parts: object) -> int:
    """A seed from any values that is the same in every process, unlike the salted built-in hash()."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")
