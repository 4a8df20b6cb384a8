"""Reading a run's plan for the editor, and saving an edited plan only once `sparkle validate` accepts it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from sparkle_cli.notebook.client import SparkleCLI


class PlanError(Exception):
    """A problem with a plan the person can fix; its message is shown as it is."""


def path_from_uri(uri: str) -> Path:
    """A local path from `file://...` or a plain path."""
    uri = uri.strip()
    if not uri:
        raise PlanError("give a plan URI (file://.../plan.json) or a path")
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:
        raise PlanError(f"cannot load {parsed.scheme}:// plans; copy the file here and give its path")
    return Path(uri).expanduser()


def run_of(plan_path: Path) -> tuple[Path, str] | None:
    """(runs dir, run id) when the file is a run's own plan.json, else None."""
    if plan_path.name == "plan.json" and (plan_path.parent / "run.json").is_file():
        return plan_path.parent.parent, plan_path.parent.name
    return None


def read_plan(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise PlanError(f"no plan at {path}") from None
    except json.JSONDecodeError as exc:
        raise PlanError(f"{path} is not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise PlanError(f"{path} does not hold a plan (a JSON object)")
    return data


def editor_text(envelope: dict[str, Any]) -> str:
    """The part a person edits: the validated plan, not the envelope's bookkeeping."""
    return json.dumps(envelope.get("validated_plan", envelope), indent=2, ensure_ascii=False)


def save_edited_plan(cli: SparkleCLI, plan_path: Path, text: str) -> tuple[dict[str, Any], list[str]]:
    """Validate the edited plan and put it in place atomically; returns (envelope, notices).

    The candidate is written beside plan.json and validated there, so the file that is
    renamed into place is exactly the file `sparkle validate` accepted.
    """
    try:
        edited = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(f"the edited plan is not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(edited, dict):
        raise PlanError("the edited plan must be a JSON object")
    if "validated_plan" in edited:
        envelope = edited
    else:
        envelope = read_plan(plan_path)
        if "validated_plan" in envelope:
            envelope["validated_plan"] = edited
        else:
            envelope = edited
    candidate = plan_path.with_name(f".{plan_path.name}.{os.getpid()}.edit.json")
    candidate.write_text(json.dumps(envelope, indent=2, ensure_ascii=False))
    try:
        answer = cli.validate(candidate)
        if not answer.ok or not isinstance(answer.data, dict) or not answer.data.get("valid"):
            raise PlanError(answer.message.replace(str(candidate), plan_path.name))
        os.replace(candidate, plan_path)
    finally:
        candidate.unlink(missing_ok=True)
    return envelope, list(answer.data.get("notices") or [])
