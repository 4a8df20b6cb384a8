"""The strict JSON verdict a vision model gives on a clip or a movie, and its parser.

A verdict is usable only when every field is present with the right type; anything else is
a `VerdictError` that says what was wrong, so the caller can ask again or report `not_evaluated`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("prompt_match", "finger_issues", "safety_violation", "artifact_notes")
EXAMPLE = '{"prompt_match": 0.8, "finger_issues": false, "safety_violation": false, "artifact_notes": []}'
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


class VerdictError(ValueError):
    """The model's answer is not a complete verdict; the message says why."""


@dataclass
class Verdict:
    prompt_match: float
    finger_issues: bool
    safety_violation: bool
    artifact_notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "prompt_match": self.prompt_match,
            "finger_issues": self.finger_issues,
            "safety_violation": self.safety_violation,
            "artifact_notes": list(self.artifact_notes),
        }


def parse_verdict(text: str) -> Verdict:
    """Parse one JSON object (optionally in a ```json fence) into a Verdict; VerdictError otherwise."""
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    if not body:
        raise VerdictError("the answer is empty")
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise VerdictError(f"not JSON: {exc.msg} at character {exc.pos}") from None
    if not isinstance(data, dict):
        raise VerdictError(f"expected a JSON object, got {type(data).__name__}")
    missing = [name for name in FIELDS if name not in data]
    if missing:
        raise VerdictError(f"missing field(s): {', '.join(missing)}")
    match = data["prompt_match"]
    # bool is an int in Python; a verdict of `true` for a score is a malformed answer, not 1.0.
    if not isinstance(match, (int, float)) or isinstance(match, bool) or not 0.0 <= float(match) <= 1.0:
        raise VerdictError(f"prompt_match must be a number from 0 to 1, got {match!r}")
    for name in ("finger_issues", "safety_violation"):
        if not isinstance(data[name], bool):
            raise VerdictError(f"{name} must be true or false, got {data[name]!r}")
    notes = data["artifact_notes"]
    if isinstance(notes, str):
        notes = [notes] if notes.strip() else []
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise VerdictError(f"artifact_notes must be a list of strings, got {notes!r}")
    return Verdict(
        float(match), data["finger_issues"], data["safety_violation"], [n.strip() for n in notes if n.strip()]
    )
