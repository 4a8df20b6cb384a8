"""Consistent characters: one reference portrait per character, every keyframe showing it conditioned on it.

The adapter is tiny and random but saved in h94/IP-Adapter's file layout and loaded through
diffusers' `load_ip_adapter`, the path a downloaded adapter takes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from PIL import Image  # noqa: E402
from safetensors import safe_open  # noqa: E402

from sparkle_cli.backends.base import CharacterLook, ImageRequest  # noqa: E402
from sparkle_cli.backends.image.sdxl import SDXLBackend, characters_shown  # noqa: E402

from .tiny_diffusion import save_tiny_ip_adapter, save_tiny_sdxl  # noqa: E402

AVA = CharacterLook("ava", "Ava", "a woman with red hair")
MIKO = CharacterLook("miko", "Miko", "a man in a grey coat")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ip")
    sdxl = save_tiny_sdxl(root / "sdxl")
    return {"sdxl": sdxl, "ip": save_tiny_ip_adapter(root / "IP-Adapter", sdxl)}


def backend(models: dict[str, Path], **options) -> SDXLBackend:
    b = SDXLBackend(
        {
            "model_path": str(models["sdxl"]),
            "steps": 2,
            "base_resolution": 64,
            "ip_adapter": str(models["ip"]),
            **options,
        }
    )
    b.load()
    return b


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)


def test_the_adapter_files_have_the_public_layout(models) -> None:
    with safe_open(str(models["ip"] / "sdxl_models" / "ip-adapter_sdxl.safetensors"), "pt") as f:
        keys = set(f.keys())
    assert {"image_proj.proj.weight", "image_proj.proj.bias", "image_proj.norm.weight", "image_proj.norm.bias"} <= keys
    ip = sorted(int(k.split(".")[1]) for k in keys if k.startswith("ip_adapter.") and k.endswith("to_k_ip.weight"))
    assert ip and all(i % 2 == 1 for i in ip)  # cross-attention processors only: 1, 3, 5, ...
    assert (models["ip"] / "sdxl_models" / "image_encoder" / "config.json").is_file()


def test_keyframes_are_conditioned_on_one_portrait_per_character(models, tmp_path: Path) -> None:
    b = backend(models)
    pipe = b.holder.pipe
    assert (
        pipe.image_encoder is not None and type(pipe.unet.encoder_hid_proj).__name__ == "MultiIPAdapterImageProjection"
    )
    requests = [
        ImageRequest("k0", "Ava waits on the roof", 3, 96, 64, characters=[AVA, MIKO]),
        ImageRequest("k1", "Ava and Miko at the door", 4, 96, 64, characters=[AVA, MIKO]),
        ImageRequest("k2", "an empty street at dawn", 5, 96, 64, characters=[AVA, MIKO]),
        ImageRequest("k3", "close on her face", 6, 96, 64, characters=[AVA, MIKO], closeup_character="ava"),
    ]
    results = [b.render(r, tmp_path / f"{r.image_id}.png") for r in requests]
    assert [r.metadata["reference_portraits"] for r in results] == [["ava"], ["ava", "miko"], [], ["ava"]]
    portraits = sorted(p.name.split("-")[0] for p in (tmp_path / "characters").glob("*.png"))
    assert portraits == ["ava", "miko"]  # painted once each, reused by every keyframe showing them

    # The portrait steers the keyframe: the same request and seed with another Ava looks different,
    # while without the adapter the description (not in a wide shot's prompt) changes nothing.
    other = CharacterLook("ava", "Ava", "an old man with a white beard")
    (tmp_path / "other").mkdir()
    backend(models).render(
        ImageRequest("k0", "Ava waits on the roof", 3, 96, 64, characters=[other, MIKO]), tmp_path / "other" / "k0.png"
    )
    changed = np.abs(pixels(tmp_path / "k0.png") - pixels(tmp_path / "other" / "k0.png"))
    assert changed.mean() > 0.1 and changed.max() >= 2  # small: two steps of a tiny random model
    plain = []
    for look, name in ((AVA, "a"), (other, "b")):
        folder = tmp_path / f"plain-{name}"
        folder.mkdir()
        backend(models, ip_adapter="none").render(
            ImageRequest("k0", "Ava waits on the roof", 3, 96, 64, characters=[look, MIKO]), folder / "k0.png"
        )
        plain.append(pixels(folder / "k0.png"))
    assert np.array_equal(plain[0], plain[1])


def test_which_characters_a_keyframe_shows() -> None:
    shown = characters_shown(ImageRequest("k", "Miko laughs; avalanche warning", 1, 8, 8, characters=[AVA, MIKO]))
    assert [c.id for c in shown] == ["miko"]  # "avalanche" is not Ava
    shown = characters_shown(
        ImageRequest("k", "rain", 1, 8, 8, characters=[AVA, MIKO], in_frame=["miko"], closeup_character="ava")
    )
    assert [c.id for c in shown] == ["ava", "miko"]


def test_a_missing_adapter_is_named_before_rendering(models, tmp_path: Path) -> None:
    problem = SDXLBackend.preflight({"model_path": str(models["sdxl"]), "ip_adapter": str(tmp_path / "nowhere")})
    assert problem and "ip-adapter_sdxl.safetensors" in problem and "ip_adapter: none" in problem
    assert SDXLBackend.preflight({"model_path": str(models["sdxl"]), "ip_adapter": str(models["ip"])}) is None
    assert SDXLBackend.preflight({"model_path": str(models["sdxl"]), "ip_adapter": "none"}) is None
