"""Reading a story prompt without a model: who is in it, where and when it happens, what it is about.

A tokenizer, the words in vocabulary.yaml and a few rules of English word order; what the prompt does not say stays empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sparkle_cli.planning.vocabulary import Place, Role, Vocabulary, vocabulary

TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+|[.,;:!?]")
ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "st", "prof", "capt", "jr", "sr", "mt", "sgt", "lt"}
FEMALE_PRONOUNS = {"she", "her", "hers", "herself"}
MALE_PRONOUNS = {"he", "him", "his", "himself"}
OLD_WORDS = {"old", "elderly", "aged", "aging", "ageing", "retired", "ancient", "grey-haired", "white-haired"}
YOUNG_WORDS = {"young", "little", "teenage", "teen", "baby", "small", "tiny", "youngest", "kid"}
PARTICLES = {"up", "out", "back", "off", "down", "away", "again", "together", "around"}
TOPIC_PREPOSITIONS = {"about", "over", "for", "with", "on", "into", "in", "at", "through", "across", "from"}
DEADLINE_WORDS = {"before", "by", "until", "till"}
SECOND_VERB_LEADS = {"help", "helps", "let", "lets", "make", "makes", "watch", "watches", "see", "sees", "hear"}
PERSONAL = {"i", "we", "they", "you", "he", "she", "it", "who", "that", "which", "whether", "what", "how", "why"}
SETTING_PREPS = {"in", "on", "at", "inside", "aboard", "under", "beneath", "atop"}


@dataclass
class Token:
    text: str
    low: str
    start: bool = False  # the first word of its sentence
    possessive: bool = False  # "Anne's": the 's is dropped from text
    sentence: int = 0

    @property
    def is_word(self) -> bool:
        return self.text[:1].isalpha()

    @property
    def capital(self) -> bool:
        return self.text[:1].isupper()


@dataclass
class Person:
    name: str = ""
    role: str | None = None
    kind: str = "person"  # person | animal | creature | machine | narrator
    gender: str | None = None
    age: str | None = None  # young | old
    modifiers: list[str] = field(default_factory=list)
    named: bool = False  # the prompt gave the name
    title: str | None = None  # "Captain" in "Captain Ines"
    owner: int | None = None  # whose "her grandson" this is
    group: int = 0  # people of one mention ("three astronauts") share a group
    group_size: int = 1
    spirit: bool = False
    big: bool = False
    croaks: bool = False
    pronoun_owner: str | None = None  # the "her" in "her grandson", resolved later


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


@dataclass
class Story:
    prompt: str
    cast: list[Person]
    setting: Setting
    premise: Premise
    english: bool = True


@dataclass
class _Mention:
    kind: str  # role | name | title
    start: int
    end: int
    role: Role | None = None
    plural: bool = False
    count: int | None = None
    names: list[str] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)
    det: str | None = None
    title: str | None = None
    persons: list[int] = field(default_factory=list)


# --- tokens ----------------------------------------------------------------------------


def tokenize(prompt: str) -> list[Token]:
    out: list[Token] = []
    start, sentence = True, 0
    for raw in TOKEN_RE.findall(prompt.replace("’", "'")):
        if raw in ".!?":
            if raw == "." and out and out[-1].low in ABBREVIATIONS:
                continue  # "Dr." does not end a sentence
            out.append(Token(raw, raw, sentence=sentence))
            start, sentence = True, sentence + 1
            continue
        if raw in ",;:":
            out.append(Token(raw, raw, sentence=sentence))
            continue
        text, possessive = raw, False
        if raw.lower().endswith("'s") and len(raw) > 2:
            text, possessive = raw[:-2], True
        elif raw.endswith("s'"):
            text, possessive = raw[:-1], True
        out.append(Token(text, text.lower(), start=start, possessive=possessive, sentence=sentence))
        start = False
    return out


def _match(tokens: list[Token], i: int, table: dict[str, object], longest: int) -> tuple[str, int] | None:
    """The longest phrase of `table` that starts at word i, with its length in tokens."""
    for length in range(min(longest, len(tokens) - i), 0, -1):
        part = tokens[i : i + length]
        if not all(t.is_word for t in part):
            continue
        phrase = " ".join(t.low for t in part)
        if phrase in table and not any(t.possessive for t in part[:-1]):
            return phrase, length
    return None


# --- cast ------------------------------------------------------------------------------


def _is_name(tokens: list[Token], i: int, v: Vocabulary) -> bool:
    t = tokens[i]
    if not t.is_word or not t.capital:
        return False
    low = t.low
    known = t.text in v.sets["known_female"] or t.text in v.sets["known_male"]
    if low in v.sets["not_names"] or low in v.roles or low in v.places or low in v.times or low in v.weather:
        return known and not t.start
    if low in v.raw["cast"]["counts"]:
        return False
    if low in v.sets["adjectives"] or low in v.sets["stop_words"] or low in v.sets["location_words"]:
        return False
    if 1 < len(t.text) <= 4 and t.text.isupper():
        return False  # "TV", "NASA": a word, not a name
    if t.start and not known and low.endswith(("ly", "ing", "ed")):
        return False
    prev = tokens[i - 1] if i > 0 else None
    return not (prev is not None and prev.low in {"in", "on", "at", "from", "across", "near", "inside", "over"})


def _name_run(tokens: list[Token], i: int, v: Vocabulary) -> int:
    """The end of the name that starts at i ("Mary Jane" is one name)."""
    j = i + 1
    while j < len(tokens) and _is_name(tokens, j, v) and not tokens[j - 1].possessive:
        j += 1
    return j


def _before(tokens: list[Token], i: int, v: Vocabulary) -> tuple[int, list[str], int | None, str | None]:
    """Where a role's noun phrase starts, its modifiers, its count and its determiner."""
    counts = v.raw["cast"]["counts"]
    k = i - 1
    modifiers: list[str] = []
    while k >= 0 and tokens[k].is_word and not tokens[k].possessive:
        t = tokens[k]
        if t.low in v.sets["determiners"] or (t.low in counts and t.low not in v.sets["adjectives"]):
            break
        shouty = 1 < len(t.text) <= 4 and t.text.isupper()
        if t.low in v.sets["adjectives"] or t.low in v.roles or t.low in v.places or shouty:
            modifiers.insert(0, t.text if shouty else t.low)
            k -= 1
            continue
        if t.low.endswith(("ing", "ed")) and t.low not in v.sets["stop_words"] and k > 0:
            if tokens[k - 1].low in v.sets["determiners"] or tokens[k - 1].low in counts:
                modifiers.insert(0, t.low)
                k -= 1
                continue
        break
    # "a food critic": words between a determiner close by and the role describe it.
    for back in range(1, 3):
        j = k - back + 1
        words = range(j, k + 1)
        if j - 1 < 0 or not all(
            tokens[x].is_word and not tokens[x].possessive and tokens[x].low not in v.sets["stop_words"] for x in words
        ):
            break
        if tokens[j - 1].low in v.sets["determiners"] or tokens[j - 1].low in counts:
            modifiers = [tokens[x].low for x in words] + modifiers
            k = j - 1
            break
    count: int | None = None
    det: str | None = None
    if k >= 0 and tokens[k].is_word and tokens[k].possessive and (tokens[k].low in v.roles or tokens[k].capital):
        return k + 1, modifiers, None, "the"  # "the King's guard", not "a bank's computer"
    if k >= 0 and tokens[k].is_word:
        t = tokens[k]
        if t.low in counts:
            count, det = int(counts[t.low]), t.low
            # "a pair of" / "a crew of": the count word sits before "of"
        elif t.low.isdigit():
            count, det = int(t.low), t.low
        elif t.low in v.sets["determiners"]:
            det = t.low
        elif t.low == "of" and k > 0 and tokens[k - 1].low in counts:
            count, det = int(counts[tokens[k - 1].low]), tokens[k - 1].low
            k -= 1
        else:
            k += 1
        if det is not None and k > 0 and tokens[k - 1].low in ("a", "an") and t.low in counts:
            k -= 1  # "a few", "a couple"
    else:
        k += 1
    if k < i and tokens[k].low in counts and count is None:
        count = int(counts[tokens[k].low])
    return max(k, 0), modifiers, count, det


def _names_after(tokens: list[Token], j: int, v: Vocabulary, plural: bool) -> tuple[list[str], int]:
    """Names that follow a role: "her engineer Tomas", "twin sisters Priya and Asha", "two pirates, Anne and Jack"."""
    k = j
    if k < len(tokens) and tokens[k].low in ("named", "called"):
        k += 1
    comma = False
    if plural and k < len(tokens) and tokens[k].text == ",":
        k, comma = k + 1, True
    names: list[str] = []
    while k < len(tokens) and _is_name(tokens, k, v) and tokens[k].low not in v.sets["titles"]:
        end = _name_run(tokens, k, v)
        names.append(" ".join(t.text for t in tokens[k:end]))
        k = end
        if not plural or tokens[k - 1].possessive:
            break
        if k + 1 < len(tokens) and tokens[k].low in ("and", ",") and _is_name(tokens, k + 1, v):
            k += 1
            if tokens[k].low == "and":
                k += 1
            continue
        if k + 2 < len(tokens) and tokens[k].text == "," and tokens[k + 1].low == "and":
            k += 2
            continue
        break
    if comma and names and k < len(tokens) and tokens[k].text not in ",.;:":
        return [], j  # "two pirates, Anne and Jack fight": not an apposition after all
    if comma and names and k < len(tokens) and tokens[k].text == ",":
        k += 1
    return (names, k) if names else ([], j)


def _mentions(tokens: list[Token], v: Vocabulary) -> list[_Mention]:
    cast = v.raw["cast"]
    mentions: list[_Mention] = []
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        if not t.is_word:
            i += 1
            continue
        if t.capital and t.low in v.sets["titles"] and i + 1 < n and _is_name(tokens, i + 1, v):
            end = _name_run(tokens, i + 1, v)
            role_word = cast["titles"][t.low]
            mentions.append(
                _Mention(
                    kind="title",
                    start=i,
                    end=end,
                    role=v.roles.get(role_word, Role(role_word)),
                    names=[" ".join(x.text for x in tokens[i + 1 : end])],
                    title=t.text + ("." if t.low in ABBREVIATIONS else ""),
                )
            )
            i = end
            continue
        found = _match(tokens, i, v.roles, v.role_words)  # type: ignore[arg-type]
        if found and tokens[i + found[1] - 1].possessive and i + found[1] < n and tokens[i + found[1]].is_word:
            i += found[1]  # "their late father's violin": the owner of a thing, not someone in the scene
            continue
        if found:
            phrase, length = found
            end = i + length
            nxt = tokens[end] if end < n else None
            if nxt is not None and nxt.is_word and not tokens[end - 1].possessive:
                follows_role = _match(tokens, end, v.roles, v.role_words) is not None  # type: ignore[arg-type]
                follows_place = _match(tokens, end, v.places, v.place_words) is not None  # type: ignore[arg-type]
                if follows_role or follows_place or nxt.low in v.sets["modifier_heads"]:
                    i = end  # "twin sisters", "pirate ship", "dragon egg": a modifier
                    continue
            start, modifiers, count, det = _before(tokens, i, v)
            if phrase in v.sets["ambiguous"] and det is None and not modifiers:
                i = end
                continue
            if tokens[i - 1].low == "to" if i > 0 else False:
                i = end
                continue
            plural = phrase in v.plural_of
            names, after = _names_after(tokens, end, v, plural)
            role = v.roles[phrase]
            for modifier in modifiers:  # "a robot butler" is a machine
                if modifier.lower() in v.roles and v.roles[modifier.lower()].kind != "person" and role.kind == "person":
                    role = Role(role.word, kind=v.roles[modifier.lower()].kind, gender=role.gender)
            mentions.append(
                _Mention(
                    kind="role",
                    start=start,
                    end=after,
                    role=role,
                    plural=plural,
                    count=count,
                    names=names,
                    modifiers=modifiers,
                    det=det,
                )
            )
            i = after
            continue
        if _is_name(tokens, i, v):
            end = _name_run(tokens, i, v)
            name = " ".join(x.text for x in tokens[i:end])
            last = mentions[-1] if mentions else None
            joined = last is not None and last.kind == "name" and _only_joiners(tokens, last.end, i)
            if joined and last is not None:
                last.names.append(name)
                last.end = end
            else:
                mentions.append(_Mention(kind="name", start=i, end=end, names=[name]))
            i = end
            continue
        i += 1
    return _appositions(tokens, mentions)


def _only_joiners(tokens: list[Token], a: int, b: int) -> bool:
    between = [t.low for t in tokens[a:b]]
    return bool(between) and all(w in {"and", ","} for w in between)


def _appositions(tokens: list[Token], mentions: list[_Mention]) -> list[_Mention]:
    """ "Mei-Ling, a street musician," and "José and Aiko, two divers,": the role belongs to the names."""
    out: list[_Mention] = []
    for m in mentions:
        prev = out[-1] if out else None
        if (
            m.kind == "role"
            and not m.names
            and prev is not None
            and prev.kind == "name"
            and m.start > 0
            and tokens[m.start - 1].text == ","
            and prev.end == m.start - 1
        ):
            fits = len(prev.names) == 1 and not m.plural or m.plural and (m.count in (None, len(prev.names)))
            if fits:
                prev.kind, prev.role, prev.plural = "role", m.role, m.plural
                prev.modifiers, prev.det, prev.count = m.modifiers, m.det, len(prev.names)
                prev.end = m.end
                continue
        out.append(m)
    return out


def read_cast(tokens: list[Token], v: Vocabulary | None = None) -> tuple[list[Person], list[_Mention]]:
    v = v or vocabulary()
    most = int(v.raw["cast"]["most_characters"])
    mentions = _mentions(tokens, v)
    people: list[Person] = []
    by_name: dict[str, int] = {}
    wanted = sum(_wanted(m) for m in mentions)
    for group, m in enumerate(mentions):
        if len(people) >= most:
            break
        if m.kind == "name":
            for name in m.names:
                if len(people) >= most:
                    break
                if name not in by_name:
                    by_name[name] = len(people)
                    people.append(Person(name=name, named=True, group=group))
                m.persons.append(by_name[name])
            continue
        role = m.role or Role("person")
        if m.kind == "title":
            name = m.names[0]
            if name in by_name:
                m.persons.append(by_name[name])
                continue
            gender = _title_gender(m.title or "", v) or role.gender
            by_name[name] = len(people)
            people.append(_person(role, name=name, named=True, title=m.title, group=group, gender=gender))
            m.persons.append(by_name[name])
            continue
        if m.det in ("the", "this", "that") and not m.names and not m.plural:
            same = [i for i, p in enumerate(people) if p.role == role.word]
            if same:
                m.persons.append(same[0])
                continue
        count = _wanted(m)
        if wanted > most:  # "twelve astronauts and nine pirates": every group keeps a share of the cast
            count = max(1, count * most // wanted)
        count = max(1, min(count, most - len(people)))
        pronoun = m.det if m.det in v.sets["possessives"] else None
        for k in range(count):
            name = m.names[k] if k < len(m.names) else ""
            if name and name in by_name:
                person = people[by_name[name]]
                person.role = person.role or role.word
                m.persons.append(by_name[name])
                continue
            person = _person(role, name=name, named=bool(name), group=group, modifiers=list(m.modifiers))
            person.group_size = count
            person.pronoun_owner = pronoun
            if name:
                by_name[name] = len(people)
            m.persons.append(len(people))
            people.append(person)
    _genders(tokens, mentions, people, v)
    for p in people:
        words = {w.lower() for w in p.modifiers}
        if p.age is None and words & OLD_WORDS:
            p.age = "old"
        elif p.age is None and words & YOUNG_WORDS and p.kind == "person":
            p.age = "young"
    return people, mentions


def _wanted(m: _Mention) -> int:
    if m.kind != "role":
        return len(m.names) if m.kind == "name" else 1
    return len(m.names) if m.names else (m.count or (2 if m.plural else 1))


def _person(role: Role, **kw: object) -> Person:
    person = Person(
        role=None if role.word == "person" else role.word,
        kind=role.kind,
        gender=role.gender,
        age=role.age,
        spirit=role.spirit,
        big=role.big,
        croaks=role.croaks,
    )
    for key, value in kw.items():
        if value is not None:
            setattr(person, key, value)
    return person


def _title_gender(title: str, v: Vocabulary) -> str | None:
    low = title.lower().rstrip(".")
    if low in v.sets["female_titles"]:
        return "female"
    if low in v.sets["male_titles"]:
        return "male"
    return None


def _genders(tokens: list[Token], mentions: list[_Mention], people: list[Person], v: Vocabulary) -> None:
    """Genders from known names, then from the pronouns that refer back ("a wizard and her cat")."""
    for person in people:
        if person.gender is None and person.named:
            first = person.name.split()[0]
            if first in v.sets["known_female"]:
                person.gender = "female"
            elif first in v.sets["known_male"]:
                person.gender = "male"
    starts = {m.start: m for m in mentions}
    in_sentence: list[int] = []
    previous: list[int] = []
    sentence = 0
    for i, t in enumerate(tokens):
        if t.sentence != sentence:
            sentence, previous, in_sentence = t.sentence, in_sentence or previous, []
        m = starts.get(i)
        pronoun = "female" if t.low in FEMALE_PRONOUNS else "male" if t.low in MALE_PRONOUNS else None
        if pronoun:
            candidates = [p for p in (in_sentence or previous) if people[p].group_size == 1]
            for p in candidates:
                if people[p].gender in (None, pronoun):
                    people[p].gender = pronoun
                    if m is not None:  # "her grandson": the mention starts at its possessive
                        for k in m.persons:
                            if k != p:
                                people[k].owner = p
                    break
        if m is not None:
            for p in m.persons:
                if p not in in_sentence:
                    in_sentence.append(p)
    for m in mentions:  # a possessive whose sentence had no one to point back to
        for index in m.persons:
            owned = people[index]
            if owned.pronoun_owner and owned.owner is None:
                gender = "female" if owned.pronoun_owner in FEMALE_PRONOUNS else "male"
                earlier = [q for q in range(len(people)) if q < index and people[q].gender == gender]
                if earlier:
                    owned.owner = earlier[0]
    for person in people:
        if person.gender is None and person.named and person.kind == "person":
            first = person.name.split()[0].lower()
            if first.endswith(("a", "ia", "ie", "ine", "elle", "ette", "ina", "ika", "ah")):
                person.gender = "female"


# --- setting ---------------------------------------------------------------------------


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
        hit = _match(tokens, i, v.places, v.place_words)  # type: ignore[arg-type]
        if not hit:
            i += 1
            continue
        word, length = hit
        end = i + length
        # "a castle courtyard", "a theater stage": the last of two place words is the place.
        while end < n and not tokens[end - 1].possessive and (more := _match(tokens, end, v.places, v.place_words)):  # type: ignore[arg-type]
            word, length, end = more[0], end + more[1] - i, end + more[1]
        nxt = tokens[end] if end < n else None
        role_next = _match(tokens, end, v.roles, v.role_words) if nxt is not None and nxt.is_word else None  # type: ignore[arg-type]
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
            more = _match(tokens, k, v.places, v.place_words) if k < n else None  # type: ignore[arg-type]
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
        if _match(tokens, k, v.places, v.place_words):  # type: ignore[arg-type]
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
        hit = _match(tokens, i, v.times, 3)  # type: ignore[arg-type]
        if hit:
            return v.times[hit[0]]
    return None


def _weather(tokens: list[Token], v: Vocabulary) -> str | None:
    for i in range(len(tokens)):
        hit = _match(tokens, i, v.weather, 2)  # type: ignore[arg-type]
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


# --- premise ---------------------------------------------------------------------------


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
    tokens: list[Token], v: Vocabulary, cast: list[Person], mentions: list[_Mention], taken: set[int]
) -> Premise:
    premise = Premise(mood=_mood(tokens, v))
    n = len(tokens)
    cast_tokens = {i for m in mentions for i in range(m.start, m.end)}
    start = 0
    if mentions:
        first = mentions[0]
        start = first.end
        for m in mentions[1:]:
            if _only_joiners(tokens, start, m.start) or m.start == start:
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


# --- the whole prompt --------------------------------------------------------------------


def read(prompt: str) -> Story:
    v = vocabulary()
    letters = [c for c in prompt if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.6 * len(letters):
        prompt = prompt.lower()  # a shouted prompt: capitals say nothing about names
    tokens = tokenize(prompt)
    cast, mentions = read_cast(tokens, v)
    if not cast:
        cast = _first_person(tokens)
    cast_tokens = {i for m in mentions for i in range(m.start, m.end)}
    setting, place_span = read_setting(tokens, v, cast_tokens, cast)
    time_span = {i for i, t in enumerate(tokens) if t.low in v.times}
    premise = read_premise(tokens, v, cast, mentions, place_span | time_span)
    if premise.place_object and premise.verb and not premise.goal:
        premise.goal = f"{premise.verb} {setting.short}"
    return Story(prompt=prompt, cast=cast, setting=setting, premise=premise, english=_reads_as_english(tokens, v))


def _first_person(tokens: list[Token]) -> list[Person]:
    """ "I lose my keys": the one telling the story is its character; "we" are two."""
    words = {t.low for t in tokens}
    if words & {"i", "me", "my", "myself"}:
        return [Person(role="storyteller", modifiers=[])]
    if words & {"we", "us", "our"}:
        return [Person(role="storyteller", group_size=2), Person(role="storyteller", group_size=2)]
    return []


def _reads_as_english(tokens: list[Token], v: Vocabulary) -> bool:
    """Whether enough of the prompt's words are English ones the reader knows (it reads English only)."""
    words = [t.low for t in tokens if t.is_word]
    if len(words) < 4:
        return True
    known = v.sets["stop_words"] | v.sets["determiners"] | v.sets["location_words"]
    hits = sum(w in known or w in v.roles or w in v.places or w in v.times or w in v.weather for w in words)
    return hits / len(words) >= 0.2
