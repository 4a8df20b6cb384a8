"""What a run's report says, read from its files: the plan it was made from, its media, QA verdicts and timings.

Pure reading: nothing here renders HTML or writes a file; a run at any point (planned, stopped, failed) has facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkle_cli.reports import status_payload, video_final
from sparkle_cli.rundir import RunDir
from sparkle_cli.stages import all_stages


@dataclass
class Check:
    name: str
    status: str  # passed | failed | not_evaluated
    detail: str


@dataclass
class Verdict:
    """A QA verdict as a person reads it: a state for the badge, a label, and why."""

    state: str  # passed | failed | skipped | pending
    label: str
    reasons: list[str] = field(default_factory=list)
    attempts: int = 0
    checks: list[Check] = field(default_factory=list)


@dataclass
class Keyframe:
    id: str
    prompt: str
    path: Path | None
    verdict: Verdict


@dataclass
class Line:
    line_id: str
    speaker: str
    text: str
    start_s: float
    end_s: float
    shot_id: str | None
    timed: bool  # start and end are the spoken times (else the plan's)


@dataclass
class Shot:
    id: str
    number: int
    setting: str
    description: str
    motion_prompt: str
    start_image: str
    end_image: str
    planned_s: float
    duration_s: float  # after the spoken lines revised it
    closeup: bool
    clip: Path | None
    clip_kind: str  # which clip `clip` is, in words
    camera: str
    lines: list[Line]
    verdict: Verdict
    lipsync_note: str = ""


@dataclass
class StageTiming:
    stage_id: str
    description: str
    status: str
    duration_s: float | None
    made: int | None
    skipped: int | None
    total: int | None


@dataclass
class Movie:
    path: Path
    subtitles: Path | None
    published: bool
    duration_s: float | None
    resolution: str | None
    size_bytes: int
    verdict: Verdict


@dataclass
class RunFacts:
    run_id: str
    title: str
    logline: str
    status: str
    error: str | None
    note: str | None
    language: str
    characters: dict[str, str]
    movie: Movie | None
    keyframes: list[Keyframe]
    shots: list[Shot]
    stages: list[StageTiming]
    gaps: list[str]
    notices: list[str]
    timing_changes: list[str]
    plan_note: str | None
    qa_mode: str
    started_at: str | None
    updated_at: str | None


def _items(run: RunDir, stage_id: str) -> dict[str, dict[str, Any]]:
    manifest = run.read_manifest(stage_id) or {}
    items = manifest.get("items")
    return items if isinstance(items, dict) else {}


def _done(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """An item's result when it succeeded, else None."""
    if not item or item.get("status") != "succeeded":
        return None
    result = item.get("result")
    return result if isinstance(result, dict) else {}


def _output(run: RunDir, item: dict[str, Any] | None, name: str) -> Path | None:
    """The file an item made, when the item succeeded and the file is still there."""
    if _done(item) is None:
        return None
    assert item is not None
    output = (item.get("outputs") or {}).get(name)
    if not output:
        return None
    path = run.abs(output["path"])
    return path if path.is_file() else None


def _plans(run: RunDir) -> tuple[dict[str, Any], str | None, list[str]]:
    """(the plan the media were made from, a note when plan.json has changed since, validation notices)."""
    from sparkle_cli.validation import check_plan

    saved = check_plan(RunDir.read_json(run.plan_path))
    produced = RunDir.read_json(run.abs("plan_intake/normalized_plan.json"))
    report = RunDir.read_json(run.abs("plan_intake/validation_report.json")) or {}
    if isinstance(produced, dict) and produced.get("shots"):
        note = None
        if saved.normalized is not None and saved.normalized != produced:
            note = "plan.json has been edited since these media were made; `sparkle produce` renders the edit"
        elif saved.errors:
            note = f"plan.json no longer validates ({saved.errors[0]})"
        return produced, note, list(report.get("notices") or [])
    if saved.normalized is not None:
        return saved.normalized, None, saved.notices
    raw = RunDir.read_json(run.plan_path) or {}
    body = raw.get("validated_plan", raw) if isinstance(raw, dict) else {}
    problem = saved.errors[0] if saved.errors else "unreadable"
    return body if isinstance(body, dict) else {}, f"plan.json does not validate: {problem}", []


def _failed_reasons(attempts: list[dict[str, Any]]) -> list[str]:
    reasons = []
    for a in attempts:
        failed = a.get("failed_checks") or []
        if not failed:
            continue
        checks = a.get("checks") or {}
        details = ", ".join(f"{name}: {(checks.get(name) or {}).get('detail', 'failed')}" for name in failed)
        reasons.append(f"attempt {a.get('attempt')} (seed {a.get('seed')}) failed {details}")
    return reasons


def _checks(report: dict[str, Any]) -> list[Check]:
    return [
        Check(name, str(value.get("status", "")), str(value.get("detail", "")))
        for name, value in (report.get("checks") or {}).items()
        if isinstance(value, dict)
    ]


def _clip_verdict(run: RunDir, shot_id: str, item: dict[str, Any] | None) -> Verdict:
    result = _done(item)
    if result is not None:
        if result.get("qa_skipped"):
            return Verdict("skipped", "QA skipped", ["qa_mode skip: this clip was not checked"])
        attempts = result.get("attempts") or []
        accepted: dict[str, Any] = next((a for a in attempts if a.get("attempt") == result.get("accepted_attempt")), {})
        n = len(attempts)
        label = f"QA passed on attempt {n}"
        return Verdict("passed", label, _failed_reasons(attempts), n, _checks(accepted))
    failed = RunDir.read_json(run.abs(f"video_clip_qa/{shot_id}.failed_attempts.json"))
    if isinstance(failed, list) and failed:
        reasons = _failed_reasons(failed)
        return Verdict("failed", f"QA failed {len(failed)} times", reasons, len(failed), _checks(failed[-1]))
    if item and item.get("status") == "failed":
        return Verdict("failed", "QA failed", [str(item.get("error") or "see the run's log")])
    return Verdict("pending", "not checked yet")


def _image_verdict(item: dict[str, Any] | None, problems: list[str]) -> Verdict:
    result = _done(item)
    if result is None:
        return Verdict("pending", "not rendered yet")
    attempts = result.get("attempts") or []
    reasons = [
        f"attempt {a.get('attempt')} (seed {a.get('seed')}): {', '.join(a['problems'])}"
        for a in attempts
        if a.get("problems")
    ]
    reasons += problems
    if problems:
        return Verdict("failed", "image QA failed", reasons, len(attempts))
    label = "image QA passed" + (f" on attempt {len(attempts)}" if len(attempts) > 1 else "")
    return Verdict("passed", label, reasons, len(attempts))


def _keyframes(run: RunDir, plan: dict[str, Any]) -> list[Keyframe]:
    items = _items(run, "base_images")
    neighbours = _done(items.get("qa_report")) or {}
    skipped = bool(neighbours.get("qa_skipped"))
    out = []
    for image in plan.get("base_images") or []:
        problems = [p for p in neighbours.get("problems") or [] if image["id"] in p]
        verdict = _image_verdict(items.get(image["id"]), problems)
        if skipped and verdict.state == "passed":
            verdict = Verdict("skipped", "QA skipped", verdict.reasons, verdict.attempts)
        out.append(
            Keyframe(image["id"], image.get("prompt") or "", _output(run, items.get(image["id"]), "image"), verdict)
        )
    return out


def _lines(plan: dict[str, Any], timeline: dict[str, Any] | None, names: dict[str, str]) -> list[Line]:
    if timeline and timeline.get("lines"):
        return [
            Line(
                line["line_id"],
                names.get(line["character_id"], line["character_id"]),
                line["text"],
                float(line["start_time_actual_s"]),
                float(line["end_time_actual_s"]),
                line.get("shot_id"),
                True,
            )
            for line in timeline["lines"]
        ]
    from sparkle_cli.planinfo import shot_windows

    windows = shot_windows(plan) if plan.get("shots") else []
    lines = []
    spoken = [e for e in plan.get("dialogue_timeline") or [] if e.get("type") == "dialogue"]
    for index, entry in enumerate(spoken):
        start = float(entry.get("start_time_sec") or 0.0)
        shot = next((plan["shots"][i]["id"] for i, (a, b) in enumerate(windows) if a <= start < b), None)
        who = entry.get("character_id") or ""
        lines.append(
            Line(
                entry.get("id") or f"line_{index:03d}",
                names.get(who, who),
                entry.get("text") or "",
                start,
                start + float(entry.get("duration_sec") or 0.0),
                shot,
                False,
            )
        )
    return lines


def _camera(result: dict[str, Any] | None) -> str:
    camera = (result or {}).get("camera") or {}
    kinds = [str(k).replace("_", " ") for k in camera.get("kinds") or []]
    return ", ".join(kinds) if kinds else ""


def _shots(run: RunDir, plan: dict[str, Any], lines: list[Line], timeline: dict[str, Any] | None) -> list[Shot]:
    clips, qa, assembly = _items(run, "video_clips"), _items(run, "video_clip_qa"), _items(run, "assembly_lipsync")
    alignment = RunDir.read_json(run.abs("assembly_lipsync/alignment_map.json")) or {}
    not_synced = alignment.get("lipsync_skipped") or {}
    timed = {s["shot_id"]: s for s in (timeline or {}).get("shots") or []}
    out = []
    for number, shot in enumerate(plan.get("shots") or [], start=1):
        sid = shot["id"]
        candidates = [
            (_output(run, assembly.get(f"lipsync_{sid}"), "clip"), "lip-synced clip (as in the movie)"),
            (_output(run, qa.get(sid), "clip"), "clip accepted by QA"),
            (_output(run, clips.get(sid), "clip"), "rendered clip, not yet checked"),
        ]
        clip, kind = next(((p, k) for p, k in candidates if p is not None), (None, "no clip yet"))
        verdict = _clip_verdict(run, sid, qa.get(sid))
        if verdict.state == "failed" and kind.startswith("rendered clip"):
            kind = "rendered clip, rejected by QA"
        note = ""
        if shot.get("is_talking_closeup"):
            note = (
                f"talking close-up, not lip-synced: {not_synced[sid]}"
                if sid in not_synced
                else "talking close-up, lip-synced"
                if assembly.get(f"lipsync_{sid}")
                else "talking close-up"
            )
        planned = float(shot.get("duration_sec") or 0.0)
        out.append(
            Shot(
                id=sid,
                number=number,
                setting=shot.get("setting") or "",
                description=shot.get("visual_description") or "",
                motion_prompt=shot.get("motion_prompt") or "",
                start_image=shot.get("start_base_image_id") or "",
                end_image=shot.get("end_base_image_id") or "",
                planned_s=planned,
                duration_s=float(timed.get(sid, {}).get("duration_s") or planned),
                closeup=bool(shot.get("is_talking_closeup")),
                clip=clip,
                clip_kind=kind,
                camera=_camera(_done(clips.get(sid))),
                lines=[line for line in lines if line.shot_id == sid],
                verdict=verdict,
                lipsync_note=note,
            )
        )
    return out


def _movie(run: RunDir) -> Movie | None:
    """The published movie; else an assembled one that final QA has not published (said so)."""
    assembly = _items(run, "assembly_lipsync").get("final")
    path = _output(run, assembly, "final")
    if path is None:
        return None
    published = video_final(run)
    final_qa = _done(_items(run, "qa_publish").get("final_qa"))
    if final_qa is None:
        verdict = Verdict("pending", "final QA not run yet")
    elif final_qa.get("qa_skipped"):
        verdict = Verdict("skipped", "QA skipped", ["qa_mode skip: the movie was published unchecked"])
    else:
        checks = _checks(final_qa)
        failed = [f"{c.name}: {c.detail}" for c in checks if c.status == "failed"]
        verdict = Verdict("passed" if final_qa.get("passed") else "failed",
                          "final QA passed" if final_qa.get("passed") else "final QA failed", failed, 1, checks)  # fmt: skip
    result = _done(assembly) or {}
    width, height = result.get("width"), result.get("height")
    return Movie(
        path=path,
        subtitles=_output(run, assembly, "vtt"),
        published=published is not None and Path(published["local_path"]).resolve() == path.resolve(),
        duration_s=(published or {}).get("duration_s") or result.get("video_duration_s") or result.get("duration_s"),
        resolution=(published or {}).get("resolution_px") or (f"{width}x{height}" if width and height else None),
        size_bytes=path.stat().st_size,
        verdict=verdict,
    )


def _stage_timings(status: dict[str, Any]) -> list[StageTiming]:
    stages = status.get("stages") or {}
    out = []
    for stage in all_stages():
        info = stages.get(stage.id) or {}
        items = info.get("items") or {}
        state = info.get("status") or "pending"
        run_state = status.get("status")
        if state == "running" and run_state != "running":
            # Only a producing run has a running stage: this one was paused or interrupted with the run.
            state = str(run_state) if run_state in {"paused", "stopped"} else "stopped"
        out.append(
            StageTiming(
                stage.id,
                stage.description,
                state,
                info.get("duration_s"),
                items.get("rendered"),
                items.get("skipped"),
                items.get("total"),
            )
        )
    return out


def _language(plan: dict[str, Any]) -> str:
    for character in plan.get("characters") or []:
        language = (character.get("voice_profile") or {}).get("language")
        if isinstance(language, str) and language:
            return language.split("-")[0].lower()
    return "en"


def gather(run: RunDir) -> RunFacts:
    """Everything the report shows, from the run's files as they are now."""
    plan, plan_note, notices = _plans(run)
    status = status_payload(run, log_limit=0)
    envelope = RunDir.read_json(run.plan_path) or {}
    request = (envelope.get("request") or {}) if isinstance(envelope, dict) else {}
    names = {c["id"]: c.get("name") or c["id"] for c in plan.get("characters") or []}
    timeline = _done(_items(run, "dialogue_audio").get("timeline"))
    lines = _lines(plan, timeline, names)
    changes = [
        f"{i['shot_id']} runs {i['seconds']:.2f} s longer so that {i['line_id']} is not cut off"
        for i in (timeline or {}).get("insertions") or []
    ]
    return RunFacts(
        run_id=run.run_id,
        title=str(plan.get("title") or run.run_id),
        logline=str(request.get("prompt") or (plan.get("metadata") or {}).get("prompt") or ""),
        status=status["status"],
        error=status.get("error"),
        note=status.get("note"),
        language=_language(plan),
        characters=names,
        movie=_movie(run),
        keyframes=_keyframes(run, plan),
        shots=_shots(run, plan, lines, timeline),
        stages=_stage_timings(status),
        gaps=[n for n in notices if "filled with silence" in n],
        notices=[n for n in notices if "filled with silence" not in n],
        timing_changes=changes,
        plan_note=plan_note,
        qa_mode=str((status.get("qa") or {}).get("mode") or "full"),
        started_at=status.get("started_at"),
        updated_at=status.get("updated_at"),
    )
