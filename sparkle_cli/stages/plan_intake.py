"""Stage 1: check plan.json and write the normalized plan every later stage reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sparkle_cli import atomic
from sparkle_cli.fingerprint import file_sha256
from sparkle_cli.stages.base import Item, Output, Stage, StageContext
from sparkle_cli.validation import check_plan, read_plan_file


class PlanIntake(Stage):
    id = "plan_intake"
    number = 1
    version = "1"
    description = "validate plan.json; write the normalized plan and the validation report"
    reads = ("plan.json",)
    writes = ("normalized_plan.json", "validation_report.json")

    def phases(self, ctx: StageContext) -> Iterator[list[Item]]:
        plan_path = ctx.run.plan_path
        yield [
            Item(
                id="plan",
                label="plan.json",
                inputs={"plan_sha256": file_sha256(plan_path)},
                outputs={
                    "plan": Output(self.path("normalized_plan.json"), "plan", "data"),
                    "report": Output(self.path("validation_report.json"), "validation_report", "data"),
                },
                func=f"{__name__}:normalize_plan",
                kwargs={"plan_path": str(plan_path)},
            )
        ]


def normalize_plan(out: dict[str, str], plan_path: str) -> dict[str, Any]:
    check = check_plan(read_plan_file(plan_path))
    check.raise_for_errors(Path(plan_path).name)
    assert check.normalized is not None
    plan = check.normalized
    summary = {
        "title": plan["title"],
        "shots": len(plan["shots"]),
        "keyframes": len(plan["base_images"]),
        "dialogue_lines": sum(1 for e in plan["dialogue_timeline"] if e["type"] == "dialogue"),
        "planned_seconds": round(sum(s["duration_sec"] for s in plan["shots"]), 3),
        "video_model_id": plan["render_profile"]["video"]["model_id"],
    }
    atomic.write_json(out["plan"], plan)
    atomic.write_json(out["report"], {"valid": True, "errors": [], "notices": check.notices, "summary": summary})
    return {"notices": check.notices, "summary": summary}


STAGE = PlanIntake()
