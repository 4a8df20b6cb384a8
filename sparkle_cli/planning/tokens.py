"""Words of a prompt for the reader: tokens that know their sentence, and phrase lookups in the vocabulary."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+|[.,;:!?]")
ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "st", "prof", "capt", "jr", "sr", "mt", "sgt", "lt"}


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


def match_phrase(tokens: list[Token], i: int, table: Mapping[str, object], longest: int) -> tuple[str, int] | None:
    """The longest phrase of `table` that starts at word i, with its length in tokens."""
    for length in range(min(longest, len(tokens) - i), 0, -1):
        part = tokens[i : i + length]
        if not all(t.is_word for t in part):
            continue
        phrase = " ".join(t.low for t in part)
        if phrase in table and not any(t.possessive for t in part[:-1]):
            return phrase, length
    return None


def only_joiners(tokens: list[Token], a: int, b: int) -> bool:
    between = [t.low for t in tokens[a:b]]
    return bool(between) and all(w in {"and", ","} for w in between)
