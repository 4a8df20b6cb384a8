"""Stage 4: one clip per shot, moving from keyframe N to keyframe N+1 over the revised duration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sparkle_cli.backends.base import ClipRequest, FaceInfo
from sparkle_cli.planinfo import shot_seed
from sparkle_cli.stages.base import Item, Output, Stage, StageContext, backend_spec


class VideoClips(Stage):
    id = "video_clips"
    number = 4
    version = "2"
    description = "render each shot from keyframe N to N+1 with the camera move its motion_prompt asks for"
    after = ("dialogue_audio", "base_images")
    reads = ("shots", "base_images/*.png", "dialogue_audio/dialogue_timeline_audio.json", "dialogue_audio/*.wav")
    writes = ("<shot_id>.mp4",)

    def phases(self, ctx: StageContext) -> Iterator[list[Item]]:
        yield [self.item(ctx, i) for i in range(len(ctx.plan["shots"]))]

    def item(self, ctx: StageContext, index: int, attempt: int = 1) -> Item:
        request, inputs = clip_request(ctx, index, attempt)
        shot = ctx.plan["shots"][index]
        return Item(
            id=shot["id"],
            label=f"{shot['id']}: {shot['motion_prompt'][:40]}",
            inputs=inputs,
            outputs={"clip": Output(self.path(f"{shot['id']}.mp4"), "video_clip", "video")},
            func=f"{__name__}:render_clip",
            kwargs={"request": request},
            backend=backend_spec(ctx.plan, "video", "video"),
            estimate_s=request["num_frames"] * 0.006,
        )


def clip_request(ctx: StageContext, index: int, attempt: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
    """The backend request for shot `index` and the inputs that fingerprint it."""
    plan = ctx.plan
    shot = plan["shots"][index]
    video = plan["render_profile"]["video"]
    timing = ctx.result("dialogue_audio", "timeline")["shots"][index]
    start_path, start_sha = ctx.output("base_images", shot["start_base_image_id"], "image")
    end_path, end_sha = ctx.output("base_images", shot["end_base_image_id"], "image")
    start_result = ctx.result("base_images", shot["start_base_image_id"])
    end_result = ctx.result("base_images", shot["end_base_image_id"])
    start_faces = start_result.get("faces", [])
    end_faces = end_result.get("faces", [])
    lines = ctx.result("dialogue_audio", "timeline")["lines"]
    begin, length = float(timing["start_s"]), float(timing["duration_s"])
    request = {
        "shot_id": shot["id"],
        "start_image": str(start_path),
        "end_image": str(end_path),
        "num_frames": int(timing["frames"]),
        "fps": float(video["max_fps"]),
        "width": int(video["width"]),
        "height": int(video["height"]),
        "motion_prompt": shot["motion_prompt"],
        "seed": shot_seed(plan, shot["id"], attempt),
        "description": shot["visual_description"],
        "start_faces": start_faces,
        "end_faces": end_faces,
        "start_scene": (start_result.get("metadata") or {}).get("scene"),
        "end_scene": (end_result.get("metadata") or {}).get("scene"),
        "lines": [
            {
                "line_id": ln["line_id"],
                "character_id": ln["character_id"],
                "start_s": round(float(ln["start_time_actual_s"]) - begin, 6),
                "end_s": round(float(ln["end_time_actual_s"]) - begin, 6),
            }
            for ln in lines
            if float(ln["end_time_actual_s"]) > begin and float(ln["start_time_actual_s"]) < begin + length
        ],
        "talking_closeup": bool(shot["is_talking_closeup"]),
        "voices": [],
    }
    if backend_spec(plan, "lipsync", "lipsync").name == "amplitude":
        # The built-in lipsync is loudness driven: the animator opens each speaker's mouth as it draws.
        for line in request["lines"]:
            path, sha = ctx.output("dialogue_audio", line["line_id"], "wav")
            voice = {"line_id": line["line_id"], "character_id": line["character_id"], "start_s": line["start_s"]}
            request["voices"].append({**voice, "path": str(path), "sha256": sha})
    inputs = {
        **{k: v for k, v in request.items() if k not in {"start_image", "end_image", "voices"}},
        "voices": [{k: v for k, v in voice.items() if k != "path"} for voice in request["voices"]],
        "start_image_sha256": start_sha,
        "end_image_sha256": end_sha,
    }
    return request, inputs


def _faces(items: list[dict[str, Any]]) -> list[FaceInfo]:
    return [FaceInfo(f["character_id"], tuple(f["face_box"]), tuple(f["mouth_box"])) for f in items]  # type: ignore[arg-type]


def render_clip(backend: Any, out: dict[str, str], request: dict[str, Any]) -> dict[str, Any]:
    from sparkle_cli.media.video import probe

    req = ClipRequest(
        **{
            **request,
            "start_faces": _faces(request["start_faces"]),
            "end_faces": _faces(request["end_faces"]),
            "voices": [{k: v for k, v in voice.items() if k != "sha256"} for voice in request.get("voices", [])],
        }
    )
    result = backend.render(req, Path(out["clip"]))
    info = probe(out["clip"])
    if info.video is None or info.video.frames != req.num_frames:
        got = info.video.frames if info.video else 0
        raise RuntimeError(f"{req.shot_id}: the clip has {got} frames, expected {req.num_frames}")
    return {
        "frames": info.video.frames,
        "fps": req.fps,
        "duration_s": info.video.frames / req.fps,
        "width": info.video.width,
        "height": info.video.height,
        "seed": req.seed,
        "camera": result.camera,
        "mouth_tracks": {k: [list(b) if b else None for b in v] for k, v in result.mouth_tracks.items()},
        "face_tracks": {k: [list(b) if b else None for b in v] for k, v in result.face_tracks.items()},
        "metadata": result.metadata,
        "model_id": request.get("model_id") or backend.options.get("model_id") or backend.name,
    }


STAGE = VideoClips()
