"""Stage 2: speak every line in its character's voice, then lay the lines on one timeline.

Lines are items of their own (editing one re-speaks only that one); the timeline item fits
them together without cutting speech and writes the revised shot durations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sparkle_cli import atomic
from sparkle_cli.backends import registry
from sparkle_cli.backends.base import SpeechRequest, TTSBackend, VoiceSpec
from sparkle_cli.errors import StageError
from sparkle_cli.planinfo import dialogue_lines
from sparkle_cli.schemas.plan import MAX_MOVIE_SECONDS
from sparkle_cli.stages.base import Item, Output, Stage, StageContext, backend_spec
from sparkle_cli.timeline import MIN_GAP_S, frame_counts, reconcile, shot_starts


class DialogueAudio(Stage):
    id = "dialogue_audio"
    number = 2
    version = "1"
    description = "speak each line (TTS); stitch tts_timeline.wav; revise shot durations so speech is never cut"
    after = ("plan_intake",)
    reads = ("dialogue_timeline", "characters[].voice_profile")
    writes = ("line_*.wav", "tts_timeline.wav", "dialogue_timeline_audio.json")

    def phases(self, ctx: StageContext) -> Iterator[list[Item]]:
        plan = ctx.plan
        spec = backend_spec(plan, "tts", "tts")
        backend = registry.create("tts", spec.name, spec.options)
        assert isinstance(backend, TTSBackend)
        backend.base_dir = ctx.run.path  # voice files named in the plan (reference clips) are read from the run
        voices = {c["id"]: backend.voice_for(c, i) for i, c in enumerate(plan["characters"])}
        lines = dialogue_lines(plan)
        yield [
            Item(
                id=line["id"],
                label=f"{line['character_id']}: {line['text'][:40]}",
                inputs={"text": line["text"], "voice": _voice_inputs(voices[line["character_id"]])},
                outputs={"wav": Output(self.path(f"{line['id']}.wav"), "dialogue_line_audio", "audio")},
                func=f"{__name__}:speak_line",
                kwargs={"line_id": line["id"], "text": line["text"], "voice": vars(voices[line["character_id"]])},
                backend=spec,
                estimate_s=0.05,
            )
            for line in lines
        ]
        audio = {line["id"]: ctx.own(line["id"], "wav") for line in lines}
        durations = {line_id: ctx.results[line_id]["duration_s"] for line_id in audio}
        shots = [(s["id"], float(s["duration_sec"])) for s in plan["shots"]]
        fps = float(plan["render_profile"]["video"]["max_fps"])
        yield [
            Item(
                id="timeline",
                label="tts_timeline.wav",
                inputs={
                    "lines": {k: sha for k, (_, sha) in audio.items()},
                    "timeline": plan["dialogue_timeline"],
                    "shots": shots,
                    "fps": fps,
                    "min_gap_s": MIN_GAP_S,
                },
                outputs={
                    "wav": Output(self.path("tts_timeline.wav"), "tts_timeline", "audio"),
                    "timeline": Output(self.path("dialogue_timeline_audio.json"), "dialogue_timeline_audio", "data"),
                },
                func=f"{__name__}:stitch_timeline",
                kwargs={
                    "timeline": plan["dialogue_timeline"],
                    "shots": shots,
                    "fps": fps,
                    "line_paths": {k: str(p) for k, (p, _) in audio.items()},
                    "durations": durations,
                },
                estimate_s=0.1,
            )
        ]


def _voice_inputs(voice: VoiceSpec) -> dict[str, Any]:
    """The voice as fingerprinted: files it names count by their hash field, not by where they lie."""
    skip = getattr(voice, "location_fields", ())
    return {k: v for k, v in vars(voice).items() if k not in skip}


def speak_line(
    backend: TTSBackend, out: dict[str, str], line_id: str, text: str, voice: dict[str, Any]
) -> dict[str, Any]:
    from pathlib import Path

    voice_type = getattr(backend, "voice_type", VoiceSpec)
    result = backend.synthesize(SpeechRequest(line_id, text, voice_type(**voice)), Path(out["wav"]))
    if result.duration_s <= 0:
        raise RuntimeError(f"{line_id}: the TTS backend produced no audio")
    extra = getattr(result, "metadata", None) or {}  # model id, device, timings, where the backend reports them
    return {**extra, "duration_s": result.duration_s, "sample_rate": result.sample_rate, "samples": result.samples}


def stitch_timeline(
    out: dict[str, str],
    timeline: list[dict[str, Any]],
    shots: list[tuple[str, float]],
    fps: float,
    line_paths: dict[str, str],
    durations: dict[str, float],
) -> dict[str, Any]:
    import numpy as np

    from sparkle_cli.media import audio

    fitted = reconcile(timeline, [tuple(s) for s in shots], durations)  # type: ignore[misc]
    if fitted.total_revised_s > MAX_MOVIE_SECONDS:
        raise StageError(
            f"the spoken lines make the movie {fitted.total_revised_s:.0f} s long, more than the "
            f"{MAX_MOVIE_SECONDS:.0f} s allowed; shorten the dialogue"
        )
    shot_ids = [s for s, _ in shots]
    revised = [fitted.shot_durations_revised[s] for s in shot_ids]
    counts = frame_counts(revised, fps)
    starts = shot_starts(counts, fps)
    total_frames = sum(counts)
    clips = {}
    rate = 0
    for line_id, path in line_paths.items():
        samples, sr = audio.read_wav(path)
        clips[line_id] = (samples, sr)
        rate = max(rate, sr)
    rate = rate or 22050
    length = round(total_frames / fps * rate)
    mix = np.zeros(length, dtype=np.float32)
    for line in fitted.lines:
        samples, sr = clips[line.line_id]
        if sr != rate:
            samples = audio.resample(samples, sr, rate)
        begin = round(line.start_time_actual_s * rate)
        end = min(length, begin + len(samples))
        if end - begin < len(samples):
            raise RuntimeError(f"{line.line_id} would be cut at the end of the movie; the timeline is inconsistent")
        mix[begin:end] += samples[: end - begin]
    audio.write_wav(out["wav"], mix, rate)
    payload = {
        "sample_rate": rate,
        "fps": fps,
        "total_frames": total_frames,
        "total_duration_s": total_frames / fps,
        "lines": [
            {
                **vars(line),
                "padding_after_s": round(line.padding_after_s, 6),
                "audio_path": f"dialogue_audio/{line.line_id}.wav",
            }
            for line in fitted.lines
        ],
        "shots": [
            {
                "shot_id": shot_id,
                "duration_planned_s": fitted.shot_durations_planned[shot_id],
                "duration_revised_s": revised[i],
                "frames": counts[i],
                "start_s": starts[i],
                "duration_s": counts[i] / fps,
            }
            for i, shot_id in enumerate(shot_ids)
        ],
        "insertions": [vars(x) for x in fitted.insertions],
    }
    atomic.write_json(out["timeline"], payload)
    return {
        "fps": fps,
        "total_frames": total_frames,
        "total_duration_s": total_frames / fps,
        "sample_rate": rate,
        "shots": payload["shots"],
        "lines": payload["lines"],
        "insertions": payload["insertions"],
    }


STAGE = DialogueAudio()
