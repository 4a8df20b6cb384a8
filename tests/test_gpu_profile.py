"""`sparkle produce` on the `gpu` profile, end to end, with tiny random-weight models on the CPU.

SDXL (with its IP-Adapter), Wan 2.1 first-last-frame, Chatterbox (the stand-in, through the real
worker), Qwen2-VL and Wav2Lip all load through their real code paths. Random weights paint
noise, never a face, so two things are stood in for: the SDXL call still runs and then a drawn
face replaces its output on the talking close-up's keyframes (what a trained model would paint),
and the Wan call still runs and its frames are then laid over a cross-fade of the two keyframes
(so the face stays in the picture). Everything after that is real: the faces are found, tracked,
lipsynced, and the movie is measured.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("cv2")

from PIL import Image  # noqa: E402

from sparkle_cli import gpu_tiers  # noqa: E402
from sparkle_cli.media.video import iter_frames, probe  # noqa: E402

from .conftest import write_json  # noqa: E402
from .face_image import draw_face  # noqa: E402
from .test_chatterbox import mini_plan  # noqa: E402
from .tiny_diffusion import save_tiny_ip_adapter, save_tiny_sdxl, save_tiny_wan  # noqa: E402
from .tiny_models import save_tiny_qwen2vl  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STANDIN = "tests.chatterbox_standin:StandinTTS"
W, H, FPS = 256, 144, 12


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from sparkle_cli.backends.lipsync.wav2lip_net import Wav2Lip, public_state_dict

    root = tmp_path_factory.mktemp("gpu-models")
    sdxl = save_tiny_sdxl(root / "sdxl")
    torch.manual_seed(0)
    generator = Wav2Lip().eval()
    # At plain random init the voice hardly reaches the picture (it fades through the decoder);
    # a trained generator's mouth follows it. Raise the decoder's batch-norm scales so the voice
    # shows, and calm the output layer so the sigmoid does not saturate.
    state = generator.state_dict()
    for key in state:
        if key.startswith("face_decoder_blocks") and key.endswith("conv_block.1.weight"):
            state[key] = state[key] * 4
    state["output_block.1.weight"] = state["output_block.1.weight"] * 0.15
    generator.load_state_dict(state)
    torch.save(public_state_dict(generator), root / "wav2lip_gan.pth")
    return {
        "image": sdxl,
        "ip_adapter": save_tiny_ip_adapter(root / "IP-Adapter", sdxl),
        "video": save_tiny_wan(root / "wan"),
        "qa": save_tiny_qwen2vl(root / "qwen2vl"),
        "lipsync": root / "wav2lip_gan.pth",
    }


@pytest.fixture
def trained_looking_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    from diffusers import StableDiffusionXLPipeline, WanImageToVideoPipeline

    sdxl_call, wan_call = StableDiffusionXLPipeline.__call__, WanImageToVideoPipeline.__call__

    painted = []

    def sdxl(self, **kwargs):
        result = sdxl_call(self, **kwargs)
        images = []
        for prompt, image in zip(kwargs["prompt"], result.images, strict=True):
            if "close-up portrait of" in prompt:
                # Each close-up keyframe frames the face a little differently, as two renders would.
                x = (0.42, 0.56)[len(painted) % 2]
                painted.append(prompt)
                image = Image.fromarray(draw_face(kwargs["width"], kwargs["height"], size=0.62, centre=(x, 0.5)))
            images.append(image)
        return SimpleNamespace(images=images)

    def wan(self, **kwargs):
        video = wan_call(self, **kwargs).frames[0]
        size = (kwargs["width"], kwargs["height"])
        first = np.asarray(kwargs["image"].resize(size), np.float32) / 255.0
        last = np.asarray((kwargs["last_image"] or kwargs["image"]).resize(size), np.float32) / 255.0
        t = np.linspace(0.0, 1.0, len(video))[:, None, None, None]
        return SimpleNamespace(frames=[0.04 * video + 0.96 * ((1 - t) * first + t * last)])

    monkeypatch.setattr(StableDiffusionXLPipeline, "__call__", sdxl)
    monkeypatch.setattr(WanImageToVideoPipeline, "__call__", wan)


def mouth_motion(frames: list[np.ndarray], mouths: list[list[int] | None]) -> float:
    """Mean absolute change of the mouth region from frame to frame (0..255)."""
    changes = []
    for i in range(1, len(frames)):
        box = mouths[i] or mouths[i - 1]
        if box is None:
            continue
        x, y, w, h = box
        a, b = frames[i - 1][y : y + h, x : x + w], frames[i][y : y + h, x : x + w]
        changes.append(float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean()))
    return float(np.mean(changes)) if changes else 0.0


@pytest.mark.slow
def test_produce_on_the_gpu_profile_with_tiny_models(
    runs: Path, cli, models, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trained_looking_pictures
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("SPARKLE_WORKERS", "1")  # the picture stand-ins are patched into this process
    monkeypatch.setenv("SPARKLE_CHATTERBOX_PYTHON", sys.executable)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv(gpu_tiers.TIER_ENV, raising=False)
    # An RTX 4090 box: the 24 GB tier (Wan 1.3B first-last-frame at 480p, model offload, bf16).
    monkeypatch.setattr(gpu_tiers, "detect", lambda: gpu_tiers.Machine("NVIDIA GeForce RTX 4090", 23.6, 64.0, (8, 9)))

    plan = mini_plan({"backend": "espeak"})
    plan["shots"][1]["is_talking_closeup"] = True
    for image in plan["base_images"][1:3]:  # the talking close-up's keyframes frame its speaker
        image["prompt"] = "Close-up of Ava on a rooftop at night"
    del plan["characters"][0]["voice_profile"]["reference_audio"]
    plan_file = write_json(tmp_path / "plan.json", plan)
    result = cli("plan", "--from-file", str(plan_file), "--profile", "gpu", "--run-id", "gpu")
    assert result.exit_code == 0, result.output
    envelope = json.loads((runs / "gpu" / "plan.json").read_text())
    profile = envelope["validated_plan"]["render_profile"]
    assert profile["gpu_tier"]["name"] == "24gb" and profile["video"]["model_id"] == "wan-2.1-i2v-1.3b"
    assert [profile[s].get("backend") for s in ("images", "tts", "qa", "lipsync")] == [
        "sdxl",
        "chatterbox",
        "qwen2vl",
        "wav2lip",
    ]
    # What a CPU can afford: a small picture, two steps, short windows. The tier's models, dtype (bf16)
    # and memory options stay as chosen.
    profile["video"].update(width=W, height=H, max_fps=FPS)
    profile["video"]["options"].update(
        steps=2, guidance=1.0, window_frames=9, max_sequence_length=16, resolution="plan"
    )
    profile["images"]["options"].update(steps=2, base_resolution=64)
    profile["tts"]["options"] = {"model_entry": STANDIN, "mode": "worker", "device": "cpu"}
    profile["qa"]["options"].update(max_new_tokens=8)
    (runs / "gpu" / "plan.json").write_text(json.dumps(envelope))
    policy = tmp_path / "policy.yaml"
    policy.write_text("vlm_retries: 0\nvlm_frames: 2\n")

    for kind in models:  # --model-path sets these for the process: give them back when the test ends
        monkeypatch.setenv(f"SPARKLE_MODEL_PATH_{kind.upper()}", "")
    paths = [f"--model-path={kind}={path}" for kind, path in models.items()]
    result = cli("produce", "gpu", *paths, "--qa-policy", str(policy))
    assert result.exit_code == 0, result.output
    run = runs / "gpu"

    # Keyframes: the close-up's speaker's face was found and recorded; portraits were painted once.
    images = json.loads((run / "base_images" / "manifest.json").read_text())["items"]
    assert [f["character_id"] for f in images["frame_001"]["result"]["faces"]] == ["ava"]
    assert images["frame_001"]["result"]["metadata"]["dtype"] == "bfloat16"
    assert sorted(p.name.split("-")[0] for p in (run / "base_images" / "characters").glob("*.png")) == ["ava", "miko"]

    # The close-up's clip: the face tracked in every frame.
    clip = json.loads((run / "video_clips" / "manifest.json").read_text())["items"]["shot_002"]["result"]
    faces, mouths = clip["face_tracks"]["ava"], clip["mouth_tracks"]["ava"]
    assert all(faces) and len(faces) == clip["frames"]
    assert clip["metadata"]["memory"] == ["model_cpu_offload", "vae_tiling"] or clip["metadata"]["device"] == "cpu"

    # The movie: the close-up was lipsynced, and the mouth moves there far more than in the clip it came from.
    stage = run / "assembly_lipsync"
    alignment = json.loads((stage / "alignment_map.json").read_text())
    shot = alignment["shots"][1]
    assert shot["lipsynced"] and not alignment["shots"][0]["lipsynced"]
    final = list(iter_frames(stage / "video_final.mp4"))
    closeup = final[shot["start_frame"] : shot["start_frame"] + shot["frames"]]
    source = list(iter_frames(run / "video_clip_qa" / "shot_002.mp4"))
    moving, still = mouth_motion(closeup, mouths), mouth_motion(source, mouths)
    print(f"mouth region change per frame: {moving:.1f} lipsynced vs {still:.1f} before")
    assert moving > 3 * still and moving > 4.0
    info = probe(stage / "video_final.mp4")
    assert info.video is not None and info.audio is not None and (info.video.width, info.video.height) == (W, H)
    lines = json.loads((run / "dialogue_audio" / "manifest.json").read_text())["items"]
    assert {lines[f"line_00{i}"]["result"]["voice_source"] for i in range(3)} == {"built-in"}
