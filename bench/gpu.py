"""Seconds per denoising step and per image/clip, and peak memory: SDXL and Wan 2.1, plain diffusers vs our backends.

Full size (CUDA only) for a GPU tier (`--tier`, default: the tier this machine fits, see
sparkle_cli/gpu_tiers.py), built from the published configs with random weights (nothing is
downloaded): SDXL base at 1024x1024, 30 steps, in the tier's dtype; Wan 2.1 FLF2V-14B at 1280x720
(80gb, 40gb tiers) or the 1.3B model at 832x480 (24gb), 81 frames, with the tier's memory options;
the t4 tier has no Wan, so only SDXL runs. `--tiny` builds the test suite's tiny pipelines and
runs on the CPU in seconds.

(a) "plain": a diffusers script that loads the pipeline for every item; (b) "sparkle": our backend,
loaded once per stage. Anchors: SDXL 30 steps on an A100 takes 2.4 to 4.6 s; one SDXL UNet step at
1024x1024 is about 6.8 TFLOP, so 30 steps with CFG plus the VAE is about 0.5 s at 800 TFLOP/s.
Wan I2V-14B at 480p, 40 steps, with plain diffusers on an H100: about 391 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def save_full_sdxl(folder: Path) -> Path:
    """SDXL base 1.0's published component configs, random weights."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from tests.tiny_diffusion import clip_tokenizer

    tokenizer = clip_tokenizer()
    ids = {"bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1, "vocab_size": len(tokenizer)}
    te1 = CLIPTextConfig(
        hidden_size=768,
        intermediate_size=3072,
        num_attention_heads=12,
        num_hidden_layers=12,
        projection_dim=768,
        hidden_act="quick_gelu",
        **ids,
    )
    te2 = CLIPTextConfig(
        hidden_size=1280,
        intermediate_size=5120,
        num_attention_heads=20,
        num_hidden_layers=32,
        projection_dim=1280,
        hidden_act="gelu",
        **ids,
    )
    unet = UNet2DConditionModel(
        sample_size=128,
        in_channels=4,
        out_channels=4,
        layers_per_block=2,
        block_out_channels=(320, 640, 1280),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 2, 10),
        attention_head_dim=(5, 10, 20),
        cross_attention_dim=2048,
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2816,
    )
    vae = AutoencoderKL(
        block_out_channels=[128, 256, 512, 512],
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        latent_channels=4,
        layers_per_block=2,
        sample_size=1024,
        scaling_factor=0.13025,
        force_upcast=True,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1, timestep_spacing="leading"
    )
    pipe = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=CLIPTextModel(te1),
        text_encoder_2=CLIPTextModelWithProjection(te2),
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        unet=unet,
        scheduler=scheduler,
    )
    pipe.to(torch.bfloat16).save_pretrained(folder)
    return folder


#: Wan 2.1 transformers by checkpoint: the shapes that differ (both: heads of 128, UMT5 text dim 4096).
WAN_TRANSFORMERS: dict[str, dict[str, Any]] = {
    "1.3B": {"num_attention_heads": 12, "ffn_dim": 8960, "num_layers": 30},
    # FLF2V takes two CLIP images, each with its own row in the position table.
    "FLF2V-14B": {"num_attention_heads": 40, "ffn_dim": 13824, "num_layers": 40, "pos_embed_seq_len": 2 * 257},
}


def wan_parts(size: str) -> tuple[Any, Any]:
    """Wan's transformer in the I2V layout and its UMT5-XXL text encoder, random weights, built in the
    current default device and dtype."""
    from diffusers import WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel

    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        attention_head_dim=128,
        in_channels=36,
        out_channels=16,
        text_dim=4096,
        freq_dim=256,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        eps=1e-6,
        image_dim=1280,
        rope_max_seq_len=1024,
        **WAN_TRANSFORMERS[size],
    )
    text = UMT5EncoderModel(
        UMT5Config(
            vocab_size=256384,
            d_model=4096,
            d_kv=64,
            d_ff=10240,
            num_layers=24,
            num_heads=64,
            feed_forward_proj="gated-gelu",
            relative_attention_num_buckets=32,
        )
    )
    return transformer, text


def wan_pipeline(transformer: Any, text: Any, shift: float) -> Any:
    """The I2V pipeline around them: Wan's VAE and the CLIP ViT-H image encoder (fp32, in the current
    default device), random weights."""
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanImageToVideoPipeline
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    from tests.tiny_diffusion import umt5_tokenizer

    vision = CLIPVisionModel(
        CLIPVisionConfig(
            hidden_size=1280,
            intermediate_size=5120,
            num_attention_heads=16,
            num_hidden_layers=32,
            patch_size=14,
            image_size=224,
            hidden_act="gelu",
        )
    )
    return WanImageToVideoPipeline(
        tokenizer=umt5_tokenizer(),
        text_encoder=text,
        vae=AutoencoderKLWan(),
        transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=shift),
        image_encoder=vision,
        image_processor=CLIPImageProcessor(crop_size=224, size=224),
    )


def save_full_wan_13b(folder: Path) -> Path:
    """Wan 2.1 1.3B in the I2V layout with its VAE, UMT5-XXL and CLIP ViT-H shapes, random weights."""
    import torch

    transformer, text = wan_parts("1.3B")
    wan_pipeline(transformer, text, shift=3.0).to(torch.bfloat16).save_pretrained(folder)
    return folder


def save_full_wan_14b_flf2v(folder: Path, dtype: Any) -> Path:
    """Wan 2.1 FLF2V-14B with UMT5-XXL and CLIP ViT-H shapes, random weights, built on the GPU:
    the transformer and text encoder in `dtype`, the VAE and image encoder in fp32."""
    import torch

    # Built straight on the GPU in the target dtype: 16B parameters in fp32 on the host would need 65 GB.
    with torch.device("cuda"):
        torch.set_default_dtype(dtype)
        try:
            transformer, text = wan_parts("FLF2V-14B")
        finally:
            torch.set_default_dtype(torch.float32)
        pipe = wan_pipeline(transformer, text, shift=5.0)
    pipe.save_pretrained(folder)
    del pipe
    torch.cuda.empty_cache()
    return folder


def peak_mib(device: str) -> float:
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**20, 1) if device == "cuda" else 0.0


def plain_sdxl(folder: Path, device: str, dtype: Any, size: int, steps: int, items: int) -> dict[str, Any]:
    """(a) A plain script: load the pipeline, render one image, drop it; per item."""
    import torch
    from diffusers import StableDiffusionXLPipeline

    total = 0.0
    for i in range(items):
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        pipe = StableDiffusionXLPipeline.from_pretrained(folder, dtype=dtype).to(device)
        pipe.set_progress_bar_config(disable=True)
        pipe(
            prompt="a city at dawn",
            num_inference_steps=steps,
            height=size,
            width=size,
            generator=torch.Generator(device).manual_seed(i),
        )
        total += time.perf_counter() - started
        del pipe
    return {"per_item_s": total / items, "per_step_s": total / items / steps, "peak_mib": peak_mib(device)}


def plain_wan(
    folder: Path, device: str, dtype: Any, width: int, height: int, frames: int, steps: int, items: int
) -> dict[str, Any]:
    import torch
    from diffusers import WanImageToVideoPipeline
    from PIL import Image

    image = Image.new("RGB", (width, height), (90, 120, 160))
    total = 0.0
    for i in range(items):
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        pipe = WanImageToVideoPipeline.from_pretrained(folder, dtype=dtype).to(device)
        pipe.set_progress_bar_config(disable=True)
        pipe(
            image=image,
            prompt="the camera pans",
            height=height,
            width=width,
            num_frames=frames,
            num_inference_steps=steps,
            generator=torch.Generator(device).manual_seed(i),
            output_type="np",
        )
        total += time.perf_counter() - started
        del pipe
    return {"per_item_s": total / items, "per_step_s": total / items / steps, "peak_mib": peak_mib(device)}


def ours_sdxl(
    folder: Path, device: str, size: int, steps: int, items: int, work: Path, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    from sparkle_cli.backends.base import ImageRequest
    from sparkle_cli.backends.image.sdxl import SDXLBackend

    backend = SDXLBackend(
        {
            **(options or {}),
            "model_path": str(folder),
            "device": device,
            "steps": steps,
            "base_resolution": size,
            "ip_adapter": "none",  # no reference portraits: the same work as the plain script
        }
    )
    started = time.perf_counter()
    backend.load()
    results = [
        backend.render(ImageRequest(f"k{i}", "a city at dawn", i, size, size), work / f"k{i}.png") for i in range(items)
    ]
    total = time.perf_counter() - started
    backend.close()
    return {
        "per_item_s": total / items,
        "per_step_s": sum(r.metadata["seconds_per_step"] for r in results) / items,
        "peak_mib": max(r.metadata["peak_memory_mib"] for r in results),
    }


def ours_wan(
    folder: Path,
    device: str,
    width: int,
    height: int,
    frames: int,
    steps: int,
    items: int,
    work: Path,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from PIL import Image

    from sparkle_cli.backends.base import ClipRequest
    from sparkle_cli.backends.video.wan import WanBackend

    Image.new("RGB", (width, height), (90, 120, 160)).save(work / "a.png")
    Image.new("RGB", (width, height), (160, 120, 90)).save(work / "b.png")
    backend = WanBackend(
        {
            **(options or {}),
            "model_path": str(folder),
            "device": device,
            "steps": steps,
            "window_frames": frames,
            "measure_vae": False,
            "resolution": "plan",
        }
    )
    started = time.perf_counter()
    backend.load()
    results = [
        backend.render(
            ClipRequest(
                f"s{i}", str(work / "a.png"), str(work / "b.png"), frames, 16.0, width, height, "the camera pans", i
            ),
            work / f"s{i}.mp4",
        )
        for i in range(items)
    ]
    total = time.perf_counter() - started
    backend.close()
    return {
        "per_item_s": total / items,
        "per_step_s": sum(r.metadata["seconds_per_step"] for r in results) / items,
        "peak_mib": max(r.metadata["peak_memory_mib"] for r in results),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny random pipelines on the CPU (no GPU needed)")
    parser.add_argument("--items", type=int, default=3, help="images and clips per variant")
    parser.add_argument("--tier", default=None, help="80gb, 40gb, 24gb or t4 (default: the tier this GPU fits)")
    parser.add_argument("--steps", type=int, default=None, help="denoising steps (default 30; 4 with --tiny)")
    args = parser.parse_args()

    import torch

    from sparkle_cli import gpu_tiers
    from tests.tiny_diffusion import save_tiny_sdxl, save_tiny_wan

    if not args.tiny and not torch.cuda.is_available():
        print("full-size benchmark needs a CUDA GPU; use --tiny for the CPU version", file=sys.stderr)
        return 2
    device = "cpu" if args.tiny else "cuda"
    tier = gpu_tiers.tier(args.tier) if args.tier else gpu_tiers.choose(gpu_tiers.detect())[0]
    dtype_name = "fp32" if args.tiny else tier.dtype if gpu_tiers.detect().bf16 else "fp16"
    dtype = torch.float32 if args.tiny else {"bf16": torch.bfloat16, "fp16": torch.float16}[dtype_name]
    video_options = {**tier.video_options, "dtype": "fp32" if args.tiny else dtype_name}
    image_options = {"memory": tier.image_options.get("memory", "none"), "dtype": "fp32" if args.tiny else dtype_name}
    if args.tiny:
        image_size, steps, (width, height, frames) = 64, 4, (64, 64, 9)
    else:
        image_size, steps = 1024, 30
        width, height, frames = (*tier.video_size, 81)
    steps = args.steps or steps
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sdxl = save_tiny_sdxl(work / "sdxl") if args.tiny else save_full_sdxl(work / "sdxl")
        variants = [
            ("sdxl", "plain diffusers", lambda n: plain_sdxl(sdxl, device, dtype, image_size, steps, n)),
            ("sdxl", "sparkle sdxl", lambda n: ours_sdxl(sdxl, device, image_size, steps, n, work, image_options)),
        ]
        if args.tiny or tier.runs_wan:
            if args.tiny:
                wan = save_tiny_wan(work / "wan", first_last=False)
            elif tier.video_model == "wan-2.1-flf2v-14b":
                wan = save_full_wan_14b_flf2v(work / "wan", dtype)
            else:
                wan = save_full_wan_13b(work / "wan")
            variants += [
                ("wan", "plain diffusers", lambda n: plain_wan(wan, device, dtype, width, height, frames, steps, n)),
                (
                    "wan",
                    "sparkle wan",
                    lambda n: ours_wan(wan, device, width, height, frames, steps, n, work, video_options),
                ),
            ]
        rows = []
        for model, variant, bench in variants:
            bench(1)  # kernels and caches warm up once, outside the timing, for every variant alike
            rows.append((model, variant, bench(args.items)))
    size = f"sdxl {image_size}x{image_size}, wan {width}x{height}x{frames}, {steps} steps, {device}"
    if not args.tiny:
        print(f"tier {tier.name}: {tier.title}; video memory {video_options.get('memory', '-')}, dtype {dtype_name}")
    print(f"| model | variant | s/step | s/item | peak MiB |   ({size}, {args.items} items)")
    print("|---|---|---|---|---|")
    for model, variant, r in rows:
        print(f"| {model} | {variant} | {r['per_step_s']:.4f} | {r['per_item_s']:.3f} | {r['peak_mib']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
