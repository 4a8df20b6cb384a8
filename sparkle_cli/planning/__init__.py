"""Planning: a prompt (or a plan file) becomes a checked plan in a new run.

`runs` writes the run, `auto` picks the planner, `reader` + `template` are the built-in one, `postprocess` checks them all.
"""

from sparkle_cli.planning.runs import (
    FAILED_PLANS,
    SCHEMA_URI,
    TRANSCRIPT,
    PlanResult,
    plan_from_file,
    plan_from_prompt,
    save_failed_transcript,
)

__all__ = [
    "FAILED_PLANS",
    "SCHEMA_URI",
    "TRANSCRIPT",
    "PlanResult",
    "plan_from_file",
    "plan_from_prompt",
    "save_failed_transcript",
]
