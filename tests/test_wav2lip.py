"""Wav2Lip: the public checkpoint layout, the mel front end, and a lipsynced talking close-up, measured."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch  # make test installs it: these tests are not optional

from sparkle_cli.backends.base import BackendUnavailable, CharacterLook, ClipRequest, ImageRequest
from sparkle_cli.backends.image.painter import PainterBackend
from sparkle_cli.backends.lipsync.wav2lip import Wav2LipBackend, feather_mask
from sparkle_cli.backends.lipsync.wav2lip_net import Wav2Lip, public_state_dict
from sparkle_cli.backends.video.morph import MorphBackend
from sparkle_cli.media import audio, mel
from sparkle_cli.media.video import iter_frames, probe
from sparkle_cli.stages.assembly_lipsync import face_track, lipsync_shot

#: Every convolution of the public generator (wav2lip.pth / wav2lip_gan.pth) and its weight's shape.
#: A `Conv2d`/`Conv2dTranspose` wrapper at PREFIX holds PREFIX.conv_block.0.{weight,bias} and the batch
#: norm PREFIX.conv_block.1.{weight,bias,running_mean,running_var,num_batches_tracked}; the final
#: plain convolution is output_block.1.{weight,bias}. Every key carries the `module.` prefix.
PUBLIC_LAYERS = """
    face_encoder_blocks.0.0 16,6,7,7
    face_encoder_blocks.1.0 32,16,3,3
    face_encoder_blocks.1.1 32,32,3,3
    face_encoder_blocks.1.2 32,32,3,3
    face_encoder_blocks.2.0 64,32,3,3
    face_encoder_blocks.2.1 64,64,3,3
    face_encoder_blocks.2.2 64,64,3,3
    face_encoder_blocks.2.3 64,64,3,3
    face_encoder_blocks.3.0 128,64,3,3
    face_encoder_blocks.3.1 128,128,3,3
    face_encoder_blocks.3.2 128,128,3,3
    face_encoder_blocks.4.0 256,128,3,3
    face_encoder_blocks.4.1 256,256,3,3
    face_encoder_blocks.4.2 256,256,3,3
    face_encoder_blocks.5.0 512,256,3,3
    face_encoder_blocks.5.1 512,512,3,3
    face_encoder_blocks.6.0 512,512,3,3
    face_encoder_blocks.6.1 512,512,1,1
    audio_encoder.0 32,1,3,3
    audio_encoder.1 32,32,3,3
    audio_encoder.2 32,32,3,3
    audio_encoder.3 64,32,3,3
    audio_encoder.4 64,64,3,3
    audio_encoder.5 64,64,3,3
    audio_encoder.6 128,64,3,3
    audio_encoder.7 128,128,3,3
    audio_encoder.8 128,128,3,3
    audio_encoder.9 256,128,3,3
    audio_encoder.10 256,256,3,3
    audio_encoder.11 512,256,3,3
    audio_encoder.12 512,512,1,1
    face_decoder_blocks.0.0 512,512,1,1
    face_decoder_blocks.1.0 1024,512,3,3
    face_decoder_blocks.1.1 512,512,3,3
    face_decoder_blocks.2.0 1024,512,3,3
    face_decoder_blocks.2.1 512,512,3,3
    face_decoder_blocks.2.2 512,512,3,3
    face_decoder_blocks.3.0 768,384,3,3
    face_decoder_blocks.3.1 384,384,3,3
    face_decoder_blocks.3.2 384,384,3,3
    face_decoder_blocks.4.0 512,256,3,3
    face_decoder_blocks.4.1 256,256,3,3
    face_decoder_blocks.4.2 256,256,3,3
    face_decoder_blocks.5.0 320,128,3,3
    face_decoder_blocks.5.1 128,128,3,3
    face_decoder_blocks.5.2 128,128,3,3
    face_decoder_blocks.6.0 160,64,3,3
    face_decoder_blocks.6.1 64,64,3,3
    face_decoder_blocks.6.2 64,64,3,3
    output_block.0 32,80,3,3
    output_block.1.weight 3,32,1,1
"""

AVA = CharacterLook("ava", "Ava", "a woman with short dark hair and a yellow raincoat")
W, H, FPS, FRAMES = 320, 240, 24.0, 30


def expected_keys() -> dict[str, tuple[int, ...]]:
    keys: dict[str, tuple[int, ...]] = {}
    for line in PUBLIC_LAYERS.split("\n"):
        if not line.strip():
            continue
        prefix, shape_text = line.split()
        shape = tuple(int(x) for x in shape_text.split(","))
        if prefix.endswith(".weight"):  # the plain 1x1 output convolution
            keys[f"module.{prefix}"] = shape
            keys[f"module.{prefix[: -len('weight')]}bias"] = shape[:1]
            continue
        cout = (
            shape[1]
            if "face_decoder_blocks" in prefix
            and prefix.endswith(".0")
            and not prefix.startswith("face_decoder_blocks.0")
            else shape[0]
        )  # ConvTranspose2d weights are (cin, cout, k, k)
        keys[f"module.{prefix}.conv_block.0.weight"] = shape
        keys[f"module.{prefix}.conv_block.0.bias"] = (cout,)
        for name in ("weight", "bias", "running_mean", "running_var"):
            keys[f"module.{prefix}.conv_block.1.{name}"] = (cout,)
        keys[f"module.{prefix}.conv_block.1.num_batches_tracked"] = ()
    return keys


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised generator saved as the public files are: {"state_dict": {"module.…": …}, ...}."""
    torch.manual_seed(0)
    model = Wav2Lip()
    path = tmp_path_factory.mktemp("wav2lip") / "wav2lip_gan.pth"
    torch.save({**public_state_dict(model), "global_step": 0, "global_epoch": 0}, path)
    return path


@pytest.fixture(scope="module")
def closeup(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A painted talking close-up of Ava, rendered by the morph backend with a slow push-in."""
    root = tmp_path_factory.mktemp("closeup")
    faces = []
    for name in ("start", "end"):
        request = ImageRequest(
            name,
            "Close-up of Ava on a rooftop at night, neon glow",
            5,
            W,
            H,
            characters=[AVA],
            in_frame=["ava"],
            closeup_character="ava",
        )
        result = PainterBackend().render(request, root / f"{name}.png")
        faces.append(result.faces)
    clip = MorphBackend().render(
        ClipRequest(
            "shot_002",
            str(root / "start.png"),
            str(root / "end.png"),
            FRAMES,
            FPS,
            W,
            H,
            "slow push-in on her face",
            3,
            start_faces=faces[0],
            end_faces=faces[1],
        ),
        root / "clip.mp4",
    )
    track = [list(b) if b else None for b in clip.mouth_tracks["ava"]]
    track[-1] = None  # a frame where the face left the picture passes through untouched
    t = np.arange(int(1.1 * 22050)) / 22050
    voice = (0.5 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)
    audio.write_wav(root / "line_000.wav", voice, 22050)
    keyframe_faces = [
        {"character_id": f.character_id, "face_box": list(f.face_box), "mouth_box": list(f.mouth_box)}
        for f in (faces[0][0], faces[1][0])
    ]
    return {
        "root": root,
        "clip": clip.path,
        "track": track,
        "faces": keyframe_faces,
        "lines": [{"line_id": "line_000", "path": str(root / "line_000.wav"), "start_s": 0.1}],
    }


def test_checkpoint_keys_match_the_public_generator(checkpoint: Path) -> None:
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    assert {k: tuple(v.shape) for k, v in saved.items()} == expected_keys()
    assert len(saved) == 352
    params = sum(v.numel() for k, v in saved.items() if k.endswith(("weight", "bias")) and "conv_block.1" not in k)
    params += sum(v.numel() for k, v in saved.items() if k.endswith(("conv_block.1.weight", "conv_block.1.bias")))
    assert 36.2e6 < params < 36.4e6


def test_backend_loads_the_public_layout(checkpoint: Path) -> None:
    backend = Wav2LipBackend({"model_path": str(checkpoint.parent), "device": "cpu"})
    backend.load()
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    loaded = backend.model.state_dict()
    for key in (
        "face_encoder_blocks.0.0.conv_block.0.weight",
        "audio_encoder.12.conv_block.1.running_var",
        "face_decoder_blocks.6.0.conv_block.0.weight",
        "output_block.1.bias",
    ):
        assert torch.equal(loaded[key], saved[f"module.{key}"])
    assert backend.load_facts["parameters"] == 36_298_035


def test_missing_or_wrong_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match="SPARKLE_MODEL_PATH_LIPSYNC"):
        Wav2LipBackend({}).load()
    with pytest.raises(BackendUnavailable, match="neither wav2lip_gan.pth nor wav2lip.pth"):
        Wav2LipBackend({"model_path": str(tmp_path)}).load()
    torch.save({"state_dict": {"module.conv.weight": torch.zeros(3)}}, tmp_path / "wav2lip.pth")
    with pytest.raises(BackendUnavailable, match="not a Wav2Lip generator checkpoint"):
        Wav2LipBackend({"model_path": str(tmp_path / "wav2lip.pth")}).load()


def test_mel_front_end_matches_the_public_hyperparameters() -> None:
    t = np.arange(16000) / 16000
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    spec = mel.melspectrogram(tone)
    assert spec.shape == (80, 81)
    assert spec.min() >= -4 and spec.max() <= 4
    centres = np.argmax(mel.mel_basis(), axis=1) * 16000 / 800  # each band's peak frequency
    assert abs(centres[int(np.argmax(spec[:, 40]))] - 1000) < 80
    silent = mel.melspectrogram(np.zeros(1600, np.float32))
    assert np.allclose(silent, -4.0)
    windows = mel.mel_windows(spec, 25.0, 25)
    assert windows.shape == (25, 80, 16)
    assert np.array_equal(windows[5], spec[:, 16:32])  # int(80 * 5 / 25) = 16
    assert np.array_equal(windows[24], spec[:, 65:81])  # clamped to the last 16


def test_face_track_scales_the_mouth_track_by_the_keyframe_proportions() -> None:
    face = {"character_id": "ava", "face_box": [100, 50, 80, 100], "mouth_box": [126, 120, 28, 16]}
    boxes = face_track([[126, 120, 28, 16], [113, 110, 56, 32], None], [face, face])
    assert boxes == [[100, 50, 80, 100], [61, -30, 160, 200], None]
    assert face_track([[1, 2, 3, 4]], [None, None]) == [None]


def test_feather_mask_covers_only_the_lower_face() -> None:
    mask = feather_mask(100, 80)[:, :, 0]
    assert mask[:45].max() == 0 and mask[70, 40] == pytest.approx(1.0)
    assert mask[:, 0].max() == 0 and mask[99].max() == 0


def test_lipsync_keeps_frames_and_duration_and_changes_only_the_mouth(checkpoint: Path, closeup: dict) -> None:
    backend = Wav2LipBackend({"model_path": str(checkpoint), "device": "cpu", "batch_size": 8})
    backend.load()
    out = closeup["root"] / "shot_002.lipsync.mp4"
    started = time.process_time()
    result = lipsync_shot(
        backend,
        {"clip": str(out)},
        closeup["clip"],
        closeup["track"],
        FPS,
        FRAMES,
        closeup["lines"],
        keyframe_faces=closeup["faces"],
    )
    cpu_s = time.process_time() - started
    src, dst = probe(closeup["clip"]), probe(out)
    assert dst.video is not None and src.video is not None
    assert dst.video.frames == src.video.frames == FRAMES
    assert dst.video.duration_s == pytest.approx(FRAMES / FPS, abs=1e-6)
    assert dst.video.fps == pytest.approx(FPS)
    assert result["lipsynced_frames"] == FRAMES - 1 and result["model_id"] == "wav2lip_gan.pth"
    assert result["timings"]["inference_s"] > 0 and result["device"] == "cpu"

    # Both files went through H.264 once more than the source frames: allow its noise (mean ~2 levels).
    boxes = face_track(closeup["track"], closeup["faces"])
    for i, (a, b) in enumerate(zip(iter_frames(closeup["clip"]), iter_frames(out), strict=True)):
        diff = np.abs(a.astype(int) - b.astype(int)).max(axis=2)
        x, y, w, h = boxes[i] or boxes[i - 1]
        top = y + int(0.45 * h)
        lower_face = diff[max(0, top) : y + h, max(0, x) : x + w]
        if boxes[i] is None:
            assert lower_face.mean() < 6, f"frame {i} has no face box but its mouth changed"
        else:
            assert lower_face.mean() > 20, f"frame {i}: the lower face was not redrawn"
        outside = np.ones(diff.shape, bool)
        outside[max(0, top - 8) : y + h + 8, max(0, x - 8) : x + w + 8] = False
        assert diff[outside].mean() < 3 and diff[outside].max() <= 40, f"frame {i}: pixels changed outside the mouth"
    print(f"wav2lip {W}x{H}: {cpu_s / (FRAMES / FPS):.2f} CPU s per second of video")


def test_assembly_stage_runs_wav2lip_on_the_talking_closeup(runs: Path, cli, tmp_path: Path, checkpoint: Path) -> None:
    from .conftest import write_json
    from .test_chatterbox import mini_plan

    plan = mini_plan({"backend": "espeak"})
    plan["shots"][1]["is_talking_closeup"] = True
    plan["render_profile"]["lipsync"] = {"backend": "wav2lip", "options": {"model_path": str(checkpoint)}}
    assert cli("plan", "--from-file", str(write_json(tmp_path / "plan.json", plan)), "--run-id", "w2l").exit_code == 0
    result = cli("produce", "w2l")
    assert result.exit_code == 0, result.output
    stage = runs / "w2l" / "assembly_lipsync"
    record = json.loads((stage / "manifest.json").read_text())["items"]["lipsync_shot_002"]["result"]
    assert (
        record["model_id"] == "wav2lip_gan.pth"
        and record["lipsynced_frames"] > 0
        and "inference_s" in record["timings"]
    )
    timeline = json.loads((runs / "w2l" / "dialogue_audio" / "dialogue_timeline_audio.json").read_text())
    synced, plain = probe(stage / "shot_002.lipsync.mp4"), probe(runs / "w2l" / "video_clip_qa" / "shot_002.mp4")
    assert synced.video is not None and plain.video is not None
    assert synced.video.frames == plain.video.frames == timeline["shots"][1]["frames"]
    assert synced.video.duration_s == pytest.approx(plain.video.duration_s, abs=1e-6)
    assert not (stage / "shot_001.lipsync.mp4").exists()  # not a close-up: untouched
