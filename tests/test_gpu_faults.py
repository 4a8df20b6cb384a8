"""What a first real GPU run would hit, caught on the CPU: dtypes, memory, devices under offload, prompts.

The GPU is simulated where one is needed: device queries and memory figures are faked, offload
hooks are stood in for by the attribute diffusers reads, and the pipeline call is captured.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from PIL import Image  # noqa: E402

from sparkle_cli.backends.base import BackendUnavailable, ClipRequest  # noqa: E402

from .tiny_diffusion import save_tiny_sdxl, save_tiny_wan  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GiB = 2**30


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    return {
        "sdxl": save_tiny_sdxl(root / "sdxl"),
        "wan": save_tiny_wan(root / "wan"),
        "i2v": save_tiny_wan(root / "i2v", first_last=False),
    }


def keyframes(folder: Path, size: tuple[int, int] = (64, 64)) -> tuple[str, str]:
    for i, colour in enumerate([(200, 40, 40), (40, 40, 200)]):
        Image.new("RGB", size, colour).save(folder / f"k{i}.png")
    return str(folder / "k0.png"), str(folder / "k1.png")


def capture_wan_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Record every WanImageToVideoPipeline call and answer it with grey frames of the asked size."""
    from diffusers import WanImageToVideoPipeline

    calls: list[dict] = []

    def fake(self, **kwargs):
        calls.append(kwargs)
        frames = np.full((kwargs["num_frames"], kwargs["height"], kwargs["width"], 3), 0.5, np.float32)
        return SimpleNamespace(frames=[frames])

    monkeypatch.setattr(WanImageToVideoPipeline, "__call__", fake)
    return calls


# --- a T4 gets fp16, not emulated bf16 ----------------------------------------------------


def test_t4_gets_fp16_and_ampere_gets_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    from sparkle_cli.backends.torch_utils import resolve_dtype

    # A T4 (compute 7.5): torch says bf16 is "supported" because it counts emulation.
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a, **k: (7, 5))
    assert resolve_dtype("auto", "cuda") == torch.float16
    assert resolve_dtype(None, "cuda:0") == torch.float16
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a, **k: (8, 0))
    assert resolve_dtype("auto", "cuda") == torch.bfloat16
    assert resolve_dtype("fp32", "cuda") == torch.float32 and resolve_dtype("auto", "cpu") == torch.float32


# --- version floors ------------------------------------------------------------------------


def test_version_floors_in_the_extra_and_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    from sparkle_cli.backends import torch_utils
    from sparkle_cli.backends.image.sdxl import SDXLBackend

    extra = (ROOT / "pyproject.toml").read_text().split("ml = [", 1)[1].split("]", 1)[0]
    assert '"diffusers>=0.40"' in extra and '"transformers>=5.3"' in extra
    assert '"opencv-python-headless>=4.8,<5"' in extra

    assert torch_utils.version_problem("diffusers", "0.35.2") and "0.40" in torch_utils.version_problem(
        "diffusers", "0.36.0"
    )
    assert torch_utils.version_problem("diffusers", "0.40.0.dev0") is None
    assert torch_utils.version_problem("transformers", "5.2.0") and not torch_utils.version_problem(
        "transformers", "5.24.0"
    )
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "0.35.2" if name == "diffusers" else real(name))
    with pytest.raises(BackendUnavailable, match=r"diffusers 0\.35\.2 is older than 0\.40\.0"):
        SDXLBackend.check()


def test_a_diffusers_that_ignores_dtype_is_refused(models, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before 0.40 `dtype=` was silently ignored: everything loaded in fp32, twice the memory."""
    from diffusers import StableDiffusionXLPipeline

    from sparkle_cli.backends.diffusers_common import load_pipeline

    original = StableDiffusionXLPipeline.from_pretrained.__func__

    def ignores_dtype(cls, *args, dtype=None, **kwargs):
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(StableDiffusionXLPipeline, "from_pretrained", classmethod(ignores_dtype))
    with pytest.raises(BackendUnavailable, match=r"loaded as float32, not bfloat16.*diffusers>=0\.40"):
        load_pipeline(StableDiffusionXLPipeline, str(models["sdxl"]), "image", torch.bfloat16, allow_download=False)


# --- Wan's components, prompts and resolution -------------------------------------------------


def test_wan_vae_and_image_encoder_load_in_fp32(models) -> None:
    from sparkle_cli.backends.video.wan import WanBackend

    backend = WanBackend({"model_path": str(models["wan"]), "device": "cpu", "dtype": "bf16"})
    backend.load()
    pipe = backend.holder.pipe
    assert pipe.transformer.dtype == torch.bfloat16 and pipe.text_encoder.dtype == torch.bfloat16
    assert pipe.vae.dtype == torch.float32 and pipe.image_encoder.dtype == torch.float32
    backend.close()


#: The start and the end of Wan 2.1's sample_neg_prompt (wan/configs/shared_config.py).
REFERENCE_NEGATIVE = ("色调艳丽，过曝，静态，细节模糊不清，字幕，", "三条腿，背景人很多，倒着走")


def test_wan_negative_prompt_is_the_reference_default(models, tmp_path: Path, monkeypatch) -> None:
    from sparkle_cli.backends.video.wan import WanBackend

    calls = capture_wan_calls(monkeypatch)
    start, end = keyframes(tmp_path)
    request = ClipRequest("shot_001", start, end, 5, 8.0, 64, 64, "slow pan", 3)
    for folder, first in ((models["wan"], "镜头切换，镜头晃动，"), (models["i2v"], "镜头晃动，")):
        backend = WanBackend({"model_path": str(folder), "device": "cpu", "measure_vae": False})
        backend.load()
        backend.render(request, tmp_path / "clip.mp4")
        negative = calls[-1]["negative_prompt"] or ""
        # First-last-frame: "shot cut" first (Wan's flf2v config), then the image-to-video "camera shake".
        assert negative.startswith(first + REFERENCE_NEGATIVE[0]) and negative.endswith(REFERENCE_NEGATIVE[1])
        backend.close()
    backend = WanBackend(
        {"model_path": str(models["wan"]), "device": "cpu", "negative_prompt": "", "measure_vae": False}
    )
    backend.load()
    backend.render(request, tmp_path / "clip.mp4")
    assert calls[-1]["negative_prompt"] is None


def test_render_size_follows_the_checkpoints_resolution() -> None:
    from sparkle_cli.backends.video.wan import render_area, render_size

    assert render_size(1280, 720, render_area(None, "Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers")) == (1280, 720)
    assert render_size(832, 480, render_area(None, "Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers")) == (1264, 736)
    assert render_size(832, 480, render_area(None, "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers")) == (832, 480)
    assert render_size(160, 96, render_area("plan", "x-720P")) == (160, 96)


def test_flf2v_720p_checkpoint_renders_at_720p(models, tmp_path: Path, monkeypatch) -> None:
    import shutil

    from sparkle_cli.backends.video.wan import WanBackend
    from sparkle_cli.media.video import probe

    calls = capture_wan_calls(monkeypatch)
    folder = tmp_path / "Wan2.1-FLF2V-14B-720P-diffusers"
    shutil.copytree(models["wan"], folder)
    start, end = keyframes(tmp_path, (320, 180))
    backend = WanBackend({"model_path": str(folder), "device": "cpu", "measure_vae": False})
    backend.load()
    result = backend.render(ClipRequest("s", start, end, 5, 8.0, 320, 180, "pan", 1), tmp_path / "c.mp4")
    assert (calls[-1]["width"], calls[-1]["height"]) == (1280, 720)
    assert result.metadata["render_size"] == [1280, 720]
    info = probe(tmp_path / "c.mp4")
    assert (info.video.width, info.video.height, info.video.frames) == (320, 180, 5)


def test_vae_input_goes_where_the_offload_hook_runs_the_vae(models, tmp_path: Path) -> None:
    """Under model_cpu_offload the VAE's weights sit on the CPU and its hook runs it on the GPU."""
    from sparkle_cli.backends.video.wan import WanBackend

    backend = WanBackend({"model_path": str(models["wan"]), "device": "cpu"})
    backend.load()
    vae = backend.holder.pipe.vae
    # What accelerate's offload hook leaves on a module: its execution device.
    vae._hf_hook = SimpleNamespace(execution_device=torch.device("meta"))
    seen = []

    # The hook would run the VAE on its execution device; here each call records where its input is.
    def recording_encode(x, *args, **kwargs):
        seen.append(("encode", x.device))
        return SimpleNamespace(latent_dist=SimpleNamespace(mode=lambda: torch.zeros(1, 16, 1, 4, 4, device=x.device)))

    def recording_decode(z, *args, **kwargs):
        seen.append(("decode", z.device))
        return SimpleNamespace(sample=torch.zeros(1, 3, 1, 32, 32))

    vae.encode, vae.decode = recording_encode, recording_decode
    picture = np.asarray(Image.new("RGB", (32, 32), (120, 80, 40)))
    backend._vae_roundtrip([picture])
    # Not the CPU its parameters report between calls.
    assert seen == [("encode", torch.device("meta")), ("decode", torch.device("meta"))]


# --- memory: loading is covered by the out-of-memory retry ---------------------------------------


def fake_gpu(monkeypatch: pytest.MonkeyPatch, free_gib: float) -> list[tuple[str, object]]:
    """A CUDA device as far as the backends ask: available, `free_gib` free, moves recorded, not made."""
    from diffusers import DiffusionPipeline

    moves: list[tuple[str, object]] = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda *a: (int(free_gib * GiB), int(80 * GiB)))
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    original_to = DiffusionPipeline.to

    def to(self, *args, **kwargs):
        target = str(args[0] if args else kwargs.get("device", ""))
        moves.append(("to", target))
        if target.startswith("cuda"):
            if getattr(self, "_fits", False):
                return self
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.25 GiB")
        return original_to(self, *args, **kwargs)

    monkeypatch.setattr(DiffusionPipeline, "to", to)
    monkeypatch.setattr(
        DiffusionPipeline, "enable_model_cpu_offload", lambda self, device=None, **k: moves.append(("offload", device))
    )
    monkeypatch.setattr(
        DiffusionPipeline, "enable_group_offload", lambda self, **k: moves.append(("group", str(k["onload_device"])))
    )
    return moves


def test_loading_that_runs_out_of_memory_turns_offload_on(models, monkeypatch) -> None:
    from sparkle_cli.backends.video.wan import WanBackend

    moves = fake_gpu(monkeypatch, free_gib=70)  # "fits" by the numbers, then the move itself runs out
    backend = WanBackend({"model_path": str(models["wan"]), "device": "cuda", "dtype": "fp32", "memory": "none"})
    backend.load()
    assert ("to", "cuda") in moves and ("offload", "cuda") in moves
    assert backend.holder.memory == ["model_cpu_offload", "vae_tiling"] and backend.holder.oom_retries == 1


def test_memory_auto_offloads_a_checkpoint_larger_than_the_gpu(models, monkeypatch) -> None:
    from sparkle_cli.backends import diffusers_common
    from sparkle_cli.backends.diffusers_common import auto_memory
    from sparkle_cli.backends.video.wan import WanBackend

    # Wan 2.1 FLF2V-14B's components as loaded (bf16, VAE and CLIP in fp32), on a 40 GB card.
    sizes = {"transformer": 32.8e9, "text_encoder": 11.4e9, "image_encoder": 2.5e9, "vae": 0.5e9}
    assert auto_memory({k: int(v) for k, v in sizes.items()}, 39 * GiB) == ["model_cpu_offload", "vae_tiling"]
    assert auto_memory({k: int(v) for k, v in sizes.items()}, 15 * GiB) == ["group_offload", "vae_tiling"]
    assert auto_memory({k: int(v) for k, v in sizes.items()}, 79 * GiB) == []

    moves = fake_gpu(monkeypatch, free_gib=39)
    monkeypatch.setattr(diffusers_common, "component_bytes", lambda pipe: {k: int(v) for k, v in sizes.items()})
    backend = WanBackend({"model_path": str(models["wan"]), "device": "cuda", "dtype": "fp32"})
    backend.load()
    assert ("to", "cuda") not in moves  # never tried to put 47 GB on a 40 GB card
    assert ("offload", "cuda") in moves and backend.holder.oom_retries == 0
    assert backend.holder.memory == ["model_cpu_offload", "vae_tiling"]


def test_sdxl_loads_with_the_components_in_one_dtype(models) -> None:
    from sparkle_cli.backends.image.sdxl import SDXLBackend

    backend = SDXLBackend({"model_path": str(models["sdxl"]), "device": "cpu", "dtype": "bf16", "ip_adapter": "none"})
    backend.load()
    pipe = backend.holder.pipe
    assert pipe.unet.dtype == pipe.text_encoder.dtype == pipe.vae.dtype == torch.bfloat16
    backend.close()
