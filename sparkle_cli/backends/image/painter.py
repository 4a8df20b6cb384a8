"""The built-in keyframe painter: a flat-shaded illustration of the prompt's words, on any CPU.

Every random choice comes from a hash of the seed and the prompt, so a request always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from sparkle_cli.atomic import atomic_path
from sparkle_cli.backends.base import Box, CharacterLook, FaceInfo, ImageBackend, ImageRequest, ImageResult
from sparkle_cli.backends.image.faces import FaceLook, draw_face

F32 = np.float32
RGB = tuple[int, int, int]
Vec = np.ndarray

# --- words ----------------------------------------------------------------------------

TIMES: dict[str, tuple[str, ...]] = {
    "dawn": ("dawn", "sunrise", "daybreak", "first light"),
    "morning": ("morning", "breakfast"),
    "noon": ("noon", "midday", "afternoon", "daytime", "lunch"),
    "golden": ("sunset", "golden hour", "sundown"),
    "dusk": ("dusk", "twilight", "evening", "blue hour"),
    "night": ("night", "midnight", "nighttime", "tonight", "moonlight", "moonlit"),
}
WEATHER: dict[str, tuple[str, ...]] = {
    "rain": ("rain", "rainy", "raining", "drizzle", "storm", "stormy", "thunder", "thunderstorm", "downpour", "showers"),
    "snow": ("snow", "snowy", "snowing", "snowfall", "blizzard", "snowflake", "frost", "frosty", "winter"),
    "fog": ("fog", "foggy", "mist", "misty", "haze", "hazy", "smoke", "smoky"),
    "clouds": ("cloud", "cloudy", "overcast", "gloomy"),
    "clear": ("clear", "sunny", "cloudless"),
}
# Setting families in priority order: (family, words that pick it, words that pick it only when nothing else does).
FAMILIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("interior", ("room", "bedroom", "kitchen", "cafe", "coffee shop", "bar", "pub", "studio", "apartment", "office",
                  "classroom", "library", "restaurant", "diner", "indoors", "hallway", "lobby", "loft", "living room"), ()),
    ("space", ("space", "planet", "galaxy", "orbit", "spaceship", "spacecraft", "asteroid", "nebula", "cosmos"), ("stars",)),
    ("rooftop", ("rooftop", "roof", "terrace", "balcony"), ()),
    ("street", ("street", "alley", "alleyway", "road", "avenue", "sidewalk", "crosswalk", "downtown", "market"), ()),
    ("bridge", ("bridge",), ()),
    ("harbor", ("harbor", "harbour", "port", "dock", "pier", "boat", "ship", "marina", "wharf", "lighthouse"), ()),
    ("city", ("city", "skyline", "skyscraper", "town", "metropolis", "buildings", "tower", "urban"), ("neon",)),
    ("forest", ("forest", "woods", "woodland", "trees", "jungle", "grove", "pine"), ("tree",)),
    ("beach", ("beach", "ocean", "sea", "shore", "coast", "lake", "river", "waves", "seaside", "island", "bay"), ()),
    ("mountain", ("mountain", "hills", "hill", "cliff", "peak", "valley", "canyon", "ridge"), ()),
    ("desert", ("desert", "dunes", "dune", "cactus", "oasis"), ("sand",)),
    ("field", ("field", "meadow", "farm", "garden", "park", "countryside", "prairie", "orchard", "vineyard"), ("grass",)),
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
WARM_LIGHTS = ("lamp", "lantern", "candle", "candlelight", "fire", "fireplace", "campfire", "bonfire", "torch",
               "streetlight", "firelight", "fairy lights", "string lights")
SIGN_LIGHTS = ("signage", "sign", "billboard", "screen", "marquee", "hologram")
COLOURS: dict[str, RGB] = {
    "red": (228, 60, 62), "crimson": (200, 30, 62), "scarlet": (230, 40, 40), "pink": (255, 105, 180),
    "magenta": (240, 50, 200), "purple": (150, 80, 225), "violet": (160, 100, 240), "lavender": (190, 160, 240),
    "blue": (60, 120, 255), "navy": (40, 55, 112), "cyan": (40, 228, 255), "teal": (20, 176, 168),
    "turquoise": (60, 220, 200), "green": (70, 200, 100), "lime": (160, 230, 60), "emerald": (30, 170, 110),
    "yellow": (255, 220, 70), "gold": (255, 195, 70), "golden": (255, 195, 70), "amber": (255, 165, 40),
    "orange": (255, 140, 50), "white": (240, 240, 240), "black": (34, 34, 38), "grey": (128, 128, 135),
    "gray": (128, 128, 135), "silver": (190, 195, 205), "brown": (120, 80, 50), "beige": (215, 195, 160),
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

    found = strong(prompt)
    extra = strong(setting)
    if found and extra and extra[0] in REFINES.get(found[0], ()):
        return extra
    if found or extra:
        return found or extra  # type: ignore[return-value]
    for fam, _, weak in FAMILIES:
        for text in (prompt, setting):
            hit = text.first(weak)
            if hit:
                return fam, hit
    return "field", "meadow"


def _light_colour(words: Words, neon: bool) -> RGB | None:
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
        light_colour=_light_colour(both, neon),
        neon=neon,
        hands=camera == "close" and both.has("hands") or p.has("hands"),
        plural=any(both.has(w) for w in PLURAL),
        behind=behind,
        words=frozenset(both.set),
    )


# --- character looks ------------------------------------------------------------------

SKINS: tuple[RGB, ...] = ((255, 224, 198), (242, 196, 162), (226, 174, 132), (198, 136, 98), (160, 104, 72), (118, 80, 58))
HAIRS: tuple[RGB, ...] = ((32, 26, 26), (68, 44, 30), (112, 72, 42), (150, 72, 40), (222, 186, 112), (60, 40, 34))
TOPS: tuple[RGB, ...] = ((38, 122, 132), (214, 160, 52), (226, 110, 90), (48, 66, 116), (112, 122, 62), (122, 62, 102),
                         (176, 82, 52), (84, 100, 126), (54, 104, 74), (232, 216, 190), (136, 42, 58), (98, 160, 212))
BOTTOMS: tuple[RGB, ...] = ((58, 78, 120), (56, 56, 66), (170, 150, 112), (36, 36, 42), (100, 72, 52))
HAIR_STYLES = ("short", "long", "bob", "bun", "ponytail", "curly", "short", "long")
KINDS: dict[str, RGB] = {
    "fox": (220, 112, 46), "cat": (160, 150, 140), "dog": (176, 124, 72), "wolf": (132, 134, 144),
    "rabbit": (226, 216, 206), "bunny": (226, 216, 206), "bear": (124, 84, 54), "owl": (146, 108, 70),
    "bird": (92, 142, 204), "mouse": (172, 162, 162), "robot": (176, 186, 200), "android": (176, 186, 200),
}
TOP_NOUNS = ("jacket", "coat", "shirt", "dress", "hoodie", "sweater", "top", "suit", "uniform", "cloak", "robe",
             "vest", "blouse", "jumper", "cardigan", "parka", "fur", "feathers", "tee", "overalls")
BOTTOM_NOUNS = ("jeans", "pants", "trousers", "skirt", "shorts", "leggings")
HAIR_NOUNS = ("hair", "haired", "braid", "braids", "ponytail", "curls", "bun", "bob")
HAIR_WORDS: dict[str, RGB] = {"blonde": (226, 190, 112), "blond": (226, 190, 112), "brunette": (90, 58, 36),
                              "redhead": (170, 70, 36), "ginger": (182, 84, 40)}
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
        brow = tuple(int(v * 0.7) for v in self.hair) if self.kind == "person" else (70, 50, 40)
        return FaceLook(eye=self.eye, brow=brow, blush=0.22 if self.kind != "robot" else 0.0)  # type: ignore[arg-type]


def _stable_int(*parts: object) -> int:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


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


def look_for(character: CharacterLook) -> Look:
    """Derive a character's colours, hair and build from a stable hash and the words of its description."""
    rng = np.random.default_rng(_stable_int("look", character.id, character.description))
    words = Words(f"{character.description} {character.id} {character.name}")
    toks = Words(character.description).tokens
    paired = _paired_colours(toks)
    kind = next((k for k in KINDS if words.has(k)), "person")
    skin = SKINS[int(rng.integers(len(SKINS)))]
    if words.has("pale") or words.has("fair"):
        skin = SKINS[0]
    elif words.has("dark skinned") or words.has("dark skin"):
        skin = SKINS[4]
    hair = HAIRS[int(rng.integers(len(HAIRS)))]
    style = HAIR_STYLES[int(rng.integers(len(HAIR_STYLES)))]
    for word, named in (("bald", "bald"), ("ponytail", "ponytail"), ("braid", "ponytail"), ("bun", "bun"),
                        ("curly", "curly"), ("curls", "curly"), ("afro", "curly"), ("bob", "bob"),
                        ("long", "long"), ("short", "short")):
        if words.has(word) and (word != "short" or words.has("short hair")):
            style = named
            break
    if words.has("old") or words.has("elderly") or words.has("grandmother") or words.has("grandfather"):
        hair = (188, 188, 192)
    hair = paired.get("hair", hair)
    top = paired.get("top", paired.get("loose", TOPS[int(rng.integers(len(TOPS)))]))
    outfit = ("dress" if "dress" in paired or words.has("dress") else
              next((o for o in ("hoodie", "coat", "jacket") if words.has(o)), ("jacket", "shirt", "hoodie", "coat")[int(rng.integers(4))]))
    if kind != "person":
        skin = paired.get("fur", KINDS[kind])
        style = "none"
    height = 1.08 if words.has("tall") else 0.9 if words.has("short") and not words.has("short hair") else 1.0
    if words.has("child") or words.has("kid") or words.has("little"):
        height = 0.78
    height *= float(rng.uniform(0.96, 1.04))
    extras = tuple(name for name, ws in EXTRAS.items() if any(words.has(w) for w in ws))
    eye = ((52, 40, 34), (40, 60, 90), (50, 86, 60), (70, 50, 30))[int(rng.integers(4))]
    if kind == "robot":
        eye = (40, 220, 255)
    return Look(
        id=character.id,
        kind=kind,
        skin=skin,
        hair=hair,
        hair_style=style,
        top=top,
        bottom=paired.get("bottom", BOTTOMS[int(rng.integers(len(BOTTOMS)))]),
        accent=paired.get("accent", TOPS[int(rng.integers(len(TOPS)))]),
        outfit=outfit,
        height=height,
        build=float(rng.uniform(0.92, 1.08)),
        extras=extras,
        eye=eye,
    )


# --- light ------------------------------------------------------------------------------

SKIES: dict[str, tuple[RGB, RGB, RGB, RGB, tuple[float, float, float]]] = {
    # sky top, middle, horizon, sun or moon, ambient light on things
    "dawn": ((58, 72, 128), (176, 132, 160), (255, 190, 150), (255, 214, 170), (0.86, 0.8, 0.86)),
    "morning": ((92, 150, 215), (150, 195, 235), (226, 236, 240), (255, 246, 226), (1.0, 0.98, 0.95)),
    "noon": ((50, 118, 214), (112, 170, 234), (204, 226, 246), (255, 255, 245), (1.04, 1.04, 1.04)),
    "golden": ((72, 94, 168), (234, 138, 108), (255, 206, 132), (255, 214, 150), (1.0, 0.84, 0.68)),
    "dusk": ((26, 30, 76), (112, 68, 120), (232, 124, 110), (255, 150, 110), (0.55, 0.52, 0.7)),
    "night": ((6, 9, 26), (14, 22, 52), (34, 46, 86), (225, 232, 255), (0.3, 0.34, 0.52)),
}
# Sun (or moon) position: x as a fraction of the width, y relative to the horizon as a fraction of the height.
SUN_AT: dict[str, tuple[float, float]] = {
    "dawn": (0.26, -0.06), "morning": (0.3, -0.32), "noon": (0.62, -0.5),
    "golden": (0.7, -0.1), "dusk": (0.72, 0.04), "night": (0.78, -0.42),
}


def _rgb(colour: Iterable[float]) -> Vec:
    return np.asarray(tuple(colour), F32) / 255.0


def _mix(a: Any, b: Any, t: Any) -> Any:
    return a + (b - a) * t


@dataclass
class Palette:
    top: Vec
    mid: Vec
    horizon: Vec
    sun: Vec
    ambient: Vec
    haze: Vec
    key: Vec  # the colour of the light that rims figures
    key_side: float  # -1: light from the left, 1: from the right
    sun_x: float
    sun_dy: float
    sun_visible: bool
    stars: float
    bloom: float  # brightness above which pixels glow
    fog: float


def _grey(c: Vec, amount: float, level: float = 1.0) -> Vec:
    lum = float(c @ np.array([0.3, 0.59, 0.11], F32))
    return _mix(c, np.full(3, lum, F32), amount) * level


def make_palette(scene: Scene, rng: np.random.Generator) -> Palette:
    top, mid, hz, sun, amb = SKIES[scene.time]
    p = Palette(
        top=_rgb(top), mid=_rgb(mid), horizon=_rgb(hz), sun=_rgb(sun), ambient=np.asarray(amb, F32),
        haze=_mix(_rgb(hz), _rgb(mid), 0.3), key=_rgb(sun), key_side=1.0, sun_x=0.0, sun_dy=0.0,
        sun_visible=True, stars=0.0, bloom=0.9, fog=0.0,
    )
    sx, sdy = SUN_AT[scene.time]
    flip = rng.random() < 0.5 and scene.time != "dawn"
    p.sun_x = (1 - sx if flip else sx) + float(rng.uniform(-0.06, 0.06))
    p.sun_dy = sdy
    p.key_side = 1.0 if p.sun_x > 0.5 else -1.0
    dark = scene.time in ("night", "dusk")
    p.stars = {"night": 1.0, "dusk": 0.35}.get(scene.time, 0.0)
    p.bloom = 0.55 if scene.time == "night" else 0.68 if scene.time == "dusk" else 0.86
    if scene.time == "dusk":
        p.sun_visible = False
    wet, overcast = "rain" in scene.weather, "clouds" in scene.weather
    if wet or overcast:
        amount, level = (0.62, 0.72) if wet else (0.5, 0.88)
        if dark:
            level = 0.9
        p.top, p.mid, p.horizon = (_grey(c, amount, level) for c in (p.top, p.mid, p.horizon))
        p.ambient = p.ambient * (0.8 if wet else 0.9)
        p.sun_visible = p.sun_visible and not wet and scene.time in ("golden", "dawn")
        p.stars *= 0.15
    if "snow" in scene.weather:
        p.top, p.mid, p.horizon = (_mix(c, np.array([0.8, 0.83, 0.88], F32) * (0.45 if dark else 1.0), 0.45) for c in (p.top, p.mid, p.horizon))
        p.stars *= 0.3
    if "fog" in scene.weather:
        p.fog = 0.55
        p.stars *= 0.2
    p.haze = _mix(p.horizon, p.mid, 0.3)
    if scene.family == "interior":
        # Indoors people are lit by the room, not by the sky outside.
        p.ambient = np.array([0.98, 0.95, 0.9], F32) if not dark else np.array([0.78, 0.66, 0.56], F32)
    if scene.light_colour is not None and ("sign" in scene.lights or scene.neon):
        p.key = _rgb(scene.light_colour)
    elif scene.neon and dark:
        p.key = _rgb(scene.accents[0] if scene.accents else COLOURS["pink"])
    elif "warm" in scene.lights and (dark or scene.family == "interior"):
        p.key = _rgb(scene.light_colour or COLOURS["amber"])
    return p


# --- canvas and pixels ------------------------------------------------------------------


def _smooth(e0: float, e1: float, x: Any) -> Any:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _box_blur(a: Vec, r: int, axis: int) -> Vec:
    if r < 1:
        return a
    n = a.shape[axis]
    pad = [(0, 0)] * a.ndim
    pad[axis] = (r + 1, r)
    cs = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis, dtype=F32)
    hi = np.take(cs, np.arange(2 * r + 1, 2 * r + 1 + n), axis=axis)
    lo = np.take(cs, np.arange(n), axis=axis)
    return (hi - lo) / (2 * r + 1)


def blur(a: Vec, sigma: float) -> Vec:
    """Three box blurs per axis: close to a Gaussian and linear in the image size."""
    r = int(round(math.sqrt(12 * sigma * sigma / 3 + 1) / 2))
    for axis in (0, 1):
        for _ in range(3):
            a = _box_blur(a, r, axis)
    return a


def soft_blur(a: Vec, sigma: float) -> Vec:
    """A Gaussian blur through PIL at 8 bits: fast on large pictures where banding cannot show."""
    if sigma < 0.3:
        return a
    im = Image.fromarray((np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8))
    return np.asarray(im.filter(ImageFilter.GaussianBlur(sigma)), F32) / 255.0


def upsample(a: Vec, w: int, h: int) -> Vec:
    channels = [np.asarray(Image.fromarray(np.ascontiguousarray(a[..., k])).resize((w, h), Image.BILINEAR)) for k in range(a.shape[2])]
    return np.stack(channels, axis=-1)


def noise1d(rng: np.random.Generator, n: int, cycles: float, octaves: int = 5, sharp: bool = False) -> Vec:
    """Smooth 1-D noise in [0, 1] whose features scale with the width, so every size looks alike."""
    x = (np.arange(n, dtype=F32) + 0.5) / n
    out = np.zeros(n, F32)
    amp, total = 1.0, 0.0
    for k in range(octaves):
        f = cycles * (2.1**k) * float(rng.uniform(0.85, 1.2))
        wave = np.sin(2 * np.pi * f * x + float(rng.uniform(0, 2 * np.pi)))
        out += amp * ((1 - 2 * np.abs(wave)) if sharp and k < 2 else wave)
        total += amp
        amp *= 0.42 if sharp else 0.5
    return (out / total + 1) / 2


def noise2d(rng: np.random.Generator, h: int, w: int, cells: int) -> Vec:
    """Value noise in [0, 1] built from random grids resized with bicubic interpolation."""
    out = np.zeros((h, w), F32)
    amp, total = 1.0, 0.0
    for k in range(3):
        gx = max(2, cells * 2**k)
        gy = max(2, int(gx * h / max(w, 1)) + 1)
        grid = rng.random((gy, gx), dtype=F32)
        out += amp * np.asarray(Image.fromarray(grid).resize((w, h), Image.BICUBIC))
        total += amp
        amp *= 0.5
    return np.clip(out / total, 0, 1)


class Canvas:
    """A float RGB picture in [0, 1], with a quarter-size buffer for light that glows."""

    def __init__(self, w: int, h: int, seed: int, scene: Scene, pal: Palette) -> None:
        self.w, self.h, self.seed, self.sc, self.pal = w, h, seed, scene, pal
        self.img = np.zeros((h, w, 3), F32)
        self.gw, self.gh = max(4, w // 4), max(4, h // 4)
        self.glow = np.zeros((self.gh, self.gw, 3), F32)
        self.u = h / 360.0  # layouts are designed at 640x360
        self.horizon = h * 0.62

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng(_stable_int(self.seed, name))

    def lit(self, colour: RGB | Vec, depth: float = 0.0) -> Vec:
        """A surface colour under the scene's light, faded into the haze with distance."""
        base = _rgb(colour) if isinstance(colour, tuple) else colour
        haze = min(1.0, depth * (0.75 + 0.6 * self.pal.fog))
        return _mix(base * self.pal.ambient, self.pal.haze, haze)

    def rect(self, x0: float, y0: float, x1: float, y1: float, colour: Vec, alpha: float = 1.0, bottom: Vec | None = None) -> None:
        a, b = max(0, int(round(x0))), min(self.w, int(round(x1)))
        c, d = max(0, int(round(y0))), min(self.h, int(round(y1)))
        if a >= b or c >= d:
            return
        col: Vec = colour
        if bottom is not None:
            t = np.linspace(0, 1, d - c, dtype=F32)[:, None, None]
            col = _mix(colour, bottom, t)
        region = self.img[c:d, a:b]
        region += (col - region) * alpha

    def spot(self, cx: float, cy: float, rx: float, ry: float, colour: Vec, alpha: float = 1.0, soft: float = 1.0) -> None:
        """An anti-aliased ellipse; `soft` widens the edge (in pixels) for shadows and haloes."""
        reach = max(rx, ry) + soft + 1
        x0, x1 = max(0, int(cx - reach)), min(self.w, int(cx + reach) + 1)
        y0, y1 = max(0, int(cy - reach)), min(self.h, int(cy + reach) + 1)
        if x0 >= x1 or y0 >= y1 or rx <= 0 or ry <= 0:
            return
        xs = (np.arange(x0, x1, dtype=F32) + 0.5 - cx) / rx
        ys = (np.arange(y0, y1, dtype=F32) + 0.5 - cy)[:, None] / ry
        d = np.sqrt(xs * xs + ys * ys)
        cover = np.clip((1 - d) * min(rx, ry) / soft + 0.5, 0, 1)[..., None] * alpha
        region = self.img[y0:y1, x0:x1]
        region += (colour - region) * cover

    def glow_spot(self, x: float, y: float, r: float, colour: Vec, strength: float) -> None:
        """Add a round halo of light (Gaussian) to the glow buffer."""
        gx, gy, gr = x / 4, y / 4, max(r / 4, 0.7)
        x0, x1 = max(0, int(gx - 3 * gr)), min(self.gw, int(gx + 3 * gr) + 1)
        y0, y1 = max(0, int(gy - 3 * gr)), min(self.gh, int(gy + 3 * gr) + 1)
        if x0 >= x1 or y0 >= y1:
            return
        xs = (np.arange(x0, x1, dtype=F32) + 0.5 - gx) ** 2
        ys = (np.arange(y0, y1, dtype=F32) + 0.5 - gy)[:, None] ** 2
        self.glow[y0:y1, x0:x1] += np.exp(-(xs + ys) / (2 * gr * gr))[..., None] * (colour * strength)

    def glow_rect(self, x0: float, y0: float, x1: float, y1: float, colour: Vec, strength: float) -> None:
        a, b = max(0, int(x0 / 4)), min(self.gw, max(int(x0 / 4) + 1, int(x1 / 4)))
        c, d = max(0, int(y0 / 4)), min(self.gh, max(int(y0 / 4) + 1, int(y1 / 4)))
        if a < b and c < d:
            self.glow[c:d, a:b] += colour * strength


def fill_below(c: Canvas, top: Vec, colour: Vec, fade_to: Vec | None = None, fade_px: float = 1.0, alpha: float = 1.0) -> None:
    """Fill everything under a silhouette line `top` (one y per column), anti-aliased along its slope.

    `colour` is one colour or one per column; with `fade_to` it turns into that colour
    `fade_px` pixels below the line, like mist settling in a valley.
    """
    y0 = int(np.clip(np.floor(top.min()), 0, c.h))
    if y0 >= c.h:
        return
    ys = np.arange(y0, c.h, dtype=F32)[:, None] + 0.5
    diff = np.abs(np.diff(top))
    slope = np.minimum(np.append(diff, diff[-1:]), np.insert(diff, 0, diff[:1])) + 1.0
    below = ys - top[None, :]
    cover = np.clip(below / slope + 0.5, 0, 1)[..., None]
    col = colour[None] if colour.ndim == 2 else colour
    if fade_to is not None:
        col = col + (fade_to - col) * np.clip(below / fade_px, 0, 1)[..., None]
    region = c.img[y0:]
    region += (col - region) * (cover * alpha if alpha != 1.0 else cover)


class Sketch:
    """Shapes drawn with PIL on a supersampled patch, then blended into the canvas with soft edges.

    Colours are drawn on black and the coverage kept in a separate mask, so that after
    reducing the patch the colour is premultiplied by coverage and edges carry no fringe.
    """

    def __init__(self, c: Canvas, x0: float, y0: float, x1: float, y1: float, ss: int = 3) -> None:
        self.c, self.ss = c, ss
        self.x0, self.y0 = max(0, int(math.floor(x0))), max(0, int(math.floor(y0)))
        self.x1, self.y1 = min(c.w, int(math.ceil(x1))), min(c.h, int(math.ceil(y1)))
        size = (max(1, self.x1 - self.x0) * ss, max(1, self.y1 - self.y0) * ss)
        self.rgb = Image.new("RGB", size)
        self.mask = Image.new("L", size)
        self.d, self.m = ImageDraw.Draw(self.rgb), ImageDraw.Draw(self.mask)

    @property
    def empty(self) -> bool:
        return self.x1 <= self.x0 or self.y1 <= self.y0

    def _xy(self, pts: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
        return [((x - self.x0) * self.ss, (y - self.y0) * self.ss) for x, y in pts]

    def _box(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        (a, b), (c, d) = self._xy([(x0, y0), (x1, y1)])
        return [min(a, c), min(b, d), max(a, c), max(b, d)]

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, fill: RGB) -> None:
        box = self._box(cx - rx, cy - ry, cx + rx, cy + ry)
        self.d.ellipse(box, fill=fill)
        self.m.ellipse(box, fill=255)

    def poly(self, pts: Iterable[tuple[float, float]], fill: RGB) -> None:
        xy = self._xy(pts)
        self.d.polygon(xy, fill=fill)
        self.m.polygon(xy, fill=255)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: RGB, radius: float = 0.0) -> None:
        box = self._box(x0, y0, x1, y1)
        r = radius * self.ss
        if r > 0.5:
            self.d.rounded_rectangle(box, r, fill=fill)
            self.m.rounded_rectangle(box, r, fill=255)
        else:
            self.d.rectangle(box, fill=fill)
            self.m.rectangle(box, fill=255)

    def chord(self, cx: float, cy: float, rx: float, ry: float, start: float, end: float, fill: RGB) -> None:
        box = self._box(cx - rx, cy - ry, cx + rx, cy + ry)
        self.d.chord(box, start, end, fill=fill)
        self.m.chord(box, start, end, fill=255)

    def stroke(self, pts: list[tuple[float, float]], fill: RGB, width: float) -> None:
        """A thick line with round ends and joints."""
        xy = self._xy(pts)
        w = max(1, int(round(width * self.ss)))
        self.d.line(xy, fill=fill, width=w)
        self.m.line(xy, fill=255, width=w)
        for x, y in xy:
            r = w / 2
            self.d.ellipse([x - r, y - r, x + r, y + r], fill=fill)
            self.m.ellipse([x - r, y - r, x + r, y + r], fill=255)

    def arc(self, cx: float, cy: float, rx: float, ry: float, start: float, end: float, fill: RGB, width: float) -> None:
        box = self._box(cx - rx, cy - ry, cx + rx, cy + ry)
        w = max(1, int(round(width * self.ss)))
        self.d.arc(box, start, end, fill=fill, width=w)
        self.m.arc(box, start, end, fill=255, width=w)

    def paste(self, shade: Callable[[Vec, Vec, int, int], Vec] | None = None) -> Vec | None:
        """Blend into the canvas; `shade(rgb, alpha, x0, y0)` may relight the premultiplied colour."""
        if self.empty:
            return None
        rgb = np.asarray(self.rgb.reduce(self.ss), F32) / 255.0 if self.ss > 1 else np.asarray(self.rgb, F32) / 255.0
        alpha = (np.asarray(self.mask.reduce(self.ss) if self.ss > 1 else self.mask, F32) / 255.0)[..., None]
        if shade is not None:
            rgb = shade(rgb, alpha, self.x0, self.y0)
        region = self.c.img[self.y0 : self.y1, self.x0 : self.x1]
        region *= 1 - alpha
        region += rgb
        return alpha


def ambient_shade(c: Canvas, centre_x: float, rim: float = 0.6, depth: float = 0.0) -> Callable[[Vec, Vec, int, int], Vec]:
    """Light a sketch by the scene: ambient colour, a darker side away from the key light and a rim."""
    pal = c.pal

    def shade(rgb: Vec, alpha: Vec, x0: int, y0: int) -> Vec:
        h, w = alpha.shape[:2]
        xs = np.arange(x0, x0 + w, dtype=F32) - centre_x
        side = np.clip(0.5 + pal.key_side * xs / max(w, 1.0), 0, 1)[None, :, None]
        lit = rgb * pal.ambient * (0.82 + 0.22 * side)
        d = max(1, int(round(1.6 * c.u * (1 + w / (c.h * 0.5)))))
        a = alpha[..., 0]
        neighbour = np.zeros_like(a)
        if pal.key_side > 0:
            neighbour[:, :-d] = a[:, d:]
        else:
            neighbour[:, d:] = a[:, :-d]
        top = np.zeros_like(a)
        top[d:] = a[:-d]
        edge = np.clip(a - np.minimum(neighbour, 1.0), 0, 1) + 0.35 * np.clip(a - top, 0, 1)
        lit = lit + edge[..., None] * pal.key * rim
        if depth > 0:
            lit = _mix(lit, pal.haze * alpha, depth)
        return lit

    return shade


# --- sky ------------------------------------------------------------------------------------


def paint_sky(c: Canvas) -> None:
    pal, hz = c.pal, max(c.horizon, 1.0)
    t = np.clip((np.arange(c.h, dtype=F32) + 0.5) / hz, 0, 1)[:, None]
    upper = _mix(pal.top, pal.mid, _smooth(0, 0.62, t))
    col = _mix(upper, pal.horizon, _smooth(0.45, 1.0, t))
    c.img[:] = col[:, None, :] if col.ndim == 2 else col
    sx, sy = pal.sun_x * c.w, c.horizon + pal.sun_dy * c.h
    c.glow_spot(sx, sy, c.h * 0.4, pal.sun, 0.16 if c.sc.time != "night" else 0.06)
    if c.sc.family == "space":
        return
    if pal.stars > 0:
        paint_stars(c, pal.stars, c.horizon)
    wet = "rain" in c.sc.weather
    if wet or "clouds" in c.sc.weather:
        paint_clouds(c, 0.55 if wet and _is_dark(c) else 1.0 if wet else 0.7, dark=0.25 if wet else 0.0)
    if pal.sun_visible and sy < c.horizon:
        night = c.sc.time == "night"
        r = c.h * (0.035 if night else 0.05 if c.sc.time in ("golden", "dawn") else 0.04)
        c.spot(sx, sy, r, r, _mix(pal.sun, np.ones(3, F32), 0.5))
        if night:
            c.spot(sx + r * 0.35, sy - r * 0.2, r * 0.9, r * 0.9, pal.top, alpha=0.0)
            c.spot(sx - r * 0.3, sy + r * 0.2, r * 0.22, r * 0.18, pal.sun * 0.85, 0.5)
        c.glow_spot(sx, sy, r * 2.2, pal.sun, 0.45 if not night else 0.3)


def paint_stars(c: Canvas, amount: float, bottom: float) -> None:
    rng = c.rng("stars")
    n = int(c.w * bottom * amount / 900) + 4
    xs = rng.integers(0, c.w, n)
    ys = rng.integers(0, max(1, int(bottom)), n)
    bright = rng.uniform(0.25, 1.0, n).astype(F32) ** 2 * amount
    fade = np.clip(1.2 - ys / max(bottom, 1.0), 0, 1)
    c.img[ys, xs] += (bright * fade)[:, None] * np.array([0.9, 0.92, 1.0], F32)
    for i in np.flatnonzero(bright > 0.6 * amount)[:12]:
        c.glow_spot(float(xs[i]), float(ys[i]), 3 * c.u, np.array([0.8, 0.85, 1.0], F32), 0.5 * amount)


def paint_clouds(c: Canvas, cover: float, dark: float = 0.0) -> None:
    """Flat illustrated clouds: puffs on a flat base, lit along the top edge."""
    rng = c.rng("clouds")
    pal = c.pal
    # Drawn at half size: the edges are softened anyway, and it halves the cost.
    hw, hh = max(4, c.w // 2), max(4, c.h // 2)
    mask = Image.new("L", (hw, hh))
    d = ImageDraw.Draw(mask)
    for _ in range(int(3 + cover * 9)):
        width = hw * float(rng.uniform(0.12, 0.32))
        cx = float(rng.uniform(-0.1, 1.1)) * hw
        base = c.horizon / 2 * float(rng.uniform(0.18, 0.8))
        puffs = int(rng.integers(3, 6))
        for k in range(puffs):
            px = cx - width / 2 + width * (k + 0.5) / puffs
            r = width / puffs * float(rng.uniform(0.7, 1.25)) * (1.25 if 0 < k < puffs - 1 else 0.9)
            d.ellipse([px - r, base - r * 1.4, px + r, base], fill=255)
        d.rounded_rectangle([cx - width / 2, base - width * 0.12, cx + width / 2, base], width * 0.06, fill=255)
    soft = mask.filter(ImageFilter.GaussianBlur(max(0.5, 0.7 * c.u))).resize((c.w, c.h), Image.BILINEAR)
    rows = int(min(c.h, c.horizon + 2))
    m = np.asarray(soft, F32)[:rows, :, None] / 255.0
    shift = max(1, int(3 * c.u))
    edge = np.zeros_like(m)
    edge[shift:] = np.clip(m[shift:] - m[:-shift], 0, 1)
    body = _mix(pal.horizon, np.array([0.97, 0.97, 1.0], F32), 0.55) * (1 - dark)
    if c.sc.time in ("night", "dusk"):
        body = _mix(_mix(pal.mid, pal.horizon, 0.5) * 1.15, pal.key, 0.12)
    shadow = _mix(body, pal.top, 0.4)
    ys = (np.arange(rows, dtype=F32)[:, None, None] + 0.5) / max(c.horizon, 1.0)
    colour = _mix(shadow, body, np.clip(1.1 - ys * 0.6, 0, 1)) + edge * pal.sun * (0.35 if c.sc.time != "night" else 0.1)
    sky = c.img[:rows]
    sky += (colour - sky) * (m * 0.9)


# --- landscape layers -----------------------------------------------------------------------


def hills(c: Canvas, name: str, base: float, amp: float, cycles: float, colour: RGB, depth: float,
          sharp: bool = False, fade: float = 0.35, snow: float = 0.0) -> Vec:
    """A ridge of hills or mountains across the frame; `base` and `amp` are fractions of the height."""
    rng = c.rng(name)
    top = (base - amp * noise1d(rng, c.w, cycles, sharp=sharp)) * c.h
    col = c.lit(colour, depth)
    haze = _mix(col, c.pal.haze, 0.35 + 0.3 * c.pal.fog)
    fill_below(c, top, col, fade_to=haze if fade > 0 else None, fade_px=max(1.0, fade * c.h))
    if snow > 0:
        # Snow above a ragged snow line, so only the peaks turn white.
        peak, low = float(top.min()), float(top.max())
        line = peak + (low - peak) * snow * (0.55 + 0.45 * noise1d(rng, c.w, cycles * 6, 3))
        snow_col = c.lit((236, 240, 248), depth * 0.8)
        y0, y1 = int(max(0, peak)), int(min(c.h, line.max() + 1))
        if y1 > y0:
            ys = np.arange(y0, y1, dtype=F32)[:, None] + 0.5
            m = (np.clip(ys - top[None] + 0.5, 0, 1) * np.clip(line[None] - ys + 0.5, 0, 1))[..., None]
            region = c.img[y0:y1]
            region += (snow_col - region) * m * 0.9
    return top


def conifers(c: Canvas, name: str, base: float, height: float, count: int, colour: RGB, depth: float, snow: bool = False) -> Vec:
    """A band of pine trees as one silhouette line: stacked triangles with saw-tooth branches."""
    rng = c.rng(name)
    xs = np.arange(c.w, dtype=F32) + 0.5
    n = max(3, int(count * c.w / max(c.h * 16 / 9, 1)))
    centres = np.sort(rng.uniform(-0.05, 1.05, n).astype(F32)) * c.w
    heights = (height * c.h * rng.uniform(0.6, 1.15, n)).astype(F32)
    halfw = heights * rng.uniform(0.2, 0.28, n).astype(F32)
    bases = (base * c.h + rng.uniform(-0.015, 0.015, n) * c.h).astype(F32)
    dx = np.abs(xs[None, :] - centres[:, None]) / halfw[:, None]
    tiers = 1 - (dx * 3 % 1) * 0.28
    prof = bases[:, None] - heights[:, None] * np.clip(1 - dx, 0, 1) * tiers
    prof = np.where(dx < 1, prof, bases[:, None] + 0 * dx)
    top = prof.min(axis=0)
    col = c.lit(colour, depth)
    fill_below(c, top, col, fade_to=_mix(col, c.pal.haze, 0.3 + 0.4 * c.pal.fog), fade_px=height * c.h)
    if snow:
        m_y0 = int(max(0, top.min()))
        ys = np.arange(m_y0, c.h, dtype=F32)[:, None] + 0.5
        cap = np.clip(ys - top[None] + 0.5, 0, 1) * np.clip(top[None] + 2.5 * c.u - ys, 0, 1)
        c.img[m_y0:] += (c.lit((236, 242, 250), depth) - c.img[m_y0:]) * cap[..., None] * 0.8
    return top


def ground(c: Canvas, y: float, near: RGB, far: RGB, depth: float = 0.25) -> None:
    top = np.full(c.w, y, F32)
    fill_below(c, top, c.lit(far, depth), fade_to=c.lit(near), fade_px=max(1.0, c.h - y))


def water(c: Canvas, y: float, tint: RGB, calm: float = 1.0) -> None:
    """A water surface from `y` down reflecting what is above it, rippled and tinted."""
    y0 = int(round(y))
    if y0 >= c.h or y0 <= 0:
        return
    rng = c.rng("water")
    rows = np.arange(y0, c.h)
    t = ((rows - y0) / max(c.h - y0, 1)).astype(F32)
    src = np.clip(2 * y0 - rows - 1, 0, c.h - 1)
    wobble = (np.sin(rows * (0.9 / c.u) + float(rng.uniform(0, 6))) + 0.6 * np.sin(rows * (2.3 / c.u) + 1.3)) * (0.5 + 6 * t) * c.u / calm
    cols = (np.arange(c.w)[None, :] + wobble.astype(np.int64)[:, None]) % c.w
    refl = c.img[src[:, None], cols]
    refl = soft_blur(refl, 1.2 * c.u)
    base = c.lit(tint, 0.0)
    far = _mix(base, c.pal.horizon, 0.5)
    colour = _mix(far, base, t[:, None, None])
    c.img[y0:] = _mix(refl * 0.85, colour, (0.35 + 0.35 * t)[:, None, None])
    # Glints: short bright dashes that thin out towards the horizon.
    n = int(c.w * (c.h - y0) / (120 * max(c.u, 0.3)))
    gx = rng.integers(0, c.w, n)
    gy = (y0 + (rng.random(n) ** 1.6) * (c.h - y0)).astype(np.int64)
    ln = (1 + 10 * c.u * (gy - y0) / max(c.h - y0, 1)).astype(np.int64)
    glint = _mix(c.pal.horizon, np.ones(3, F32), 0.6) * (0.22 if c.sc.time != "night" else 0.12)
    for k in range(3 if c.u > 0.3 else 1):
        xx = np.clip(gx + (k * ln) // 3, 0, c.w - 1)
        c.img[np.clip(gy, 0, c.h - 1), xx] += glint
    if c.pal.sun_visible and c.pal.sun_dy < 0:
        sx = c.pal.sun_x * c.w
        width = (0.02 + 0.12 * t) * c.w
        xs = np.arange(c.w, dtype=F32)[None, :]
        path = np.exp(-(((xs - sx) / width[:, None]) ** 2)) * (0.5 + 0.5 * np.sin(rows[:, None] * 1.7 / c.u + xs * 0.05))
        c.img[y0:] += (path[..., None] * c.pal.sun * 0.25 * (1.0 if c.sc.time != "noon" else 0.4))


def dunes(c: Canvas, name: str, base: float, amp: float, colour: RGB, depth: float) -> None:
    """Sand dunes: the face turned to the sun is lit, the other in warm shadow, both settling into one tone."""
    rng = c.rng(name)
    top = (base - amp * noise1d(rng, c.w, 0.9, octaves=2)) * c.h
    slope = np.gradient(top) * c.pal.key_side
    lit, shade = c.lit(colour, depth), c.lit(_dark(colour, 0.7), depth)
    per_col = _mix(shade[None], lit[None], _smooth(-0.15, 0.15, -slope / max(c.u, 0.2))[:, None])
    fill_below(c, top, per_col, fade_to=_mix(lit, shade, 0.4), fade_px=0.1 * c.h)


# --- buildings ----------------------------------------------------------------------------------


def _cell_hash(*parts: Vec) -> Vec:
    h = np.zeros(parts[0].shape if parts[0].ndim else (1,), np.uint32) + np.uint32(2166136261)
    for p in parts:
        h = (h ^ p.astype(np.uint32)) * np.uint32(16777619)
        h ^= h >> np.uint32(13)
    return h % np.uint32(1000)


def skyline(c: Canvas, name: str, base_y: float, tall: float, width: float, colour: RGB, depth: float,
            lit_share: float, windows: bool = True) -> tuple[Vec, list[tuple[float, float, float]]]:
    """A row of buildings standing on `base_y`; returns the roof line and each building's (x0, x1, roof)."""
    rng = c.rng(name)
    w, h = c.w, c.h
    tops = np.full(w, base_y, F32)
    roofs = np.full(w, base_y, F32)
    ids = np.zeros(w, np.int64)
    lefts = np.zeros(w, F32)
    blocks: list[tuple[float, float, float]] = []
    x, i = -float(rng.uniform(0, width * c.h)), 1
    while x < w:
        bw = float(rng.uniform(0.5, 1.0)) * width * c.h
        bh = float(rng.uniform(0.35, 1.0)) * tall * c.h * (1.45 if rng.random() < 0.15 else 1.0)
        a, b = int(max(0, x)), int(min(w, x + bw))
        roof = base_y - bh
        if b > a:
            tops[a:b], roofs[a:b], ids[a:b], lefts[a:b] = roof, roof, i, x
            if rng.random() < 0.35:
                ia, ib = int(max(0, x + bw * 0.22)), int(min(w, x + bw * 0.78))
                tops[ia:ib] = roof - bh * float(rng.uniform(0.05, 0.14))
            if rng.random() < 0.25:
                ax = int(x + bw * float(rng.uniform(0.3, 0.7)))
                tops[max(0, ax) : min(w, ax + max(1, int(c.u * 1.5)))] = roof - bh * 0.3
            blocks.append((x, x + bw, roof))
        x += bw + (float(rng.uniform(0, 0.3)) * width * c.h if rng.random() < 0.3 else 0.0)
        i += 1
    shade = (0.9 + 0.2 * (_cell_hash(ids, np.full_like(ids, 7)) / 1000.0)).astype(F32)
    col = c.lit(colour, depth)[None] * shade[:, None]
    fill_below(c, tops, col, fade_to=None)
    if windows and c.u * width > 0.004:
        _windows(c, name, tops, roofs, ids, lefts, base_y, depth, lit_share)
    return tops, blocks


def _windows(c: Canvas, name: str, tops: Vec, roofs: Vec, ids: Vec, lefts: Vec, base_y: float, depth: float, lit_share: float) -> None:
    y0, y1 = int(max(0, roofs.min())), int(min(c.h, base_y))
    if y1 <= y0:
        return
    cw, ch = max(2.0, 7.0 * c.u * (1 - depth * 0.5)), max(3.0, 9.0 * c.u * (1 - depth * 0.5))
    xs = np.arange(c.w, dtype=F32) + 0.5 - lefts
    cx = np.floor((xs - cw * 0.5) / cw)
    in_x = ((xs - cw * 0.5) % cw < cw * 0.55) & (xs > cw * 0.5)
    ys = np.arange(y0, y1, dtype=F32)[:, None] + 0.5 - roofs[None, :] - ch * 0.6
    cy = np.floor(ys / ch)
    in_y = (ys > 0) & (ys % ch < ch * 0.55) & (ys + roofs[None, :] + ch * 0.6 < base_y - ch * 0.5)
    inside = in_y & in_x[None, :] & (ids[None, :] > 0)
    pick = _cell_hash(ids[None, :] * 31 + np.int64(_stable_int(name) % 97), cx[None, :].astype(np.int64) + 50, cy.astype(np.int64) + 50)
    on = inside & (pick < lit_share * 1000)
    region = c.img[y0:y1]
    night = c.sc.time in ("night", "dusk")
    if night or c.sc.family == "interior":
        region[inside & ~on] *= 0.8
    else:
        region[inside] = _mix(region[inside], c.pal.horizon * 0.85, 0.3)
    if lit_share > 0 and on.any():
        warm = np.array([1.0, 0.8, 0.5], F32)
        cool = np.array([0.75, 0.88, 1.0], F32)
        tint = (pick[on] % 3 == 0)[:, None]
        lamp = np.where(tint, cool, warm) * (1.0 - depth * 0.4)
        region[on] = _mix(region[on], lamp, 0.85)


def neon_signs(c: Canvas, blocks: list[tuple[float, float, float]], base_y: float, count: int) -> None:
    """Glowing signs on building fronts: a bright outline, letter strokes and a halo."""
    if not blocks:
        return
    rng = c.rng("neon")
    colours = [_rgb(a) for a in c.sc.accents] or [_rgb(COLOURS["pink"]), _rgb(COLOURS["cyan"])]
    order = rng.permutation(len(blocks))
    for k, idx in enumerate(order[:count]):
        x0, x1, roof = blocks[int(idx)]
        col = colours[k % len(colours)]
        bw, bh = x1 - x0, base_y - roof
        vertical = rng.random() < 0.55
        if vertical:
            sw, sh = bw * 0.22, min(bh * 0.55, bw * 1.4)
        else:
            sw, sh = bw * 0.75, min(bh * 0.18, bw * 0.22)
        sx = x0 + float(rng.uniform(0.1, 0.9)) * (bw - sw)
        sy = roof + float(rng.uniform(0.1, 0.5)) * (bh - sh)
        t = max(1.0, 1.3 * c.u)
        c.rect(sx, sy, sx + sw, sy + sh, col * 0.18)
        for a, b, cc, d in ((sx, sy, sx + sw, sy + t), (sx, sy + sh - t, sx + sw, sy + sh), (sx, sy, sx + t, sy + sh), (sx + sw - t, sy, sx + sw, sy + sh)):
            c.rect(a, b, cc, d, _mix(col, np.ones(3, F32), 0.35))
        letters = int(max(2, (sh if vertical else sw) / max(6 * c.u, 2)))
        for j in range(letters):
            f = (j + 0.5) / letters
            if vertical:
                ly = sy + sh * f
                c.rect(sx + sw * 0.28, ly - sh / letters * 0.3, sx + sw * 0.72, ly + sh / letters * 0.3, _mix(col, np.ones(3, F32), 0.5), 0.9)
            else:
                lx = sx + sw * f
                c.rect(lx - sw / letters * 0.3, sy + sh * 0.28, lx + sw / letters * 0.3, sy + sh * 0.72, _mix(col, np.ones(3, F32), 0.5), 0.9)
        c.glow_rect(sx, sy, sx + sw, sy + sh, col, 1.3)
        c.glow_spot(sx + sw / 2, sy + sh / 2, max(sw, sh) * 0.9, col, 0.35)


# --- families -----------------------------------------------------------------------------------


def _is_dark(c: Canvas) -> bool:
    return c.sc.time in ("night", "dusk")


def _lit_share(c: Canvas) -> float:
    return {"night": 0.38, "dusk": 0.28, "golden": 0.08}.get(c.sc.time, 0.0)


def paint_field(c: Canvas) -> None:
    sc = c.sc
    snow = "snow" in sc.weather
    c.horizon = c.h * (0.6 if sc.camera != "wide" else 0.64)
    paint_sky(c)
    hills(c, "field-far", 0.6, 0.12, 1.3, (96, 116, 150), 0.75, sharp=True, snow=0.25 if snow else 0.0)
    green = (236, 240, 246) if snow else (112, 156, 82) if sc.variant != "farm" else (150, 160, 80)
    hills(c, "field-mid", 0.68, 0.07, 0.9, green, 0.35, fade=0.3)
    rng = c.rng("field-tree")
    tx = float(rng.uniform(0.15, 0.35) if c.pal.key_side > 0 else rng.uniform(0.65, 0.85)) * c.w
    near = hills(c, "field-near", 0.8, 0.08, 0.6, (226, 232, 240) if snow else (92, 140, 64), 0.0, fade=0.4)
    if sc.variant in ("farm", "countryside"):
        _barn(c, float(c.w) - tx, float(near[int(np.clip(c.w - tx, 0, c.w - 1))]))
    _round_tree(c, tx, float(near[int(np.clip(tx, 0, c.w - 1))]) + 2 * c.u, 0.3 * c.h, (60, 100, 50) if not snow else (120, 130, 130))
    if sc.variant in ("garden", "meadow", "park") and not snow:
        _flowers(c, near)


def _round_tree(c: Canvas, x: float, base: float, size: float, leaf: RGB) -> None:
    sk = Sketch(c, x - size * 0.6, base - size * 1.05, x + size * 0.6, base + 2, ss=3)
    trunk = (70, 52, 40)
    sk.poly([(x - size * 0.05, base), (x + size * 0.05, base), (x + size * 0.03, base - size * 0.45), (x - size * 0.03, base - size * 0.45)], trunk)
    rng = c.rng(f"tree{x:.0f}")
    dark = tuple(int(v * 0.8) for v in leaf)
    for k in range(6):
        a = k / 6 * 2 * np.pi
        r = size * float(rng.uniform(0.22, 0.3))
        sk.ellipse(x + math.cos(a) * size * 0.22, base - size * 0.68 + math.sin(a) * size * 0.16, r, r * 0.9, dark)  # type: ignore[arg-type]
    sk.ellipse(x - size * 0.05, base - size * 0.76, size * 0.3, size * 0.26, leaf)
    sk.paste(ambient_shade(c, x, rim=0.5))


def _barn(c: Canvas, x: float, base: float) -> None:
    s = c.h * 0.12
    sk = Sketch(c, x - s, base - s * 1.3, x + s, base + 2, ss=3)
    sk.poly([(x - s * 0.8, base), (x - s * 0.8, base - s * 0.7), (x, base - s * 1.2), (x + s * 0.8, base - s * 0.7), (x + s * 0.8, base)], (150, 50, 40))
    sk.rect(x - s * 0.25, base - s * 0.55, x + s * 0.25, base, (90, 30, 26))
    sk.paste(ambient_shade(c, x, rim=0.4))


def _flowers(c: Canvas, near: Vec) -> None:
    rng = c.rng("flowers")
    n = int(60 * c.w / max(c.h * 16 / 9, 1))
    hues = [_rgb(a) for a in c.sc.accents] or [_rgb((255, 230, 240)), _rgb((250, 210, 80)), _rgb((230, 120, 160))]
    for _ in range(n):
        x = float(rng.uniform(0, c.w))
        y0 = float(near[int(np.clip(x, 0, c.w - 1))])
        y = y0 + float(rng.random() ** 0.7) * (c.h - y0)
        r = c.u * (0.8 + 2.2 * (y - y0) / max(c.h - y0, 1))
        c.spot(x, y, r, r * 0.8, c.lit(hues[int(rng.integers(len(hues)))]) * 1.1, 0.9)


def paint_forest(c: Canvas) -> None:
    sc = c.sc
    snow = "snow" in sc.weather
    c.horizon = c.h * 0.6
    paint_sky(c)
    hills(c, "forest-ridge", 0.58, 0.14, 1.1, (90, 110, 140), 0.8, sharp=True, snow=0.2 if snow else 0.0)
    greens = ((70, 110, 96), (44, 84, 66), (28, 60, 48))
    if snow:
        greens = ((90, 120, 120), (60, 96, 90), (40, 72, 66))
    for k, (base, height, col, depth) in enumerate(((0.63, 0.2, greens[0], 0.6), (0.72, 0.28, greens[1], 0.32), (0.84, 0.36, greens[2], 0.08))):
        conifers(c, f"forest-{k}", base, height, 46 - 12 * k, col, depth, snow=snow)
    ground(c, c.h * 0.86, (236, 240, 248) if snow else (58, 80, 44), (220, 228, 238) if snow else (72, 100, 56), 0.1)
    if sc.time in ("dawn", "morning", "golden") and "rain" not in sc.weather:
        _god_rays(c)
    if sc.camera != "wide":
        _trunks(c)


def _god_rays(c: Canvas) -> None:
    rng = c.rng("rays")
    sx = c.pal.sun_x * c.w
    ys = np.arange(c.gh, dtype=F32)[:, None] + 0.5
    xs = np.arange(c.gw, dtype=F32)[None, :] + 0.5
    ang = np.arctan2(xs - sx / 4, ys + c.gh * 0.3)
    rays = np.zeros_like(ang)
    for _ in range(5):
        a0 = float(rng.uniform(-0.6, 0.6))
        rays += np.exp(-(((ang - a0) / 0.03) ** 2))
    fade = np.clip(1 - ys / c.gh, 0, 1) * 0.6
    c.glow += (rays * fade)[..., None] * c.pal.sun * 0.12


def _trunks(c: Canvas) -> None:
    rng = c.rng("trunks")
    for k in range(2):
        x = float(rng.uniform(0.0, 0.12) if k == 0 else rng.uniform(0.88, 1.0)) * c.w
        w = c.h * float(rng.uniform(0.035, 0.06))
        c.rect(x - w, 0, x + w, c.h, c.lit((36, 30, 28)), 1.0, bottom=c.lit((24, 20, 20)))
        c.rect(x - w if c.pal.key_side < 0 else x + w * 0.5, 0, x - w * 0.5 if c.pal.key_side < 0 else x + w, c.h, c.lit((70, 56, 48)), 0.5)


def paint_beach(c: Canvas) -> None:
    sc = c.sc
    lake = sc.variant in ("lake", "river")
    c.horizon = c.h * (0.55 if sc.camera != "wide" else 0.58)
    paint_sky(c)
    if lake:
        hills(c, "lake-far", 0.55, 0.1, 1.2, (90, 110, 140), 0.7, sharp=True, snow=0.3 if "snow" in sc.weather else 0.0)
        conifers(c, "lake-shore", c.horizon / c.h + 0.005, 0.06, 90, (50, 80, 70), 0.45)
    water(c, c.horizon + (0.005 * c.h if lake else 0.0), (40, 110, 140) if not lake else (40, 90, 110))
    rng = c.rng("shore")
    shore = (0.8 + 0.06 * noise1d(rng, c.w, 0.7, 3)) * c.h
    xs = np.arange(c.w, dtype=F32)
    for k in range(3):
        line = shore - (k + 1) * 2.2 * c.u * (1 + k) - 3 * c.u * np.sin(xs / (40 * c.u) + k * 2.0)
        fill_below(c, line, np.array([0.92, 0.95, 0.98], F32) * c.pal.ambient, alpha=0.18 + 0.08 * k)
    sand = (236, 240, 248) if "snow" in sc.weather else (226, 196, 150)
    fill_below(c, shore, c.lit(tuple(int(v * 0.78) for v in sand)), fade_to=c.lit(sand), fade_px=8 * c.u)  # type: ignore[arg-type]
    if sc.has("palm", "tropical", "island"):
        _palm(c, (0.12 if c.pal.key_side > 0 else 0.88) * c.w, float(c.h * 0.95))


def _palm(c: Canvas, x: float, base: float) -> None:
    s = c.h * 0.6
    sk = Sketch(c, x - s * 0.6, base - s * 1.1, x + s * 0.6, base + 2, ss=2)
    top = (x + s * 0.12, base - s)
    sk.stroke([(x, base), (x + s * 0.06, base - s * 0.5), top], (60, 46, 36), s * 0.04)
    for k in range(7):
        a = -np.pi / 2 + (k - 3) * 0.5
        tip = (top[0] + math.cos(a) * s * 0.45, top[1] + math.sin(a) * s * 0.28 + s * 0.15)
        mid = ((top[0] + tip[0]) / 2, (top[1] + tip[1]) / 2 - s * 0.06)
        sk.stroke([top, mid, tip], (40, 70, 50), s * 0.035)
    sk.paste(ambient_shade(c, x, rim=0.4))


def paint_mountain(c: Canvas) -> None:
    sc = c.sc
    snow = "snow" in sc.weather
    c.horizon = c.h * 0.64
    paint_sky(c)
    soft = sc.variant in ("hills", "hill", "valley")
    hills(c, "mtn-0", 0.5, 0.3 if not soft else 0.14, 1.3, (120, 136, 170), 0.8, sharp=not soft, snow=0.28 if not soft else 0.0)
    hills(c, "mtn-1", 0.6, 0.22 if not soft else 0.1, 1.7, (86, 104, 130), 0.5, sharp=not soft, snow=0.18 if snow else 0.0)
    if sc.variant in ("cliff", "canyon"):
        _cliff(c)
        return
    hills(c, "mtn-2", 0.74, 0.1, 1.0, (226, 232, 240) if snow else (84, 118, 70), 0.2, fade=0.3)
    hills(c, "mtn-3", 0.88, 0.06, 0.7, (236, 240, 248) if snow else (64, 98, 52), 0.0, fade=0.3)


def _cliff(c: Canvas) -> None:
    water(c, c.h * 0.66, (40, 100, 130))
    left = c.pal.key_side > 0
    xs = np.arange(c.w, dtype=F32) / c.w
    rng = c.rng("cliff")
    edge = 0.55 + 0.05 * noise1d(rng, c.w, 2.0)
    top = np.where((xs < edge) if left else (xs > 1 - edge), c.h * (0.7 + 0.05 * noise1d(rng, c.w, 1.0)), float(c.h) + 2)
    fill_below(c, top.astype(F32), c.lit((96, 120, 70)), fade_to=c.lit((70, 64, 58)), fade_px=6 * c.u)


def paint_desert(c: Canvas) -> None:
    c.horizon = c.h * 0.64
    paint_sky(c)
    hills(c, "mesa", 0.62, 0.08, 0.8, (190, 120, 100), 0.7, fade=0.2)
    dunes(c, "dune-0", 0.7, 0.08, (226, 170, 110), 0.35)
    dunes(c, "dune-1", 0.82, 0.1, (230, 176, 112), 0.1)
    dunes(c, "dune-2", 0.95, 0.1, (236, 186, 120), 0.0)
    if c.sc.has("cactus", "cacti"):
        rng = c.rng("cactus")
        for _ in range(2):
            _cactus(c, float(rng.uniform(0.1, 0.9)) * c.w, c.h * float(rng.uniform(0.85, 0.95)), c.h * float(rng.uniform(0.12, 0.2)))


def _cactus(c: Canvas, x: float, base: float, s: float) -> None:
    sk = Sketch(c, x - s * 0.5, base - s * 1.1, x + s * 0.5, base + 2, ss=3)
    col = (60, 120, 70)
    sk.stroke([(x, base), (x, base - s)], col, s * 0.16)
    sk.stroke([(x, base - s * 0.45), (x - s * 0.3, base - s * 0.45), (x - s * 0.3, base - s * 0.75)], col, s * 0.12)
    sk.stroke([(x, base - s * 0.6), (x + s * 0.28, base - s * 0.6), (x + s * 0.28, base - s * 0.85)], col, s * 0.12)
    sk.paste(ambient_shade(c, x, rim=0.4))


def paint_city(c: Canvas) -> None:
    sc = c.sc
    wide = sc.camera == "wide"
    c.horizon = c.h * (0.72 if wide else 0.78)
    paint_sky(c)
    share = _lit_share(c)
    skyline(c, "city-far", c.horizon, 0.36, 0.07, (90, 100, 130), 0.7, share * 0.6, windows=False)
    skyline(c, "city-mid", c.horizon, 0.3, 0.09, (60, 70, 96), 0.4, share)
    _, blocks = skyline(c, "city-near", c.horizon, 0.22, 0.13, (40, 46, 64), 0.12, share)
    if sc.neon:
        neon_signs(c, blocks, c.horizon, 5)
    if wide:
        water(c, c.horizon, (30, 50, 80))
    else:
        ground(c, c.horizon, (40, 42, 50), (70, 72, 84))
        if "rain" in sc.weather:
            _wet(c, c.horizon)


def _wet(c: Canvas, y: float) -> None:
    """Wet ground: a faint, smeared mirror of the lights above it."""
    y0 = int(y)
    if y0 >= c.h or y0 < 1:
        return
    rows = np.arange(y0, c.h)
    src = np.clip(2 * y0 - rows - 1, 0, c.h - 1)
    refl = c.img[src]
    step = max(1, int(c.u))
    streak = blur(refl[::step, ::step], 3) if step > 1 else blur(refl, 3)
    if step > 1:
        streak = upsample(streak, c.w, c.h - y0)
    c.img[y0:] += np.clip(streak - 0.12, 0, 1) * 0.5


def paint_rooftop(c: Canvas) -> None:
    sc = c.sc
    c.horizon = c.h * 0.64
    paint_sky(c)
    share = _lit_share(c)
    skyline(c, "roof-far", c.horizon, 0.3, 0.06, (90, 100, 130), 0.7, share * 0.6, windows=False)
    skyline(c, "roof-mid", c.horizon + 0.05 * c.h, 0.3, 0.08, (60, 70, 96), 0.45, share)
    _, blocks = skyline(c, "roof-near", c.horizon + 0.12 * c.h, 0.3, 0.16, (40, 46, 64), 0.15, share)
    if sc.neon:
        neon_signs(c, blocks, c.horizon + 0.12 * c.h, 4)
    if sc.has("billboard") or "sign" in sc.lights:
        _billboard(c, blocks)
    ledge = c.h * 0.74
    c.rect(0, ledge, c.w, ledge + 0.06 * c.h, c.lit((70, 72, 84)), 1.0, bottom=c.lit((46, 48, 58)))
    c.rect(0, ledge - 0.008 * c.h, c.w, ledge + 0.004 * c.h, c.lit((120, 122, 134)))
    floor_y = ledge + 0.06 * c.h
    c.rect(0, floor_y, c.w, c.h, c.lit((58, 60, 70)), 1.0, bottom=c.lit((34, 36, 44)))
    if "rain" in sc.weather or sc.has("glass", "wet", "puddle"):
        floor_lines(c, floor_y, 0.05, 0.16, 7, 0.2)
        _wet(c, floor_y)
    _water_tower(c)
    if _is_dark(c) and not sc.has("billboard"):
        _string_lights(c, ledge)


def floor_lines(c: Canvas, y0: float, far: float, near: float, rows: int, strength: float) -> None:
    """Perspective seams on a floor from `y0` down: lines to a vanishing point plus receding rows."""
    a = int(max(0, y0))
    if a >= c.h:
        return
    t = ((np.arange(a, c.h, dtype=F32) + 0.5 - y0) / max(c.h - y0, 1.0))[:, None]
    spacing = (far + (near - far) * t) * c.w
    u = (np.arange(c.w, dtype=F32)[None, :] + 0.5 - c.w / 2) / spacing
    seam = np.clip(1.2 - np.abs(u - np.round(u)) * spacing, 0, 1)
    if rows > 0:
        # Row seams crowd towards the horizon; their distance in pixels comes from the index's slope.
        tt = np.clip(t, 1e-3, 1.0)
        index = rows * tt ** (1 / 1.6)
        per_px = rows / 1.6 * tt ** (1 / 1.6 - 1) / max(c.h - y0, 1.0)
        seam = np.maximum(seam, np.clip(1.2 - np.abs(index - np.round(index)) / per_px, 0, 1))
    c.img[a:] *= 1 - strength * seam[..., None]


def _billboard(c: Canvas, blocks: list[tuple[float, float, float]]) -> None:
    rng = c.rng("billboard")
    col = _rgb(c.sc.light_colour or (c.sc.accents[0] if c.sc.accents else COLOURS["cyan"]))
    x0 = (0.62 if c.pal.key_side > 0 else 0.06) * c.w + float(rng.uniform(-0.03, 0.03)) * c.w
    bw, bh = c.w * 0.3, c.h * 0.2
    y0 = c.h * 0.28
    c.rect(x0 + bw * 0.2, y0 + bh, x0 + bw * 0.24, c.h * 0.74, c.lit((40, 40, 48)))
    c.rect(x0 + bw * 0.76, y0 + bh, x0 + bw * 0.8, c.h * 0.74, c.lit((40, 40, 48)))
    c.rect(x0, y0, x0 + bw, y0 + bh, _mix(col, np.ones(3, F32), 0.25), 1.0, bottom=col * 0.7)
    for k in range(3):
        yy = y0 + bh * (0.25 + 0.22 * k)
        c.rect(x0 + bw * 0.1, yy, x0 + bw * (0.9 - 0.2 * k), yy + bh * 0.08, np.ones(3, F32), 0.75)
    c.glow_rect(x0, y0, x0 + bw, y0 + bh, col, 1.0)
    c.glow_spot(x0 + bw / 2, y0 + bh / 2, bw * 0.7, col, 0.5)


def _water_tower(c: Canvas) -> None:
    x = (0.86 if c.pal.key_side < 0 else 0.14) * c.w
    base, s = c.h * 0.74, c.h * 0.34
    sk = Sketch(c, x - s * 0.4, base - s * 1.2, x + s * 0.4, base + 2, ss=3)
    col = (54, 44, 42)
    for dx in (-0.22, 0.22):
        sk.stroke([(x + dx * s, base), (x + dx * 0.8 * s, base - s * 0.45)], col, s * 0.025)
    sk.stroke([(x - 0.2 * s, base - s * 0.2), (x + 0.2 * s, base - s * 0.2)], col, s * 0.02)
    sk.rect(x - s * 0.22, base - s * 0.95, x + s * 0.22, base - s * 0.45, (92, 64, 52), radius=s * 0.02)
    sk.poly([(x - s * 0.25, base - s * 0.95), (x, base - s * 1.15), (x + s * 0.25, base - s * 0.95)], (70, 50, 44))
    sk.paste(ambient_shade(c, x, rim=0.7))


def _string_lights(c: Canvas, ledge: float) -> None:
    warm = np.array([1.0, 0.82, 0.5], F32)
    for k in range(2):
        x0, x1 = c.w * (-0.05 + 0.55 * k), c.w * (0.55 + 0.55 * k)
        y = ledge - c.h * (0.28 + 0.05 * k)
        n = 14
        for j in range(n + 1):
            t = j / n
            x = x0 + (x1 - x0) * t
            yy = y + c.h * 0.08 * 4 * t * (1 - t)
            c.spot(x, yy, 1.4 * c.u, 1.6 * c.u, warm)
            c.glow_spot(x, yy, 5 * c.u, warm, 0.5)
        ts = np.linspace(0, 1, int(max(20, abs(x1 - x0))))
        px = np.clip((x0 + (x1 - x0) * ts).astype(int), 0, c.w - 1)
        py = np.clip((y + c.h * 0.08 * 4 * ts * (1 - ts)).astype(int), 0, c.h - 1)
        c.img[py, px] = c.img[py, px] * 0.5


def paint_street(c: Canvas) -> None:
    sc = c.sc
    alley = sc.variant in ("alley", "alleyway")
    c.horizon = c.h * 0.7
    paint_sky(c)
    skyline(c, "street-far", c.h * 0.6, 0.3, 0.07, (90, 100, 130), 0.65, _lit_share(c) * 0.6, windows=False)
    rng = c.rng("facades")
    walls = ((168, 96, 78), (196, 170, 132), (120, 130, 140), (150, 110, 96), (96, 110, 120), (210, 190, 160))
    x = -float(rng.uniform(0, 0.1)) * c.w
    street_y = c.h * 0.74
    blocks = []
    while x < c.w:
        bw = c.w * float(rng.uniform(0.16, 0.26))
        top = c.h * float(rng.uniform(0.06, 0.32)) - (0.2 * c.h if alley else 0.0)
        col = c.lit(walls[int(rng.integers(len(walls)))], 0.0) * (0.55 if alley else 1.0)
        c.rect(x, top, x + bw, street_y, col, 1.0, bottom=col * 0.8)
        c.rect(x + bw - 1.5 * c.u, top, x + bw, street_y, col * 0.7)
        _facade(c, rng, x, top, bw, street_y, col)
        blocks.append((x, x + bw, top))
        x += bw
    if sc.neon:
        neon_signs(c, blocks, street_y - 0.2 * c.h, 4)
    c.rect(0, street_y, c.w, street_y + 0.04 * c.h, c.lit((140, 136, 130)))
    c.rect(0, street_y + 0.04 * c.h, c.w, c.h, c.lit((70, 72, 80)), 1.0, bottom=c.lit((44, 46, 52)))
    for k in range(6):
        dx = c.w * (k / 6 + float(rng.uniform(0, 0.02)))
        c.rect(dx, c.h * 0.88, dx + c.w * 0.07, c.h * 0.895, c.lit((220, 210, 170)), 0.7)
    for k in range(2):
        _street_lamp(c, c.w * (0.2 + 0.6 * k), street_y + 0.02 * c.h)
    if "rain" in sc.weather or sc.has("wet", "puddle"):
        _wet(c, street_y + 0.04 * c.h)


def _facade(c: Canvas, rng: np.random.Generator, x: float, top: float, bw: float, street_y: float, col: Vec) -> None:
    cols = int(rng.integers(2, 4))
    floor_h = c.h * 0.11
    shop_top = street_y - c.h * 0.13
    night = _is_dark(c)
    glass = c.pal.horizon * 0.7 if not night else np.array([0.12, 0.12, 0.18], F32)
    lamp = np.array([1.0, 0.8, 0.5], F32)
    y = top + floor_h * 0.4
    while y + floor_h * 0.6 < shop_top:
        for k in range(cols):
            wx = x + bw * (k + 0.5) / cols
            on = night and rng.random() < 0.45
            c.rect(wx - bw * 0.12, y, wx + bw * 0.12, y + floor_h * 0.58, lamp * 0.9 if on else glass)
            c.rect(wx - bw * 0.14, y + floor_h * 0.58, wx + bw * 0.14, y + floor_h * 0.62, col * 1.15)
        y += floor_h
    awning = _rgb(c.sc.accents[int(rng.integers(len(c.sc.accents)))] if c.sc.accents else TOPS[int(rng.integers(len(TOPS)))])
    shop = lamp * 0.95 if night or c.sc.time == "golden" else glass * 1.1
    c.rect(x + bw * 0.1, shop_top + c.h * 0.03, x + bw * 0.9, street_y - c.h * 0.005, shop)
    if night:
        c.glow_rect(x + bw * 0.1, shop_top + c.h * 0.03, x + bw * 0.9, street_y, lamp, 0.5)
    c.rect(x + bw * 0.05, shop_top, x + bw * 0.95, shop_top + c.h * 0.035, awning * c.pal.ambient)
    for k in range(0, 8, 2):
        sx = x + bw * (0.05 + 0.9 * k / 8)
        c.rect(sx, shop_top, sx + bw * 0.9 / 8, shop_top + c.h * 0.035, np.ones(3, F32) * c.pal.ambient * 0.9, 0.7)


def _street_lamp(c: Canvas, x: float, base: float) -> None:
    s = c.h * 0.42
    pole = c.lit((30, 32, 38))
    c.rect(x - 0.012 * s, base - s, x + 0.012 * s, base, pole)
    c.rect(x - 0.01 * s, base - s, x + 0.12 * s, base - s + 0.02 * s, pole)
    lamp_x, lamp_y = x + 0.11 * s, base - s + 0.04 * s
    if _is_dark(c) or "rain" in c.sc.weather:
        warm = np.array([1.0, 0.85, 0.55], F32)
        c.spot(lamp_x, lamp_y, 0.03 * s, 0.02 * s, warm)
        c.glow_spot(lamp_x, lamp_y, 0.12 * s, warm, 0.9)
        c.glow_spot(lamp_x, base, 0.3 * s, warm, 0.15)


def paint_bridge(c: Canvas) -> None:
    c.horizon = c.h * 0.6
    paint_sky(c)
    if c.sc.has("city", "skyline", "town") or c.sc.neon:
        skyline(c, "bridge-city", c.horizon, 0.25, 0.06, (80, 90, 120), 0.6, _lit_share(c) * 0.7)
    else:
        hills(c, "bridge-hills", 0.6, 0.1, 1.2, (90, 110, 140), 0.7, sharp=True)
    deck = c.h * 0.52
    rng = c.rng("bridge")
    span = c.w * float(rng.uniform(0.5, 0.62))
    t0 = c.w * 0.5 - span / 2
    towers = (t0, t0 + span)
    steel = c.lit((120, 60, 50) if c.sc.has("red", "golden", "gold") else (70, 76, 90), 0.2)
    tower_top = c.h * 0.14
    xs = np.arange(c.w, dtype=F32)
    for tx in towers:
        for dx in (-0.012, 0.012):
            c.rect(tx + (dx - 0.006) * c.w, tower_top, tx + (dx + 0.006) * c.w, c.horizon, steel)
        for yy in (tower_top + 0.02 * c.h, deck - 0.12 * c.h):
            c.rect(tx - 0.018 * c.w, yy, tx + 0.018 * c.w, yy + 0.012 * c.h, steel)
    # Main cable: a parabola between the towers and half parabolas out to the banks.
    sag = deck - tower_top - 0.03 * c.h
    mid = (t0 + towers[1]) / 2
    cable = np.where((xs > t0) & (xs < towers[1]), tower_top + sag * (1 - ((xs - mid) / (span / 2)) ** 2), 0.0)
    left = np.where(xs <= t0, tower_top + sag * (1 - (1 - (t0 - xs) / max(t0, 1)) ** 2) * 0 + sag * ((t0 - xs) / max(t0, 1)) ** 0.8 + tower_top, 0.0)
    right = np.where(xs >= towers[1], tower_top + sag * ((xs - towers[1]) / max(c.w - towers[1], 1)) ** 0.8, 0.0)
    cy = cable + left + right
    thick = max(1.0, 1.2 * c.u)
    for x in range(c.w):
        y = cy[x]
        c.img[int(max(0, y)) : int(min(c.h, y + thick)), x] = steel
        if x % max(2, int(8 * c.u)) == 0 and y < deck:
            c.img[int(max(0, y)) : int(deck), x] = _mix(c.img[int(max(0, y)) : int(deck), x], steel, 0.6)
    c.rect(0, deck, c.w, deck + 0.025 * c.h, steel * 0.8)
    if _is_dark(c):
        lamp = np.array([1.0, 0.85, 0.55], F32)
        for k in range(24):
            x = c.w * (k + 0.5) / 24
            c.spot(x, deck - 0.004 * c.h, 1.2 * c.u, 1.2 * c.u, lamp)
            c.glow_spot(x, deck, 5 * c.u, lamp, 0.4)
    water(c, c.horizon, (40, 80, 110))


def paint_harbor(c: Canvas) -> None:
    sc = c.sc
    c.horizon = c.h * 0.58
    paint_sky(c)
    hills(c, "harbor-hills", 0.58, 0.08, 1.2, (90, 110, 140), 0.7)
    if sc.has("port", "cargo", "crane"):
        _cranes(c)
    if sc.has("lighthouse"):
        _lighthouse(c)
    water(c, c.horizon, (34, 84, 110))
    rng = c.rng("boats")
    for k in range(3):
        x = c.w * float(rng.uniform(0.15, 0.85))
        y = c.h * (0.68 + 0.08 * k)
        _boat(c, x, y, c.h * (0.14 + 0.08 * k), rng)
    pier_y = c.h * 0.9
    c.rect(0, pier_y, c.w, c.h, c.lit((96, 72, 54)), 1.0, bottom=c.lit((70, 52, 40)))
    for k in range(12):
        px = c.w * (k + 0.5) / 12
        c.rect(px - 2 * c.u, pier_y - 0.03 * c.h, px + 2 * c.u, pier_y + 0.01 * c.h, c.lit((70, 52, 40)))


def _boat(c: Canvas, x: float, waterline: float, s: float, rng: np.random.Generator) -> None:
    hull = TOPS[int(rng.integers(len(TOPS)))]
    sk = Sketch(c, x - s, waterline - s * 1.3, x + s, waterline + s * 0.2, ss=3)
    sk.poly([(x - s * 0.6, waterline - s * 0.18), (x + s * 0.6, waterline - s * 0.18), (x + s * 0.45, waterline + s * 0.05), (x - s * 0.45, waterline + s * 0.05)], hull)
    sk.rect(x - s * 0.6, waterline - s * 0.2, x + s * 0.6, waterline - s * 0.15, (236, 232, 224))
    sk.rect(x - s * 0.2, waterline - s * 0.42, x + s * 0.15, waterline - s * 0.2, (226, 222, 214))
    sk.stroke([(x + s * 0.05, waterline - s * 0.2), (x + s * 0.05, waterline - s * 1.2)], (60, 56, 52), s * 0.025)
    sk.poly([(x + s * 0.08, waterline - s * 1.15), (x + s * 0.08, waterline - s * 0.45), (x + s * 0.5, waterline - s * 0.45)], (240, 236, 226))
    sk.paste(ambient_shade(c, x, rim=0.5))
    c.rect(x - s * 0.45, waterline + s * 0.05, x + s * 0.45, waterline + s * 0.09, c.lit((20, 30, 40)), 0.4)


def _cranes(c: Canvas) -> None:
    col = c.lit((150, 70, 50), 0.4)
    for k, fx in enumerate((0.2, 0.75)):
        x, base, s = c.w * fx, c.horizon, c.h * 0.32
        c.rect(x - 0.01 * s, base - s, x + 0.01 * s, base, col)
        c.rect(x - 0.3 * s, base - s, x + 0.7 * s, base - s + 0.03 * s, col)
        c.rect(x + 0.5 * s, base - s, x + 0.505 * s, base - s * 0.55, col * 0.8)


def _lighthouse(c: Canvas) -> None:
    x = c.w * (0.82 if c.pal.key_side < 0 else 0.18)
    base, s = c.horizon + 0.01 * c.h, c.h * 0.3
    sk = Sketch(c, x - s * 0.2, base - s * 1.1, x + s * 0.2, base + 2, ss=3)
    sk.poly([(x - s * 0.1, base), (x + s * 0.1, base), (x + s * 0.06, base - s * 0.85), (x - s * 0.06, base - s * 0.85)], (236, 232, 226))
    for k in range(3):
        y = base - s * (0.15 + 0.22 * k)
        sk.poly([(x - s * 0.095, y), (x + s * 0.095, y), (x + s * 0.088, y - s * 0.08), (x - s * 0.088, y - s * 0.08)], (196, 52, 48))
    sk.rect(x - s * 0.07, base - s * 1.0, x + s * 0.07, base - s * 0.85, (60, 60, 64))
    sk.paste(ambient_shade(c, x, rim=0.5))
    if _is_dark(c):
        warm = np.array([1.0, 0.9, 0.6], F32)
        c.spot(x, base - s * 0.93, s * 0.05, s * 0.05, warm)
        c.glow_spot(x, base - s * 0.93, s * 0.4, warm, 0.9)


def paint_space(c: Canvas) -> None:
    c.horizon = float(c.h)
    pal = c.pal
    deep = np.array([0.02, 0.02, 0.06], F32)
    rng = c.rng("nebula")
    hues = [_rgb(a) for a in c.sc.accents] or [_rgb(COLOURS["purple"]), _rgb(COLOURS["teal"])]
    field = noise2d(rng, c.gh, c.gw, 3)
    second = noise2d(rng, c.gh, c.gw, 2)
    neb = (_smooth(0.45, 0.85, field)[..., None] * hues[0] + _smooth(0.5, 0.9, second)[..., None] * hues[-1]) * 0.55
    c.img[:] = deep
    c.img += upsample(neb.astype(F32), c.w, c.h)
    paint_stars(c, 2.5, float(c.h))
    px, py = c.w * (0.72 if pal.key_side < 0 else 0.28), c.h * 0.78
    r = c.h * 0.42
    _planet(c, px, py, r, _rgb(c.sc.accents[1] if len(c.sc.accents) > 1 else (120, 150, 210)))
    if c.sc.has("surface", "moon", "ground", "landing") or c.sc.camera != "wide":
        top = (0.86 + 0.04 * noise1d(rng, c.w, 1.5)) * c.h
        fill_below(c, top.astype(F32), np.array([0.32, 0.3, 0.34], F32), fade_to=np.array([0.16, 0.15, 0.18], F32), fade_px=0.12 * c.h)


def _planet(c: Canvas, px: float, py: float, r: float, colour: Vec) -> None:
    x0, x1 = max(0, int(px - r * 1.3)), min(c.w, int(px + r * 1.3) + 1)
    y0, y1 = max(0, int(py - r * 1.3)), min(c.h, int(py + r * 1.3) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    xs = (np.arange(x0, x1, dtype=F32) + 0.5 - px) / r
    ys = (np.arange(y0, y1, dtype=F32)[:, None] + 0.5 - py) / r
    d = np.sqrt(xs * xs + ys * ys)
    inside = np.clip((1 - d) * r + 0.5, 0, 1)[..., None]
    lx, ly = -c.pal.key_side * 0.6, -0.5
    z = np.sqrt(np.clip(1 - d * d, 0, 1))
    light = np.clip(xs * -lx * -1 + ys * ly * -1 * -1 + z * 0.6, 0, 1) if False else np.clip(-(xs * -lx) - ys * -ly + z * 0.6, 0, 1)
    bands = 0.85 + 0.15 * np.sin(ys * 14 + np.sin(xs * 3) * 0.5)
    surf = colour * (0.12 + 0.9 * light[..., None]) * bands[..., None]
    region = c.img[y0:y1, x0:x1]
    region += (surf - region) * inside
    rim = np.exp(-(((d - 1) / 0.05) ** 2))[..., None] * (0.4 + light[..., None])
    region += rim * _mix(colour, np.ones(3, F32), 0.4) * 0.6


def paint_interior(c: Canvas) -> None:
    sc = c.sc
    v = sc.variant
    dark = _is_dark(c)
    wall_base: RGB = (214, 196, 170) if v not in ("bar", "pub") else (120, 70, 60)
    if sc.accents and v not in ("bar", "pub"):
        wall_base = tuple(int(0.55 * a + 0.45 * b) for a, b in zip(sc.accents[0], (214, 196, 170)))  # type: ignore[assignment]
    light = 0.45 if dark else 0.95
    wall = _rgb(wall_base) * light
    floor_y = c.h * 0.74
    c.horizon = floor_y
    c.rect(0, 0, c.w, floor_y, wall * 0.92, 1.0, bottom=wall * 1.02)
    _window(c)
    c.rect(0, floor_y - 0.02 * c.h, c.w, floor_y, wall * 0.7)
    wood = _rgb((150, 104, 70)) * light
    c.rect(0, floor_y, c.w, c.h, wood * 0.85, 1.0, bottom=wood * 1.05)
    floor_lines(c, floor_y, 0.06, 0.2, 0, 0.18)
    _furniture(c, floor_y, light)
    if dark or "warm" in sc.lights:
        _lamp(c, floor_y)


def _window(c: Canvas) -> None:
    rng = c.rng("window")
    left = c.pal.key_side < 0
    wx0 = c.w * (0.08 if left else 0.56) + float(rng.uniform(-0.02, 0.02)) * c.w
    wx1, wy0, wy1 = wx0 + c.w * 0.34, c.h * 0.14, c.h * 0.56
    ww, wh = int(wx1 - wx0), int(wy1 - wy0)
    if ww < 4 or wh < 4:
        return
    outside = Canvas(ww, wh, c.seed, c.sc, c.pal)
    outside.horizon = wh * 0.85
    paint_sky(outside)
    if c.sc.has("city", "skyline", "town", "neon", "apartment", "loft", "office"):
        skyline(outside, "window-city", wh * 1.0, 0.5, 0.14, (70, 80, 110), 0.4, _lit_share(c))
    else:
        conifers(outside, "window-trees", 1.02, 0.3, 40, (60, 90, 70), 0.4)
    glow = upsample(blur(outside.glow, 2), ww, wh) if outside.glow.any() else 0.0
    a, b = int(wx0), int(wy0)
    region = c.img[b : b + wh, a : a + ww]
    if region.shape[:2] != (wh, ww):
        return
    region[:] = np.clip(outside.img + glow, 0, 1.2)
    frame = c.lit((236, 232, 224)) * (0.6 if _is_dark(c) else 1.0)
    t = max(2.0, 3 * c.u)
    for x0, y0, x1, y1 in ((wx0 - t, wy0 - t, wx1 + t, wy0), (wx0 - t, wy1, wx1 + t, wy1 + 2 * t), (wx0 - t, wy0, wx0, wy1),
                           (wx1, wy0, wx1 + t, wy1), ((wx0 + wx1) / 2 - t / 2, wy0, (wx0 + wx1) / 2 + t / 2, wy1),
                           (wx0, (wy0 + wy1) / 2 - t / 2, wx1, (wy0 + wy1) / 2 + t / 2)):
        c.rect(x0, y0, x1, y1, frame)
    if not _is_dark(c) and "rain" not in c.sc.weather:
        _light_patch(c, wx0, wx1)
    c.glow_rect(wx0, wy0, wx1, wy1, c.pal.horizon, 0.15)


def _light_patch(c: Canvas, wx0: float, wx1: float) -> None:
    """Sunlight from the window falling on the floor as a slanted bright shape."""
    shift = -c.pal.key_side * c.w * 0.12
    y0, y1 = int(c.h * 0.76), int(c.h * 0.96)
    if y1 <= y0:
        return
    t = ((np.arange(y0, y1, dtype=F32) - y0) / (y1 - y0))[:, None]
    xs = np.arange(c.w, dtype=F32)[None, :]
    inside = _smooth(-1, 1, xs - (wx0 + shift * t - c.w * 0.02 * t)) * _smooth(1, -1, xs - (wx1 + shift * t + c.w * 0.06 * t))
    c.img[y0:y1] += (inside * (1 - t * 0.5))[..., None] * c.pal.sun * 0.16


def _furniture(c: Canvas, floor_y: float, light: float) -> None:
    v = c.sc.variant
    rng = c.rng("furniture")
    left = c.pal.key_side > 0
    if v in ("kitchen", "cafe", "coffee shop", "bar", "pub", "restaurant", "diner"):
        x0, x1 = (0.0, 0.45) if left else (0.55, 1.0)
        top = floor_y - 0.2 * c.h
        wood = _rgb((110, 70, 50)) * light
        c.rect(x0 * c.w, top, x1 * c.w, floor_y + 0.04 * c.h, wood, 1.0, bottom=wood * 0.7)
        c.rect(x0 * c.w, top - 0.015 * c.h, x1 * c.w, top + 0.005 * c.h, _rgb((200, 190, 176)) * light)
        if v in ("bar", "pub"):
            for k in range(18):
                bx = c.w * (x0 + (x1 - x0) * (k + 0.5) / 18)
                hue = _rgb(TOPS[int(rng.integers(len(TOPS)))]) * light
                c.rect(bx - 0.006 * c.w, c.h * 0.3, bx + 0.006 * c.w, c.h * 0.38, hue)
                c.rect(bx - 0.002 * c.w, c.h * 0.27, bx + 0.002 * c.w, c.h * 0.3, hue)
            c.rect(x0 * c.w, c.h * 0.38, x1 * c.w, c.h * 0.392, wood * 0.8)
        elif v == "kitchen":
            for k in range(4):
                cx0 = c.w * (x0 + (x1 - x0) * k / 4)
                c.rect(cx0 + 2 * c.u, c.h * 0.12, cx0 + c.w * (x1 - x0) / 4 - 2 * c.u, c.h * 0.3, _rgb((226, 220, 206)) * light)
        for k in range(3):
            lx = c.w * (x0 + (x1 - x0) * (k + 0.5) / 3)
            c.rect(lx - 0.5 * c.u, 0, lx + 0.5 * c.u, c.h * 0.16, _rgb((40, 40, 40)))
            c.spot(lx, c.h * 0.18, 0.035 * c.h, 0.025 * c.h, _rgb((60, 56, 50)) * light)
            c.glow_spot(lx, c.h * 0.2, 0.08 * c.h, np.array([1.0, 0.8, 0.5], F32), 0.5 if light < 0.6 else 0.2)
    elif v == "office":
        dx = c.w * (0.2 if left else 0.55)
        c.rect(dx, floor_y - 0.14 * c.h, dx + 0.3 * c.w, floor_y - 0.12 * c.h, _rgb((120, 90, 64)) * light)
        c.rect(dx + 0.02 * c.w, floor_y - 0.12 * c.h, dx + 0.03 * c.w, floor_y + 0.02 * c.h, _rgb((60, 60, 60)) * light)
        c.rect(dx + 0.27 * c.w, floor_y - 0.12 * c.h, dx + 0.28 * c.w, floor_y + 0.02 * c.h, _rgb((60, 60, 60)) * light)
        screen = np.array([0.6, 0.8, 1.0], F32)
        c.rect(dx + 0.08 * c.w, floor_y - 0.3 * c.h, dx + 0.2 * c.w, floor_y - 0.17 * c.h, screen * 0.8)
        c.glow_rect(dx + 0.08 * c.w, floor_y - 0.3 * c.h, dx + 0.2 * c.w, floor_y - 0.17 * c.h, screen, 0.6)
    else:
        sx = c.w * (0.05 if left else 0.6)
        fabric = c.lit(TOPS[int(rng.integers(len(TOPS)))]) * (light / max(float(c.pal.ambient.mean()), 0.3))
        sk = Sketch(c, sx, floor_y - 0.22 * c.h, sx + 0.36 * c.w, floor_y + 0.05 * c.h, ss=3)
        col = tuple(int(v * 255) for v in np.clip(fabric, 0, 1))
        sk.rect(sx, floor_y - 0.2 * c.h, sx + 0.35 * c.w, floor_y - 0.06 * c.h, col, radius=0.03 * c.h)  # type: ignore[arg-type]
        sk.rect(sx + 0.01 * c.w, floor_y - 0.1 * c.h, sx + 0.34 * c.w, floor_y + 0.02 * c.h, tuple(int(v * 0.85) for v in col), radius=0.02 * c.h)  # type: ignore[arg-type]
        sk.paste()
        px = c.w * (0.47 if left else 0.48)
        _plant(c, px, floor_y + 0.02 * c.h, light)
        fx = c.w * (0.2 if not left else 0.74)
        c.rect(fx - 0.05 * c.w, c.h * 0.2, fx + 0.05 * c.w, c.h * 0.38, _rgb((60, 50, 44)) * light)
        art = _rgb(c.sc.accents[0] if c.sc.accents else TOPS[int(rng.integers(len(TOPS)))]) * light
        c.rect(fx - 0.04 * c.w, c.h * 0.21, fx + 0.04 * c.w, c.h * 0.37, art, 1.0, bottom=art * 0.5)


def _plant(c: Canvas, x: float, base: float, light: float) -> None:
    s = c.h * 0.22
    sk = Sketch(c, x - s * 0.5, base - s * 1.1, x + s * 0.5, base + 2, ss=3)
    sk.poly([(x - s * 0.12, base - s * 0.25), (x + s * 0.12, base - s * 0.25), (x + s * 0.09, base), (x - s * 0.09, base)], (170, 96, 70))
    for k in range(7):
        a = -np.pi / 2 + (k - 3) * 0.38
        sk.ellipse(x + math.cos(a) * s * 0.28, base - s * 0.3 + math.sin(a) * s * 0.45, s * 0.07, s * 0.18, (60, 120, 70))
    sk.paste(lambda rgb, alpha, x0, y0: rgb * light)


def _lamp(c: Canvas, floor_y: float) -> None:
    x = c.w * (0.9 if c.pal.key_side < 0 else 0.1) if c.sc.variant not in ("bar", "pub", "cafe", "kitchen") else c.w * 0.5
    warm = _rgb(c.sc.light_colour or (255, 190, 110)) if "warm" in c.sc.lights else np.array([1.0, 0.78, 0.48], F32)
    top = floor_y - 0.42 * c.h
    c.rect(x - 0.4 * c.u, top, x + 0.8 * c.u, floor_y, _rgb((40, 36, 34)))
    sk = Sketch(c, x - 0.06 * c.h, top - 0.08 * c.h, x + 0.06 * c.h, top + 0.02 * c.h, ss=3)
    sk.poly([(x - 0.035 * c.h, top - 0.07 * c.h), (x + 0.035 * c.h, top - 0.07 * c.h), (x + 0.055 * c.h, top + 0.005 * c.h), (x - 0.055 * c.h, top + 0.005 * c.h)], (250, 220, 170))
    sk.paste()
    c.glow_spot(x, top - 0.03 * c.h, 0.1 * c.h, warm, 1.0)
    c.glow_spot(x, top + 0.1 * c.h, 0.35 * c.h, warm, 0.35)


FAMILY_PAINTERS: dict[str, Callable[[Canvas], None]] = {
    "field": paint_field, "forest": paint_forest, "beach": paint_beach, "mountain": paint_mountain,
    "desert": paint_desert, "city": paint_city, "rooftop": paint_rooftop, "street": paint_street,
    "bridge": paint_bridge, "harbor": paint_harbor, "space": paint_space, "interior": paint_interior,
}


def paint_scene(c: Canvas) -> None:
    FAMILY_PAINTERS[c.sc.family](c)


# --- figures -----------------------------------------------------------------------------------


@dataclass
class Placed:
    look: Look
    x: float  # feet, centre
    y: float
    height: float
    back: bool = False
    turn: float = 0.0


def _dark(colour: RGB, f: float) -> RGB:
    return (int(colour[0] * f), int(colour[1] * f), int(colour[2] * f))


def _figure_shapes(sk: Sketch, lk: Look, x: float, y: float, F: float, back: bool, turn: float) -> Box:
    """Draw a stylised figure with its feet at (x, y) and height F; returns its head box."""
    b = lk.build
    hw, hh = 0.185 * F, 0.21 * F
    hx, hy = x + turn * 0.01 * F, y - F + hh / 2
    sh_y, hip_y = y - F + 0.235 * F, y - 0.43 * F
    sw, ww = 0.13 * F * b, 0.1 * F * b
    top, bottom, hair, skin = lk.top, lk.bottom, lk.hair, lk.skin
    animal = lk.kind not in ("person", "robot")
    _hair_back(sk, lk, hx, hy, hw, hh, sh_y + 0.12 * F)
    if lk.kind in ("fox", "cat", "dog", "wolf"):
        tail = lk.skin if lk.kind != "fox" else (230, 120, 50)
        sk.stroke([(x + ww * 0.8, hip_y + 0.05 * F), (x + ww * 2.0, hip_y - 0.05 * F), (x + ww * 2.4, hip_y - 0.2 * F)], tail, 0.08 * F if lk.kind == "fox" else 0.035 * F)
        if lk.kind == "fox":
            sk.ellipse(x + ww * 2.4, hip_y - 0.22 * F, 0.045 * F, 0.05 * F, (244, 240, 232))
    # legs and shoes
    leg_w = 0.085 * F * b
    if lk.outfit == "dress":
        for s in (-1, 1):
            sk.rect(x + s * 0.045 * F - leg_w * 0.35, hip_y, x + s * 0.045 * F + leg_w * 0.35, y - 0.03 * F, _dark(skin, 0.9) if animal else _dark(bottom, 0.8))
    else:
        for s in (-1, 1):
            sk.rect(x + s * 0.048 * F - leg_w / 2, hip_y - 0.02 * F, x + s * 0.048 * F + leg_w / 2, y - 0.03 * F, bottom, radius=leg_w * 0.3)
    for s in (-1, 1):
        sk.ellipse(x + s * 0.055 * F, y - 0.025 * F, 0.058 * F, 0.028 * F, (40, 34, 34))
    # arms behind the torso edges
    arm_w = 0.068 * F * b
    for s in (-1, 1):
        sk.stroke([(x + s * (sw - arm_w * 0.45), sh_y + 0.04 * F), (x + s * (sw + 0.01 * F), hip_y + 0.02 * F)], _dark(top, 0.88), arm_w)
        sk.ellipse(x + s * (sw + 0.01 * F), hip_y + 0.05 * F, 0.032 * F, 0.036 * F, skin)
    # torso
    length = 0.3 * F if lk.outfit in ("coat", "dress") else 0.0
    sk.poly([(x - sw, sh_y + 0.035 * F), (x - sw * 0.8, sh_y), (x + sw * 0.8, sh_y), (x + sw, sh_y + 0.035 * F),
             (x + ww * (1.5 if lk.outfit == "dress" else 1.0), hip_y + length), (x - ww * (1.5 if lk.outfit == "dress" else 1.0), hip_y + length)], top)
    if not back:
        if lk.outfit in ("jacket", "coat"):
            sk.poly([(x - sw * 0.25, sh_y), (x + sw * 0.25, sh_y), (x + sw * 0.12, hip_y + length * 0.5), (x - sw * 0.12, hip_y + length * 0.5)], lk.accent)
            sk.stroke([(x - sw * 0.25, sh_y), (x - sw * 0.1, sh_y + 0.12 * F)], _dark(top, 0.75), 0.018 * F)
            sk.stroke([(x + sw * 0.25, sh_y), (x + sw * 0.1, sh_y + 0.12 * F)], _dark(top, 0.75), 0.018 * F)
        elif lk.outfit == "hoodie":
            sk.rect(x - ww * 0.6, hip_y - 0.12 * F, x + ww * 0.6, hip_y - 0.04 * F, _dark(top, 0.85), radius=0.02 * F)
            for s in (-1, 1):
                sk.stroke([(x + s * 0.025 * F, sh_y + 0.01 * F), (x + s * 0.03 * F, sh_y + 0.09 * F)], (236, 232, 224), 0.008 * F)
    if "camera" in lk.extras and not back:
        sk.stroke([(x - sw * 0.7, sh_y + 0.01 * F), (x + 0.02 * F, sh_y + 0.14 * F), (x + sw * 0.7, sh_y + 0.01 * F)], (30, 28, 28), 0.012 * F)
        sk.rect(x - 0.05 * F, sh_y + 0.12 * F, x + 0.06 * F, sh_y + 0.19 * F, (36, 36, 40), radius=0.01 * F)
        sk.ellipse(x + 0.005 * F, sh_y + 0.155 * F, 0.025 * F, 0.025 * F, (90, 110, 130))
    # neck, ears, head
    sk.rect(x - 0.03 * F, hy + hh * 0.35, x + 0.03 * F, sh_y + 0.02 * F, _dark(skin, 0.85))
    if "scarf" in lk.extras:
        sk.rect(x - sw * 0.55, sh_y - 0.015 * F, x + sw * 0.55, sh_y + 0.035 * F, lk.accent, radius=0.02 * F)
    _ears(sk, lk, hx, hy, hw, hh)
    sk.ellipse(hx, hy, hw / 2, hh / 2, skin if not back or animal or lk.kind == "robot" else hair)
    _hair(sk, lk, hx, hy, hw, hh, back)
    if "headphones" in lk.extras:
        sk.arc(hx, hy - hh * 0.02, hw * 0.58, hh * 0.6, 180, 360, (40, 40, 46), 0.03 * F)
        for s in (-1, 1):
            sk.rect(hx + s * hw * 0.56 - 0.025 * F, hy - 0.03 * F, hx + s * hw * 0.56 + 0.025 * F, hy + 0.05 * F, (46, 46, 54), radius=0.015 * F)
            sk.rect(hx + s * hw * 0.56 - 0.012 * F, hy - 0.02 * F, hx + s * hw * 0.56 + 0.012 * F, hy + 0.04 * F, lk.accent, radius=0.01 * F)
    if "hat" in lk.extras:
        sk.ellipse(hx, hy - hh * 0.3, hw * 0.75, hh * 0.09, _dark(lk.accent, 0.8))
        sk.rect(hx - hw * 0.4, hy - hh * 0.72, hx + hw * 0.4, hy - hh * 0.3, _dark(lk.accent, 0.8), radius=hw * 0.1)
    return (int(round(hx - hw / 2)), int(round(hy - hh / 2)), int(round(hw)), int(round(hh)))


def _ears(sk: Sketch, lk: Look, hx: float, hy: float, hw: float, hh: float) -> None:
    if lk.kind == "person":
        for s in (-1, 1):
            sk.ellipse(hx + s * hw * 0.49, hy + hh * 0.06, hw * 0.09, hh * 0.11, _dark(lk.skin, 0.92))
    elif lk.kind in ("fox", "cat", "wolf", "dog", "owl"):
        tall = 0.5 if lk.kind != "owl" else 0.3
        for s in (-1, 1):
            sk.poly([(hx + s * hw * 0.12, hy - hh * 0.42), (hx + s * hw * 0.5, hy - hh * 0.15), (hx + s * hw * 0.42, hy - hh * (0.45 + tall))], _dark(lk.skin, 0.9))
    elif lk.kind in ("rabbit", "bunny"):
        for s in (-1, 1):
            sk.ellipse(hx + s * hw * 0.22, hy - hh * 0.8, hw * 0.12, hh * 0.4, lk.skin)
    elif lk.kind in ("bear", "mouse"):
        for s in (-1, 1):
            sk.ellipse(hx + s * hw * 0.38, hy - hh * 0.38, hw * 0.17, hh * 0.17, _dark(lk.skin, 0.9))
    elif lk.kind in ("robot", "android"):
        sk.stroke([(hx, hy - hh * 0.5), (hx, hy - hh * 0.8)], (120, 124, 130), hw * 0.04)
        sk.ellipse(hx, hy - hh * 0.82, hw * 0.07, hw * 0.07, (255, 90, 90))


def _hair_back(sk: Sketch, lk: Look, hx: float, hy: float, hw: float, hh: float, shoulders: float) -> None:
    """The hair mass behind the head: it gives the silhouette its volume above and beside the face."""
    style, hair = lk.hair_style, _dark(lk.hair, 0.86)
    if style in ("none", "bald") or lk.kind != "person":
        return
    if style == "long":
        sk.rect(hx - hw * 0.6, hy - hh * 0.3, hx + hw * 0.6, shoulders, hair, radius=hw * 0.4)
    elif style == "bob":
        sk.rect(hx - hw * 0.62, hy - hh * 0.4, hx + hw * 0.62, hy + hh * 0.42, hair, radius=hw * 0.4)
    elif style == "curly":
        for k in range(11):
            a = np.pi * 0.8 + k * np.pi * 1.4 / 10
            sk.ellipse(hx + math.cos(a) * hw * 0.52, hy - hh * 0.04 + math.sin(a) * hh * 0.5, hw * 0.2, hh * 0.18, hair)
    elif style == "ponytail":
        sk.ellipse(hx + hw * 0.5, hy + hh * 0.25, hw * 0.16, hh * 0.4, hair)
    sk.ellipse(hx, hy - hh * 0.06, hw * 0.56, hh * 0.53, hair)
    if style == "bun":
        sk.ellipse(hx, hy - hh * 0.6, hw * 0.25, hh * 0.2, hair)


def _hair(sk: Sketch, lk: Look, hx: float, hy: float, hw: float, hh: float, back: bool) -> None:
    """Hair in front of the head: a side-swept fringe over the forehead, or the whole head from behind."""
    style, hair = lk.hair_style, lk.hair
    if style in ("none", "bald") or lk.kind != "person":
        return
    if back:
        sk.ellipse(hx, hy - hh * 0.04, hw * 0.55, hh * 0.53, hair)
        if style in ("long", "bob"):
            sk.rect(hx - hw * 0.55, hy - hh * 0.1, hx + hw * 0.55, hy + hh * (0.9 if style == "long" else 0.4), hair, radius=hw * 0.3)
        return
    part = 1.0 if _stable_int(lk.id, "part") % 2 else -1.0
    arc = [(hx + math.cos(a) * hw * 0.54, hy - hh * 0.03 + math.sin(a) * hh * 0.54) for a in np.linspace(np.pi * 1.03, np.pi * 1.97, 14)]
    edge = [(0.52, -0.02), (0.3, -0.22), (0.02, -0.3), (-0.3, -0.22), (-0.52, 0.04)]
    if style == "curly":
        edge = [(0.52, -0.02), (0.3, -0.26), (0.0, -0.3), (-0.3, -0.26), (-0.52, -0.02)]
    pts = arc + [(hx + part * ex * hw, hy + ey * hh) for ex, ey in (edge if part > 0 else edge[::-1])]
    sk.poly(pts, hair)
    if style == "curly":
        for k in range(5):
            a = np.pi * 1.15 + k * np.pi * 0.7 / 4
            sk.ellipse(hx + math.cos(a) * hw * 0.4, hy - hh * 0.12 + math.sin(a) * hh * 0.34, hw * 0.13, hh * 0.12, hair)
    if style in ("long", "bob"):
        reach = hh * (0.75 if style == "long" else 0.36)
        for sgn in (-1, 1):
            sk.rect(hx + sgn * hw * 0.49 - hw * 0.1, hy - hh * 0.12, hx + sgn * hw * 0.49 + hw * 0.1, hy + reach, hair, radius=hw * 0.09)


def draw_figures(c: Canvas, placed: list[Placed]) -> list[tuple[Placed, Box, Box]]:
    """Draw figures far to near; returns each with its bounding box and head box."""
    out = []
    for p in sorted(placed, key=lambda q: (not q.back, q.height))[::-1][::-1]:
        F = p.height
        c.spot(p.x, p.y - 0.01 * F, 0.2 * F, 0.03 * F, np.zeros(3, F32), 0.35, soft=max(1.0, 0.03 * F))
        ss = 3 if F < c.h * 1.2 else 2
        sk = Sketch(c, p.x - 0.33 * F, p.y - 1.16 * F, p.x + 0.33 * F, p.y + 0.01 * F, ss=ss)
        if sk.empty:
            continue
        head = _figure_shapes(sk, p.look, p.x, p.y, F, p.back, p.turn)
        alpha = sk.paste(ambient_shade(c, p.x, rim=0.75 if _is_dark(c) else 0.45))
        if alpha is None:
            continue
        ys, xs = np.nonzero(alpha[..., 0] > 0.5)
        if len(xs) == 0:
            continue
        box = (sk.x0 + int(xs.min()), sk.y0 + int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
        out.append((p, box, head))
    return out


def place_figures(c: Canvas, looks: list[Look], behind: str | None) -> list[Placed]:
    """Where figures stand and how big they are, from the camera word and how many there are."""
    n = len(looks)
    if n == 0:
        return []
    cam, w, h = c.sc.camera, c.w, c.h
    if cam == "over_shoulder" and n >= 1:
        back = next((lk for lk in looks if lk.id.lower() == (behind or "")), looks[0])
        others = [lk for lk in looks if lk is not back][:2]
        side = -1 if c.rng("ots").random() < 0.5 else 1
        placed = [Placed(back, w * (0.5 + side * 0.3), h * 2.1, h * 1.85 * back.height, back=True)]
        for k, lk in enumerate(others):
            placed.append(Placed(lk, w * (0.5 - side * (0.14 + 0.16 * k)), h * 0.98, h * 0.74 * lk.height, turn=side * 0.45))
        return placed
    if cam == "wide":
        size, feet, spread = 0.17, 0.92, 0.09
    elif cam == "close":
        size, feet, spread = 1.7, 1.85, 0.38
    else:
        size, feet, spread = (0.62, 0.97, 0.28) if n <= 2 else (0.5, 0.96, 0.2)
    step = spread * w * (1 if n <= 2 else 2 / (n - 1) if n > 1 else 1)
    placed = []
    for k, lk in enumerate(looks):
        offset = (k - (n - 1) / 2)
        x = w / 2 + offset * step
        turn = -0.4 * np.sign(offset) if n > 1 else 0.0
        placed.append(Placed(lk, x, h * feet, h * size * lk.height, turn=float(turn)))
    return placed


# --- close-ups -----------------------------------------------------------------------------------


def soften(c: Canvas, sigma: float) -> None:
    """Replace the picture with a blurred copy, like a shallow depth of field behind a subject."""
    small_w, small_h = max(8, c.w // 3), max(8, c.h // 3)
    small = np.asarray(Image.fromarray((np.clip(c.img, 0, 1) * 255).astype(np.uint8)).resize((small_w, small_h), Image.BOX), F32) / 255.0
    c.img = upsample(blur(small, sigma / 3), c.w, c.h)


def _finger(sk: Sketch, pts: list[tuple[float, float]], skin: RGB, width: float) -> None:
    # A darker stroke under a thinner one leaves a crease line between neighbouring fingers.
    sk.stroke(pts, _dark(skin, 0.72), width * 1.3)
    sk.stroke(pts, skin, width)


def draw_hands(c: Canvas, looks: list[Look]) -> None:
    """Two hands holding each other, sleeves coming in from each side of the frame."""
    s = c.h * 0.62
    cx, cy = c.w * 0.5, c.h * 0.52
    sk = Sketch(c, 0, 0, c.w, c.h, ss=2 if c.h > 400 else 3)
    left, right = looks[0], looks[-1] if len(looks) > 1 else looks[0]
    # The right person's hand is underneath: sleeve, forearm, palm and fingertips.
    sk.stroke([(cx + 1.05 * s, c.h + 0.3 * s), (cx + 0.42 * s, cy + 0.24 * s)], right.top, 0.36 * s)
    sk.stroke([(cx + 0.48 * s, cy + 0.27 * s), (cx + 0.4 * s, cy + 0.23 * s)], _dark(right.top, 0.78), 0.4 * s)
    sk.stroke([(cx + 0.36 * s, cy + 0.2 * s), (cx + 0.14 * s, cy + 0.1 * s)], _dark(right.skin, 0.95), 0.21 * s)
    sk.ellipse(cx + 0.08 * s, cy + 0.08 * s, 0.17 * s, 0.13 * s, right.skin)
    for k in range(3):
        x = cx - 0.1 * s - k * 0.045 * s
        _finger(sk, [(x + 0.05 * s, cy + 0.1 * s), (x - 0.01 * s, cy + 0.2 * s + k * 0.01 * s)], right.skin, 0.055 * s)
    # The left person's hand lies on top, fingers draped over the other hand's back.
    sk.stroke([(cx - 1.05 * s, c.h + 0.3 * s), (cx - 0.42 * s, cy + 0.2 * s)], left.top, 0.36 * s)
    sk.stroke([(cx - 0.48 * s, cy + 0.23 * s), (cx - 0.4 * s, cy + 0.19 * s)], _dark(left.top, 0.78), 0.4 * s)
    sk.stroke([(cx - 0.38 * s, cy + 0.17 * s), (cx - 0.16 * s, cy + 0.06 * s)], _dark(left.skin, 0.95), 0.21 * s)
    sk.poly([(cx - 0.24 * s, cy - 0.03 * s), (cx + 0.02 * s, cy - 0.09 * s), (cx + 0.06 * s, cy + 0.12 * s),
             (cx - 0.2 * s, cy + 0.17 * s)], left.skin)
    sk.ellipse(cx - 0.2 * s, cy + 0.07 * s, 0.08 * s, 0.1 * s, left.skin)
    for k in range(4):
        y = cy - 0.065 * s + k * 0.055 * s
        _finger(sk, [(cx + 0.0 * s, y), (cx + 0.15 * s, y + 0.015 * s), (cx + 0.2 * s, y + 0.07 * s)], left.skin, 0.052 * s)
    # The right thumb crosses over the top hand.
    _finger(sk, [(cx + 0.16 * s, cy + 0.0 * s), (cx + 0.02 * s, cy - 0.08 * s), (cx - 0.08 * s, cy - 0.1 * s)], right.skin, 0.06 * s)
    sk.paste(ambient_shade(c, cx, rim=1.1 if _is_dark(c) else 0.6))


def portrait(c: Canvas, lk: Look, turn: float) -> Placed:
    F = c.h * 2.3
    hh = 0.21 * F
    x = c.w * (0.5 - 0.08 * np.sign(turn)) if turn else c.w * 0.5
    head_top = c.h * 0.13
    return Placed(lk, x, head_top + F, F, turn=turn)


# --- weather, light and finishing ---------------------------------------------------------------


def rain(c: Canvas, front: bool) -> None:
    """Slanted streaks of rain; the layer in front is longer and brighter."""
    rng = c.rng("rain-front" if front else "rain-back")
    # Large frames draw the streaks at half size; upscaling softens them like motion blur.
    k = 2 if c.w > 960 else 1
    w, h, u = c.w // k, c.h // k, c.u / k
    layer = Image.new("L", (w, h))
    d = ImageDraw.Draw(layer)
    # As many streaks at every size: they grow with the frame, so the picture looks the same.
    n = int(360 * 360 * c.w / c.h / (900 if front else 500))
    slant = float(rng.uniform(0.08, 0.2)) * (1 if rng.random() < 0.5 else -1)
    length = h * (0.07 if front else 0.035)
    width = max(1, int(round(u * (1.0 if front else 0.6))))
    xs = rng.uniform(-0.1 * w, 1.1 * w, n)
    ys = rng.uniform(-length, h, n)
    ls = length * rng.uniform(0.5, 1.0, n)
    vals = rng.integers(60 if front else 40, 150 if front else 90, n)
    for x, y, ln, v in zip(xs.tolist(), ys.tolist(), ls.tolist(), vals.tolist()):
        d.line([(x, y), (x + slant * ln, y + ln)], fill=v, width=width)
    if k > 1:
        layer = layer.resize((c.w, c.h), Image.BILINEAR)
    m = np.asarray(layer, F32)[..., None] / 255.0
    tint = _mix(c.pal.horizon, np.ones(3, F32), 0.5)
    if c.sc.neon or "sign" in c.sc.lights:
        tint = _mix(tint, c.pal.key, 0.35)
    c.img += (tint - c.img) * m * (0.55 if _is_dark(c) else 0.45)


def lens_drops(c: Canvas) -> None:
    rng = c.rng("drops")
    for _ in range(int(6 + 4 * c.w / max(c.h, 1))):
        x, y = float(rng.uniform(0, c.w)), float(rng.uniform(0, c.h))
        r = c.h * float(rng.uniform(0.015, 0.045))
        c.spot(x, y, r, r, np.clip(c.img[int(min(y, c.h - 1)), int(min(x, c.w - 1))] * 1.3 + 0.06, 0, 1), 0.35, soft=r * 0.4)
        c.spot(x - r * 0.3, y - r * 0.35, r * 0.22, r * 0.16, np.ones(3, F32), 0.35)


def snow(c: Canvas) -> None:
    rng = c.rng("snow")
    layer = Image.new("L", (c.w, c.h))
    d = ImageDraw.Draw(layer)
    for _ in range(int(360 * 360 * c.w / c.h / 700)):
        x, y = float(rng.uniform(0, c.w)), float(rng.uniform(0, c.h))
        r = c.u * float(rng.uniform(0.5, 1.0) ** 3 * 3.2 + 0.5)
        d.ellipse([x - r, y - r, x + r, y + r], fill=int(rng.integers(150, 255)))
    m = np.asarray(layer, F32)[..., None] / 255.0
    c.img += (np.array([0.95, 0.96, 1.0], F32) * (0.6 if _is_dark(c) else 1.0) - c.img) * m * 0.85


def fog(c: Canvas) -> None:
    rng = c.rng("fog")
    field = noise2d(rng, c.gh, c.gw, 2)
    ys = (np.arange(c.gh, dtype=F32)[:, None] + 0.5) * 4
    band = np.exp(-(((ys - c.horizon) / (0.35 * c.h)) ** 2))
    amount = np.clip(band * (0.45 + 0.55 * field) * 0.9 + 0.12, 0, 0.9)[..., None] * c.pal.fog / 0.55
    full = upsample(amount.astype(F32), c.w, c.h)
    fog_col = _mix(c.pal.haze, np.array([0.85, 0.87, 0.9], F32) * float(c.pal.ambient.mean()), 0.5)
    c.img += (fog_col - c.img) * np.clip(full, 0, 0.9)


def light_spill(c: Canvas) -> None:
    """A big soft wash of coloured light from the side a sign or lamp stands on."""
    sc = c.sc
    if sc.light_colour is None and not (sc.neon and _is_dark(c)) and "warm" not in sc.lights:
        return
    col = c.pal.key
    x = c.w * (1.05 if c.pal.key_side > 0 else -0.05)
    strength = (0.3 if sc.light_colour is not None else 0.18) * (1.0 if _is_dark(c) else 0.45)
    c.glow_spot(x, c.h * 0.45, c.h * 0.6, col, strength)


def glow_pass(c: Canvas) -> None:
    """Bloom bright pixels and add the glow buffer, then empty it.

    Run on the background before figures are drawn, so a sign's halo lights the air
    behind people rather than washing over them.
    """
    img = c.img
    q = img[: c.gh * 4, : c.gw * 4].reshape(c.gh, 4, c.gw, 4, 3).mean(axis=(1, 3))
    lum = q @ np.array([0.3, 0.59, 0.11], F32)
    bright = q * np.clip((lum - c.pal.bloom) / (1 - c.pal.bloom + 1e-3), 0, 1)[..., None]
    src = bright * 0.6 + c.glow
    s = c.gh / 90.0
    glow = blur(src, 1.5 * s) * 0.45 + blur(src, 7 * s) * 0.55
    img += upsample(glow.astype(F32), c.w, c.h)
    c.glow[:] = 0


def finish(c: Canvas) -> Vec:
    """Any glow added since the last pass, a vignette and a soft highlight shoulder; returns uint8 pixels."""
    img = c.img
    if c.glow.any():
        img += upsample(blur(c.glow, c.gh / 90.0 * 2).astype(F32), c.w, c.h)
    vx = ((np.arange(c.w, dtype=F32) + 0.5) / c.w - 0.5) ** 2
    vy = ((np.arange(c.h, dtype=F32) + 0.5) / c.h - 0.5) ** 2
    img *= (1 - 0.5 * (vx[None, :] + vy[:, None]))[..., None]
    over = img > 0.8
    img[over] = 0.8 + 0.2 * np.tanh((img[over] - 0.8) / 0.2)
    _ensure_structure(img)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def _ensure_structure(img: Vec) -> None:
    """Keep a minimum contrast, so fog or darkness never gives a flat frame."""
    g = img[::2, ::2] @ np.array([0.3, 0.59, 0.11], F32)
    std = float(g.std())
    target = 16 / 255
    if std < target:
        if std < 1e-4:
            img += np.linspace(-0.1, 0.1, img.shape[0], dtype=F32)[:, None, None]
            std = float((img[::2, ::2] @ np.array([0.3, 0.59, 0.11], F32)).std())
        mean = float(g.mean())
        img -= mean
        img *= target / max(std, 1e-4)
        img += float(np.clip(mean, 0.2, 0.8))


# --- the backend -----------------------------------------------------------------------------


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


class PainterBackend(ImageBackend):
    """Procedural keyframes: deterministic, fast, no downloads."""

    name = "painter"
    version = "1"

    def render(self, request: ImageRequest, out_path: Path) -> ImageResult:
        w, h = int(request.width), int(request.height)
        if w < 8 or h < 8:
            raise ValueError(f"image {request.image_id}: {w}x{h} is too small; the painter needs at least 8x8 pixels")
        scene = read_scene(request.prompt, request.setting)
        seed = _stable_int("painter", request.seed, request.prompt)
        pal = make_palette(scene, np.random.default_rng(_stable_int(seed, "palette")))
        c = Canvas(w, h, seed, scene, pal)
        chars = choose_characters(request, scene)
        looks = [look_for(ch) for ch in chars]
        faces: list[tuple[str, Box, float]] = []
        figures_meta: list[dict[str, Any]] = []
        mode = "scene"
        closeup = request.closeup_character
        if closeup:
            mode = "portrait"
            ch = next((x for x in request.characters if x.id == closeup), None) or CharacterLook(id=closeup, name=closeup, description="")
            lk = look_for(ch)
            paint_scene(c)
            _weather(c, front=False)
            light_spill(c)
            glow_pass(c)
            soften(c, 6 * c.u)
            others = [x for x in looks if x.id != lk.id]
            turn = 0.35 * (1 if c.rng("portrait").random() < 0.5 else -1) if others else 0.0
            placed = [portrait(c, lk, turn)]
            faces, figures_meta = self._figures(c, placed)
        elif scene.hands:
            mode = "hands"
            paint_scene(c)
            _weather(c, front=False)
            light_spill(c)
            glow_pass(c)
            soften(c, 8 * c.u)
            hand_looks = looks or [look_for(CharacterLook(id="hands", name="hands", description=""))]
            draw_hands(c, hand_looks)
            figures_meta = [{"id": lk.id, "part": "hands"} for lk in hand_looks[:2]]
        else:
            paint_scene(c)
            _weather(c, front=False)
            light_spill(c)
            glow_pass(c)
            placed = place_figures(c, looks, scene.behind)
            faces, figures_meta = self._figures(c, placed)
        if mode != "portrait":
            _weather(c, front=True)
        pixels = finish(c)
        result_faces = []
        for cid, box, turn in faces:
            mouth = draw_face(pixels, box, _look_by_id(looks, cid, request).face(), turn=turn)
            if box[3] >= 40 and _inside(box, w, h) and _inside(mouth, w, h):
                result_faces.append(FaceInfo(character_id=cid, face_box=box, mouth_box=mouth))
        with atomic_path(out_path) as tmp:
            Image.fromarray(pixels, "RGB").save(tmp, format="PNG", compress_level=1)
        metadata = {
            "time_of_day": scene.time,
            "weather": list(scene.weather) or ["clear"],
            "setting": scene.family,
            "setting_word": scene.variant,
            "camera": scene.camera,
            "colours": list(scene.colours),
            "lights": list(scene.lights),
            "mode": mode,
            "figures": figures_meta,
        }
        return ImageResult(path=str(out_path), seed=request.seed, width=w, height=h, faces=result_faces, metadata=metadata)

    @staticmethod
    def _figures(c: Canvas, placed: list[Placed]) -> tuple[list[tuple[str, Box, float]], list[dict[str, Any]]]:
        faces, meta = [], []
        for p, box, head in draw_figures(c, placed):
            if not p.back and head[3] >= 14 and _inside(head, c.w, c.h):
                faces.append((p.look.id, head, p.turn))
            meta.append({"id": p.look.id, "box": list(box), "view": "back" if p.back else "front",
                         "colours": {"top": "#%02x%02x%02x" % p.look.top, "hair": "#%02x%02x%02x" % p.look.hair}})
        return faces, meta


def _weather(c: Canvas, front: bool) -> None:
    sc = c.sc
    if sc.family == "interior" or sc.family == "space":
        return
    if not front:
        if "fog" in sc.weather:
            fog(c)
        if "rain" in sc.weather:
            rain(c, front=False)
        return
    if "rain" in sc.weather:
        rain(c, front=True)
        if sc.has("lens", "window", "glass"):
            lens_drops(c)
    if "snow" in sc.weather:
        snow(c)


def _inside(box: Box, w: int, h: int) -> bool:
    x, y, bw, bh = box
    return x >= 0 and y >= 0 and x + bw <= w and y + bh <= h and bw > 0 and bh > 0


def _look_by_id(looks: list[Look], cid: str, request: ImageRequest) -> Look:
    for lk in looks:
        if lk.id == cid:
            return lk
    ch = next((x for x in request.characters if x.id == cid), None) or CharacterLook(id=cid, name=cid, description="")
    return look_for(ch)
