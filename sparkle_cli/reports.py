"""The `status` and `artifacts` payloads, built from run.json, events.jsonl and the manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sparkle_cli.fingerprint import output_matches
from sparkle_cli.rundir import RunDir
from sparkle_cli.stages import all_stages, get_stage

MIME = {
    ".mp4": "video/mp4",
    ".wav": "audio/wav",
    ".png": "image/png",
    ".json": "application/json",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
}
PLAYABLE = {".mp4", ".wav", ".png"}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def plan_summary(run: RunDir) -> dict[str, Any]:
    """Title and counts from the saved plan (the user may have edited it since planning)."""
    envelope = _dict(run.read_json(run.plan_path, {}))
    plan = _dict(envelope.get("validated_plan")) or envelope
    shots = plan.get("shots")
    timeline = plan.get("dialogue_timeline")
    lines = (
        [e for e in timeline if isinstance(e, dict) and e.get("type") == "dialogue"]
        if isinstance(timeline, list)
        else []
    )
    return {
        "title": plan.get("title") if isinstance(plan.get("title"), str) else None,
        "shots": len(shots) if isinstance(shots, list) else 0,
        "lines": len(lines),
    }


def status_payload(run: RunDir, log_limit: int | None = None) -> dict[str, Any]:
    state = run.read_state()
    status = state.get("status") if state.get("status") in STATUSES else "pending"
    note = None
    if status in {"running", "paused"} and run.holder() is None:
        # The producer died without a word (kill -9, power loss): the run is resumable.
        note = f"the producing process (pid {state.get('pid')}) is gone; `sparkle resume {run.run_id}` continues"
        status = "stopped"
    options = _dict(state.get("options"))
    qa = _dict(state.get("qa")) or {
        "mode": options.get("qa_mode", "full"),
        "skipped": options.get("qa_mode") == "skip",
        "required": options.get("qa_mode") == "skip",
    }
    log = run.events()
    if log_limit is not None:
        log = log[-log_limit:] if log_limit > 0 else []
    final = video_final(run)
    stages = {k: dict(v) for k, v in _dict(state.get("stages")).items() if isinstance(v, dict)}
    if status in {"stopped", "failed"}:
        # A producer that died mid-stage could not say so: its stage stopped with it.
        for info in stages.values():
            if info.get("status") in {"running", "paused"}:
                info["status"] = status
    # Only a live producer has items in flight; the driver keeps this map in run.json per worker slot.
    by_worker: dict[str, list[dict[str, Any]]] = (
        {
            w: [e for e in v if isinstance(e, dict)]
            for w, v in _dict(state.get("in_flight")).items()
            if isinstance(v, list)
        }
        if status in {"running", "paused"}
        else {}
    )
    in_flight = [{"worker": w, **e} for w, entries in by_worker.items() for e in entries]
    production = state.get("production_s")
    if not isinstance(production, (int, float)):
        production = sum(
            float(i.get("duration_s") or 0) for i in stages.values() if isinstance(i.get("duration_s"), (int, float))
        )
    summary = plan_summary(run)
    return {
        "run_id": run.run_id,
        "status": status,
        "current_stage": state.get("current_stage") if isinstance(state.get("current_stage"), str) else None,
        "progress": _progress(state, stages),
        "started_at": state.get("started_at"),
        "updated_at": state.get("updated_at"),
        "qa": qa,
        "error": state.get("error") if isinstance(state.get("error"), str) else None,
        "note": note,
        "title": summary["title"] or state.get("title"),
        "stages": stages,
        "production_s": round(float(production), 3),
        "executor": state.get("executor"),
        "workers": state.get("workers"),
        "in_flight": in_flight,
        "in_flight_by_worker": {
            w: [f"{e.get('stage')}/{e.get('item')}" for e in entries] for w, entries in by_worker.items()
        },
        "video_final": final["local_path"] if final else None,
        "video_final_problem": final_problem(run) if not final else None,
        "log": log,
    }


STATUSES = {"pending", "running", "paused", "stopped", "failed", "succeeded"}


def _progress(state: dict[str, Any], stages: dict[str, dict[str, Any]]) -> float:
    """Share of the pipeline done: finished stages, plus the finished items of the ones under way."""
    if state.get("status") == "succeeded":
        return 1.0
    total = len(all_stages())
    done = 0.0
    for stage in all_stages():
        info = stages.get(stage.id) or {}
        items = _dict(info.get("items"))
        if info.get("status") in {"succeeded", "skipped"}:
            done += 1
        elif items.get("total"):
            made = int(items.get("rendered") or 0) + int(items.get("skipped") or 0)
            done += min(1.0, made / max(1, int(items["total"])))
    return round(min(1.0, done / total), 4)


def video_final(run: RunDir) -> dict[str, Any] | None:
    """The published deliverable, or None when the run has not produced one (or it changed on disk)."""
    for stage in artifacts_payload(run, "qa_publish")["stages"]:
        for artifact in stage["artifacts"]:
            if artifact["artifact_type"] == "video_final" and artifact["playback_ready"]:
                return artifact
    return None


def final_problem(run: RunDir) -> str | None:
    """Why a published movie is no longer available, when it was published and then changed."""
    for stage in artifacts_payload(run, "qa_publish")["stages"]:
        for artifact in stage["artifacts"]:
            if artifact["artifact_type"] == "video_final" and not artifact["playback_ready"]:
                return artifact["metadata"].get("problem")
    return None


def _artifact(run: RunDir, stage_id: str, item: dict[str, Any], name: str, output: dict[str, Any]) -> dict[str, Any]:
    path = run.abs(output["path"])
    suffix = path.suffix.lower()
    # Size and time first, the hash only when the time moved: a file changed or removed since
    # it was made is not offered as ready, whatever the manifest says.
    intact = output_matches(path, output)
    meta_problem = (
        None
        if intact
        else ("missing" if not path.exists() else "changed on disk since it was made; `sparkle resume` makes it again")
    )
    result = item.get("result") or {}
    meta: dict[str, Any] = {"item_id": item["item_id"], "output": name, "fingerprint": item.get("fingerprint")}
    duration = frame_rate = resolution = None
    if output["media_type"] == "video":
        frames, fps = result.get("frames"), result.get("fps")
        if frames and fps:
            duration, frame_rate = frames / fps, fps
        if result.get("width"):
            resolution = f"{result['width']}x{result['height']}"
        if "video_duration_s" in result:
            duration = result["video_duration_s"]
    elif output["media_type"] == "audio":
        duration = result.get("duration_s") or result.get("total_duration_s")
    elif output["media_type"] == "image" and result.get("width"):
        resolution = f"{result['width']}x{result['height']}"
    if result.get("faces"):
        meta["faces"] = result["faces"]
    if meta_problem:
        meta["problem"] = meta_problem
    return {
        "artifact_type": output["artifact_type"],
        "artifact_uri": path.resolve().as_uri(),
        "local_path": str(path),
        "media_type": output["media_type"],
        "mime_type": MIME.get(suffix, "application/octet-stream"),
        "size_bytes": output["size_bytes"],
        "checksum_sha256": output["sha256"],
        "duration_s": round(duration, 4) if duration else None,
        "frame_rate": frame_rate,
        "resolution_px": resolution,
        "label": _label(item, output),
        "playback_ready": suffix in PLAYABLE and intact,
        "metadata": meta,
    }


#: What each kind of output is, for items that make several (their own label names the item).
ARTIFACT_LABELS = {
    "plan": "normalized plan",
    "validation_report": "validation report",
    "video_raw_concat": "joined clips, no sound",
    "video_assembled": "the movie",
    "subtitles": "subtitles",
    "alignment_map": "alignment map (shots, lines, frames)",
    "tts_timeline": "every line on one track",
    "dialogue_timeline_audio": "timeline with the lines' actual times",
    "qa_report": "QA report",
    "video_clip_accepted": "accepted clip",
}


def _label(item: dict[str, Any], output: dict[str, Any]) -> str:
    outputs = item.get("outputs") or {}
    kind = str(output.get("artifact_type") or "")
    if len(outputs) > 1 or kind in {"plan", "validation_report"}:
        label = ARTIFACT_LABELS.get(kind, kind.replace("_", " "))
        if kind == "subtitles":
            label += f" ({Path(str(output.get('path'))).suffix.lstrip('.').upper()})"
        elif kind in {"qa_report", "video_clip_accepted"}:
            label = f"{item.get('item_id')}: {label}"
        return label
    return str(item.get("label") or item.get("item_id") or "")


def _qa_summary(stage_id: str, manifest: dict[str, Any]) -> dict[str, Any] | None:
    stage = get_stage(stage_id)
    reports = [i.get("result") or {} for i in manifest.get("items", {}).values()]
    if stage.id == "base_images":
        reports = [r for r in reports if "neighbours" in r]
    elif not stage.is_qa:
        return None
    skipped = any(r.get("qa_skipped") for r in reports)
    passed = sum(1 for r in reports if r.get("passed") is True)
    failed = sum(1 for r in reports if r.get("passed") is False)
    return {
        "qa_skipped": skipped,
        "passed": passed,
        "failed": failed,
        "status": "skipped" if skipped else ("failed" if failed or manifest.get("status") == "failed" else "passed"),
    }


def artifacts_payload(run: RunDir, stage_filter: str | None = None) -> dict[str, Any]:
    if stage_filter:
        get_stage(stage_filter)
    sections = []
    everything = []
    for stage in all_stages():
        if stage_filter and stage.id != stage_filter:
            continue
        manifest = run.read_manifest(stage.id)
        if not manifest:
            continue
        artifacts = []
        for item in manifest.get("items", {}).values():
            if item.get("status") != "succeeded":
                continue
            for name, output in (item.get("outputs") or {}).items():
                artifacts.append(_artifact(run, stage.id, item, name, output))
        if stage.id == "qa_publish":
            artifacts += _final_entries(run, manifest)
        previews: dict[str, str | None] = {"image": None, "audio": None, "video": None}
        for a in artifacts:
            if a["media_type"] in previews and previews[a["media_type"]] is None:
                previews[a["media_type"]] = a["artifact_uri"]
        for a in artifacts:
            if a["artifact_type"] == "video_final":
                previews["video"] = a["artifact_uri"]
        by_media: dict[str, int] = {}
        for a in artifacts:
            by_media[a["media_type"]] = by_media.get(a["media_type"], 0) + 1
        sections.append(
            {
                "stage_id": stage.id,
                "status": manifest.get("status"),
                "count": len(artifacts),
                "artifact_types": sorted({a["artifact_type"] for a in artifacts}),
                "media_types": sorted(by_media),
                "media_summary": {
                    "by_media_type": by_media,
                    "total_duration_s": round(
                        sum(a["duration_s"] or 0 for a in artifacts if a["media_type"] in {"audio", "video"}), 3
                    ),
                    "total_bytes": sum(a["size_bytes"] for a in artifacts),
                },
                "preview": previews,
                "qa_summary": _qa_summary(stage.id, manifest),
                "artifacts": artifacts,
            }
        )
        everything += artifacts
    return {"run_id": run.run_id, "stages": sections, "artifacts": everything}


def _final_entries(run: RunDir, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    item = (manifest.get("items") or {}).get("final_qa")
    if not item or item.get("status") != "succeeded" or manifest.get("status") != "succeeded":
        return []
    report = item.get("result") or {}
    final = report.get("video_final") or {}
    if not final.get("published"):
        return []
    assembly = run.read_manifest("assembly_lipsync") or {}
    source = (assembly.get("items") or {}).get("final") or {}
    output = (source.get("outputs") or {}).get("final")
    if not output or output.get("sha256") != final.get("sha256"):
        return []
    entry = _artifact(run, "assembly_lipsync", source, "final", output)
    entry["artifact_type"] = "video_final"
    entry["label"] = "final movie" + (" (QA skipped)" if report.get("qa_skipped") else "")
    entry["metadata"].update(
        qa_skipped=bool(report.get("qa_skipped")),
        qa_passed=report.get("passed"),
        qa_report=str(run.abs("qa_publish/qa_report.json")),
    )
    return [entry]
