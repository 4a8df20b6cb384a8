"""Stage 6: lipsync the talking close-ups, join the clips, lay the voices under them, add subtitles.

The deliverable is H.264 (yuv420p) + AAC with the index at the front, so a browser plays it
while it downloads; `alignment_map.json` says which frames and seconds belong to which shot and line.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparkle_cli import atomic
from sparkle_cli.planinfo import speaker_for_shot
from sparkle_cli.stages.base import Item, Output, Stage, StageContext, backend_spec
from sparkle_cli.subtitles import cues, to_srt, to_vtt, track_language


class AssemblyLipsync(Stage):
    id = "assembly_lipsync"
    number = 6
    version = "2"
    description = "lipsync talking close-ups; concatenate clips; mux speech; write subtitles and the alignment map"
    after = ("video_clip_qa", "dialogue_audio")
    reads = ("video_clip_qa/*.mp4", "dialogue_audio/tts_timeline.wav", "dialogue_audio/*.wav")
    writes = (
        "<shot_id>.lipsync.mp4",
        "video_raw_concat.mp4",
        "video_final.mp4",
        "subtitles.srt",
        "subtitles.vtt",
        "alignment_map.json",
    )

    def phases(self, ctx: StageContext) -> Iterator[list[Item]]:
        plan = ctx.plan
        timeline = ctx.result("dialogue_audio", "timeline")
        fps = float(timeline["fps"])
        lipsync_items = []
        skipped: dict[str, str] = {}  # talking close-ups left as they are, and why (kept in the alignment map)
        on_screen: dict[str, str | None] = {line["line_id"]: None for line in timeline["lines"]}
        drawn: set[str] = set()
        spec = backend_spec(plan, "lipsync", "lipsync")
        for index, shot in enumerate(plan["shots"]):
            timing = timeline["shots"][index]
            clip_result = ctx.result("video_clips", shot["id"])
            tracks = clip_result.get("mouth_tracks") or {}
            if tracks:
                mouth = speaking_track(timeline, timing, tracks, fps)
                on_screen.update(mouth.on_screen)
                if not mouth.lines:
                    if shot["is_talking_closeup"]:
                        skipped[shot["id"]] = "no line is spoken by a character whose face it shows"
                    continue
                if (clip_result.get("metadata") or {}).get("mouths") == "drawn":
                    drawn.add(shot["id"])  # the animator already moved each speaker's mouth with their voice
                    continue
                speakers = sorted({line["character_id"] for line in mouth.lines})
                lines = [self._line(ctx, line, timing) for line in mouth.lines]
                track = mouth.track
                faces = clip_result.get("face_tracks") or {}
                face_boxes: list[Any] | None = (
                    [faces.get(cid, [None] * len(track))[i] if cid else None for i, cid in enumerate(mouth.who)]
                    if faces
                    else None
                )
                keyframe = [
                    _speaker_face(ctx, shot[key], speakers[0]) for key in ("start_base_image_id", "end_base_image_id")
                ]
            else:
                # No mouth was drawn or found in the clip (a model that found no face): its lines are
                # heard off-screen, never a failed lipsync.
                if not shot["is_talking_closeup"]:
                    continue
                speaker = speaker_for_shot(plan, index)
                skipped[shot["id"]] = (
                    "no character speaks in it"
                    if not speaker
                    else f"no face was found for {speaker} in it; the line is heard off-screen"
                )
                continue
            clip, clip_sha = ctx.output("video_clip_qa", shot["id"], "clip")
            inputs = {
                "clip_sha256": clip_sha,
                "speakers": speakers,
                "track": track,
                "fps": fps,
                "lines": [{k: v for k, v in line.items() if k != "path"} for line in lines],
            }
            if spec.name != "amplitude":  # the amplitude backend never reads the face boxes
                inputs["keyframe_faces"] = keyframe
                inputs["faces"] = face_boxes
            lipsync_items.append(
                Item(
                    id=f"lipsync_{shot['id']}",
                    label=f"lipsync {shot['id']} ({', '.join(speakers)})",
                    inputs=inputs,
                    outputs={"clip": Output(self.path(f"{shot['id']}.lipsync.mp4"), "video_clip_lipsync", "video")},
                    func=f"{__name__}:lipsync_shot",
                    kwargs={
                        "clip": str(clip),
                        "track": track,
                        "fps": fps,
                        "frames": timing["frames"],
                        "lines": lines,
                        "keyframe_faces": keyframe,
                        "faces": face_boxes,
                    },
                    backend=spec,
                    estimate_s=timing["frames"] * 0.01,
                )
            )
        yield lipsync_items
        clips = []
        for shot in plan["shots"]:
            key = f"lipsync_{shot['id']}"
            if key in ctx.records:
                path, sha = ctx.own(key, "clip")
            else:
                path, sha = ctx.output("video_clip_qa", shot["id"], "clip")
            lipsynced = key in ctx.records or shot["id"] in drawn
            clips.append({"shot_id": shot["id"], "path": str(path), "sha256": sha, "lipsynced": lipsynced})
        wav, wav_sha = ctx.output("dialogue_audio", "timeline", "wav")
        names = {c["id"]: c["name"] for c in plan["characters"]}
        subtitles = {"language": track_language(plan), "burn": burn_subtitles(plan, ctx.options)}
        mouths = _movie_mouths(ctx, plan, timeline) if subtitles["burn"] else {}
        yield [
            Item(
                id="final",
                label="video_final.mp4",
                inputs={
                    "clips": [(c["shot_id"], c["sha256"]) for c in clips],
                    "audio_sha256": wav_sha,
                    "timeline": timeline,
                    "names": names,
                    "title": plan["title"],
                    "lipsync_skipped": skipped,
                    "on_screen": on_screen,
                    "subtitles": subtitles,
                    "mouths": mouths,
                },
                outputs={
                    "raw": Output(self.path("video_raw_concat.mp4"), "video_raw_concat", "video"),
                    "final": Output(self.path("video_final.mp4"), "video_assembled", "video"),
                    "srt": Output(self.path("subtitles.srt"), "subtitles", "text"),
                    "vtt": Output(self.path("subtitles.vtt"), "subtitles", "text"),
                    "alignment": Output(self.path("alignment_map.json"), "alignment_map", "data"),
                },
                func=f"{__name__}:assemble",
                kwargs={
                    "clips": clips,
                    "audio": str(wav),
                    "timeline": timeline,
                    "names": names,
                    "title": plan["title"],
                    "lipsync_skipped": skipped,
                    "on_screen": on_screen,
                    "subtitles": subtitles,
                    "mouths": mouths,
                },
                estimate_s=0.5 + (timeline["total_frames"] * 0.004 if subtitles["burn"] else 0.0),
            )
        ]

    def _line(self, ctx: StageContext, line: dict[str, Any], timing: dict[str, Any]) -> dict[str, Any]:
        path, sha = ctx.output("dialogue_audio", line["line_id"], "wav")
        return {
            "line_id": line["line_id"],
            "character_id": line["character_id"],
            "path": str(path),
            "start_s": line["start_time_actual_s"] - timing["start_s"],
            "sha256": sha,
        }


#: A line is shown being spoken when its speaker's mouth is on screen for at least this share of it.
ON_SCREEN_SHARE = 0.5
#: Frames the mouth track runs on after a line, so the mouth closes smoothly.
CLOSE_FRAMES = 3


@dataclass
class SpeakingTrack:
    """For one shot: the mouth to animate in each frame (the speaker's, where it is on screen), whose
    it is, the lines shown being spoken, and every line's `on_screen` character (or None)."""

    track: list[Any]
    who: list[str | None]
    lines: list[dict[str, Any]]
    on_screen: dict[str, str | None]


def speaking_track(
    timeline: dict[str, Any], timing: dict[str, Any], tracks: dict[str, list[Any]], fps: float
) -> SpeakingTrack:
    """Match each line of the shot to its speaker's mouth track: each line moves its own speaker's mouth."""
    frames = int(timing["frames"])
    start, end = timing["start_s"], timing["start_s"] + timing["duration_s"]
    track: list[Any] = [None] * frames
    who: list[str | None] = [None] * frames
    lines, on_screen = [], {}
    for line in timeline["lines"]:
        if not (line["end_time_actual_s"] > start and line["start_time_actual_s"] < end):
            continue
        cid = line["character_id"]
        a = max(0, round((line["start_time_actual_s"] - start) * fps))
        b = min(frames, round((line["end_time_actual_s"] - start) * fps))
        boxes = tracks.get(cid) or []
        seen = sum(1 for i in range(a, b) if i < len(boxes) and boxes[i] is not None)
        shown = b > a and seen >= ON_SCREEN_SHARE * (b - a)
        # A line that runs over a cut belongs to the shot that shows most of it.
        if line["line_id"] not in on_screen or shown:
            on_screen[line["line_id"]] = cid if shown else None
        if not shown:
            continue
        lines.append(line)
        for i in range(a, min(frames, b + CLOSE_FRAMES)):
            if i < len(boxes) and boxes[i] is not None and (i < b or track[i] is None):
                track[i], who[i] = boxes[i], cid
    return SpeakingTrack(track, who, lines, on_screen)


def burn_subtitles(plan: dict[str, Any], options: dict[str, Any]) -> bool:
    """--burn-subtitles (remembered by the run) wins over the plan's render_profile.subtitles.burn."""
    if options.get("burn_subtitles") is not None:
        return bool(options["burn_subtitles"])
    return bool(((plan.get("render_profile") or {}).get("subtitles") or {}).get("burn", False))


def _movie_mouths(ctx: StageContext, plan: dict[str, Any], timeline: dict[str, Any]) -> dict[int, list[Any]]:
    """Every mouth on screen, by frame of the movie: burned subtitles are placed clear of them."""
    fps = float(timeline["fps"])
    mouths: dict[int, list[Any]] = {}
    for shot, timing in zip(plan["shots"], timeline["shots"], strict=True):
        start = round(timing["start_s"] * fps)
        tracks = ctx.result("video_clips", shot["id"]).get("mouth_tracks") or {}
        for track in tracks.values():
            for i, box in enumerate(track):
                if box:
                    mouths.setdefault(start + i, []).append(list(box))
    return mouths


def _speaker_face(ctx: StageContext, image_id: str, speaker: str) -> dict[str, Any] | None:
    """The speaker's face and mouth boxes as the keyframe recorded them, if it did."""
    faces = ctx.result("base_images", image_id).get("faces") or []
    return next((f for f in faces if f.get("character_id") == speaker), None)


def face_track(track: list[Any], keyframe_faces: list[dict[str, Any] | None]) -> list[list[int] | None]:
    """A face box per frame: each frame's mouth box scaled out by the keyframes' face-to-mouth proportions.

    The proportions move linearly from the start keyframe's to the end keyframe's over the clip.
    """
    known = [f for f in keyframe_faces if f]
    if not known:
        return [None] * len(track)
    first, last = (keyframe_faces[0] or known[-1]), (keyframe_faces[-1] or known[0])

    def proportions(face: dict[str, Any]) -> tuple[float, float, float, float]:
        fx, fy, fw, fh = face["face_box"]
        mx, my, mw, mh = face["mouth_box"]
        return (fx - mx) / mw, (fy - my) / mh, fw / mw, fh / mh

    a, b = proportions(first), proportions(last)
    out: list[list[int] | None] = []
    for i, box in enumerate(track):
        if box is None:
            out.append(None)
            continue
        t = i / max(1, len(track) - 1)
        dx, dy, sw, sh = (p + (q - p) * t for p, q in zip(a, b, strict=True))
        x, y, w, h = box
        out.append([round(x + dx * w), round(y + dy * h), round(sw * w), round(sh * h)])
    return out


def lipsync_shot(
    backend: Any,
    out: dict[str, str],
    clip: str,
    track: list[Any],
    fps: float,
    frames: int,
    lines: list[dict[str, Any]],
    keyframe_faces: list[dict[str, Any] | None] | None = None,
    faces: list[Any] | None = None,
) -> dict[str, Any]:
    """Animate the mouths of one shot: the voices of its `lines` laid on one track, the mouth box of
    whoever speaks in each frame (`track`), and the face boxes when the video backend knew them."""
    import numpy as np

    from sparkle_cli.backends.lipsync.amplitude import openness_curve
    from sparkle_cli.media import audio

    rate = 0
    voice = None
    for line in lines:
        samples, sr = audio.read_wav(line["path"])
        if voice is None:
            rate = sr
            voice = np.zeros(int(np.ceil(frames / fps * sr)) + 1, dtype=np.float32)
        elif sr != rate:
            samples = audio.resample(samples, sr, rate)
        begin = round(line["start_s"] * rate)
        lo, hi = max(0, begin), min(len(voice), begin + len(samples))
        if hi > lo:
            voice[lo:hi] += samples[lo - begin : hi - begin]
    if voice is None:
        levels = np.zeros(frames)
    else:
        levels = openness_curve(audio.frame_rms(voice, rate, fps, frames))
        # Only a speaker on screen opens their mouth; elsewhere the painted mouth stays.
        levels = np.where([box is not None for box in track], levels, 0.0)
    result = backend.animate(
        clip,
        out["clip"],
        track=track,
        openness=[float(x) for x in levels],
        fps=fps,
        voice=voice,
        sample_rate=rate,
        face_track=faces if faces is not None else face_track(track, keyframe_faces or []),
    )
    return {
        **result,
        "mean_openness": round(float(np.mean(levels)) if len(levels) else 0.0, 4),
        "model_id": result.get("model_id", backend.name),
    }


def assemble(
    out: dict[str, str],
    clips: list[dict[str, Any]],
    audio: str,
    timeline: dict[str, Any],
    names: dict[str, str],
    title: str,
    lipsync_skipped: dict[str, str] | None = None,
    on_screen: dict[str, str | None] | None = None,
    subtitles: dict[str, Any] | None = None,
    mouths: dict[Any, list[Any]] | None = None,
) -> dict[str, Any]:
    from sparkle_cli.media.ffmpeg import input_args, run_ffmpeg
    from sparkle_cli.media.video import probe

    fps = float(timeline["fps"])
    with tempfile.TemporaryDirectory(prefix="sparkle-concat-") as tmp:
        listing = Path(tmp) / "clips.txt"
        listing.write_text("".join(f"file '{_quote(c['path'])}'\n" for c in clips), encoding="utf-8")
        run_ffmpeg(
            [
                "-y",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                "-map",
                "0:v",
                "-c",
                "copy",
                "-movflags",
                "+faststart",
                out["raw"],
            ]
        )
    raw = probe(out["raw"])
    expected = int(timeline["total_frames"])
    if raw.video is None or raw.video.frames != expected:
        got = raw.video.frames if raw.video else 0
        raise RuntimeError(f"the joined clips have {got} frames, the timeline needs {expected}")
    subtitles = subtitles or {"language": "und", "burn": False}
    atomic.write_text(out["srt"], to_srt(timeline["lines"], names))
    atomic.write_text(out["vtt"], to_vtt(timeline["lines"], names))
    burned: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="sparkle-final-") as tmp:
        picture = out["raw"]
        if subtitles.get("burn") and timeline["lines"]:
            from sparkle_cli.media.burn import Cue, burn_video

            picture = str(Path(tmp) / "burned.mp4")
            spoken = [Cue(a, b, text) for a, b, text in cues(timeline["lines"], names)]
            frames_mouths = {int(k): [tuple(b) for b in v] for k, v in (mouths or {}).items()}
            burned = burn_video(out["raw"], picture, spoken, fps, frames_mouths)  # type: ignore[arg-type]
        # The dialogue rides along as a soft subtitle track (mov_text), so any player can show it.
        track = Path(tmp) / "subtitles.srt"
        track.write_text(to_srt(timeline["lines"], names) or "", encoding="utf-8")
        with_track = bool(timeline["lines"])
        run_ffmpeg(
            [
                "-y",
                "-i",
                picture,
                *input_args(audio),
                *(["-f", "srt", "-i", str(track)] if with_track else []),
                "-map",
                "0:v:0",
                "-map",
                "1:a:0",
                *(
                    ["-map", "2:s:0", "-c:s", "mov_text", "-metadata:s:s:0", f"language={subtitles['language']}"]
                    if with_track
                    else []
                ),
                "-c:v",
                "copy",
                "-c:a",
                "aac",
                "-b:a",
                "160k",
                "-ar",
                "48000",
                "-metadata",
                f"title={title}",
                "-movflags",
                "+faststart",
                out["final"],
            ]
        )
    final = probe(out["final"])
    if final.video is None or final.audio is None:
        raise RuntimeError("the final movie is missing its video or audio stream")
    shots = []
    for clip, timing in zip(clips, timeline["shots"], strict=True):
        start_frame = round(timing["start_s"] * fps)
        shots.append(
            {
                "shot_id": clip["shot_id"],
                "start_s": timing["start_s"],
                "end_s": timing["start_s"] + timing["duration_s"],
                "start_frame": start_frame,
                "frames": timing["frames"],
                "lipsynced": clip["lipsynced"],
            }
        )
    alignment = {
        "lipsync_skipped": lipsync_skipped or {},
        "subtitles": {
            "track": "mov_text" if timeline["lines"] else None,
            "language": subtitles["language"],
            "burned": bool(burned),
            "cues": burned,
        },
        "fps": fps,
        "total_frames": expected,
        "duration_s": expected / fps,
        "shots": shots,
        "lines": [
            {
                "line_id": ln["line_id"],
                "character_id": ln["character_id"],
                "text": ln["text"],
                "start_s": ln["start_time_actual_s"],
                "end_s": ln["end_time_actual_s"],
                "shot_id": ln["shot_id"],
                "start_frame": round(ln["start_time_actual_s"] * fps),
                "end_frame": round(ln["end_time_actual_s"] * fps),
                # The character shown speaking the line (mouth moving), or None when it is heard off-screen.
                "on_screen": (on_screen or {}).get(ln["line_id"]),
            }
            for ln in timeline["lines"]
        ],
    }
    atomic.write_json(out["alignment"], alignment)
    return {
        "run_notices": [f"{shot}: {why}" for shot, why in (lipsync_skipped or {}).items() if "off-screen" in why],
        "frames": final.video.frames,
        "video_duration_s": final.video.duration_s,
        "audio_duration_s": final.audio.duration_s,
        "width": final.video.width,
        "height": final.video.height,
        "fps": final.video.fps,
    }


def _quote(path: str) -> str:
    return path.replace("'", "'\\''")


STAGE = AssemblyLipsync()
