"""Built-in lipsync: open the painted mouth with the loudness of the speaker's voice, frame by frame.

It needs the mouth's place in every frame (the video stage records it from the keyframes'
face boxes and the camera path) and keeps the clip's frame count and rate exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sparkle_cli.backends.base import Backend, Box


def openness_curve(rms: Any, *, floor_dbfs: float = -42.0, attack: float = 0.65, release: float = 0.35) -> Any:
    """Map per-frame RMS to mouth openness in [0, 1], with a gate and asymmetric smoothing."""
    import numpy as np

    rms = np.asarray(rms, dtype=np.float64)
    level = 20 * np.log10(np.maximum(rms, 1e-9))
    raw = np.clip((level - floor_dbfs) / (-12.0 - floor_dbfs), 0.0, 1.0) ** 0.8
    out = np.zeros_like(raw)
    value = 0.0
    for i, target in enumerate(raw):
        rate = attack if target > value else release
        value += (target - value) * rate
        out[i] = value
    return out


def speech_levels(voices: list[dict[str, Any]], fps: float, frames: int) -> dict[str, Any]:
    """Per character, how open the mouth is in each frame of a shot, from that character's own lines.

    `voices` are {character_id, path, start_s} (seconds from the shot's start); a character is
    silent, mouth closed, wherever another one speaks.
    """
    import numpy as np

    from sparkle_cli.media import audio

    tracks: dict[str, Any] = {}
    rate = 0
    for line in voices:
        samples, sr = audio.read_wav(line["path"])
        if not rate:
            rate = sr
        elif sr != rate:
            samples = audio.resample(samples, sr, rate)
        voice = tracks.setdefault(line["character_id"], np.zeros(int(np.ceil(frames / fps * rate)) + 1, np.float32))
        begin = round(float(line["start_s"]) * rate)
        lo, hi = max(0, begin), min(len(voice), begin + len(samples))
        if hi > lo:
            voice[lo:hi] += samples[lo - begin : hi - begin]
    return {cid: openness_curve(audio.frame_rms(v, rate, fps, frames)) for cid, v in tracks.items()}


class AmplitudeLipsync(Backend):
    name = "amplitude"
    kind = "lipsync"
    version = "1"

    def animate(
        self,
        clip: str,
        out_path: str,
        *,
        track: list[Box | None],
        openness: list[float],
        fps: float,
        **_model_inputs: Any,  # voice samples and face boxes, for backends that read them
    ) -> dict[str, Any]:
        from sparkle_cli.backends.image.faces import draw_mouth
        from sparkle_cli.media.video import VideoWriter, iter_frames, probe

        info = probe(clip)
        if info.video is None:
            raise RuntimeError(f"{clip} has no video stream")
        n = info.video.frames
        if len(track) != n or len(openness) != n:
            raise RuntimeError(f"mouth track has {len(track)} boxes and {len(openness)} levels for {n} frames")
        animated = 0
        with VideoWriter(
            Path(out_path),
            fps=fps,
            width=info.video.width,
            height=info.video.height,
            **{k: v for k, v in self.options.items() if k in {"crf", "preset"}},
        ) as writer:
            for i, frame in enumerate(iter_frames(clip)):
                box = track[i]
                if box is not None and openness[i] > 0.02:
                    frame = frame.copy()
                    draw_mouth(frame, tuple(box), float(openness[i]))  # type: ignore[arg-type]
                    animated += 1
                writer.write(frame)
        return {"frames": n, "animated_frames": animated}
