"""Faces for lipsync on generated media: the detector, keyframe faces, clip tracks, and no face at all."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sparkle_cli.backends.base import CharacterLook, ClipRequest, FaceInfo, ImageRequest

from .face_image import draw_face

pytest.importorskip("cv2")

AVA = CharacterLook("ava", "Ava", "a woman with short dark hair")


def centre(box):
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def test_detector_fires_on_a_face_and_not_on_noise() -> None:
    from sparkle_cli.backends import face_detect

    for width, height, size, (cx, cy) in [
        (640, 360, 0.55, (0.5, 0.48)),
        (320, 240, 0.6, (0.45, 0.5)),
        (1280, 720, 0.5, (0.6, 0.45)),
    ]:
        picture = draw_face(width, height, size=size, centre=(cx, cy))
        boxes = face_detect.detect_faces(picture)
        assert len(boxes) == 1, (width, boxes)
        x, y = centre(boxes[0])
        # The box sits on the drawn face and is about its size.
        assert abs(x - cx * width) < 0.06 * width and abs(y - cy * height) < 0.12 * height
        assert 0.6 * size * height < boxes[0][3] < 1.4 * size * height
    rng = np.random.default_rng(0)
    for seed in range(12):
        noise = (np.random.default_rng(seed).random((360, 640, 3)) * 255).astype(np.uint8)
        assert face_detect.detect_faces(noise) == []
        # Smooth colour blobs (what a random-weight diffusion model draws) are no face either.
        small = (rng.random((18, 32, 3)) * 255).astype(np.uint8)
        from PIL import Image

        blobs = np.asarray(Image.fromarray(small).resize((640, 360), Image.Resampling.BICUBIC))
        assert face_detect.detect_faces(blobs) == []


def test_padding_mouth_and_smoothing_follow_wav2lip() -> None:
    from sparkle_cli.backends import face_detect

    assert face_detect.pad_box((100, 50, 80, 100), 640, 360) == (100, 50, 80, 115)  # the chin: 15% below
    assert face_detect.pad_box((600, 300, 80, 100), 640, 360) == (600, 300, 40, 60)  # kept inside
    x, y, w, h = face_detect.mouth_box((100, 50, 80, 100))
    assert 100 < x and x + w < 180 and 100 < y and y + h <= 150
    boxes = [(10, 10, 50, 50), (20, 10, 50, 50), None, (40, 10, 50, 50), (50, 10, 50, 50)]
    filled = face_detect.fill_gaps(boxes)
    assert filled[2] == (30, 10, 50, 50)
    smoothed = face_detect.smooth([(i * 10, 0, 50, 50) for i in range(8)])
    assert smoothed[0] == (20, 0, 50, 50)  # mean of frames 0..4, as Wav2Lip's get_smoothened_boxes
    assert smoothed[7] == smoothed[6] == smoothed[3] == (50, 0, 50, 50)  # the last ones share the final window
    assert face_detect.smooth([None, (0, 0, 4, 4), None]) == [None, (0, 0, 4, 4), None]


def test_track_follows_a_moving_face() -> None:
    from sparkle_cli.backends import face_detect

    frames = [
        draw_face(320, 240, size=0.6, centre=(0.4 + 0.02 * i, 0.5), mouth_open=(i % 3) / 2, seed=i) for i in range(9)
    ]
    frames[4] = (np.random.default_rng(4).random((240, 320, 3)) * 255).astype(np.uint8)  # one frame lost
    track = face_detect.track_face(frames, None)
    assert all(track), track
    xs = [centre(b)[0] for b in track]
    # Smoothed over 5 frames as Wav2Lip does, the track still moves with the face, without a jump.
    assert xs[-1] - xs[0] > 0.06 * 320 and xs == sorted(xs) and abs(xs[4] - (xs[3] + xs[5]) / 2) < 8


def test_sdxl_records_the_close_up_speakers_face(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("diffusers")
    from diffusers import StableDiffusionXLPipeline
    from PIL import Image

    from sparkle_cli.backends.image.sdxl import SDXLBackend

    from .tiny_diffusion import save_tiny_sdxl

    original = StableDiffusionXLPipeline.__call__

    def draws_a_face(self, **kwargs):
        # Random weights paint noise; keep the real call, then show what a trained model would: a face.
        result = original(self, **kwargs)
        faces = [Image.fromarray(draw_face(kwargs["width"], kwargs["height"], size=0.6)) for _ in result.images]
        return SimpleNamespace(images=faces)

    folder = save_tiny_sdxl(tmp_path / "sdxl")
    backend = SDXLBackend({"model_path": str(folder), "steps": 2, "base_resolution": 64, "ip_adapter": "none"})
    backend.load()
    plain = backend.render(
        ImageRequest("k0", "Ava on a roof", 1, 320, 240, characters=[AVA], closeup_character="ava"), tmp_path / "k0.png"
    )
    assert plain.faces == []  # noise: no face, and none made up
    monkeypatch.setattr(StableDiffusionXLPipeline, "__call__", draws_a_face)
    result = backend.render(
        ImageRequest("k1", "Ava on a roof", 1, 320, 240, characters=[AVA], closeup_character="ava"), tmp_path / "k1.png"
    )
    assert len(result.faces) == 1 and result.faces[0].character_id == "ava"
    fx, fy, fw, fh = result.faces[0].face_box
    mx, my, mw, mh = result.faces[0].mouth_box
    assert abs(fx + fw / 2 - 160) < 20 and fx <= mx and mx + mw <= fx + fw and fy < my and my + mh <= fy + fh
    wide = backend.render(ImageRequest("k2", "Ava on a roof", 1, 320, 240, characters=[AVA]), tmp_path / "k2.png")
    assert wide.faces == []  # only talking close-ups are lipsynced


def test_wan_tracks_the_face_through_the_clip(tmp_path: Path, monkeypatch) -> None:
    from sparkle_cli.backends import face_detect

    pytest.importorskip("diffusers")
    from diffusers import WanImageToVideoPipeline
    from PIL import Image

    from sparkle_cli.backends.video.wan import WanBackend

    from .tiny_diffusion import save_tiny_wan

    def talking(self, **kwargs):
        n, w, h = kwargs["num_frames"], kwargs["width"], kwargs["height"]
        frames = [draw_face(w, h, size=0.6, centre=(0.45 + 0.01 * i, 0.5), mouth_open=i % 2, seed=i) for i in range(n)]
        return SimpleNamespace(frames=[np.stack(frames).astype(np.float32) / 255.0])

    Image.fromarray(draw_face(320, 240, size=0.6, centre=(0.45, 0.5))).save(tmp_path / "a.png")
    Image.fromarray(draw_face(320, 240, size=0.6, centre=(0.53, 0.5))).save(tmp_path / "b.png")
    start = face_detect.detect_faces(draw_face(320, 240, size=0.6, centre=(0.45, 0.5)))[0]
    monkeypatch.setattr(WanImageToVideoPipeline, "__call__", talking)
    backend = WanBackend({"model_path": str(save_tiny_wan(tmp_path / "wan")), "device": "cpu", "measure_vae": False})
    backend.load()
    request = ClipRequest(
        "shot_002",
        str(tmp_path / "a.png"),
        str(tmp_path / "b.png"),
        9,
        8.0,
        320,
        240,
        "slow push-in",
        1,
        start_faces=[FaceInfo("ava", face_detect.pad_box(start, 320, 240), face_detect.mouth_box(start))],
    )
    result = backend.render(request, tmp_path / "clip.mp4")
    assert set(result.face_tracks) == set(result.mouth_tracks) == {"ava"}
    faces, mouths = result.face_tracks["ava"], result.mouth_tracks["ava"]
    assert len(faces) == len(mouths) == 9 and all(faces) and all(mouths)
    assert centre(faces[-1])[0] > centre(faces[0])[0] + 10  # it follows the face across the frame
    assert result.metadata["faces_found"] == {"ava": 9}


def test_a_talking_close_up_without_a_face_is_heard_off_screen(runs: Path, cli, tmp_path: Path) -> None:
    """Wav2Lip selected, no face found for the speaker: the run finishes, says so, and leaves the clip be."""
    import torch

    from sparkle_cli.backends.lipsync.wav2lip_net import Wav2Lip, public_state_dict

    from .conftest import write_json
    from .test_chatterbox import mini_plan

    torch.manual_seed(0)
    checkpoint = tmp_path / "wav2lip_gan.pth"
    torch.save(public_state_dict(Wav2Lip()), checkpoint)
    plan = mini_plan({"backend": "espeak"})
    plan["shots"][1]["is_talking_closeup"] = True
    # Nothing in the picture is a face the keyframes recorded: a close-up of the sky.
    plan["base_images"] = [{"id": f"frame_00{i}", "prompt": "an empty night sky", "metadata": {}} for i in range(3)]
    plan["render_profile"]["lipsync"] = {"backend": "wav2lip", "options": {"model_path": str(checkpoint)}}
    plan_path = write_json(tmp_path / "plan.json", plan)
    assert cli("plan", "--from-file", str(plan_path), "--run-id", "sky").exit_code == 0
    # The built-in painter draws the speaker's face; take it out of the clip results as a detector
    # that found no face would leave them, then assemble again.
    result = cli("produce", "sky")
    assert result.exit_code == 0, result.output
    clips = runs / "sky" / "video_clips" / "manifest.json"
    data = json.loads(clips.read_text())
    for item in data["items"].values():
        item["result"]["mouth_tracks"], item["result"]["face_tracks"] = {}, {}
    clips.write_text(json.dumps(data))
    result = cli("resume", "sky", "--from", "assembly_lipsync")
    assert result.exit_code == 0, result.output
    assert "shot_002" in result.output and "off-screen" in result.output
    stage = runs / "sky" / "assembly_lipsync"
    alignment = json.loads((stage / "alignment_map.json").read_text())
    assert "off-screen" in alignment["lipsync_skipped"]["shot_002"]
    assert [s["lipsynced"] for s in alignment["shots"]] == [False, False]
    assert "lipsync_shot_002" not in json.loads((stage / "manifest.json").read_text())["items"]
