"""Stage 7: measure the finished movie and, when it passes, publish it as the run's `video_final`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sparkle_cli import atomic
from sparkle_cli.qa_policy import policy_for
from sparkle_cli.stages.base import Item, Output, Stage, StageContext, backend_spec


class QAPublish(Stage):
    id = "qa_publish"
    number = 7
    version = "1"
    description = "final QA (durations, sync, loudness, clipping, speech, black frames); emit video_final"
    after = ("assembly_lipsync",)
    reads = ("assembly_lipsync/video_final.mp4", "dialogue_audio/dialogue_timeline_audio.json", "qa policy")
    writes = ("qa_report.json",)
    is_qa = True

    def phases(self, ctx: StageContext) -> Iterator[list[Item]]:
        video, video_sha = ctx.output("assembly_lipsync", "final", "final")
        timeline = ctx.result("dialogue_audio", "timeline")
        policy = policy_for(ctx.options)
        qa_mode = ctx.options.get("qa_mode", "full")
        yield [
            Item(
                id="final_qa",
                label="final QA",
                inputs={"video_sha256": video_sha, "timeline": timeline, "policy": policy, "qa_mode": qa_mode},
                outputs={"report": Output(self.path("qa_report.json"), "qa_report", "data")},
                func=f"{__name__}:final_qa",
                kwargs={
                    "video": str(video),
                    "video_rel": ctx.run.rel(video),
                    "video_sha256": video_sha,
                    "timeline": timeline,
                    "policy": policy,
                    "qa_mode": qa_mode,
                },
                backend=backend_spec(ctx.plan, "qa", "qa"),
                estimate_s=0.5,
            )
        ]

    def verdict(self, ctx: StageContext) -> str | None:
        report = ctx.results.get("final_qa") or {}
        if report.get("qa_skipped") or report.get("passed"):
            return None
        failed = report.get("failed_checks") or ["unknown"]
        details = [f"{name}: {report['checks'][name]['detail']}" for name in failed if name in report.get("checks", {})]
        return "final QA failed: " + ("; ".join(details) or ", ".join(failed))


def final_qa(
    backend: Any,
    out: dict[str, str],
    video: str,
    video_rel: str,
    video_sha256: str,
    timeline: dict[str, Any],
    policy: dict[str, Any],
    qa_mode: str,
) -> dict[str, Any]:
    if qa_mode == "skip":
        report: dict[str, Any] = {
            "qa_skipped": True,
            "passed": None,
            "checks": {},
            "failed_checks": [],
            "not_evaluated": [],
            "measurements": {},
        }
    else:
        report = {"qa_skipped": False, **backend.check_final(video, timeline=timeline, policy=policy)}
    report["video_final"] = {
        "path": video_rel,
        "sha256": video_sha256,
        "published": bool(report["passed"] or report["qa_skipped"]),
    }
    atomic.write_json(out["report"], report)
    return report


STAGE = QAPublish()
