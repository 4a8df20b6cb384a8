"""Text from plans and files, made safe to show: control characters escaped, long values cut short.

A plan's title or a line of dialogue is data. Printed raw, an escape sequence in it could set the
terminal's title, hide text or move the cursor; printed whole, a megabyte value buries the error.
"""

from __future__ import annotations

import re
from typing import Any

#: C0 controls, DEL, C1 controls, the Unicode controls that reorder or hide text, and lone
#: surrogates (which no terminal or file can be given).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}

#: The longest value an error message quotes.
QUOTE_LIMIT = 80


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: Any, limit: int | None = None, *, keep_newlines: bool = False) -> str:
    """`text` as printable text: control characters shown as escapes, cut to `limit` characters."""
    value = str(text)
    if limit is not None and len(value) > limit:
        value = value[: max(0, limit - 1)] + "…"
    if keep_newlines:
        return "\n".join(_CONTROL.sub(_escape, part) for part in value.split("\n"))
    return _CONTROL.sub(_escape, value)


def quote(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """A value as an error message quotes it: repr-like, printable, and cut short."""
    text = repr(value) if not isinstance(value, str) else "'" + value + "'"
    return safe(text, limit)


def control_characters(text: str) -> list[str]:
    """The control characters in `text`, as escapes (empty when there are none)."""
    return sorted({_escape(m) for m in _CONTROL.finditer(text)})


def is_encodable(text: str) -> bool:
    """False for strings holding lone surrogates, which no file or program can be given."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
