"""Stage 5: check every clip; render a failing clip again with a new seed, up to the budget.

The clip each shot ends up with (the first that passes) is this stage's `<shot_id>.mp4`;
assembly reads those. Every attempt's report is kept in `<shot_id>.json`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sparkle_cli import atomic
from sparkle_cli.backends.base import Backend
from sparkle_cli.executor import BackendSpec, get_backend
from sparkle_cli.planinfo import shot_seed
from sparkle_cli.qa_policy import policy_for
from sparkle_cli.stages.base import Item, Output, Stage, StageContext, backend_spec
from sparkle_cli.stages.video_clips import clip_request, render_clip


class VideoClipQA(Stage):
    id = "video_clip_qa"
    number = 5
    version = "1"
    description = "check each clip (black, frozen, length, continuity); re-render failures with a new seed"
    after = ("video_clips",)
    reads = ("video_clips/*.mp4", "base_images/*.png", "qa policy")
    writes = ("<shot_id>.json", "<shot_id>.mp4", "continuity.json")
    is_qa = True

    def phases(self, ctx: StageContext) -> Iterator[list[Item]]:
        plan = ctx.plan
        policy = policy_for(ctx.options)
        qa_mode = ctx.options.get("qa_mode", "full")
        items = []
        for index, shot in enumerate(plan["shots"]):
            clip, clip_sha = ctx.output("video_clips", shot["id"], "clip")
            request, request_inputs = clip_request(ctx, index)
            video = backend_spec(plan, "video", "video")
            items.append(
                Item(
                    id=shot["id"],
                    label=f"QA {shot['id']}",
                    inputs={
                        "clip_sha256": clip_sha,
                        "request": request_inputs,
                        "policy": policy,
                        "qa_mode": qa_mode,
                        "video_backend": [video.name, video.options],
                    },
                    outputs={
                        "report": Output(self.path(f"{shot['id']}.json"), "qa_report", "data"),
                        "clip": Output(self.path(f"{shot['id']}.mp4"), "video_clip_accepted", "video"),
                    },
                    func=f"{__name__}:qa_clip",
                    kwargs={
                        "clip": str(clip),
                        "request": request,
                        "policy": policy,
                        "qa_mode": qa_mode,
                        "video": {"kind": video.kind, "name": video.name, "options": video.options},
                        "seeds": [shot_seed(plan, shot["id"], a) for a in range(1, int(policy["max_attempts"]) + 1)],
                        "prompt": " ".join(p for p in (shot["visual_description"], shot["motion_prompt"]) if p),
                    },
                    backend=backend_spec(plan, "qa", "qa"),
                    estimate_s=request["num_frames"] * 0.002,
                )
            )
        yield items
        shots = [s["id"] for s in plan["shots"]]
        yield [
            Item(
                id="continuity",
                label="continuity between shots",
                inputs={
                    "signatures": [ctx.own(s, "clip")[1] for s in shots],
                    "policy": policy,
                    "qa_mode": qa_mode,
                },
                outputs={"report": Output(self.path("continuity.json"), "qa_report", "data")},
                func=f"{__name__}:continuity_report",
                kwargs={
                    "shots": shots,
                    "signatures": {s: ctx.results[s].get("signatures", {}) for s in shots},
                    "qa_mode": qa_mode,
                    "max_diff": 12.0,
                },
            )
        ]

    def verdict(self, ctx: StageContext) -> str | None:
        report = ctx.results.get("continuity") or {}
        if report.get("qa_skipped") or report.get("passed", True):
            return None
        return "; ".join(report.get("problems", [])) or "continuity check failed"


def _link_or_copy(src: str, dst: str) -> None:
    Path(dst).unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def qa_clip(
    backend: Backend,
    out: dict[str, str],
    clip: str,
    request: dict[str, Any],
    policy: dict[str, Any],
    qa_mode: str,
    video: dict[str, Any],
    seeds: list[int],
    prompt: str,
) -> dict[str, Any]:
    shot_id = request["shot_id"]
    attempts: list[dict[str, Any]] = []
    candidate = clip
    retry_path = str(Path(out["clip"]).with_name(f".{shot_id}{atomic.TMP_MARK}retry.mp4"))
    if qa_mode == "skip":
        _link_or_copy(clip, out["clip"])
        result = {
            "shot_id": shot_id,
            "qa_skipped": True,
            "passed": None,
            "accepted_attempt": 1,
            "accepted_seed": seeds[0],
            "attempts": [],
        }
        atomic.write_json(out["report"], result)
        return result
    for attempt, seed in enumerate(seeds, start=1):
        if attempt > 1:
            renderer = get_backend(BackendSpec(video["kind"], video["name"], video["options"]))
            render_clip(renderer, {"clip": retry_path}, {**request, "seed": seed})
            candidate = retry_path
        report = backend.check_clip(  # type: ignore[attr-defined]
            candidate,
            expected_frames=request["num_frames"],
            start_image=request["start_image"],
            end_image=request["end_image"],
            policy=policy,
            prompt=prompt,
        )
        attempts.append({"attempt": attempt, "seed": seed, **{k: v for k, v in report.items() if k != "signatures"}})
        if report["passed"]:
            _link_or_copy(candidate, out["clip"])
            Path(retry_path).unlink(missing_ok=True)
            result = {
                "shot_id": shot_id,
                "qa_skipped": False,
                "passed": True,
                "accepted_attempt": attempt,
                "accepted_seed": seed,
                "attempts": attempts,
            }
            atomic.write_json(out["report"], result)
            return {**result, "signatures": report["signatures"]}
    Path(retry_path).unlink(missing_ok=True)
    # The reports of a spent budget are kept beside the manifest for the person who reads the error.
    atomic.write_json(Path(out["report"]).with_name(f"{shot_id}.failed_attempts.json"), attempts)
    reasons = "; ".join(
        f"attempt {a['attempt']} (seed {a['seed']}): "
        + ", ".join(f"{name} {a['checks'][name]['detail']}" for name in a["failed_checks"])
        for a in attempts
    )
    raise RuntimeError(f"{shot_id} failed QA {len(attempts)} times: {reasons}")


def continuity_report(
    out: dict[str, str], shots: list[str], signatures: dict[str, Any], qa_mode: str, max_diff: float
) -> dict[str, Any]:
    pairs, problems = [], []
    for a, b in zip(shots, shots[1:], strict=False):
        last, first = signatures[a].get("last"), signatures[b].get("first")
        if not last or not first:
            pairs.append({"from": a, "to": b, "status": "not_evaluated"})
            continue
        diff = sum(abs(x - y) for x, y in zip(last, first, strict=True)) / len(last)
        ok = diff <= max_diff
        pairs.append({"from": a, "to": b, "mean_abs_diff": round(diff, 3), "status": "passed" if ok else "failed"})
        if not ok:
            problems.append(f"{b} does not start where {a} ends (difference {diff:.1f})")
    report = {"qa_skipped": qa_mode == "skip", "passed": not problems, "problems": problems, "pairs": pairs}
    atomic.write_json(out["report"], report)
    return report


STAGE = VideoClipQA()
