"""The `sdxl` image backend: keyframes from a diffusers StableDiffusionXLPipeline (base, Turbo or Lightning).

Options (`render_profile.images.options`):
  model_path   local diffusers folder or hub id (default: options.model_id's checkpoint, else SDXL base 1.0)
  device       auto | cuda | mps | cpu            dtype   auto | bf16 | fp16 | fp32
  steps        denoising steps (30; 4 for Turbo/Lightning checkpoints, found by name)
  guidance     classifier-free guidance scale (5.0; 0 for Turbo/Lightning)
  memory       auto (default) | none | model_cpu_offload | group_offload | vae_tiling (comma-separated)
  attention    sdpa (default) or a diffusers attention backend name
  variant      weight files to fetch, e.g. fp16 (half the download; the T4 tier sets it for hub checkpoints)
  batch_size   keyframes per pipeline call in `render_batch` (4)
  base_resolution  side of the square whose area the render matches (1024); the picture is then
               scaled and centre-cropped to the plan's size without distortion
  negative_prompt, download (true: fetch a hub checkpoint that is not cached)

Consistent characters (IP-Adapter, through diffusers' `load_ip_adapter`): before the first keyframe
that shows a character, the backend paints one reference portrait of that character (its name and
description, a seed from its id) and every keyframe showing the character is conditioned on that
portrait. A character is shown when it is the close-up's speaker or its name (or id) is in the
keyframe's prompt or setting. Portraits are kept in `characters/` beside the keyframes and reused.
  ip_adapter   folder or hub id holding the adapter (h94/IP-Adapter; also `models: {ip_adapter: DIR}`,
               SPARKLE_MODEL_PATH_IP_ADAPTER or --model-path ip_adapter=DIR); "none" turns it off
  ip_adapter_weight         sdxl_models/ip-adapter_sdxl.safetensors (subfolder/file inside it)
  ip_adapter_image_encoder  sdxl_models/image_encoder (ViT-bigG; the *_vit-h adapters use models/image_encoder)
  ip_adapter_scale          0.6: how strongly the portrait steers a keyframe

Faces: on a talking close-up keyframe the speaker's face is found (OpenCV Haar cascades, see
face_detect) and recorded, padded as Wav2Lip pads it, with its mouth box (`ImageResult.faces`).

The model loads once per stage. The stage asks for one keyframe per call (each keyframe has its
own QA and retries), so `render` is a batch of one; `render_batch` groups keyframes of the same
size and characters into one call for callers that have several at hand (the benchmark).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from pathlib import Path
from typing import Any, ClassVar

from sparkle_cli.backends.base import (
    BackendUnavailable,
    CharacterLook,
    FaceInfo,
    ImageBackend,
    ImageRequest,
    ImageResult,
)
from sparkle_cli.backends.diffusers_common import PipelineHolder, checkpoint_for, checkpoint_problem, sampling_defaults

DEFAULT_MODEL = "sdxl"
SIZE_MULTIPLE = 32
IP_ADAPTER = "h94/IP-Adapter"
IP_ADAPTER_WEIGHT = "sdxl_models/ip-adapter_sdxl.safetensors"
IP_ADAPTER_ENCODER = "sdxl_models/image_encoder"
IP_ADAPTER_SCALE = 0.6
PORTRAIT_PROMPT = "portrait photo of {name}, {description}, head and shoulders, facing the camera, plain background"
IP_HINT = (
    "download it (huggingface-cli download h94/IP-Adapter sdxl_models/ip-adapter_sdxl.safetensors "
    "--include 'sdxl_models/image_encoder/*'), point render_profile.images.options.ip_adapter, "
    "`models: {ip_adapter: DIR}` or SPARKLE_MODEL_PATH_IP_ADAPTER at a folder holding it, "
    "or set render_profile.images.options.ip_adapter: none"
)


def ip_adapter_location(options: dict[str, Any]) -> str | None:
    """Where the IP-Adapter is (options, then configuration, then the public repo), or None when it is off."""
    from sparkle_cli import config

    value = options.get("ip_adapter", "default")
    if value in (None, False, "none", "off", ""):
        return None
    if value not in (True, "default"):
        return str(value)
    return os.environ.get("SPARKLE_MODEL_PATH_IP_ADAPTER") or config.model_path("ip_adapter") or IP_ADAPTER


def ip_adapter_problem(options: dict[str, Any]) -> str | None:
    """None when the configured IP-Adapter can be loaded without a download, else what to do."""
    location = ip_adapter_location(options)
    if location is None:
        return None
    weight = str(options.get("ip_adapter_weight") or IP_ADAPTER_WEIGHT)
    encoder = str(options.get("ip_adapter_image_encoder") or IP_ADAPTER_ENCODER)
    path = Path(location).expanduser()
    if path.is_dir() or location.startswith((".", "/", "~")):
        missing = [str(path / p) for p in (weight, f"{encoder}/config.json") if not (path / p).is_file()]
        return f"the IP-Adapter is missing {', '.join(missing)}; {IP_HINT}" if missing else None
    if options.get("download"):
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return f"the IP-Adapter {location} is not downloaded; {IP_HINT}"
    if not all(isinstance(try_to_load_from_cache(location, p), str) for p in (weight, f"{encoder}/config.json")):
        return f"the IP-Adapter {location} ({weight}) is not downloaded; {IP_HINT}"
    return None


def characters_shown(request: ImageRequest) -> list[CharacterLook]:
    """The characters a keyframe shows: its close-up's speaker, those named in its prompt or setting, in_frame."""
    text = f"{request.prompt} {request.setting}".lower()
    shown = []
    for look in request.characters:
        named = any(
            word and re.search(rf"(?<![a-z0-9]){re.escape(word.lower())}(?![a-z0-9])", text)
            for word in (look.name, look.id)
        )
        if look.id == request.closeup_character or look.id in request.in_frame or named:
            shown.append(look)
    return shown


def portrait_seed(look: CharacterLook) -> int:
    return int.from_bytes(hashlib.sha256(f"portrait\x1f{look.id}".encode()).digest()[:4], "big") & 0x7FFFFFFF


def render_size(width: int, height: int, base: int) -> tuple[int, int]:
    """The plan's aspect ratio at about base x base pixels, each side a multiple of 32."""
    aspect = width / height
    w = max(SIZE_MULTIPLE, round(math.sqrt(base * base * aspect) / SIZE_MULTIPLE) * SIZE_MULTIPLE)
    h = max(SIZE_MULTIPLE, round(math.sqrt(base * base / aspect) / SIZE_MULTIPLE) * SIZE_MULTIPLE)
    return int(w), int(h)


def full_prompt(request: ImageRequest) -> str:
    """The keyframe prompt with its scene and, on a close-up, who is in it."""
    parts = [request.prompt.strip()]
    if request.setting.strip():
        parts.append(request.setting.strip())
    looks = {c.id: c for c in request.characters}
    if request.closeup_character and request.closeup_character in looks:
        look = looks[request.closeup_character]
        parts.append(f"close-up portrait of {look.name}, {look.description}".strip(", "))
    return ", ".join(p for p in parts if p)


class SDXLBackend(ImageBackend):
    """Stable Diffusion XL through diffusers; one model load per stage."""

    name: ClassVar[str] = "sdxl"
    version: ClassVar[str] = "1"
    holds_model: ClassVar[bool] = True

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.holder = PipelineHolder("image", "images", self.options)
        self.ip_adapter: str | None = None
        self.portraits: dict[str, Any] = {}

    @classmethod
    def check(cls) -> None:
        from sparkle_cli.backends.torch_utils import require

        require("torch", "diffusers", "transformers", what="the sdxl image backend")
        from sparkle_cli.backends import face_detect

        problem = face_detect.available()
        if problem:
            raise BackendUnavailable(f"the sdxl image backend finds faces for lipsync: {problem}")

    @classmethod
    def preflight(cls, options: dict[str, Any]) -> str | None:
        return checkpoint_problem(
            checkpoint_for(options, DEFAULT_MODEL), "image", allow_download=bool(options.get("download"))
        ) or ip_adapter_problem(options)

    def settings(self) -> dict[str, Any]:
        # The adapter can come from the configuration: it decides the pictures, so it is fingerprinted.
        return {**super().settings(), "ip_adapter": ip_adapter_location(self.options)}

    def load(self) -> None:
        from diffusers import StableDiffusionXLPipeline

        self.portraits = {}
        self.holder.load(StableDiffusionXLPipeline, DEFAULT_MODEL, prepare=self._load_ip_adapter)
        self.device = self.holder.device

    def _load_ip_adapter(self, pipe: Any) -> None:
        """Load the IP-Adapter before the pipeline is placed, so its image encoder is offloaded with the rest."""
        self.ip_adapter = ip_adapter_location(self.options)
        if self.ip_adapter is None:
            return
        problem = ip_adapter_problem(self.options)
        if problem:
            raise BackendUnavailable(problem)
        weight = Path(str(self.options.get("ip_adapter_weight") or IP_ADAPTER_WEIGHT))
        encoder = str(self.options.get("ip_adapter_image_encoder") or IP_ADAPTER_ENCODER)
        path = Path(self.ip_adapter).expanduser()
        source = str(path) if path.is_dir() else self.ip_adapter
        try:
            pipe.load_ip_adapter(
                source,
                subfolder=weight.parent.as_posix() if weight.parent != Path(".") else "",
                weight_name=weight.name,
                # A path with a slash is taken from the adapter's root, not from inside `subfolder`.
                image_encoder_folder=encoder if "/" in encoder else f"{weight.parent.as_posix()}/{encoder}",
            )
        except (OSError, ValueError, KeyError) as exc:
            raise BackendUnavailable(f"cannot load the IP-Adapter from {self.ip_adapter}: {exc}; {IP_HINT}") from exc

    def close(self) -> None:
        self.holder.close()

    def sampling(self) -> tuple[int, float]:
        steps, guidance = sampling_defaults(self.holder.location or checkpoint_for(self.options, DEFAULT_MODEL), "sdxl")
        return int(self.options.get("steps", steps)), float(self.options.get("guidance", guidance))

    def render(self, request: ImageRequest, out_path: Path) -> ImageResult:
        return self.render_batch([request], [out_path])[0]

    def render_batch(self, requests: list[ImageRequest], out_paths: list[Path]) -> list[ImageResult]:
        """Render keyframes `batch_size` at a time; each keeps its own seed, so batching never changes a picture."""
        if self.holder.pipe is None:
            raise RuntimeError("the sdxl backend was used before load()")
        size = int(self.options.get("batch_size", 4))
        results: list[ImageResult] = []
        for start in range(0, len(requests), max(1, size)):
            chunk = list(zip(requests[start : start + size], out_paths[start : start + size], strict=True))
            # One pipeline call takes one set of reference portraits: group by size and characters shown.
            groups: dict[tuple[Any, ...], list[tuple[ImageRequest, Path]]] = {}
            for pair in chunk:
                shown = tuple(c.id for c in characters_shown(pair[0])) if self.ip_adapter else ()
                groups.setdefault((pair[0].width, pair[0].height, shown), []).append(pair)
            done = {id(req): res for group in groups.values() for req, res in self._render_group(group)}
            results += [done[id(req)] for req, _ in chunk]
        return results

    def _portrait(self, look: CharacterLook, folder: Path) -> Any:
        """The character's reference portrait: from memory, from `folder`, or painted now (once per stage)."""
        from PIL import Image

        steps, guidance = self.sampling()
        base = int(self.options.get("base_resolution", 1024))
        key = hashlib.sha256(
            repr((look.id, look.name, look.description, self.holder.location, steps, guidance, base)).encode()
        ).hexdigest()[:12]
        if key in self.portraits:
            return self.portraits[key]
        path = folder / "characters" / f"{look.id}-{key}.png"
        if path.is_file():
            with Image.open(path) as saved:
                self.portraits[key] = saved.convert("RGB")
            return self.portraits[key]
        prompt = PORTRAIT_PROMPT.format(name=look.name, description=look.description).replace(", ,", ",")
        image = self._call([prompt], [portrait_seed(look)], base, base, None, f"portrait of {look.id}")[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        image.save(tmp, format="PNG")
        os.replace(tmp, path)
        self.portraits[key] = image.convert("RGB")
        return self.portraits[key]

    def _call(
        self, prompts: list[str], seeds: list[int], width: int, height: int, portraits: list[Any] | None, what: str
    ) -> list[Any]:
        """One pipeline call; `portraits` condition it through the IP-Adapter (None: the adapter is silent)."""
        import torch
        from PIL import Image

        steps, guidance = self.sampling()
        generator_device = "cpu" if self.holder.device == "mps" else self.holder.device
        negative = str(self.options.get("negative_prompt", "")) or None
        extra: dict[str, Any] = {}
        if self.ip_adapter:
            # The UNet always takes image tokens once an adapter is loaded; scale 0 makes them count for nothing.
            self.holder.pipe.set_ip_adapter_scale(
                float(self.options.get("ip_adapter_scale", IP_ADAPTER_SCALE)) if portraits else 0.0
            )
            extra["ip_adapter_image"] = [portraits or [Image.new("RGB", (224, 224), (128, 128, 128))]]

        def call() -> Any:
            generators = [torch.Generator(device=generator_device).manual_seed(int(seed)) for seed in seeds]
            return self.holder.pipe(
                prompt=prompts,
                negative_prompt=[negative] * len(prompts) if negative and guidance > 1 else None,
                num_inference_steps=steps,
                guidance_scale=guidance,
                height=height,
                width=width,
                generator=generators,
                **extra,
            ).images

        return list(self.holder.run(call, what))

    def _render_group(self, group: list[tuple[ImageRequest, Path]]) -> list[tuple[ImageRequest, ImageResult]]:
        from sparkle_cli.backends.torch_utils import measure
        from sparkle_cli.backends.video.morph import fit_to

        first = group[0][0]
        width, height = render_size(first.width, first.height, int(self.options.get("base_resolution", 1024)))
        steps, guidance = self.sampling()
        shown = characters_shown(first) if self.ip_adapter else []
        with measure(self.holder.device) as stats:
            portraits = [self._portrait(look, group[0][1].parent) for look in shown] or None
            images = self._call(
                [full_prompt(r) for r, _ in group],
                [int(r.seed) for r, _ in group],
                width,
                height,
                portraits,
                f"sdxl keyframe {first.image_id}",
            )
        out = []
        for (request, path), image in zip(group, images, strict=True):
            fitted, _ = fit_to(image.convert("RGB"), request.width, request.height)
            fitted.save(path, format="PNG")
            faces = self._faces(request, fitted)
            metadata = {
                **self.holder.facts(),
                "model_id": self.holder.location,
                "seed": int(request.seed),
                "steps": steps,
                "guidance": guidance,
                "render_size": [width, height],
                "batch": len(group),
                "ip_adapter": self.ip_adapter,
                "reference_portraits": [look.id for look in shown],
                "faces_found": [f.character_id for f in faces],
                "peak_memory_mib": stats["peak_memory_mib"],
                "seconds": round(stats["seconds"] / len(group), 4),
                "seconds_per_step": round(stats["seconds"] / max(1, steps), 4),
            }
            out.append(
                (
                    request,
                    ImageResult(
                        str(path), int(request.seed), request.width, request.height, faces=faces, metadata=metadata
                    ),
                )
            )
        return out

    def _faces(self, request: ImageRequest, picture: Any) -> list[FaceInfo]:
        """The close-up speaker's face, when one is found: the largest face in the keyframe."""
        import numpy as np

        from sparkle_cli.backends import face_detect

        if not request.closeup_character:
            return []
        found = face_detect.detect_faces(np.asarray(picture))
        if not found:
            return []
        box = found[0]
        return [
            FaceInfo(
                request.closeup_character,
                face_detect.pad_box(box, request.width, request.height),
                face_detect.mouth_box(box),
            )
        ]
