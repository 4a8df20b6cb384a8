"""GPU tiers: which models, sizes, dtypes and memory options the `gpu` profile picks for a machine.

One table (TIERS) says per tier what runs; `choose` picks the first tier whose GPU memory and
host RAM the machine has. The figures for peak memory and time are estimates, each saying what
it is scaled from; none was measured on that hardware here. Nothing in this module imports torch
unless it must ask torch about the GPU (nvidia-smi is asked first).
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

TIER_ENV = "SPARKLE_GPU_TIER"


@dataclass(frozen=True)
class Machine:
    gpu: str  # "" when no CUDA GPU is seen
    vram_gib: float
    ram_gib: float
    capability: tuple[int, int] = (0, 0)

    @property
    def bf16(self) -> bool:
        """bfloat16 in hardware: Ampere (8.0) and later. A T4 (7.5) only emulates it."""
        return self.capability >= (8, 0)


@dataclass(frozen=True)
class Tier:
    name: str
    title: str
    min_vram_gib: float
    min_ram_gib: float
    video_model: str  # a render_profile.video.model_id; builtin-morph when Wan does not fit
    video_size: tuple[int, int]
    video_fps: int
    video_options: dict[str, Any]
    image_options: dict[str, Any]
    qa_model: str
    qa_dtype: str
    dtype: str
    peak: str  # expected peak GPU memory of the heaviest stage
    clip_time: str  # expected time per clip (one 81-frame Wan window, 5 s at 16 fps)
    source: str  # where the estimates come from
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def runs_wan(self) -> bool:
        return self.video_model != "builtin-morph"


SDXL = "stabilityai/stable-diffusion-xl-base-1.0"
#: Anchors the estimates are scaled from (public figures, not measured here).
ANCHORS = (
    "Wan I2V-14B at 480p, 40 steps, 81 frames: about 391 s with plain diffusers on an H100; "
    "Wan T2V-1.3B at 480p: about 4 min on an RTX 4090 (Wan 2.1 README); SDXL base at 1024x1024, 30 steps: "
    "2.4-4.6 s on an A100"
)

TIERS: tuple[Tier, ...] = (
    Tier(
        name="80gb",
        title="80 GB GPU (A100 80GB, H100, H200)",
        min_vram_gib=70,
        min_ram_gib=60,
        video_model="wan-2.1-flf2v-14b",
        video_size=(1280, 720),
        video_fps=16,
        video_options={"dtype": "bf16", "memory": "none", "resolution": "720p", "steps": 30},
        image_options={"dtype": "bf16", "memory": "none", "base_resolution": 1024},
        qa_model="Qwen/Qwen2-VL-7B-Instruct",
        qa_dtype="bf16",
        dtype="bf16",
        peak="about 55-60 GiB (Wan: 47 GB of weights, VAE and CLIP in fp32, plus 720p activations and decode)",
        clip_time="about 19 min on an H100, about 55 min on an A100",
        source="the H100 anchor (391 s at 480p, 40 steps) scaled by the FLOPs of 720p (75,600 tokens, "
        "attention quadratic) at 30 steps; A100 by peak bf16 throughput",
    ),
    Tier(
        name="40gb",
        title="40-48 GB GPU (A100 40GB, A6000, L40S)",
        min_vram_gib=38,
        min_ram_gib=60,
        video_model="wan-2.1-flf2v-14b",
        video_size=(1280, 720),
        video_fps=16,
        video_options={
            "dtype": "bf16",
            "memory": "model_cpu_offload,vae_tiling",
            "resolution": "720p",
            "steps": 30,
        },
        image_options={"dtype": "bf16", "memory": "none", "base_resolution": 1024},
        qa_model="Qwen/Qwen2-VL-7B-Instruct",
        qa_dtype="bf16",
        dtype="bf16",
        peak="about 36 GiB (the 14B transformer, 33 GB in bf16, alone on the GPU, plus activations)",
        clip_time="about 60 min on an A100 40GB",
        source="the 80 GB tier's A100 figure plus moving the transformer in and out once per window",
        notes=(
            "Wan 14B runs one model at a time on the GPU (model_cpu_offload); loading it needs about "
            "50 GB of host RAM. On an out-of-memory error it steps to group_offload by itself.",
        ),
    ),
    Tier(
        name="24gb",
        title="24 GB GPU (RTX 3090/4090, L4, A10G)",
        min_vram_gib=20,
        min_ram_gib=28,
        video_model="wan-2.1-i2v-1.3b",
        video_size=(832, 480),
        video_fps=16,
        video_options={
            "dtype": "bf16",
            "memory": "model_cpu_offload,vae_tiling",
            "resolution": "480p",
            "steps": 30,
        },
        image_options={"dtype": "bf16", "memory": "none", "base_resolution": 1024},
        qa_model="Qwen/Qwen2-VL-2B-Instruct",
        qa_dtype="bf16",
        dtype="bf16",
        peak="about 13 GiB (UMT5-XXL text encoder in bf16 while it runs; the 1.3B transformer is 3 GB)",
        clip_time="about 2.5 min on an RTX 4090, 5-7 min on an L4 or A10G",
        source="Wan's README (T2V-1.3B, 480p, about 4 min on a 4090 at 50 steps) scaled to 30 steps",
        notes=(
            "Wan 2.1 14B does not fit a 24 GB card without streaming every layer from the CPU (over "
            "an hour per clip); this tier uses Wan2.1-Fun-1.3B-InP, which takes first and last frames, at 480p.",
        ),
    ),
    Tier(
        name="t4",
        title="16 GB T4 with a 12 GB-RAM runtime (Colab)",
        min_vram_gib=14,
        min_ram_gib=11,
        video_model="builtin-morph",
        video_size=(960, 540),
        video_fps=24,
        video_options={},
        image_options={
            "dtype": "fp16",
            "memory": "vae_tiling",
            "base_resolution": 1024,
            "variant": "fp16",
            # The ViT-H image encoder (1.3 GB in fp16) instead of ViT-bigG (3.7 GB): it leaves room on a T4.
            "ip_adapter_weight": "sdxl_models/ip-adapter_sdxl_vit-h.safetensors",
            "ip_adapter_image_encoder": "models/image_encoder",
        },
        qa_model="Qwen/Qwen2-VL-2B-Instruct",
        qa_dtype="fp16",
        dtype="fp16",
        peak="about 10 GiB (SDXL in fp16 with the ViT-H IP-Adapter encoder, VAE tiled)",
        clip_time="keyframes: about 15-45 s each; clips: seconds (the built-in animator)",
        source="the A100 SDXL anchor scaled by the T4's fp16 throughput (65 vs 312 TFLOP/s) and memory "
        "bandwidth (320 GB/s vs 1.5 TB/s) gives 12-22 s; a T4 seldom reaches the same share of its peak",
        notes=(
            "Wan does not fit here: its UMT5-XXL text encoder alone is 11 GB in half precision (and T5 "
            "overflows in fp16), and 12 GB of RAM cannot stage the pipeline for offloading. Clips are "
            "animated from the SDXL keyframes by the built-in animator.",
            "A T4 has no bfloat16 in hardware, so every model runs in fp16.",
        ),
    ),
)
TIER_NAMES = tuple(t.name for t in TIERS)


def tier(name: str) -> Tier:
    for t in TIERS:
        if t.name == name:
            return t
    raise KeyError(f"unknown GPU tier {name!r}: use {', '.join(TIER_NAMES)}")


def choose(machine: Machine) -> tuple[Tier, list[str]]:
    """The best tier this machine can run, and why (notes to show the person)."""
    why = []
    for candidate in TIERS:
        if machine.vram_gib < candidate.min_vram_gib:
            continue
        if machine.ram_gib < candidate.min_ram_gib:
            why.append(
                f"the {candidate.name} tier needs {candidate.min_ram_gib:.0f} GiB of RAM to load its models; "
                f"this machine has {machine.ram_gib:.1f} GiB"
            )
            continue
        if candidate.dtype == "bf16" and machine.gpu and not machine.bf16:
            why.append(f"{machine.gpu} has no bfloat16 in hardware: every model runs in fp16")
        return candidate, why
    last = TIERS[-1]
    why.append(
        f"{machine.gpu or 'this GPU'} has {machine.vram_gib:.1f} GiB, less than the smallest tier's "
        f"{last.min_vram_gib:.0f} GiB: the {last.name} tier may run out of memory (the backends then turn "
        "offloading on), or use --profile builtin"
    )
    return last, why


def ram_gib() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return 0.0


def _nvidia_smi() -> tuple[str, float, tuple[int, int]] | None:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.total,compute_cap", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout.strip()
        name, memory, cap = (part.strip() for part in out.splitlines()[0].split(","))
        major, _, minor = cap.partition(".")
        return name, float(memory) / 1024, (int(major), int(minor or 0))
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def _torch_gpu() -> tuple[str, float, tuple[int, int]] | None:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    if not torch.cuda.is_available():
        return None
    props = torch.cuda.get_device_properties(0)
    return props.name, props.total_memory / 2**30, tuple(torch.cuda.get_device_capability(0))  # type: ignore[return-value]


def detect() -> Machine:
    """The first CUDA GPU (nvidia-smi, else torch) and the host's RAM."""
    found = _nvidia_smi() or _torch_gpu()
    if found is None:
        return Machine("", 0.0, ram_gib())
    name, vram, capability = found
    return Machine(name, vram, ram_gib(), capability)


def describe(machine: Machine) -> str:
    if not machine.gpu:
        return f"no CUDA GPU, {machine.ram_gib:.1f} GiB RAM"
    return (
        f"{machine.gpu}, {machine.vram_gib:.1f} GiB, compute {machine.capability[0]}.{machine.capability[1]}, "
        f"{machine.ram_gib:.1f} GiB RAM"
    )


def render_profile(t: Tier) -> dict[str, Any]:
    """The `render_profile` of a tier: what the plan records and the stages read."""
    video: dict[str, Any] = {
        "model_id": t.video_model,
        "max_fps": t.video_fps,
        "width": t.video_size[0],
        "height": t.video_size[1],
    }
    if t.video_options:
        video["options"] = copy.deepcopy(t.video_options)
    return {
        "video": video,
        "images": {"backend": "sdxl", "model_id": SDXL, "options": copy.deepcopy(t.image_options)},
        "tts": {"backend": "chatterbox"},
        "qa": {"backend": "qwen2vl", "model_id": t.qa_model, "options": {"dtype": t.qa_dtype}},
        "lipsync": {"backend": "wav2lip"},
    }


def profile_for(name: str | None = None, machine: Machine | None = None) -> dict[str, Any]:
    """The `gpu` profile: the named tier, else SPARKLE_GPU_TIER, else the tier this machine fits.

    With no GPU in sight (planning on a laptop for a GPU server) the 80 GB tier is written, and the
    plan says so; `--profile gpu-24gb` and the like plan for another card.
    """
    notes: list[str] = []
    chosen_by = "named"
    name = name or os.environ.get(TIER_ENV) or None
    if name:
        try:
            chosen = tier(name)
        except KeyError as exc:
            from sparkle_cli.errors import UsageError

            raise UsageError(str(exc.args[0])) from None
    else:
        machine = machine or detect()
        if machine.gpu:
            chosen, notes = choose(machine)
            chosen_by = describe(machine)
        else:
            chosen, chosen_by = TIERS[0], describe(machine)
            notes.append(
                "no CUDA GPU here: planned for the 80gb tier; use --profile gpu-40gb, gpu-24gb or gpu-t4 "
                "to plan for a smaller card"
            )
    profile = render_profile(chosen)
    if machine is not None and machine.gpu and not machine.bf16:
        for section in ("video", "images", "qa"):
            options = profile[section].get("options") or {}
            if options.get("dtype") == "bf16":
                options["dtype"] = "fp16"
    profile["gpu_tier"] = {
        "name": chosen.name,
        "title": chosen.title,
        "chosen_by": chosen_by,
        "peak_memory": chosen.peak,
        "time_per_clip": chosen.clip_time,
        "notes": [*notes, *chosen.notes],
    }
    return profile


def table_markdown() -> str:
    """The tier table as the README shows it."""
    rows = [
        "| tier | video model | video size | images | dtype | offload (video / images) | QA | peak GPU memory (estimate) | time per clip (estimate) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in TIERS:
        rows.append(
            f"| {t.name}: {t.title} | {t.video_model} | {t.video_size[0]}x{t.video_size[1]} @ {t.video_fps} fps "
            f"| SDXL base 1.0, {t.image_options.get('base_resolution')} px | {t.dtype} "
            f"| {t.video_options.get('memory', '-') or '-'} / {t.image_options.get('memory')} | {t.qa_model.split('/')[-1]} "
            f"| {t.peak} | {t.clip_time} |"
        )
    return "\n".join(rows)
