"""The `wan` video backend: Wan 2.1 first-last-frame / image-to-video through diffusers' WanImageToVideoPipeline.

A shot moves from its start keyframe (`image=`) to its end keyframe (`last_image=`). Wan makes
4k+1 frames per call; a shot longer than one window renders in chained windows, each starting
on the previous window's last frame, the last one ending on the end keyframe. The frames are
then resampled in time to exactly the shot's frame count, keeping the first and the last.

End points are pinned by default (`endpoints: pinned`): the first and last frames written are
the keyframes themselves. A real FLF2V model reproduces them closely, but not bit for bit (the
VAE round trip drifts a little), and the start keyframe of shot N+1 is the end keyframe of shot
N, so pinning makes every shot boundary exact. The model's own end frames are still measured
(`model_first_frame_psnr_db`, `model_last_frame_psnr_db`) beside the VAE's ceiling
(`vae_roundtrip_psnr_db`); `endpoints: model` writes the model's frames unchanged.

Checkpoints: an FLF2V transformer (two CLIP images with a position table) is given the end
keyframe's CLIP embedding in every window; a plain I2V transformer sees one CLIP image and the
end keyframe only as the last window's latent condition.

Faces: for each character whose face the keyframes recorded (a talking close-up), the face is
found again in every written frame (OpenCV's Haar cascades, see face_detect), padded and smoothed
as Wav2Lip does, and returned as `face_tracks` and `mouth_tracks` for the lipsync stage.

As in Wan's reference code the VAE and the CLIP image encoder load in fp32 (the transformer and
the text encoder in `dtype`), and the negative prompt defaults to the reference's own, with
"shot cut" (镜头切换) in front for first-last-frame checkpoints, which keeps a clip from cutting
between its two keyframes instead of moving from one to the other.

Options (`render_profile.video.options`):
  model_path   local diffusers folder or hub id (default: the model_id's checkpoint, see diffusers_common)
  device       auto | cuda | mps | cpu            dtype   auto | bf16 | fp16 | fp32 (auto: fp16 on a T4)
  steps (30), guidance (5.0), window_frames (81: frames per window, 4k+1), crf (18)
  negative_prompt  text; absent: the reference's default (see NEGATIVE_PROMPT); "" for none
  resolution   720p | 480p | plan: the area the model renders at, in the plan's aspect ratio; frames are
               then scaled to the plan's size (default: 720p for a checkpoint named 720P, 480p for 480P)
  memory       auto (default) | none | model_cpu_offload | group_offload | vae_tiling (comma-separated)
  attention    sdpa (default) or a diffusers attention backend name
  endpoints    pinned (default) | model
  max_sequence_length  text tokens for UMT5 (512), download (true: fetch an uncached hub checkpoint)
  batch_size   accepted for symmetry with sdxl; one clip renders per call (windows depend on each other)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

from sparkle_cli.backends.base import BackendUnavailable, Box, ClipRequest, ClipResult, FaceInfo, VideoBackend
from sparkle_cli.backends.diffusers_common import PipelineHolder, checkpoint_for, checkpoint_problem

DEFAULT_MODEL = "wan-2.1"
#: Wan's VAE compresses time by 4 and space by 8; patches are 2x2 latents.
TEMPORAL_STRIDE = 4
SIZE_MULTIPLE = 16
PSNR_CAP_DB = 100.0
#: Pixel areas the checkpoints were trained at (Wan's SIZE_CONFIGS: 1280*720 and 832*480).
AREAS = {"720p": 1280 * 720, "480p": 832 * 480}

#: Wan 2.1's default negative prompt (wan/configs/shared_config.py, sample_neg_prompt), kept in the
#: language the model was tuned with. In English: garish colours, overexposed, static, blurry
#: details, subtitles, style, artwork, painting, frame, still, overall grey, worst quality, low
#: quality, JPEG artefacts, ugly, mutilated, extra fingers, badly drawn hands, badly drawn face,
#: deformed, disfigured, malformed limbs, fused fingers, motionless frame, cluttered background,
#: three legs, crowded background, walking backwards.
NEGATIVE_PROMPT = (
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，"
    "丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，"
    "静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走"
)
#: The image-to-video configs put "camera shake" in front (wan_i2v_14B.py); first-last-frame adds
#: "shot cut" in front of that (configs/__init__.py, flf2v_14B).
CAMERA_SHAKE = "镜头晃动，"
SHOT_CUT = "镜头切换，"


def default_negative_prompt(first_last: bool) -> str:
    return (SHOT_CUT if first_last else "") + CAMERA_SHAKE + NEGATIVE_PROMPT


def render_area(option: Any, location: str) -> int | None:
    """Pixels the model renders at: `resolution` (720p, 480p, plan), else what the checkpoint's name says."""
    value = str(option or "").lower()
    if value == "plan":
        return None
    if value in AREAS:
        return AREAS[value]
    if value:
        raise ValueError(f"render_profile.video.options.resolution {option!r}: use 720p, 480p or plan")
    lowered = location.lower()
    for key in ("720p", "480p"):
        if key in lowered:
            return AREAS[key]
    return None


# --- frame arithmetic (pure) -------------------------------------------------------------


def wan_frames(count: int) -> int:
    """The smallest 4k+1 frame count (k >= 1) holding `count` frames."""
    return TEMPORAL_STRIDE * max(1, math.ceil((count - 1) / TEMPORAL_STRIDE)) + 1


def window_plan(num_frames: int, window_frames: int = 81) -> list[int]:
    """Frames per window (each 4k+1) so that the chained windows cover `num_frames`.

    Windows share their boundary frame, so n windows of f frames give n * (f - 1) + 1 frames;
    the load is spread evenly rather than leaving a short last window.
    """
    limit = max(5, (window_frames - 1) // TEMPORAL_STRIDE * TEMPORAL_STRIDE + 1)
    span = max(1, num_frames - 1)
    count = math.ceil(span / (limit - 1))
    each = wan_frames(math.ceil(span / count) + 1)
    return [each] * count


def resample_indices(total: int, wanted: int) -> list[int]:
    """`wanted` indices into `total` frames, evenly spaced, first and last kept."""
    if wanted <= 1 or total <= 1:
        return [0] * max(0, wanted)
    return [round(i * (total - 1) / (wanted - 1)) for i in range(wanted)]


def render_size(width: int, height: int, area: int | None = None) -> tuple[int, int]:
    """What Wan renders for a plan of width x height: the plan's aspect ratio at `area` pixels
    (the checkpoint's training size), or the plan's own size, in multiples of 16."""
    if area:
        aspect = width / height
        return (
            max(SIZE_MULTIPLE, round(math.sqrt(area * aspect) / SIZE_MULTIPLE) * SIZE_MULTIPLE),
            max(SIZE_MULTIPLE, round(math.sqrt(area / aspect) / SIZE_MULTIPLE) * SIZE_MULTIPLE),
        )
    return (math.ceil(width / SIZE_MULTIPLE) * SIZE_MULTIPLE, math.ceil(height / SIZE_MULTIPLE) * SIZE_MULTIPLE)


def to_plan_size(frame: Any, width: int, height: int) -> Any:
    """A rendered frame scaled to cover width x height, centre-cropped (no distortion)."""
    import numpy as np
    from PIL import Image

    h, w = frame.shape[:2]
    if (w, h) == (width, height):
        return frame
    if w >= width and h >= height and (w - width) < SIZE_MULTIPLE and (h - height) < SIZE_MULTIPLE:
        return centre_crop(frame, width, height)  # only rounded up to a multiple of 16: crop, do not resample
    scale = max(width / w, height / h)
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    return centre_crop(np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS)), width, height)


def centre_crop(frame: Any, width: int, height: int) -> Any:
    h, w = frame.shape[:2]
    top, left = (h - height) // 2, (w - width) // 2
    return frame[top : top + height, left : left + width]


def _db(value: float) -> float:
    return round(min(value, PSNR_CAP_DB), 3)


class WanBackend(VideoBackend):
    """Wan 2.1 FLF2V / I2V through diffusers; one model load per stage."""

    name: ClassVar[str] = "wan"
    version: ClassVar[str] = "1"
    holds_model: ClassVar[bool] = True

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.holder = PipelineHolder("video", "video", self.options)
        self.first_last = False

    @classmethod
    def check(cls) -> None:
        from sparkle_cli.backends.torch_utils import require

        require("torch", "diffusers", "transformers", "ftfy", what="the wan video backend")
        from sparkle_cli.backends import face_detect

        problem = face_detect.available()
        if problem:
            raise BackendUnavailable(f"the wan video backend finds faces for lipsync: {problem}")

    @classmethod
    def preflight(cls, options: dict[str, Any]) -> str | None:
        return checkpoint_problem(
            checkpoint_for(options, DEFAULT_MODEL), "video", allow_download=bool(options.get("download"))
        )

    def load(self) -> None:
        import torch
        from diffusers import WanImageToVideoPipeline

        # The reference runs its VAE in fp32 and its CLIP encoder outside the transformer's dtype;
        # diffusers' own Wan examples load both in fp32. A bf16 VAE visibly bands the decoded frames.
        self.holder.load(
            WanImageToVideoPipeline,
            DEFAULT_MODEL,
            component_dtypes={"vae": torch.float32, "image_encoder": torch.float32},
        )
        self.device = self.holder.device
        transformer = self.holder.pipe.transformer
        self.first_last = getattr(transformer.config, "pos_embed_seq_len", None) is not None

    def close(self) -> None:
        self.holder.close()

    def render(self, request: ClipRequest, out_path: Path) -> ClipResult:
        import numpy as np
        from PIL import Image

        from sparkle_cli.backends.torch_utils import measure
        from sparkle_cli.backends.video.morph import load_keyframe
        from sparkle_cli.media.video import VideoWriter, first_last_frames, psnr

        if self.holder.pipe is None:
            raise RuntimeError("the wan backend was used before load()")
        if request.num_frames < 1:
            raise ValueError(f"shot {request.shot_id}: num_frames must be at least 1, got {request.num_frames}")
        area = render_area(self.options.get("resolution"), self.holder.location)
        width, height = render_size(request.width, request.height, area)
        start, _ = load_keyframe(request.start_image, width, height)
        end, _ = load_keyframe(request.end_image, width, height)
        start_plan, _ = load_keyframe(request.start_image, request.width, request.height)
        end_plan, _ = load_keyframe(request.end_image, request.width, request.height)
        windows = window_plan(request.num_frames, int(self.options.get("window_frames", 81)))
        steps = int(self.options.get("steps", 30))
        guidance = float(self.options.get("guidance", 5.0))

        frames: list[np.ndarray] = []
        with measure(self.holder.device) as stats:
            seed_image = start
            for index, count in enumerate(windows):
                last = index == len(windows) - 1
                window = self._window(
                    request,
                    seed_image,
                    end if last else None,
                    end,
                    count,
                    width,
                    height,
                    steps,
                    guidance,
                    request.seed + index,
                )
                frames += window if index == 0 else window[1:]
                seed_image = Image.fromarray(window[-1])
            vae = self._vae_roundtrip([start, end]) if self.options.get("measure_vae", True) else [None, None]

        start_px, end_px = np.asarray(start), np.asarray(end)
        model_first, model_last = psnr(frames[0], start_px), psnr(frames[-1], end_px)
        chosen = [
            np.ascontiguousarray(to_plan_size(frames[i], request.width, request.height))
            for i in resample_indices(len(frames), request.num_frames)
        ]
        start_target, end_target = np.asarray(start_plan), np.asarray(end_plan)
        pinned = str(self.options.get("endpoints", "pinned")) == "pinned"
        if pinned:
            # The keyframes at the plan's size: shot N ends on exactly the picture shot N+1 starts on.
            chosen[0] = start_target
            if len(chosen) > 1:
                chosen[-1] = end_target

        with VideoWriter(
            out_path, fps=request.fps, width=request.width, height=request.height, crf=int(self.options.get("crf", 18))
        ) as writer:
            for i, frame in enumerate(chosen):
                # The last frame is the next shot's first: encode it as an intra frame, as morph does.
                writer.write(frame, keyframe=i == len(chosen) - 1)

        face_tracks, mouth_tracks = self._faces(request, chosen)
        first, final = first_last_frames(out_path)
        if request.num_frames <= 1:
            end_target = start_target
        steps_run = steps * len(windows)
        metadata = {
            **self.holder.facts(),
            "model_id": self.holder.location,
            "model_family": "flf2v" if self.first_last else "i2v",
            "seed": int(request.seed),
            "steps": steps,
            "guidance": guidance,
            "render_size": [width, height],
            "negative_prompt": self._negative_prompt(),
            "faces_found": {c: sum(1 for b in t if b) for c, t in face_tracks.items()},
            "wan_frames": windows,
            "windows": len(windows),
            "frames_rendered": len(frames),
            "endpoints": "pinned" if pinned else "model",
            "first_frame_psnr_db": _db(psnr(first, start_target)),
            "last_frame_psnr_db": _db(psnr(final, end_target)),
            "model_first_frame_psnr_db": _db(model_first),
            "model_last_frame_psnr_db": _db(model_last),
            "vae_roundtrip_psnr_db": [None if v is None else _db(v) for v in vae],
            "peak_memory_mib": stats["peak_memory_mib"],
            "seconds": stats["seconds"],
            "seconds_per_step": round(stats["seconds"] / max(1, steps_run), 4),
        }
        return ClipResult(
            path=str(out_path),
            num_frames=request.num_frames,
            fps=request.fps,
            width=request.width,
            height=request.height,
            camera={"model": "wan", "prompt": request.motion_prompt},
            mouth_tracks=mouth_tracks,
            face_tracks=face_tracks,
            metadata=metadata,
        )

    def _negative_prompt(self) -> str | None:
        if "negative_prompt" in self.options:
            return str(self.options["negative_prompt"] or "") or None
        return default_negative_prompt(self.first_last)

    def _faces(
        self, request: ClipRequest, frames: list[Any]
    ) -> tuple[dict[str, list[Box | None]], dict[str, list[Box | None]]]:
        """Face and mouth boxes per frame for each character the keyframes found a face for."""
        from sparkle_cli.backends import face_detect

        if not self.options.get("detect_faces", True):
            return {}, {}
        known: dict[str, list[FaceInfo | None]] = {}
        for index, faces in enumerate((request.start_faces, request.end_faces)):
            for face in faces:
                known.setdefault(face.character_id, [None, None])[index] = face
        face_tracks: dict[str, list[Box | None]] = {}
        mouth_tracks: dict[str, list[Box | None]] = {}
        height, width = frames[0].shape[:2]
        for character, (first, last) in known.items():
            found = face_detect.track_face(
                frames,
                tuple(first.face_box) if first else None,  # type: ignore[arg-type]
                tuple(last.face_box) if last else None,  # type: ignore[arg-type]
            )
            if not any(found):
                continue  # no face in the frames: the lipsync stage lets this character be heard off-screen
            face_tracks[character] = [face_detect.pad_box(b, width, height) if b else None for b in found]
            mouth_tracks[character] = [face_detect.mouth_box(b) if b else None for b in found]
        return face_tracks, mouth_tracks

    def _window(
        self,
        request: ClipRequest,
        image: Any,
        last_image: Any,
        target: Any,
        count: int,
        width: int,
        height: int,
        steps: int,
        guidance: float,
        seed: int,
    ) -> list[Any]:
        """One pipeline call: `count` frames from `image`, ending on `last_image` when given."""
        import numpy as np
        import torch

        pipe = self.holder.pipe
        # FLF2V checkpoints always embed two CLIP images; a plain I2V one takes exactly one.
        clip_images = [image, target] if self.first_last else [image]
        encode = type(pipe).encode_image
        prompt = ". ".join(p for p in (request.motion_prompt.strip(), request.description.strip()) if p)
        negative = self._negative_prompt()
        generator_device = "cpu" if self.holder.device == "mps" else self.holder.device

        def call() -> Any:
            generator = torch.Generator(device=generator_device).manual_seed(int(seed) % 2**63)
            pipe.encode_image = lambda _images, device: encode(pipe, clip_images, device)
            try:
                return pipe(
                    image=image,
                    last_image=last_image,
                    prompt=prompt or "a film shot",
                    negative_prompt=negative,
                    height=height,
                    width=width,
                    num_frames=count,
                    num_inference_steps=steps,
                    guidance_scale=guidance,
                    generator=generator,
                    max_sequence_length=int(self.options.get("max_sequence_length", 512)),
                    output_type="np",
                ).frames[0]
            finally:
                del pipe.encode_image

        video = self.holder.run(call, f"wan clip {request.shot_id}")
        return [np.clip(np.rint(frame * 255.0), 0, 255).astype(np.uint8) for frame in video]

    def _vae_roundtrip(self, images: list[Any]) -> list[float]:
        """PSNR of each keyframe through the VAE alone: the ceiling for the model's own end frames."""
        import numpy as np
        import torch

        from sparkle_cli.backends.diffusers_common import execution_device
        from sparkle_cli.media.video import psnr

        vae = self.holder.pipe.vae
        # Under model_cpu_offload the weights sit on the CPU between calls and the hook moves them to
        # the GPU on the call: the input must go where the hook runs the VAE, not where its weights are.
        device = execution_device(vae)
        out = []
        with torch.no_grad():
            for image in images:
                pixels = np.asarray(image, dtype=np.float32) / 127.5 - 1.0
                x = torch.from_numpy(pixels).permute(2, 0, 1)[None, :, None].to(device, vae.dtype)
                decoded = vae.decode(vae.encode(x).latent_dist.mode()).sample
                back = ((decoded[0, :, 0].float().clamp(-1, 1) + 1) * 127.5).round().byte()
                out.append(psnr(back.permute(1, 2, 0).cpu().numpy(), np.asarray(image)))
        return out
