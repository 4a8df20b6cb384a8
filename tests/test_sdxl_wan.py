"""SDXL keyframes and Wan 2.1 clips from tiny random-weight pipelines, through `sparkle produce`, offline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from PIL import Image  # noqa: E402

from sparkle_cli.backends.diffusers_common import next_memory_step  # noqa: E402
from sparkle_cli.backends.video.wan import resample_indices, window_plan  # noqa: E402
from sparkle_cli.media.video import first_last_frames, iter_frames, probe, psnr  # noqa: E402

from .tiny_diffusion import save_tiny_ip_adapter, save_tiny_sdxl, save_tiny_wan  # noqa: E402

FPS = 8


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    sdxl = save_tiny_sdxl(root / "sdxl")
    return {"sdxl": sdxl, "wan": save_tiny_wan(root / "wan"), "ip_adapter": save_tiny_ip_adapter(root / "ip", sdxl)}


def profile(models: dict[str, Path], folder: Path, **video_options: object) -> Path:
    data = {
        "video": {
            "model_id": "wan-2.1",
            "max_fps": FPS,
            "width": 160,
            "height": 96,
            # Two or more 9-frame windows per shot exercise chaining; a low CRF leaves the PSNR to the pixels.
            "options": {
                "model_path": str(models["wan"]),
                "device": "cpu",
                "steps": 2,
                "guidance": 1.0,
                "window_frames": 9,
                "max_sequence_length": 32,
                "crf": 8,
                **video_options,
            },
        },
        # Keyframes render at 32x32 and are scaled up 5x: random-weight pixels are colour noise, which
        # 4:2:0 chroma subsampling alone would take below the 28 dB continuity threshold.
        "images": {
            "backend": "sdxl",
            "options": {
                "model_path": str(models["sdxl"]),
                "steps": 2,
                "base_resolution": 32,
                "ip_adapter": str(models["ip_adapter"]),
            },
        },
        "tts": {"backend": "espeak"},
        "qa": {"backend": "heuristic"},
        "lipsync": {"backend": "amplitude"},
    }
    path = folder / "tiny.profile.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("SPARKLE_MODEL_PATH_VIDEO", raising=False)
    monkeypatch.delenv("SPARKLE_MODEL_PATH_IMAGE", raising=False)


def plan_run(cli, profile_path: Path, run_id: str) -> None:
    result = cli(
        "plan",
        "Two friends share a quiet rooftop at dawn.",
        "--shots",
        "2",
        "--seconds",
        "3",
        "--profile",
        str(profile_path),
        "--run-id",
        run_id,
    )
    assert result.exit_code == 0, result.output


def test_produce_with_sdxl_and_wan(runs: Path, cli, models, offline, tmp_path: Path) -> None:
    plan_run(cli, profile(models, tmp_path), "tiny")
    result = cli("produce", "tiny")
    assert result.exit_code == 0, result.output
    run = runs / "tiny"

    timeline = json.loads((run / "dialogue_audio" / "dialogue_timeline_audio.json").read_text())
    final = probe(run / "assembly_lipsync" / "video_final.mp4")
    assert final.video is not None
    assert (final.video.width, final.video.height) == (160, 96)
    assert final.video.frames == timeline["total_frames"]
    revised = sum(s["duration_revised_s"] for s in timeline["shots"])
    assert abs(final.video.duration_s - revised) <= 1 / FPS + 1e-6

    images = json.loads((run / "base_images" / "manifest.json").read_text())["items"]
    plan = json.loads((run / "plan.json").read_text())["validated_plan"]
    for image in plan["base_images"]:
        meta = images[image["id"]]["result"]["metadata"]
        assert meta["seed"] == image["metadata"]["seed"]
        assert {"model_id", "steps", "guidance", "device", "dtype", "peak_memory_mib", "seconds"} <= set(meta)
        assert meta["checkpoint"] == str(models["sdxl"]) and meta["steps"] == 2

    clips = json.loads((run / "video_clips" / "manifest.json").read_text())["items"]
    for shot, timing in zip(plan["shots"], timeline["shots"], strict=True):
        meta = clips[shot["id"]]["result"]["metadata"]
        path = run / "video_clips" / f"{shot['id']}.mp4"
        info = probe(path)
        assert info.video is not None and info.video.frames == timing["frames"]
        assert meta["wan_frames"] and all((f - 1) % 4 == 0 for f in meta["wan_frames"])
        assert meta["windows"] == len(window_plan(timing["frames"], 9)) >= 2
        assert meta["model_family"] == "flf2v" and meta["endpoints"] == "pinned"
        # Measured again here from the files: the clip starts and ends on its keyframes.
        first, last = first_last_frames(path)
        start = np.asarray(Image.open(run / "base_images" / f"{shot['start_base_image_id']}.png").convert("RGB"))
        end = np.asarray(Image.open(run / "base_images" / f"{shot['end_base_image_id']}.png").convert("RGB"))
        assert psnr(first, start) >= 28 and psnr(last, end) >= 28
        assert abs(psnr(first, start) - meta["first_frame_psnr_db"]) < 0.01
        assert meta["last_frame_psnr_db"] >= 28
        assert {"model_first_frame_psnr_db", "model_last_frame_psnr_db", "vae_roundtrip_psnr_db"} <= set(meta)
        # Random weights: the frames between are noise, but they move and are not black.
        lumas = [f.mean() for f in iter_frames(path)]
        assert min(lumas) > 16
    # Shot 2 starts exactly where shot 1 ended (the same keyframe, pinned).
    one = first_last_frames(run / "video_clips" / f"{plan['shots'][0]['id']}.mp4")[1]
    two = first_last_frames(run / "video_clips" / f"{plan['shots'][1]['id']}.mp4")[0]
    assert psnr(one, two) >= 35


def test_wan_plan_without_model_fails_before_rendering(runs: Path, cli, models, offline, tmp_path: Path) -> None:
    plan_run(cli, profile(models, tmp_path, model_path=str(tmp_path / "no-such-model")), "missing")
    result = cli("produce", "missing")
    assert result.exit_code == 1
    assert "nothing was rendered" in result.output and "--model-path video=DIR" in result.output
    assert not (runs / "missing" / "base_images").exists()

    # No path at all: the default hub checkpoint is not cached and the hub is offline.
    data = json.loads((tmp_path / "tiny.profile.json").read_text())
    del data["video"]["options"]["model_path"]
    (tmp_path / "tiny.profile.json").write_text(json.dumps(data))
    plan_run(cli, tmp_path / "tiny.profile.json", "hub")
    result = cli("produce", "hub")
    assert result.exit_code == 1
    assert "Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers" in result.output and "SPARKLE_MODEL_PATH_VIDEO" in result.output


def test_out_of_memory_retries_once_with_a_memory_option(models, offline, tmp_path: Path, monkeypatch) -> None:
    import torch
    from diffusers import WanImageToVideoPipeline

    from sparkle_cli.backends.base import ClipRequest
    from sparkle_cli.backends.video.wan import WanBackend

    for i, colour in enumerate([(200, 40, 40), (40, 40, 200)]):
        Image.new("RGB", (64, 64), colour).save(tmp_path / f"k{i}.png")
    original = WanImageToVideoPipeline.__call__
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(WanImageToVideoPipeline, "__call__", flaky)
    backend = WanBackend({"model_path": str(models["wan"]), "device": "cpu", "steps": 1, "max_sequence_length": 16})
    backend.load()
    request = ClipRequest("shot_001", str(tmp_path / "k0.png"), str(tmp_path / "k1.png"), 5, FPS, 64, 64, "pan", 3)
    result = backend.render(request, tmp_path / "clip.mp4")
    backend.close()
    assert result.metadata["oom_retries"] == 1 and result.metadata["memory"] == ["vae_tiling"]
    assert probe(tmp_path / "clip.mp4").video.frames == 5

    def always(self, *args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(WanImageToVideoPipeline, "__call__", always)
    backend = WanBackend({"model_path": str(models["wan"]), "device": "cpu", "memory": "vae_tiling"})
    backend.load()
    with pytest.raises(RuntimeError, match="out of memory on cpu with memory=vae_tiling"):
        backend.render(request, tmp_path / "clip2.mp4")


def test_frame_arithmetic() -> None:
    assert window_plan(81) == [81] and window_plan(16) == [17] and window_plan(1) == [5]
    assert window_plan(12, 9) == [9, 9] and window_plan(161, 81) == [81, 81]
    for frames in range(1, 200):
        plan = window_plan(frames, 33)
        assert all((f - 1) % 4 == 0 and f <= 33 for f in plan)
        assert len(plan) * (plan[0] - 1) + 1 >= frames
    picked = resample_indices(17, 12)
    assert len(picked) == 12 and picked[0] == 0 and picked[-1] == 16 and picked == sorted(picked)
    assert next_memory_step([], "cuda") == ["model_cpu_offload", "vae_tiling"]
    assert next_memory_step(["model_cpu_offload", "vae_tiling"], "cuda") == ["group_offload", "vae_tiling"]
    assert next_memory_step([], "cpu") == ["vae_tiling"] and next_memory_step(["vae_tiling"], "cpu") is None
