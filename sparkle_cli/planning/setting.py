"""Where and when a story happens: the place, its words in the prompt, the time of day and the weather."""

from __future__ import annotations

from dataclasses import dataclass, field

from sparkle_cli.planning.cast import Person
from sparkle_cli.planning.tokens import Token, match_phrase
from sparkle_cli.planning.vocabulary import Place, Vocabulary

SETTING_PREPS = {"in", "on", "at", "inside", "aboard", "under", "beneath", "atop"}


@dataclass
class Setting:
    key: str  # the vocabulary's place key ("bakery"), "" when the prompt names none
    label: str  # the place in plain words ("a bakery")
    phrase: str  # the prompt's own words ("a small bakery")
    short: str  # how a character says it ("the bakery")
    prep: str  # in | on | at, as a character says it ("on the harbor")
    indoor: bool
    time: str  # dawn | morning | day | sunset | dusk | night
    weather: str  # clear | rain | storm | snow | fog | wind
    from_prompt: dict[str, bool] = field(default_factory=dict)  # which parts the prompt gave
    prompt_prep: str = "in"  # the prompt's own preposition for the setting ("inside a small harbor bar")


@dataclass
class _PlaceMatch:
    place: Place
    word: str
    start: int
    end: int
    score: float
    phrase: str
    proper: bool = False
    prep: str | None = None  # the prompt's own preposition ("inside a small harbor bar")


def _place_matches(tokens: list[Token], v: Vocabulary, taken: set[int]) -> list[_PlaceMatch]:
    found: list[_PlaceMatch] = []
    i, n = 0, len(tokens)
    stop, dets = v.sets["stop_words"], v.sets["determiners"]
    while i < n:
        if i in taken or not tokens[i].is_word:
            i += 1
            continue
        hit = match_phrase(tokens, i, v.places, v.place_words)
        if not hit:
            i += 1
            continue
        word, length = hit
        end = i + length
        # "a castle courtyard", "a theater stage": the last of two place words is the place.
        while (
            end < n and not tokens[end - 1].possessive and (more := match_phrase(tokens, end, v.places, v.place_words))
        ):
            word, length, end = more[0], end + more[1] - i, end + more[1]
        nxt = tokens[end] if end < n else None
        role_next = match_phrase(tokens, end, v.roles, v.role_words) if nxt is not None and nxt.is_word else None
        if role_next and role_next[0] not in v.sets["ambiguous"] and not tokens[end - 1].possessive:
            i = end  # "a street musician"
            continue
        s = _phrase_start(tokens, i, v, taken)
        prep = tokens[s - 1].low if s > 0 and tokens[s - 1].is_word else None
        if prep == "of" and s > 1 and tokens[s - 2].low in v.sets["place_parts"]:
            s2 = s - 2
            while s2 > 0 and tokens[s2 - 1].low in v.sets["adjectives"]:
                s2 -= 1
            if s2 > 0 and tokens[s2 - 1].low in dets:
                s2 -= 1
            s = s2
            prep = tokens[s - 1].low if s > 0 and tokens[s - 1].is_word else None
        proper = tokens[i].capital and not tokens[i].start and length == 1  # "on Mars"
        if prep in v.sets["location_words"]:
            score = 3.0
        elif prep in v.sets["not_location_words"]:
            score = 0.0
        else:
            # After a verb with no preposition: the place may be the story's object ("open a cafe").
            score = 1.0 if nxt is None or not nxt.is_word or nxt.low in stop or nxt.low in v.times else -1.0
        if score < 0:
            i = end
            continue
        # "the ruins of a city", "the throne room of her castle": the place goes on after "of";
        # "a tiny apartment in a rainy city": the first place is inside the second, and is the setting.
        e = end
        while e + 1 < n and not tokens[e - 1].possessive:
            joiner = tokens[e].low
            if joiner != "of" and not (joiner in ("in", "inside") and 1 <= score < 3):
                break
            k = _phrase_start_forward(tokens, e + 1, v)
            more = match_phrase(tokens, k, v.places, v.place_words) if k < n else None
            if not more:
                break
            e = k + more[1]
            if joiner != "of":
                score = 3.5
        phrase = tokens[i].text if proper and s == i else _phrase(tokens[s:e], v)
        match = _PlaceMatch(v.places[word], word, s, e, score + (0.5 if length > 1 else 0.0), phrase)
        match.proper = proper
        match.prep = prep if prep in v.sets["location_words"] else None
        found.append(match)
        i = e
    return found


def _phrase_start(tokens: list[Token], i: int, v: Vocabulary, taken: set[int]) -> int:
    """Where the noun phrase ending in the place word at i begins: its determiner, else its modifiers."""
    stop, dets = v.sets["stop_words"], v.sets["determiners"]
    for back in range(1, 5):  # "a small volcanic island", "a Paris cafe"
        k = i - back
        if k < 0 or not tokens[k].is_word or k in taken or tokens[k].possessive:
            break
        if tokens[k].low in dets:
            return k
        if tokens[k].low in stop:
            break
    s = i
    while s > 0 and tokens[s - 1].is_word and (s - 1) not in taken:
        w = tokens[s - 1].low
        if w in stop or w in dets:
            break
        if w in v.sets["adjectives"] or w in v.places or w.endswith(("ing", "ed", "y")):
            s -= 1
            continue
        break
    return s


def _phrase_start_forward(tokens: list[Token], k: int, v: Vocabulary) -> int:
    """The first content word after a determiner and adjectives: "a rainy city" -> "city"."""
    n = len(tokens)
    while (
        k < n
        and tokens[k].is_word
        and (
            tokens[k].low in v.sets["determiners"]
            or tokens[k].low in v.sets["adjectives"]
            or tokens[k].low.endswith("y")
        )
    ):
        if match_phrase(tokens, k, v.places, v.place_words):
            break
        k += 1
    return k


def _phrase(words: list[Token], v: Vocabulary) -> str:
    """The prompt's words for a place, with "her kitchen" read as "a kitchen"."""
    out = []
    for k, t in enumerate(words):
        if t.low in v.sets["possessives"]:
            following = words[k + 1].low if k + 1 < len(words) else ""
            out.append("an" if following[:1] in "aeiou" else "a")
        else:
            out.append(t.text if t.capital and k > 0 else t.low)
    if out and out[0] not in v.sets["determiners"]:
        out.insert(0, "the")
    return " ".join(out)


def read_setting(tokens: list[Token], v: Vocabulary, taken: set[int], cast: list[Person]) -> tuple[Setting, set[int]]:
    matches = _place_matches(tokens, v, taken)
    best = max(matches, key=lambda m: m.score, default=None) if matches else None
    span: set[int] = set()
    if best is not None:
        place = best.place
        phrase = best.phrase
        if best.word in place.events:
            phrase = f"{place.label} set for {phrase}"
            short = "the studio"
        elif best.proper:
            short = phrase
        else:
            short = _short_place(best.word)
        place_prep = v.raw.get("word_preps", {}).get(best.word, place.prep)
        span = set(range(best.start, best.end))
        if tokens[best.end - 1].possessive:
            span = set()  # "a bank's computer": the words name the thing the story is about
        given = True
    else:
        place = _place_for_cast(cast, v)
        phrase, short, given = place.label, _short_place(place.label.split(" ", 1)[-1]), False
        place_prep = place.prep
    time = _time(tokens, v, span) or ""
    weather = _weather(tokens, v) or ""
    setting = Setting(
        key=place.key,
        label=place.label,
        phrase=phrase,
        short=short,
        prep=place_prep,
        prompt_prep=best.prep if best is not None and best.prep in SETTING_PREPS else place_prep,
        indoor=place.indoor,
        time=time or _default_time(place, tokens),
        weather=weather or "clear",
        from_prompt={"place": given, "time": bool(time), "weather": bool(weather)},
    )
    if place.key in ("space station", "spaceship", "moon surface"):
        setting.weather = "clear"  # no weather in space
    return setting, span


def _short_place(word: str) -> str:
    if " of the " in word:
        word = word.rsplit(" of the ", 1)[1]
    elif word.startswith(("the ", "a ", "an ")):
        word = word.split(" ", 1)[1]
    return f"the {word}"


def _place_for_cast(cast: list[Person], v: Vocabulary) -> Place:
    """Where a story that names no place happens: the cast's workplace, else a park."""
    homes: dict[str, str] = v.raw.get("role_places", {})
    for p in cast:
        if p.role and p.role in homes:
            key = homes[p.role]
            for place in v.places.values():
                if place.key == key:
                    return place
    return next(p for p in v.places.values() if p.key == "park")


def _time(tokens: list[Token], v: Vocabulary, skip: set[int]) -> str | None:
    for i in range(len(tokens)):
        if i in skip:
            continue
        hit = match_phrase(tokens, i, v.times, 3)
        if hit:
            return v.times[hit[0]]
    return None


def _weather(tokens: list[Token], v: Vocabulary) -> str | None:
    for i in range(len(tokens)):
        hit = match_phrase(tokens, i, v.weather, 2)
        if not hit:
            continue
        k = i - 1
        while k >= 0 and tokens[k].low in v.sets["determiners"]:
            k -= 1
        if k >= 0 and tokens[k].low in v.sets["weather_not_after"]:
            continue  # "pray for rain": a wish, not the sky
        return v.weather[hit[0]]
    return None


def _default_time(place: Place, tokens: list[Token]) -> str:
    words = {t.low for t in tokens}
    if place.key in ("space station", "spaceship", "moon surface") or words & {"neon", "stars", "lantern", "candle"}:
        return "night"
    return "day"
