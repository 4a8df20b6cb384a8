"""HTML for the control panel's read-only views: pure functions of the CLI's JSON answers,
so the panel stays thin and these can be checked without widgets."""

from __future__ import annotations

import re
from html import escape
from typing import Any

BADGE_COLOURS = {
    "succeeded": "#1e8e3e",
    "passed": "#1e8e3e",
    "ok": "#1e8e3e",
    "running": "#1a73e8",
    "paused": "#e37400",
    "skipped": "#5f6368",
    "pending": "#9aa0a6",
    "info": "#5f6368",
    "stopped": "#a142f4",
    "failed": "#d93025",
    "error": "#d93025",
    "warn": "#e37400",
    "not_evaluated": "#9aa0a6",
}
BANNER_COLOURS = {"error": ("#fce8e6", "#d93025"), "warn": ("#fef7e0", "#e37400"), "info": ("#e8f0fe", "#1a73e8")}


def badge(status: str | None, text: str | None = None) -> str:
    label = text or status or "-"
    colour = BADGE_COLOURS.get(status or "", "#9aa0a6")
    return (
        f'<span style="background:{colour};color:white;border-radius:8px;padding:1px 7px;'
        f'font-size:85%;white-space:nowrap">{escape(label)}</span>'
    )


def banner(kind: str, text: str) -> str:
    """A coloured box; each line of text is its own line."""
    background, border = BANNER_COLOURS.get(kind, BANNER_COLOURS["info"])
    body = "<br>".join(escape(line) for line in text.splitlines())
    return (
        f'<div style="background:{background};border-left:5px solid {border};padding:6px 10px;'
        f'margin:4px 0;color:#202124">{body}</div>'
    )


def clock(iso: str | None) -> str:
    """The time of day of an ISO timestamp: the date is the same for every row of a run."""
    if not iso:
        return ""
    return iso.split("T", 1)[-1][:8]


def seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f} s"


def plan_summary(plan: dict[str, Any]) -> dict[str, Any]:
    """Title, shots, keyframes, dialogue lines and total length of a plan (envelope or bare)."""
    body = plan.get("validated_plan", plan)
    shots = body.get("shots") or []
    return {
        "title": body.get("title") or "(untitled)",
        "shots": len(shots),
        "keyframes": len(body.get("base_images") or []),
        "dialogue_lines": sum(1 for e in body.get("dialogue_timeline") or [] if e.get("type") == "dialogue"),
        "total_s": round(sum(float(s.get("duration_sec") or 0) for s in shots), 2),
        "video_model": ((body.get("render_profile") or {}).get("video") or {}).get("model_id"),
    }


def plan_summary_html(summary: dict[str, Any]) -> str:
    rows = [
        ("Title", summary["title"]),
        ("Shots", summary["shots"]),
        ("Keyframes", summary["keyframes"]),
        ("Dialogue lines", summary["dialogue_lines"]),
        ("Total length", f"{summary['total_s']:.1f} s"),
        ("Video model", summary.get("video_model") or "-"),
    ]
    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:12px'>{k}</th><td>{escape(str(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{cells}</table>"


INTERRUPTED = {"paused", "stopped"}


def stage_state(stage_id: str, info: dict[str, Any], status: dict[str, Any]) -> str:
    """A stage's state as it truly is: a stage left "running" by a paused or ended run shows the run's state."""
    run_state = status.get("status")
    state = info.get("status") or "pending"
    current = stage_id == status.get("current_stage")
    if current and run_state in {"running", *INTERRUPTED} and state in {"pending", "running", *INTERRUPTED}:
        return str(run_state)
    if state == "running" and run_state != "running":
        # Only a producing run has a running stage; this one was interrupted with the run.
        return str(run_state) if run_state in INTERRUPTED else "stopped"
    return str(state)


def stage_table_html(status: dict[str, Any], stage_ids: list[str]) -> str:
    """One row per stage: badge, items, start and end times, duration."""
    stages = status.get("stages") or {}
    head = "".join(
        f"<th style='text-align:left;padding:2px 10px 2px 0'>{h}</th>"
        for h in ("stage", "status", "made", "skipped", "failed", "started", "finished", "duration")
    )
    rows = []
    for stage_id in stage_ids or list(stages):
        info = stages.get(stage_id) or {}
        items = info.get("items") or {}
        state = stage_state(stage_id, info, status)
        total = items.get("total")
        made = f"{items.get('rendered', 0)}/{total}" if total is not None else ""
        cells = [
            f"<code>{escape(stage_id)}</code>",
            badge(state, "pass" if state == "succeeded" else "fail" if state == "failed" else state),
            made,
            str(items.get("skipped", "")),
            str(items.get("failed", "")),
            clock(info.get("started_at")),
            clock(info.get("completed_at")),
            seconds(info.get("duration_s")),
        ]
        rows.append(
            f"<tr data-stage='{escape(stage_id)}' data-state='{escape(state)}'>"
            + "".join(f"<td style='padding:2px 10px 2px 0'>{c}</td>" for c in cells)
            + "</tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def status_line_html(status: dict[str, Any], title: str | None = None) -> str:
    """The run's state in one line; `title` comes from the saved plan, which is where a person edits it."""
    qa = status.get("qa") or {}
    parts = [
        badge(status.get("status")),
        f"<b>{escape(str(title or status.get('run_id') or ''))}</b>",
        f"stage <code>{escape(str(status.get('current_stage') or '-'))}</code>",
        f"{float(status.get('progress') or 0):.0%}",
        f"QA {'skipped' if qa.get('skipped') else escape(str(qa.get('mode') or 'full'))}",
    ]
    if status.get("in_flight_by_worker"):
        flying = ", ".join(i for items in status["in_flight_by_worker"].values() for i in items)
        parts.append(f"in flight: {escape(flying)}")
    return " &nbsp; ".join(parts)


def _why(reason: str | None) -> str:
    """Why an item was made, in the log's words: a first render is "new"."""
    if not reason or reason == "not made yet":
        return "new"
    return reason


def _items(reason: str) -> str:
    """ "1 item(s) to make" as a person writes it."""
    return re.sub(r"\b(\d+) item\(s\)", lambda m: f"{m[1]} item{'' if m[1] == '1' else 's'}", reason)


def log_words(record: dict[str, Any]) -> str:
    """What one step record says, worded so that its parts agree with each other."""
    state, reason = record.get("status") or "", record.get("reason")
    took = f" in {record['duration_s']:.2f} s" if record.get("duration_s") else ""
    by = f" by {record['backend']}" if record.get("backend") else ""
    stage = record.get("stage")
    # The stage column already says "plan" or "run", and their reasons often start with the state.
    if stage == "plan":
        return str(reason).removeprefix("plan ") if reason else state
    if stage == "run":
        if not reason or state == "succeeded":
            return state
        return reason if reason.startswith(state) else f"{state}: {reason}"
    if not record.get("item"):
        if state == "running":
            if reason == "resumed":
                return "resumed"
            if reason and reason.startswith("then "):  # a later phase of a stage already started
                return _items(reason)
            return "stage started" + (f": {_items(reason)}" if reason else "")
        if state == "paused":
            return "paused"
        if state == "skipped":
            return "stage up to date, nothing to make"
        if state == "failed":
            return f"stage failed{took}" + (f": {reason}" if reason else "")
        return f"stage {state}{took}"
    if state == "running":
        return f"making ({_why(reason)}){by}"
    if state == "succeeded":
        return f"made{took}{by} ({_why(reason)})"
    if state == "skipped":
        return "up to date, kept"
    if state == "failed":
        return f"failed{took}{by}: {record.get('error') or reason or 'see the run'}"
    if state == "retried":
        return f"running again: {reason or ''}".rstrip(": ")
    return state + (f": {reason}" if reason else "")


def log_lines(records: list[dict[str, Any]], limit: int = 60) -> list[str]:
    """The step log, newest last, one record a line."""
    lines = []
    for record in records[-limit:]:
        when = clock(record.get("completed_at") or record.get("started_at")) or " " * 8  # a record without a time
        what = record.get("stage") or ""
        if record.get("item"):
            what += f"/{record['item']}"
        lines.append(f"{when}  {what}  {log_words(record)}")
    return lines


def log_html(records: list[dict[str, Any]], limit: int = 60) -> str:
    """The newest lines of the log in a box that opens at its end.

    The box is a reversed flex column: the browser anchors its scroll position at the newest line,
    so each refresh (which replaces the whole box) shows the end without any script.
    """
    lines = log_lines(records, limit) or ["(nothing logged yet)"]
    body = "".join(f"<div class='sparkle-log-line' style='line-height:1.4'>{escape(line)}</div>" for line in lines)
    return (
        "<div class='sparkle-log' style='display:flex;flex-direction:column-reverse;max-height:240px;overflow:auto;"
        "font-family:monospace;font-size:85%;line-height:1.4;white-space:pre;background:#f8f9fa;padding:6px;margin:0'>"
        f"<div>{body}</div></div>"
    )


def qa_badge(summary: dict[str, Any] | None) -> str:
    if not summary:
        return ""
    if summary.get("qa_skipped"):
        return badge("warn", "QA skipped")
    state = summary.get("status") or ("failed" if summary.get("failed") else "passed")
    return badge(state, f"QA {state}: {summary.get('passed', 0)} passed, {summary.get('failed', 0)} failed")


def dry_run_html(payload: dict[str, Any]) -> str:
    head = "".join(
        f"<th style='text-align:left;padding-right:12px'>{h}</th>" for h in ("stage", "render", "skip", "est.", "why")
    )
    rows = []
    for stage in payload.get("stages") or []:
        reasons = sorted(
            {f"{i['item_id']}: {i['reason']}" for i in stage.get("items") or [] if i.get("action") == "render"}
        )
        note = "; ".join(reasons[:4]) + (" ..." if len(reasons) > 4 else "")
        if stage.get("pending"):
            note = f"{note} ({stage['pending']})" if note else stage["pending"]
        render = "all" if stage.get("pending") else str(stage.get("render_count", 0))
        cells = [f"<code>{escape(stage['stage_id'])}</code>", render, str(stage.get("skip_count", 0)),
                 f"{stage.get('estimate_s', 0):.1f} s", escape(note)]  # fmt: skip
        rows.append("<tr>" + "".join(f"<td style='padding-right:12px'>{c}</td>" for c in cells) + "</tr>")
    return f"<b>Dry run: nothing was rendered</b><table><tr>{head}</tr>{''.join(rows)}</table>"


def doctor_html(payload: dict[str, Any]) -> str:
    """The machine check as one verdict line; every check, its detail and fix, behind a "details" toggle."""
    checks = payload.get("checks") or []
    failed = [c.get("name", "") for c in checks if c.get("status") == "fail"]
    warned = [c.get("name", "") for c in checks if c.get("status") == "warn"]
    rows = []
    for check in checks:
        fix = f"<br><i>fix: {escape(check['fix'])}</i>" if check.get("fix") and check.get("status") != "ok" else ""
        rows.append(
            f"<tr><td style='padding-right:10px'>{badge(check.get('status'))}</td>"
            f"<td style='padding-right:10px'><b>{escape(check.get('name', ''))}</b></td>"
            f"<td>{escape(str(check.get('detail', '')))}{fix}</td></tr>"
        )
    if payload.get("ok"):
        verdict = badge("ok", "ready")
        words = f"{len(checks)} checks, none failed"
    else:
        verdict = badge("error", "needs attention")
        words = f"{len(failed)} of {len(checks)} checks failed: {', '.join(failed)}"
    if warned:
        words += f"; warnings: {', '.join(warned)}"
    return (
        f"<div class='sparkle-doctor'>{verdict} <b>sparkle doctor</b>: {escape(words)}"
        "<details><summary style='cursor:pointer;color:#1a73e8'>details</summary>"
        f"<table>{''.join(rows)}</table></details></div>"
    )


def artifact_line(artifact: dict[str, Any]) -> str:
    size = artifact.get("size_bytes") or 0
    extra = []
    if artifact.get("duration_s"):
        extra.append(f"{artifact['duration_s']:.1f} s")
    if artifact.get("resolution_px"):
        extra.append(str(artifact["resolution_px"]))
    extra.append(f"{size / 1024:.0f} KiB")
    label = f" {escape(artifact['label'])}" if artifact.get("label") else ""
    return (
        f"<code>{escape(artifact['artifact_type'])}</code> {escape(str(artifact.get('local_path', '')).rsplit('/', 1)[-1])}"
        f"<span style='color:#5f6368'>{label} ({', '.join(extra)})</span>"
    )
