"""Reading a prompt's words: time of day, weather, setting, colours, lights and camera, as a `Scene`."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

RGB = tuple[int, int, int]


TIMES: dict[str, tuple[str, ...]] = {
    "dawn": ("dawn", "sunrise", "daybreak", "first light", "before sunrise"),
    "morning": ("morning", "breakfast"),
    "noon": ("noon", "midday", "afternoon", "daytime", "lunch", "day", "daylight", "sunny"),
    "golden": ("sunset", "golden hour", "sundown"),
    "dusk": ("dusk", "twilight", "evening", "blue hour"),
    "night": ("night", "midnight", "nighttime", "tonight", "moonlight", "moonlit", "starry", "starlit"),
}
WEATHER: dict[str, tuple[str, ...]] = {
    "rain": ("rain", "rainy", "raining", "drizzle", "downpour", "showers", "wet", "puddle", "puddles"),
    "storm": ("storm", "stormy", "thunder", "thunderstorm", "lightning", "tempest", "hurricane"),
    "snow": ("snow", "snowy", "snowing", "snowfall", "blizzard", "snowflake", "frost", "frosty", "winter"),
    "fog": ("fog", "foggy", "mist", "misty", "haze", "hazy", "smoke", "smoky"),
    "wind": ("wind", "windy", "breeze", "breezy", "gust", "gusts", "gale", "blustery", "windswept"),
    "clouds": ("cloud", "cloudy", "overcast", "gloomy", "grey sky"),
    "clear": ("clear", "cloudless"),
}
#: The places the painter knows: (place, the painter of its family, the words that name it).
#: Where several are named, the one named first wins; at one spot the longest phrase wins.
PLACES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("space station", "interior", ("space station", "orbital station", "station module", "airlock")),
    ("spaceship", "interior", ("spaceship", "spacecraft", "starship", "rocket ship", "cockpit", "flight deck")),
    (
        "moon",
        "space",
        ("moon surface", "lunar", "moon", "moonbase", "planet surface", "alien planet", "mars", "crater"),
    ),
    ("space", "space", ("outer space", "space", "orbit", "galaxy", "nebula", "asteroid", "cosmos", "planet")),
    (
        "studio",
        "interior",
        (
            "tv studio",
            "television studio",
            "cooking show",
            "cooking-show",
            "talk show",
            "game show",
            "news studio",
            "newsroom set",
            "studio",
            "broadcast",
        ),
    ),
    ("kitchen", "interior", ("kitchen", "cookery", "galley")),
    ("bakery", "interior", ("bakery", "bakehouse", "patisserie", "pastry shop", "bake shop")),
    ("restaurant", "interior", ("restaurant", "diner", "bistro", "dining room", "canteen", "cafeteria")),
    ("cafe", "interior", ("cafe", "coffee shop", "coffeehouse", "tea room", "tea shop", "teahouse")),
    ("library", "interior", ("library", "bookshop", "bookstore", "archive", "reading room")),
    ("classroom", "interior", ("classroom", "school", "schoolroom", "lecture hall", "lecture")),
    ("laboratory", "interior", ("laboratory", "lab", "science lab", "observatory")),
    ("hospital", "interior", ("hospital", "clinic", "ward", "infirmary", "operating room")),
    ("office", "interior", ("office", "police station", "precinct", "boardroom", "newsroom", "agency", "headquarters")),
    ("bedroom", "interior", ("bedroom", "dorm", "nursery")),
    (
        "living room",
        "interior",
        (
            "living room",
            "lounge",
            "apartment",
            "flat",
            "parlor",
            "parlour",
            "sitting room",
            "loft",
            "home",
            "house",
            "indoors",
            "room",
        ),
    ),
    ("greenhouse", "interior", ("greenhouse", "conservatory", "glasshouse", "hothouse")),
    ("tavern", "interior", ("tavern", "inn", "pub", "bar", "saloon", "alehouse")),
    ("throne room", "interior", ("throne room", "throne", "great hall", "royal court", "palace hall", "ballroom")),
    ("dungeon", "interior", ("dungeon", "prison", "jail", "cell")),
    ("museum", "interior", ("museum", "gallery", "exhibition", "exhibit")),
    (
        "theater",
        "interior",
        (
            "theater stage",
            "theatre stage",
            "theater",
            "theatre",
            "stage",
            "opera",
            "concert hall",
            "auditorium",
            "cinema",
        ),
    ),
    ("train", "interior", ("train carriage", "carriage", "compartment", "subway car", "on a train", "on the train")),
    ("station", "station", ("train station", "railway station", "station", "platform", "railway", "train", "subway")),
    ("cave", "cave", ("cave", "cavern", "grotto", "mine", "tunnel", "underground")),
    ("volcano", "volcano", ("volcano", "lava", "magma", "eruption")),
    ("castle", "castle", ("castle", "fortress", "palace", "citadel", "battlements", "keep", "kingdom")),
    ("ruins", "ruins", ("ruins", "temple", "ancient", "pyramid", "shrine", "tomb", "ruin", "monastery")),
    ("village", "village", ("village", "hamlet", "town square", "cottage", "town")),
    ("market", "street", ("market", "marketplace", "bazaar", "fair", "stalls", "market square")),
    ("alley", "street", ("alley", "alleyway", "backstreet")),
    ("street", "street", ("street", "road", "avenue", "sidewalk", "crosswalk", "downtown", "boulevard")),
    ("rooftop", "rooftop", ("rooftop", "roof", "terrace", "balcony")),
    ("bridge", "bridge", ("bridge",)),
    ("ship", "ship", ("ship deck", "deck", "ship", "pirate ship", "galleon", "boat", "sailing", "yacht", "raft")),
    ("harbor", "harbor", ("harbor", "harbour", "port", "dock", "docks", "pier", "marina", "wharf", "lighthouse")),
    ("city", "city", ("city", "skyline", "skyscraper", "metropolis", "buildings", "tower", "urban")),
    ("island", "beach", ("island", "tropical", "atoll")),
    ("jungle", "jungle", ("jungle", "rainforest", "rain forest")),
    ("swamp", "swamp", ("swamp", "marsh", "bog", "bayou", "wetland")),
    ("forest", "forest", ("forest", "woods", "woodland", "trees", "grove", "pine", "pines")),
    ("lake", "beach", ("lake", "pond", "lakeside")),
    ("river", "beach", ("river", "stream", "riverbank", "creek", "canal")),
    ("sea", "beach", ("open sea", "ocean", "sea", "waves", "open water")),
    ("beach", "beach", ("beach", "shore", "coast", "seaside", "bay", "sand")),
    (
        "mountain",
        "mountain",
        ("mountain", "mountains", "peak", "summit", "cliff", "valley", "canyon", "ridge", "hills", "hill", "alps"),
    ),
    ("desert", "desert", ("desert", "dunes", "dune", "cactus", "oasis")),
    ("farm", "field", ("farm", "barn", "ranch", "orchard", "vineyard", "farmyard", "fields")),
    ("garden", "field", ("garden", "backyard", "flowerbed", "flower bed", "courtyard")),
    ("park", "field", ("park", "playground", "picnic")),
    ("meadow", "field", ("meadow", "field", "prairie", "grassland", "countryside", "grass")),
)
#: A place named by the setting that is part of a broader one the prompt names.
REFINES: dict[str, tuple[str, ...]] = {
    "city": ("rooftop", "street", "alley", "bridge", "harbor", "market", "station", "office", "cafe", "restaurant"),
    "castle": ("throne room", "dungeon", "kitchen", "tavern", "library"),
    "space": ("space station", "spaceship", "moon"),
    "sea": ("ship", "island", "harbor"),
    "village": ("market", "tavern", "bakery"),
    "meadow": ("farm", "garden", "park", "forest", "mountain"),
}
CAMERA: dict[str, tuple[str, ...]] = {
    "close": ("closeup", "close up", "tight", "tighter", "extreme close", "macro", "detail"),
    "wide": ("wide", "establishing", "skyline", "aerial", "panorama", "panoramic", "vista", "long shot"),
    "medium": ("medium", "mid shot", "waist"),
}
PLURAL = ("friends", "two", "couple", "they", "both", "together", "pair", "each other", "duo")
#: Words that put two people in one frame, side by side and close.
TOGETHER = ("together", "two shot", "side by side", "each other", "both", "embrace", "hug", "face to face")
#: Families painted as rooms: no sky weather, room light, noon unless told otherwise.
INDOORS = ("interior", "cave")
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
        plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")
        self.tokens = re.findall(r"[a-z]+", plain.replace("close-up", "closeup"))
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
    place: str = ""

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


def _place_in(text: Words) -> tuple[str, str, str] | None:
    """(place, family, word) of the place `text` names first (at one spot the longest phrase wins),
    or a more specific place it also names ("a storm at sea on a pirate ship" is on the ship)."""
    found: list[tuple[int, int, str, str, str]] = []
    for place, family, words in PLACES:
        for word in words:
            if text.has(word):
                at = text.joined.find(f" {word} ")
                if at < 0:  # a plural matched through the word set
                    at = text.joined.find(f" {word}")
                found.append((at if at >= 0 else 10**6, -len(word), place, family, word))
    if not found:
        return None
    found.sort()
    first = found[0]
    finer = [f for f in found if f[2] in REFINES.get(first[2], ())]
    best = finer[0] if finer else first
    return best[2], best[3], best[4]


def _place(prompt: Words, setting: Words) -> tuple[str, str, str]:
    """The place of the picture: the prompt's, refined by a more specific one the setting names."""
    found, extra = _place_in(prompt), _place_in(setting)
    if found and extra and extra[0] in REFINES.get(found[0], ()):
        return extra
    return found or extra or ("meadow", "field", "meadow")


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
    place, family, variant = _place(p, s)
    neon = both.has("neon")
    time = _pick(TIMES, p, s)
    if time is None:
        time = "night" if neon or family == "space" else "noon" if family in INDOORS else "golden"
    weather = [w for w, ws in WEATHER.items() if any(both.has(x) for x in ws) and w != "clear"]
    if "storm" in weather and "rain" not in weather and "snow" not in weather:
        weather.insert(0, "rain")  # a storm brings rain (or, named, snow)
    # The prompt frames the picture; "together" is a two-shot; the shots' words only fill in.
    camera = _pick(CAMERA, p) or ("two" if any(p.has(w) for w in TOGETHER) else None) or _pick(CAMERA, s) or "medium"
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
        weather=tuple(weather),
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
        place=place,
    )


def stable_int(*parts: object) -> int:
    """A seed from any values that is the same in every process, unlike the salted built-in hash()."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")
