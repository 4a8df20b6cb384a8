"""Who is in a story: names, titles, roles and counts, their gender and age, whose is whose."""

from __future__ import annotations

from dataclasses import dataclass, field

from sparkle_cli.planning.tokens import ABBREVIATIONS, Token, match_phrase, only_joiners
from sparkle_cli.planning.vocabulary import Role, Vocabulary, vocabulary

FEMALE_PRONOUNS = {"she", "her", "hers", "herself"}
MALE_PRONOUNS = {"he", "him", "his", "himself"}
OLD_WORDS = {"old", "elderly", "aged", "aging", "ageing", "retired", "ancient", "grey-haired", "white-haired"}
YOUNG_WORDS = {"young", "little", "teenage", "teen", "baby", "small", "tiny", "youngest", "kid"}


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
class Mention:
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


def _mentions(tokens: list[Token], v: Vocabulary) -> list[Mention]:
    cast = v.raw["cast"]
    mentions: list[Mention] = []
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
                Mention(
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
        found = match_phrase(tokens, i, v.roles, v.role_words)
        if found and tokens[i + found[1] - 1].possessive and i + found[1] < n and tokens[i + found[1]].is_word:
            i += found[1]  # "their late father's violin": the owner of a thing, not someone in the scene
            continue
        if found:
            phrase, length = found
            end = i + length
            nxt = tokens[end] if end < n else None
            if nxt is not None and nxt.is_word and not tokens[end - 1].possessive:
                follows_role = match_phrase(tokens, end, v.roles, v.role_words) is not None
                follows_place = match_phrase(tokens, end, v.places, v.place_words) is not None
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
                Mention(
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
            joined = last is not None and last.kind == "name" and only_joiners(tokens, last.end, i)
            if joined and last is not None:
                last.names.append(name)
                last.end = end
            else:
                mentions.append(Mention(kind="name", start=i, end=end, names=[name]))
            i = end
            continue
        i += 1
    return _appositions(tokens, mentions)


def _appositions(tokens: list[Token], mentions: list[Mention]) -> list[Mention]:
    """ "Mei-Ling, a street musician," and "José and Aiko, two divers,": the role belongs to the names."""
    out: list[Mention] = []
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


def read_cast(tokens: list[Token], v: Vocabulary | None = None) -> tuple[list[Person], list[Mention]]:
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


def _wanted(m: Mention) -> int:
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


def _genders(tokens: list[Token], mentions: list[Mention], people: list[Person], v: Vocabulary) -> None:
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


def first_person(tokens: list[Token]) -> list[Person]:
    """ "I lose my keys": the one telling the story is its character; "we" are two."""
    words = {t.low for t in tokens}
    if words & {"i", "me", "my", "myself"}:
        return [Person(role="storyteller", modifiers=[])]
    if words & {"we", "us", "our"}:
        return [Person(role="storyteller", group_size=2), Person(role="storyteller", group_size=2)]
    return []
