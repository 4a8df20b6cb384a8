"""The `sdxl` image backend: keyframes from a diffusers StableDiffusionXLPipeline (base, Turbo or Lightning).

Options (`render_profile.images.options`):
  model_path   local diffusers folder or hub id (default: options.model_id's checkpoint, else SDXL base 1.0)
  device       auto | cuda | mps | cpu            dtype   auto | bf16 | fp16 | fp32
  steps        denoising steps (30; 4 for Turbo/Lightning checkpoints, found by name)
  guidance     classifier-free guidance scale (5.0; 0 for Turbo/Lightning)
  memory       none | model_cpu_offload | group_offload | vae_tiling (comma-separated to combine)
  attention    sdpa (default) or a diffusers attention backend name
  batch_size   keyframes per pipeline call in `render_batch` (4)
  base_resolution  side of the square whose area the render matches (1024); the picture is then
               scaled and centre-cropped to the plan's size without distortion
  negative_prompt, download (true: fetch a hub checkpoint that is not cached)

The model loads once per stage. The stage asks for one keyframe per call (each keyframe has its
own QA and retries), so `render` is a batch of one; `render_batch` groups keyframes of the same
size into one call for callers that have several at hand (the benchmark).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

from sparkle_cli.backends.base import ImageBackend, ImageRequest, ImageResult
from sparkle_cli.backends.diffusers_common import PipelineHolder, checkpoint_for, checkpoint_problem, sampling_defaults

DEFAULT_MODEL = "sdxl"
SIZE_MULTIPLE = 32


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

    @classmethod
    def check(cls) -> None:
        from sparkle_cli.backends.torch_utils import require

        require("torch", "diffusers", "transformers", what="the sdxl image backend")

    @classmethod
    def preflight(cls, options: dict[str, Any]) -> str | None:
        return checkpoint_problem(
            checkpoint_for(options, DEFAULT_MODEL), "image", allow_download=bool(options.get("download"))
        )

    def load(self) -> None:
        from diffusers import StableDiffusionXLPipeline

        self.holder.load(StableDiffusionXLPipeline, DEFAULT_MODEL)
        self.device = self.holder.device

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
            groups: dict[tuple[int, int], list[tuple[ImageRequest, Path]]] = {}
            for pair in chunk:
                groups.setdefault((pair[0].width, pair[0].height), []).append(pair)
            done = {id(req): res for group in groups.values() for req, res in self._render_group(group)}
            results += [done[id(req)] for req, _ in chunk]
        return results

    def _render_group(self, group: list[tuple[ImageRequest, Path]]) -> list[tuple[ImageRequest, ImageResult]]:
        import torch

        from sparkle_cli.backends.torch_utils import measure
        from sparkle_cli.backends.video.morph import fit_to

        first = group[0][0]
        width, height = render_size(first.width, first.height, int(self.options.get("base_resolution", 1024)))
        steps, guidance = self.sampling()
        generator_device = "cpu" if self.holder.device == "mps" else self.holder.device
        negative = str(self.options.get("negative_prompt", "")) or None

        def call() -> Any:
            generators = [torch.Generator(device=generator_device).manual_seed(int(r.seed)) for r, _ in group]
            return self.holder.pipe(
                prompt=[full_prompt(r) for r, _ in group],
                negative_prompt=[negative] * len(group) if negative and guidance > 1 else None,
                num_inference_steps=steps,
                guidance_scale=guidance,
                height=height,
                width=width,
                generator=generators,
            ).images

        with measure(self.holder.device) as stats:
            images = self.holder.run(call, f"sdxl keyframe {first.image_id}")
        out = []
        for (request, path), image in zip(group, images, strict=True):
            fitted, _ = fit_to(image.convert("RGB"), request.width, request.height)
            fitted.save(path, format="PNG")
            metadata = {
                **self.holder.facts(),
                "model_id": self.holder.location,
                "seed": int(request.seed),
                "steps": steps,
                "guidance": guidance,
                "render_size": [width, height],
                "batch": len(group),
                "peak_memory_mib": stats["peak_memory_mib"],
                "seconds": round(stats["seconds"] / len(group), 4),
                "seconds_per_step": round(stats["seconds"] / max(1, steps), 4),
            }
            out.append(
                (request, ImageResult(str(path), int(request.seed), request.width, request.height, metadata=metadata))
            )
        return out
