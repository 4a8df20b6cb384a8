"""What a planner is asked for: the prompt and the plan's shape."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PlanOptions:
    prompt: str
    title: str | None = None
    shots: int = 3
    seconds: float | None = None
    seed: int | None = None
