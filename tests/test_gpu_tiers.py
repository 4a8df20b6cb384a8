"""GPU tiers: the `gpu` profile and `sparkle doctor` pick models by GPU memory and RAM (faked figures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparkle_cli import gpu_tiers
from sparkle_cli.gpu_tiers import Machine

ROOT = Path(__file__).resolve().parents[1]

H100 = Machine("NVIDIA H100 80GB HBM3", 79.2, 200.0, (9, 0))
A100_40 = Machine("NVIDIA A100-SXM4-40GB", 39.4, 85.0, (8, 0))
A100_40_SMALL_RAM = Machine("NVIDIA A100-SXM4-40GB", 39.4, 31.0, (8, 0))
RTX_4090 = Machine("NVIDIA GeForce RTX 4090", 23.6, 64.0, (8, 9))
TITAN_RTX = Machine("NVIDIA TITAN RTX", 23.6, 64.0, (7, 5))
COLAB_T4 = Machine("Tesla T4", 15.0, 12.7, (7, 5))


@pytest.mark.parametrize(
    ("machine", "tier", "video", "size", "memory"),
    [
        (H100, "80gb", "wan-2.1-flf2v-14b", (1280, 720), "none"),
        (A100_40, "40gb", "wan-2.1-flf2v-14b", (1280, 720), "model_cpu_offload,vae_tiling"),
        (A100_40_SMALL_RAM, "24gb", "wan-2.1-i2v-1.3b", (832, 480), "model_cpu_offload,vae_tiling"),
        (RTX_4090, "24gb", "wan-2.1-i2v-1.3b", (832, 480), "model_cpu_offload,vae_tiling"),
        (COLAB_T4, "t4", "builtin-morph", (960, 540), None),
    ],
)
def test_tier_choice(machine: Machine, tier: str, video: str, size: tuple[int, int], memory: str | None) -> None:
    chosen, _ = gpu_tiers.choose(machine)
    assert chosen.name == tier
    profile = gpu_tiers.profile_for(machine=machine)
    assert profile["gpu_tier"]["name"] == tier and profile["video"]["model_id"] == video
    assert (profile["video"]["width"], profile["video"]["height"]) == size
    assert (profile["video"].get("options") or {}).get("memory") == memory
    assert profile["images"]["backend"] == "sdxl" and profile["lipsync"]["backend"] == "wav2lip"


def test_flf2v_runs_at_its_720p() -> None:
    for t in gpu_tiers.TIERS:
        if t.video_model == "wan-2.1-flf2v-14b":
            assert t.video_size == (1280, 720) and t.video_options["resolution"] == "720p"


def test_the_t4_tier_says_wan_does_not_fit_and_uses_fp16() -> None:
    profile = gpu_tiers.profile_for(machine=COLAB_T4)
    notes = " ".join(profile["gpu_tier"]["notes"])
    assert "Wan does not fit" in notes and "built-in animator" in notes
    assert profile["video"]["model_id"] == "builtin-morph"
    assert profile["images"]["options"]["dtype"] == "fp16" and profile["qa"]["options"]["dtype"] == "fp16"
    assert profile["images"]["options"]["variant"] == "fp16"
    assert profile["images"]["options"]["ip_adapter_image_encoder"] == "models/image_encoder"  # ViT-H: fits


def test_a_card_without_hardware_bf16_gets_fp16_everywhere() -> None:
    profile = gpu_tiers.profile_for(machine=TITAN_RTX)
    assert profile["gpu_tier"]["name"] == "24gb"
    assert {profile[s]["options"]["dtype"] for s in ("video", "images", "qa")} == {"fp16"}
    assert any("bfloat16" in note for note in profile["gpu_tier"]["notes"])


def test_small_ram_says_why_a_tier_was_passed_over() -> None:
    _, why = gpu_tiers.choose(A100_40_SMALL_RAM)
    assert why and "60 GiB of RAM" in why[0] and "31.0 GiB" in why[0]


def test_plan_with_the_gpu_profile_records_the_tier(runs: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(gpu_tiers.TIER_ENV, raising=False)
    monkeypatch.setattr(gpu_tiers, "detect", lambda: COLAB_T4)
    result = cli("plan", "Two friends on a rooftop.", "--shots", "2", "--profile", "gpu", "--run-id", "t4")
    assert result.exit_code == 0, result.output
    assert "gpu tier t4" in result.output and "Wan does not fit" in result.output
    profile = json.loads((runs / "t4" / "plan.json").read_text())["validated_plan"]["render_profile"]
    assert profile["profile"] == "gpu" and profile["gpu_tier"]["name"] == "t4"
    assert "Tesla T4" in profile["gpu_tier"]["chosen_by"]

    result = cli("plan", "Two friends on a rooftop.", "--shots", "2", "--profile", "gpu-40gb", "--run-id", "named")
    assert result.exit_code == 0, result.output
    profile = json.loads((runs / "named" / "plan.json").read_text())["validated_plan"]["render_profile"]
    assert profile["gpu_tier"]["name"] == "40gb" and profile["video"]["model_id"] == "wan-2.1-flf2v-14b"

    monkeypatch.setattr(gpu_tiers, "detect", lambda: Machine("", 0.0, 16.0))
    result = cli("plan", "Two friends on a rooftop.", "--shots", "2", "--profile", "gpu", "--run-id", "laptop")
    assert result.exit_code == 0 and "no CUDA GPU here" in result.output
    monkeypatch.setenv(gpu_tiers.TIER_ENV, "nonsense")
    result = cli("plan", "Two friends.", "--profile", "gpu", "--run-id", "bad")
    assert result.exit_code == 2 and "unknown GPU tier" in result.output


def test_doctor_reports_the_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    from sparkle_cli.doctor import check_gpu_tier

    row = check_gpu_tier(COLAB_T4)
    assert set(row) == {"name", "status", "detail", "fix"} and row["name"] == "gpu tier"
    assert "t4" in row["detail"] and "fp16" in row["detail"] and "Wan does not fit" in row["detail"]
    assert "--profile gpu" in row["fix"]
    row = check_gpu_tier(H100)
    assert row["status"] == "ok" and "wan-2.1-flf2v-14b at 1280x720" in row["detail"] and "bf16" in row["detail"]
    assert check_gpu_tier(Machine("", 0.0, 16.0))["status"] == "info"


def test_readme_holds_the_tier_table() -> None:
    assert gpu_tiers.table_markdown() in (ROOT / "README.md").read_text()
