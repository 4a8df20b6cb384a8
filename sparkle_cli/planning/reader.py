"""Reading a story prompt without a model: who is in it (`cast`), where and when (`setting`), what about (`premise`).

A tokenizer, the words in vocabulary.yaml and a few rules of English word order; what the prompt does not say stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from sparkle_cli.planning.cast import Person, first_person, read_cast
from sparkle_cli.planning.premise import Premise, read_premise
from sparkle_cli.planning.setting import Setting, read_setting
from sparkle_cli.planning.tokens import Token, tokenize
from sparkle_cli.planning.vocabulary import Vocabulary, vocabulary

__all__ = ["Person", "Premise", "Setting", "Story", "read"]


@dataclass
class Story:
    prompt: str
    cast: list[Person]
    setting: Setting
    premise: Premise
    english: bool = True


def read(prompt: str) -> Story:
    v = vocabulary()
    letters = [c for c in prompt if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.6 * len(letters):
        prompt = prompt.lower()  # a shouted prompt: capitals say nothing about names
    tokens = tokenize(prompt)
    cast, mentions = read_cast(tokens, v)
    if not cast:
        cast = first_person(tokens)
    cast_tokens = {i for m in mentions for i in range(m.start, m.end)}
    setting, place_span = read_setting(tokens, v, cast_tokens, cast)
    time_span = {i for i, t in enumerate(tokens) if t.low in v.times}
    premise = read_premise(tokens, v, cast, mentions, place_span | time_span)
    if premise.place_object and premise.verb and not premise.goal:
        premise.goal = f"{premise.verb} {setting.short}"
    return Story(prompt=prompt, cast=cast, setting=setting, premise=premise, english=_reads_as_english(tokens, v))


def _reads_as_english(tokens: list[Token], v: Vocabulary) -> bool:
    """Whether enough of the prompt's words are English ones the reader knows (it reads English only)."""
    words = [t.low for t in tokens if t.is_word]
    if len(words) < 4:
        return True
    known = v.sets["stop_words"] | v.sets["determiners"] | v.sets["location_words"]
    hits = sum(w in known or w in v.roles or w in v.places or w in v.times or w in v.weather for w in words)
    return hits / len(words) >= 0.2
