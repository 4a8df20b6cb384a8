"""What a story is about: its action, the thing it turns on, the goal, a deadline and the mood."""

from __future__ import annotations

from dataclasses import dataclass, field

from sparkle_cli.planning.cast import Mention, Person
from sparkle_cli.planning.tokens import Token, only_joiners
from sparkle_cli.planning.vocabulary import Vocabulary

PARTICLES = {"up", "out", "back", "off", "down", "away", "again", "together", "around"}
TOPIC_PREPOSITIONS = {"about", "over", "for", "with", "on", "into", "in", "at", "through", "across", "from"}
DEADLINE_WORDS = {"before", "by", "until", "till"}
SECOND_VERB_LEADS = {"help", "helps", "let", "lets", "make", "makes", "watch", "watches", "see", "sees", "hear"}
PERSONAL = {"i", "we", "they", "you", "he", "she", "it", "who", "that", "which", "whether", "what", "how", "why"}


@dataclass
class Premise:
    verb: str | None = None
    thing: str | None = None  # "the bread"
    thing_full: str | None = None  # "the missing bread"
    thing_word: str | None = None  # "bread"
    plural: bool = False
    goal: str | None = None  # "get the truth about the missing bread"
    deadline: str | None = None  # "the science fair"
    state: str | None = None  # "lost"
    accused: int | None = None  # the cast member the premise turns on ("a traitor")
    place_object: bool = False  # the verb acts on the place ("open a cafe")
    kind: set[str] = field(default_factory=set)  # lost | broken | prize: what the thing is to the story
    mood: str = "conversation"


def lemma(word: str, v: Vocabulary) -> str:
    table: dict[str, str] = v.raw["verb_lemmas"]
    if word in table:
        return table[word]
    if word.endswith("ing") and len(word) > 5:
        stem = word[:-3]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
            return stem[:-1]
        if len(stem) == 3 and stem[1] in "aeiou" and stem[2] not in "aeiouwxy":
            return stem + "e"
        return stem
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _adverb(word: str, v: Vocabulary) -> bool:
    """ "slowly", not "fly", "reply" or "lonely" (an adjective)."""
    return (
        len(word) > 4 and word.endswith("ly") and not word.endswith(("ply", "fly")) and word not in v.sets["adjectives"]
    )


@dataclass
class _NounPhrase:
    start: int
    end: int
    det: str | None
    words: list[str]
    of: list[str] = field(default_factory=list)  # "a thermos of cocoa": ["cocoa"]
    of_det: str | None = None


def _noun_phrase(tokens: list[Token], k: int, v: Vocabulary, taken: set[int], bare: bool) -> _NounPhrase | None:
    n = len(tokens)
    if k >= n or not tokens[k].is_word or k in taken:
        return None
    counts = v.raw["cast"]["counts"]
    det = None
    j = k
    if tokens[j].low in v.sets["determiners"] or tokens[j].low.isdigit() or tokens[j].low in counts:
        det = tokens[j].low
        j += 1
    elif not bare:
        return None
    words: list[str] = []
    while j < n and tokens[j].is_word and j not in taken and len(words) < 4:
        t = tokens[j]
        if t.low in v.sets["stop_words"] or t.low in PERSONAL or _adverb(t.low, v):
            break
        if t.low in v.times or t.low in v.sets["verb_helpers"]:
            break
        words.append(t.low + ("'s" if t.possessive else ""))
        j += 1
    if not words:
        return None
    np = _NounPhrase(k, j, det, words)
    if words[-1] in v.sets["containers"] and j + 1 < n and tokens[j].low == "of":
        inner = _noun_phrase(tokens, j + 1, v, taken, bare=True)
        if inner is not None:
            np.of, np.of_det, np.end = inner.words, inner.det, inner.end
    return np


def _thing(np: _NounPhrase, v: Vocabulary) -> tuple[str, str, str, bool]:
    """(full, short, head word, plural) for a noun phrase: "the missing bread", "the bread", "bread"."""

    def article(det: str | None) -> str:
        return "" if det is None else "the "

    full = article(np.det) + " ".join(np.words)
    if np.of:
        full += " of " + article(np.of_det) + " ".join(np.of)
        words, det = np.of, np.of_det
    else:
        words, det = np.words, np.det
    nouns = [w for w in words[:-1] if w not in v.sets["adjectives"] and not w.endswith(("ing", "ed"))]
    short_words = nouns + [words[-1]]
    if det is not None and det.isdigit() or det in v.raw["cast"]["counts"] and det not in ("a", "an", "one"):
        short_words = [det, *short_words] if det else short_words
    short = article(det) + " ".join(short_words)
    head = words[-1]
    plural = head.endswith("s") and not head.endswith(("ss", "us", "is", "ics")) and len(head) > 3
    return full, short, head, plural


def read_premise(
    tokens: list[Token], v: Vocabulary, cast: list[Person], mentions: list[Mention], taken: set[int]
) -> Premise:
    premise = Premise(mood=_mood(tokens, v))
    n = len(tokens)
    cast_tokens = {i for m in mentions for i in range(m.start, m.end)}
    start = 0
    if mentions:
        first = mentions[0]
        start = first.end
        for m in mentions[1:]:
            if only_joiners(tokens, start, m.start) or m.start == start:
                start = m.end
            else:
                break
    verb_at = None
    for k in range(start, n):
        t = tokens[k]
        if not t.is_word or k in taken or k in cast_tokens:
            continue
        low = t.low
        if low in v.sets["stop_words"] or low in v.sets["verb_helpers"] or low in v.sets["determiners"]:
            continue
        if _adverb(low, v):
            continue
        if low in v.weather or low in v.times or low in v.places or low in v.sets["adjectives"]:
            continue
        verb_at = k
        break
    if verb_at is None:
        return premise
    verb = lemma(tokens[verb_at].low, v)
    k = verb_at + 1
    if verb in v.sets["linking_verbs"]:
        nxt = tokens[k].low if k < n else ""
        if nxt in v.raw["states"]:
            premise.state = nxt
            spec = v.raw["states"][nxt]
            premise.goal, premise.thing = spec["goal"], spec["topic"]
            premise.thing_full, premise.thing_word = spec["topic"], spec["topic"].split()[-1]
            premise.verb = verb
            _deadline(tokens, v, taken, premise)
            return premise
        # "they are baking bread": the verb is the next word
        if k < n and tokens[k].low.endswith("ing"):
            verb, k = lemma(tokens[k].low, v), k + 1
    premise.verb = verb
    particles = []
    while k < n and tokens[k].low in PARTICLES:
        particles.append(tokens[k].low)
        k += 1
    person_object: int | None = None
    place_object = False
    thing_np: _NounPhrase | None = None
    thing_prep: str | None = None
    second_verb: str | None = None
    # The words after the verb: an object, prepositional objects, "to" + a second verb.
    j = k
    while j < n and tokens[j].text not in ".!?;":
        t = tokens[j]
        if j in cast_tokens:
            owner = next((m for m in mentions if m.start <= j < m.end), None)
            if owner is not None and person_object is None and owner.persons:
                person_object = owner.persons[0]
                j = owner.end
                # "help a sailor find his way home", "teach her brother to fish"
                if j < n and tokens[j].low == "to" and j + 1 < n:
                    j += 1
                if j < n and tokens[j].is_word and tokens[j].low not in v.sets["stop_words"] and j not in taken:
                    if tokens[verb_at].low in SECOND_VERB_LEADS or verb in (
                        "teach",
                        "help",
                        "let",
                        "make",
                        "ask",
                        "tell",
                    ):
                        second_verb = lemma(tokens[j].low, v)
                        j += 1
                        np = _noun_phrase(tokens, j, v, taken | cast_tokens, bare=True)
                        if np is not None and thing_np is None:
                            thing_np, thing_prep = np, None
                            j = np.end
                continue
            j += 1
            continue
        if j in taken:
            if j == k and not place_object:
                place_object = True  # "open a cafe", "search the library"
            j += 1
            continue
        if not t.is_word:
            j += 1
            continue
        if t.low in DEADLINE_WORDS:
            j += 1
            continue
        prep = t.low if t.low in TOPIC_PREPOSITIONS else None
        np = _noun_phrase(tokens, j + 1 if prep else j, v, taken | cast_tokens, bare=prep is not None or j == k)
        if np is not None and prep in v.sets["location_words"] and all(w in v.weather for w in np.words):
            j = np.end  # "in the rain" is the weather, not what the story is about
            continue
        if np is not None and thing_np is None and not (j > 0 and tokens[j - 1].low in DEADLINE_WORDS):
            thing_np, thing_prep = np, prep
            j = np.end
            continue
        j += 1
    if thing_np is None:
        # Later in the prompt: ", looking for its lost painting".
        for j in range(k, n):
            if tokens[j].low in ("for", "about", "with", "over"):
                np = _noun_phrase(tokens, j + 1, v, taken | cast_tokens, bare=True)
                if np is not None:
                    thing_np, thing_prep = np, tokens[j].low
                    break
    if thing_np is not None:
        full, short, head, plural = _thing(thing_np, v)
        premise.thing_full, premise.thing, premise.thing_word, premise.plural = full, short, head, plural
        words = set(thing_np.words) | set(thing_np.of)
        if words & set(v.raw["lost_words"]):
            premise.kind.update(("lost", "sought"))
        if verb in v.raw["search_verbs"]:
            premise.kind.add("sought")
        if full.startswith("the ") and head not in v.raw["abstract_things"] and head not in v.weather:
            premise.kind.add("object")
        if words & set(v.raw["broken_words"]) or verb in v.raw["repair_verbs"]:
            premise.kind.add("broken")
        if verb in v.raw["prize_verbs"] and not all(w in v.weather for w in thing_np.words):
            premise.kind.add("prize")
    premise.place_object = place_object and thing_np is None
    if person_object is not None:
        role = cast[person_object].role if person_object < len(cast) else None
        if role and role in set(v.raw.get("villains", [])):
            premise.accused = person_object
    goal_verbs: dict[str, str] = v.raw["goal_verbs"]
    if second_verb:
        obj = f" {premise.thing_full}" if premise.thing_full else ""
        premise.goal = ("learn to " if verb == "teach" else "") + second_verb + obj
    elif premise.thing_full:
        mapped = goal_verbs.get(verb)
        if mapped:
            premise.goal = f"{mapped} {premise.thing_full}"
        else:
            middle = " ".join(particles + ([thing_prep] if thing_prep and thing_prep not in ("in", "on", "at") else []))
            premise.goal = " ".join(x for x in (verb, middle, premise.thing_full) if x)
    elif premise.place_object:
        premise.goal = None  # filled by the planner with the place's short name
    _deadline(tokens, v, taken, premise)
    return premise


def _deadline(tokens: list[Token], v: Vocabulary, taken: set[int], premise: Premise) -> None:
    for j, t in enumerate(tokens):
        if t.low in DEADLINE_WORDS and j + 1 < len(tokens) and (j + 1) not in taken:
            if tokens[j + 1].low in v.times or tokens[j + 1].low in v.weather:
                continue
            np = _noun_phrase(tokens, j + 1, v, taken, bare=False)
            if np is not None and not any(w in v.times for w in np.words):
                premise.deadline = "the " + " ".join(np.words) if np.det else " ".join(np.words)
                return


def _mood(tokens: list[Token], v: Vocabulary) -> str:
    text = " " + " ".join(t.low for t in tokens if t.is_word) + " "
    words = [t.low for t in tokens if t.is_word]
    for mood, keys in v.raw["moods"].items():
        for key in keys:
            if " " in key:
                if f" {key} " in text:
                    return str(mood)
            elif any(w == key or (w.startswith(key) and len(key) > 3) for w in words):
                return str(mood)
    return "conversation"
