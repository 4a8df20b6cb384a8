"""Checks before a run renders anything: the plan is valid and every backend it selects can run here."""

from __future__ import annotations

from typing import Any

from sparkle_cli.backends import registry
from sparkle_cli.errors import RunFailed
from sparkle_cli.rundir import RunDir
from sparkle_cli.stages.base import backend_spec
from sparkle_cli.validation import STAGE_KINDS, check_plan, read_plan_file


def preflight(run: RunDir) -> dict[str, Any]:
    """Check the plan and that every selected backend can run, before anything is rendered."""
    check = check_plan(read_plan_file(run.plan_path))
    check.raise_for_errors(str(run.plan_path))
    assert check.normalized is not None
    profile = check.normalized["render_profile"]
    problems = []
    selections = [("video", profile["video"]["backend"], "render_profile.video.model_id", profile["video"]["model_id"])]
    selections += [
        (kind, profile[section]["backend"], f"render_profile.{section}.backend", profile[section]["backend"])
        for section, kind in STAGE_KINDS.items()
    ]
    for kind, name, where, value in selections:
        problem = registry.availability(kind, name) or model_problem(check.normalized, kind, name)
        if problem:
            problems.append(f"{where} = {value!r}: {problem}")
    if problems:
        raise RunFailed(
            f"run {run.run_id} cannot be produced here; nothing was rendered",
            lines=problems,
            hint=f"install what is named above, or re-import the plan with the built-in backends: "
            f"sparkle plan --from-file {run.plan_path} --profile builtin",
        )
    return check.normalized


def model_problem(plan: dict[str, Any], kind: str, name: str) -> str | None:
    """A backend's own preflight (its model files) with the options the stage would give it."""
    section = "video" if kind == "video" else next((s for s, k in STAGE_KINDS.items() if k == kind), kind)
    spec = backend_spec(plan, section, kind)
    return registry.backend_class(kind, name).preflight(spec.options)
