"""The built-in planner's backend entry: no model, the prompt read by `sparkle_cli.planning.template`."""

from __future__ import annotations

from typing import Any, ClassVar

from sparkle_cli.backends.base import Backend
from sparkle_cli.planning.options import PlanOptions
from sparkle_cli.planning.template import write_plan

__all__ = ["PlanOptions", "TemplatePlanner"]


class TemplatePlanner(Backend):
    name = "template"
    kind = "planner"
    version = "2"
    model_label: ClassVar[str] = "template (built-in, no model)"

    def plan(self, options: PlanOptions) -> dict[str, Any]:
        return write_plan(options)
