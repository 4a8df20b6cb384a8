"""`sparkle plan`: pick the planner, post-process its plan, and write it into a new run (or import a plan file).

The plan is checked before anything is written, so a bad plan leaves the disk as it was.
"""

from __future__ import annotations

import copy
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkle_cli import atomic
from sparkle_cli.backends import registry
from sparkle_cli.backends.base import BackendUnavailable
from sparkle_cli.errors import PlanInvalid, SparkleError, UsageError
from sparkle_cli.planning import auto, postprocess
from sparkle_cli.planning.options import PlanOptions
from sparkle_cli.profiles import DEFAULT_PROFILE, load_profile
from sparkle_cli.rundir import RunDir, check_run_id, new_run_id, now_iso
from sparkle_cli.validation import check_plan, read_plan_file, text_errors

SCHEMA_URI = "sparkle://schemas/MoviePlan.schema.json"
#: A language-model planner's request and raw answers, inside the run.
TRANSCRIPT = "planner/transcript.json"
#: Where the transcript of a plan that failed goes (no run is made for it).
FAILED_PLANS = ".failed-plans"


@dataclass
class PlanResult:
    run: RunDir
    envelope: dict[str, Any]
    notices: list[str] = field(default_factory=list)
    planner: str = ""
    model: str = ""
    requested: str = ""  # what --planner asked for ("auto")
    reason: str = ""  # why this planner wrote the plan
    planner_notice: str | None = None  # the auto planner's one-line notice, when it fell back

    def planner_summary(self) -> dict[str, Any]:
        summary = {"name": self.planner, "requested": self.requested or self.planner, "model": self.model}
        if self.reason:
            summary["reason"] = self.reason
        if self.planner_notice:
            summary["notice"] = self.planner_notice
        return summary


PLANNERS = ("auto", "template", "openai", "ollama", "transformers")


def plan_from_prompt(
    root: Path,
    prompt: str,
    *,
    title: str | None = None,
    shots: int = 3,
    seconds: float | None = None,
    planner: str = "auto",
    profile: str | None = None,
    run_id: str | None = None,
    seed: int | None = None,
    planner_options: dict[str, Any] | None = None,
) -> PlanResult:
    if not prompt.strip():
        raise UsageError("the prompt is empty; say what the movie is about")
    if not 1 <= shots <= 200:
        raise UsageError(f"--shots must be from 1 to 200, got {shots}")
    if seconds is not None and not 1 <= seconds <= 1800:
        raise UsageError(f"--seconds must be from 1 to 1800, got {seconds}")
    if run_id and (root / check_run_id(run_id)).exists():
        raise UsageError(f"run {run_id} already exists in {root}; choose another --run-id")
    render_profile = load_profile(profile or DEFAULT_PROFILE)
    request_id = uuid.uuid4().hex
    options = dict(planner_options or {})
    requested, reason, notice = planner, "", None
    if planner == "auto":
        choice = auto.choose(options)
        planner, reason, notice = choice.planner, choice.reason, choice.notice
        options.update(choice.options)
    elif planner == "ollama":
        options, reason = auto.ollama_options(options)
        planner = "openai"
    else:
        reason = f"--planner {planner}"
    plan_options = PlanOptions(prompt=prompt, title=title, shots=shots, seconds=seconds, seed=seed)
    backend, problem = _start(planner, requested, options, render_profile)
    if backend is None:  # auto chose a model this installation cannot load: the template writes the plan
        notice = f"the {planner} planner cannot run here ({problem}); the built-in template planner wrote this plan"
        planner, reason = "template", f"{reason}, but it cannot run here"
        backend, _ = _start("template", "template", {}, render_profile)
    try:
        plan = backend.plan(plan_options)  # type: ignore[attr-defined]
    except SparkleError as exc:
        transcript = getattr(exc, "transcript", None)
        if transcript is not None:
            saved = save_failed_transcript(root, request_id, transcript)
            exc.hint = "; ".join(h for h in (exc.hint, f"the planner's transcript is in {saved}") if h)
        raise
    finally:
        backend.close()
    # Every planner's output takes the same path; a language model's has already been through it.
    finished = postprocess.finish(plan, plan_options, render_profile)
    if finished.errors or finished.plan is None:
        from sparkle_cli.backends.planner.llm import PlannerFailed

        raise PlannerFailed(f"the {planner} planner wrote a plan that does not validate", lines=finished.errors[:40])
    plan = finished.plan
    request = {
        "title": plan["title"],
        "prompt": prompt,
        "shots": shots,
        "seconds": seconds,
        "planner": planner,
        "planner_requested": requested,
        "planner_reason": reason,
    }
    model = getattr(backend, "model_label", planner)
    metadata = {"tool": "sparkle plan", "planner": planner, "model": model, "request_id": request_id}
    if notice:
        metadata["planner_notice"] = notice
    transcript = getattr(backend, "transcript", None)
    files = {TRANSCRIPT: transcript.as_dict()} if transcript is not None else {}
    if files:
        metadata["transcript"] = TRANSCRIPT
    result = _write_run(root, plan, request, metadata, run_id, planner=planner, model=model, files=files)
    result.requested, result.reason, result.planner_notice = requested, reason, notice
    result.notices += [str(n) for n in (plan.get("metadata") or {}).get("notices", [])]
    return result


def _start(planner: str, requested: str, options: dict[str, Any], render_profile: dict[str, Any]) -> tuple[Any, str]:
    """The planner backend, loaded; (None, why) when auto chose a model that cannot load here."""
    if planner not in PLANNERS and not registry.is_known("planner", planner):
        raise UsageError(f"--planner {planner}: use one of {', '.join(PLANNERS)}")
    # Language-model planners validate against the profile the run will carry.
    try:
        backend = registry.create("planner", planner, {**options, "render_profile": render_profile})
        backend.load()
    except BackendUnavailable as exc:
        if requested == "auto" and planner != "template":
            return None, str(exc)
        raise UsageError(f"--planner {planner}: {exc}") from None
    return backend, ""


def save_failed_transcript(root: Path, request_id: str, transcript: dict[str, Any]) -> Path:
    """Keep a failed planner's transcript outside any run, where the error message points."""
    target = root / FAILED_PLANS / f"{request_id}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_json(target, transcript)
    return target


def plan_from_file(root: Path, path: Path, *, profile: str | None = None, run_id: str | None = None) -> PlanResult:
    data = read_plan_file(path)
    if isinstance(data, dict) and "validated_plan" in data and isinstance(data["validated_plan"], dict):
        plan = copy.deepcopy(data["validated_plan"])
        request, metadata = data.get("request") or {}, data.get("metadata") or {}
        # The envelope's request and metadata go into the run as well: they are checked too.
        problems = [
            f"{key}: expected an object"
            for key, value in (("request", request), ("metadata", metadata))
            if not isinstance(value, dict)
        ]
        problems += text_errors(request, ("request",)) + text_errors(metadata, ("metadata",))
        if problems:
            raise PlanInvalid(
                f"{path}: the plan has {len(problems)} problem{'s' if len(problems) != 1 else ''}", lines=problems
            )
        request, metadata = dict(request), dict(metadata)
    else:
        plan = copy.deepcopy(data)
        request, metadata = {}, {}
    if profile and isinstance(plan, dict):
        plan["render_profile"] = load_profile(profile)
    metadata["imported_from"] = str(Path(path).resolve())
    return _write_run(root, plan, request, metadata, run_id, planner="file", model=str(path))


def _write_run(
    root: Path,
    plan: Any,
    request: dict[str, Any],
    metadata: dict[str, Any],
    run_id: str | None,
    *,
    planner: str,
    model: str,
    files: dict[str, Any] | None = None,
) -> PlanResult:
    check = check_plan(plan)
    check.raise_for_errors("plan")
    title = plan["title"]
    run_id = check_run_id(run_id) if run_id else new_run_id(title)
    metadata.setdefault("request_id", uuid.uuid4().hex)
    metadata["shot_count"] = len(plan["shots"])
    envelope = {
        "request": {k: v for k, v in request.items() if v is not None},
        "validated_plan": plan,
        "generated_at": now_iso(),
        "metadata": metadata,
        "schema_uri": SCHEMA_URI,
    }
    run = RunDir(root, run_id)
    root.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(run.path)
    except FileExistsError:
        raise UsageError(f"run {run_id} already exists in {root}; choose another --run-id") from None
    for rel, data in (files or {}).items():
        (run.path / rel).parent.mkdir(parents=True, exist_ok=True)
        atomic.write_json(run.path / rel, data)
    atomic.write_json(run.plan_path, envelope)
    run.write_state(
        {
            "run_id": run_id,
            "status": "pending",
            "title": title,
            "created_at": now_iso(),
            "progress": 0.0,
            "options": {"qa_mode": "full"},
            "stages": {},
        }
    )
    run.append_event(
        {
            "stage": "plan",
            "status": "succeeded",
            "completed_at": now_iso(),
            "backend": planner,
            "reason": f"plan written by {model}",
            "artifacts": [run.plan_path.resolve().as_uri()],
        }
    )
    tier = ((plan.get("render_profile") or {}).get("gpu_tier") or {}) if isinstance(plan, dict) else {}
    tier_notes = [f"gpu tier {tier.get('name')}: {note}" for note in tier.get("notes") or []]
    return PlanResult(run=run, envelope=envelope, notices=check.notices + tier_notes, planner=planner, model=model)
