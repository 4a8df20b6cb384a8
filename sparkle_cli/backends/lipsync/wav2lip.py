"""Wav2Lip lipsync: redraw the lower half of the speaker's face from the voice, frame by frame.

Face boxes come from the earlier stages: a model video backend finds the face in every frame of
the clip itself (`face_tracks`, see face_detect), the built-in animator carries the keyframes'
boxes through its camera move; so no frame is decoded twice. The stage never hands over a
close-up without a face (its line is heard off-screen); this backend refuses one. Frames
stream from the clip through batched inference into the encoder, keeping frame count and rate.
Checkpoint: the public `wav2lip_gan.pth` or `wav2lip.pth` (SPARKLE_MODEL_PATH_LIPSYNC, the
config's `models: {wav2lip: PATH}`, or `render_profile.lipsync.options.model_path`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sparkle_cli.backends.base import Backend, BackendUnavailable, Box

CHECKPOINT_NAMES = ("wav2lip_gan.pth", "wav2lip.pth")
CHECKPOINT_HINT = (
    "download the public Wav2Lip generator (wav2lip_gan.pth or wav2lip.pth) and point "
    "SPARKLE_MODEL_PATH_LIPSYNC, the config's `models: {wav2lip: PATH}` or "
    "render_profile.lipsync.options.model_path at it (a file, or a folder holding it)"
)
#: Rows of the 96x96 crop, as fractions, where the redrawn lower face fades in and ends.
FEATHER_TOP = (0.45, 0.6)
FEATHER_SIDE = 0.12
FEATHER_BOTTOM = 0.08


def find_checkpoint(location: str | None) -> Path:
    """The generator checkpoint at `location` (a file, or a folder holding one of CHECKPOINT_NAMES)."""
    if not location:
        raise BackendUnavailable(f"the wav2lip lipsync backend has no checkpoint configured: {CHECKPOINT_HINT}")
    path = Path(location).expanduser()
    if path.is_dir():
        for name in CHECKPOINT_NAMES:
            if (path / name).is_file():
                return path / name
        raise BackendUnavailable(f"{path} holds neither {' nor '.join(CHECKPOINT_NAMES)}: {CHECKPOINT_HINT}")
    if not path.is_file():
        raise BackendUnavailable(f"Wav2Lip checkpoint {path} does not exist: {CHECKPOINT_HINT}")
    return path


def feather_mask(height: int, width: int) -> np.ndarray:
    """(h, w, 1) weights: 0 over the upper face, rising to 1 over the mouth and chin, soft at the sides."""
    v = np.linspace(0.0, 1.0, height, dtype=np.float32)
    u = np.linspace(0.0, 1.0, width, dtype=np.float32)
    top = np.clip((v - FEATHER_TOP[0]) / (FEATHER_TOP[1] - FEATHER_TOP[0]), 0.0, 1.0)
    bottom = np.clip((1.0 - v) / FEATHER_BOTTOM, 0.0, 1.0)
    sides = np.clip(np.minimum(u, 1.0 - u) / FEATHER_SIDE, 0.0, 1.0)
    rows = top * bottom
    mask = rows[:, None] * sides[None, :]
    mask = mask * mask * (3.0 - 2.0 * mask)  # smoothstep: no visible seam where the blend starts
    return mask[:, :, None]


def clip_box(box: Box | list[int] | None, width: int, height: int) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of `box` inside the frame, or None when too little of it is visible."""
    if box is None:
        return None
    x, y, w, h = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    return x0, y0, x1, y1


class Wav2LipBackend(Backend):
    """The public Wav2Lip generator on 96x96 face crops, 16 mel frames of voice per video frame."""

    name: ClassVar[str] = "wav2lip"
    kind: ClassVar[str] = "lipsync"
    version: ClassVar[str] = "1"

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.model: Any = None
        self.checkpoint: Path | None = None
        self.load_facts: dict[str, Any] = {}

    @classmethod
    def check(cls) -> None:
        from sparkle_cli.backends.torch_utils import require

        require("torch", what="the wav2lip lipsync backend")

    @classmethod
    def preflight(cls, options: dict[str, Any]) -> str | None:
        try:
            find_checkpoint(options.get("checkpoint") or options.get("model_path"))
        except BackendUnavailable as exc:
            return str(exc)
        return None

    def load(self) -> None:
        from sparkle_cli.backends.lipsync.wav2lip_net import load_checkpoint
        from sparkle_cli.backends.torch_utils import resolve_device, resolve_dtype

        self.checkpoint = find_checkpoint(self.options.get("checkpoint") or self.options.get("model_path"))
        self.device = resolve_device(self.options.get("device"))
        # fp32 unless asked: the network is small, and half precision shifts skin tones on some GPUs.
        self.dtype = resolve_dtype(self.options.get("dtype") or "fp32", self.device)
        started = time.perf_counter()
        try:
            model, facts = load_checkpoint(str(self.checkpoint), self.device)
        except ValueError as exc:
            raise BackendUnavailable(f"{exc}; {CHECKPOINT_HINT}") from exc
        self.model = model.to(dtype=self.dtype)
        self.load_facts = {**facts, "load_s": round(time.perf_counter() - started, 3)}

    def close(self) -> None:
        from sparkle_cli.backends.torch_utils import free_memory

        self.model = None
        free_memory()

    def batch_size(self) -> int:
        return int(self.options.get("batch_size") or (64 if self.device != "cpu" else 16))

    def animate(
        self,
        clip: str,
        out_path: str,
        *,
        track: list[Box | None],
        openness: list[float],
        fps: float,
        voice: Any = None,
        sample_rate: int = 0,
        face_track: list[Box | None] | None = None,
    ) -> dict[str, Any]:
        import torch

        from sparkle_cli.media import audio, mel
        from sparkle_cli.media.video import VideoWriter, iter_frames, probe

        if self.model is None:
            raise RuntimeError("the Wav2Lip backend was used before load()")
        started = time.perf_counter()
        info = probe(clip)
        if info.video is None:
            raise RuntimeError(f"{clip} has no video stream")
        n, width, height = info.video.frames, info.video.width, info.video.height
        clip_fps = float(info.video.fps or fps)
        boxes = list(face_track or [])
        if len(boxes) != n:
            raise RuntimeError(f"the face track has {len(boxes)} boxes for the {n} frames of {clip}")
        if not any(clip_box(b, width, height) for b in boxes):
            raise RuntimeError(
                f"no face box for the talking close-up {Path(clip).name}: no face was found for the speaker in "
                "its keyframes or frames; the assembly stage lets such a line be heard off-screen"
            )

        t0 = time.perf_counter()
        if voice is not None and sample_rate > 0 and len(voice):
            speech = audio.resample(np.asarray(voice, dtype=np.float32), int(sample_rate), mel.SAMPLE_RATE)
        else:
            speech = np.zeros(0, dtype=np.float32)
        needed = int(np.ceil(n / clip_fps * mel.SAMPLE_RATE)) + mel.HOP
        speech = np.pad(speech, (0, max(0, needed - len(speech))))
        windows = mel.mel_windows(mel.melspectrogram(speech), clip_fps, n)
        mel_s = time.perf_counter() - t0

        timings = {"mel_s": mel_s, "inference_s": 0.0, "crop_paste_s": 0.0}
        mask_cache: dict[tuple[int, int], np.ndarray] = {}
        pending: list[tuple[int, np.ndarray, tuple[int, int, int, int] | None]] = []
        synced = 0
        encode_opts = {k: v for k, v in self.options.items() if k in {"crf", "preset"}}
        with VideoWriter(Path(out_path), fps=clip_fps, width=width, height=height, **encode_opts) as writer:

            def flush() -> None:
                nonlocal synced
                jobs: list[tuple[int, Any, Box | None]] = [(i, f, b) for i, f, b in pending if b is not None]
                if jobs:
                    synced += len(jobs)
                    self._sync_batch(jobs, windows, mask_cache, timings, torch)
                for _, frame, _ in pending:
                    writer.write(frame)
                pending.clear()

            for i, frame in enumerate(iter_frames(clip)):
                if i >= n:
                    break
                box = clip_box(boxes[i], width, height)
                pending.append((i, frame if box is None else frame.copy(), box))
                if sum(1 for p in pending if p[2] is not None) >= self.batch_size():
                    flush()
            flush()
            written = writer.frames_written
        if written != n:
            raise RuntimeError(f"{clip}: decoded {written} frames, the container says {n}")
        return {
            "frames": n,
            "lipsynced_frames": synced,
            "fps": clip_fps,
            "model_id": self.checkpoint.name if self.checkpoint else self.name,
            "checkpoint": str(self.checkpoint),
            "device": self.device,
            "batch_size": self.batch_size(),
            "timings": {
                **{k: round(v, 3) for k, v in timings.items()},
                "load_s": self.load_facts.get("load_s"),
                "total_s": round(time.perf_counter() - started, 3),
            },
        }

    def _sync_batch(
        self,
        jobs: list[tuple[int, np.ndarray, tuple[int, int, int, int] | None]],
        windows: np.ndarray,
        mask_cache: dict[tuple[int, int], np.ndarray],
        timings: dict[str, float],
        torch: Any,
    ) -> None:
        """Redraw the lower face of each (index, frame, box) in place."""
        import torch.nn.functional as F

        from sparkle_cli.backends.lipsync.wav2lip_net import FACE_SIZE

        t0 = time.perf_counter()
        crops = []
        for _, frame, box in jobs:
            assert box is not None
            x0, y0, x1, y1 = box
            # The network was trained on BGR crops (OpenCV order): flip channels on the way in and out.
            crop = torch.from_numpy(np.ascontiguousarray(frame[y0:y1, x0:x1, ::-1])).permute(2, 0, 1)[None].float()
            crops.append(
                F.interpolate(crop, size=(FACE_SIZE, FACE_SIZE), mode="bilinear", antialias=True, align_corners=False)[
                    0
                ]
            )
        faces = torch.stack(crops) / 255.0
        masked = faces.clone()
        masked[:, :, FACE_SIZE // 2 :] = 0
        inputs = torch.cat([masked, faces], dim=1)
        mels = torch.from_numpy(windows[[i for i, _, _ in jobs]])[:, None]
        timings["crop_paste_s"] += time.perf_counter() - t0

        t0 = time.perf_counter()
        with torch.inference_mode():
            out = self.model(mels.to(self.device, self.dtype), inputs.to(self.device, self.dtype))
        out = out.float().cpu()
        timings["inference_s"] += time.perf_counter() - t0

        t0 = time.perf_counter()
        for k, (_, frame, box) in enumerate(jobs):
            assert box is not None
            x0, y0, x1, y1 = box
            h, w = y1 - y0, x1 - x0
            face = F.interpolate(out[k : k + 1] * 255.0, size=(h, w), mode="bilinear", align_corners=False)[0]
            drawn = face.permute(1, 2, 0).numpy()[:, :, ::-1]
            mask = mask_cache.get((h, w))
            if mask is None:
                mask = mask_cache[(h, w)] = feather_mask(h, w)
            region = frame[y0:y1, x0:x1].astype(np.float32)
            frame[y0:y1, x0:x1] = np.clip(region + mask * (drawn - region) + 0.5, 0, 255).astype(np.uint8)
        timings["crop_paste_s"] += time.perf_counter() - t0
