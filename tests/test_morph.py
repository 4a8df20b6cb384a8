"""The camera path (pure arithmetic) and the morph video backend (rendered, decoded and measured)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from sparkle_cli.backends.base import ClipRequest, ClipResult, FaceInfo
from sparkle_cli.backends.image.layers import from_image
from sparkle_cli.backends.video.animator import Animator, ShotView
from sparkle_cli.backends.video.camera import (
    CameraMove,
    apply_affine,
    camera_affine,
    camera_state,
    compose,
    end_affine,
    invert_affine,
    is_identity,
    parse_motion,
    shake_envelope,
    transform_box,
)
from sparkle_cli.backends.video.edit import END, START, View, plan_edit
from sparkle_cli.backends.video.morph import MorphBackend, load_keyframe
from sparkle_cli.media.video import iter_frames, probe, psnr

W, H = 160, 96
FACE_BOX = (60, 20, 40, 50)
MOUTH_BOX = (68, 50, 24, 10)

PROMPTS = {
    "static": "static",
    "push_in": "push in",
    "pull_back": "pull back",
    "pan_left": "pan left",
    "pan_right": "pan right",
    "tilt_up": "tilt up",
    "tilt_down": "tilt down",
    "crane_up": "crane up",
    "crane_down": "crane down",
    "track_left": "tracking left",
    "track_right": "tracking right",
    "orbit_right": "orbit",
    "handheld": "handheld",
}


# --- reading the prompt ----------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(PROMPTS))
def test_every_kind_is_recognised(kind: str) -> None:
    assert parse_motion(PROMPTS[kind]).kinds == (kind,)


def test_slow_crane_down() -> None:
    move = parse_motion("Slow crane down while rain intensifies")
    assert move.kinds == ("crane_down",)
    assert move.speed == pytest.approx(0.6)
    assert move.pan_y > 0  # the camera travels down the frame
    assert "crane down" in move.matched and "slow" in move.matched
    assert not move.default


def test_handheld_push_in_ending_on_a_detail() -> None:
    move = parse_motion("Handheld push-in that ends on their hands")
    assert move.kinds == ("push_in", "handheld")
    assert move.zoom > 1.1 and move.shake > 0
    assert move.speed == 1.0


def test_static_does_not_move() -> None:
    move = parse_motion("static")
    assert move.kinds == ("static",)
    for t in (0.0, 0.3, 1.0):
        assert is_identity(camera_affine(move, t, W, H, 5))


def test_pan_left_across_the_skyline() -> None:
    move = parse_motion("Pan left across the skyline")
    assert move.kinds == ("pan_left",)
    assert -0.12 <= move.pan_x <= -0.08


def test_empty_prompt_drifts_in_slowly() -> None:
    move = parse_motion("")
    assert move.kinds == ("push_in",) and move.default
    assert move.speed == pytest.approx(0.6)
    assert move.matched == ()


def test_speed_words_scale_the_move() -> None:
    slow, normal, fast = (parse_motion(p).zoom for p in ("slow push in", "push in", "quick push in"))
    assert 1.0 < slow < normal < fast <= 1.35
    assert parse_motion("whip pan right").pan_x == pytest.approx(0.16)


def test_pans_across_goes_right_and_to_dict_is_plain() -> None:
    move = parse_motion("The camera pans across the market")
    assert move.kinds == ("pan_right",)
    as_dict = move.to_dict()
    assert as_dict["kinds"] == ["pan_right"] and isinstance(as_dict["matched"], list)


# --- the camera path -------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(PROMPTS))
@pytest.mark.parametrize("seed", [0, 7])
def test_path_starts_and_ends_on_the_keyframes(kind: str, seed: int) -> None:
    move = parse_motion(PROMPTS[kind])
    assert is_identity(camera_affine(move, 0.0, W, H, seed))
    assert is_identity(end_affine(move, 1.0, W, H, seed))
    # Seen through either keyframe, the camera is in the same place at every t.
    final = camera_affine(move, 1.0, W, H, seed)
    for t in (0.0, 0.25, 0.5, 0.8):
        via_end = compose(final, end_affine(move, t, W, H, seed))
        assert np.allclose(via_end, camera_affine(move, t, W, H, seed), atol=1e-9)


@pytest.mark.parametrize("kind", sorted(PROMPTS))
def test_path_is_continuous(kind: str) -> None:
    move = parse_motion(PROMPTS[kind])
    corners = np.array([[0, 0], [W, 0], [0, H], [W, H]], dtype=float)
    previous = apply_affine(camera_affine(move, 0.0, W, H, 3), corners)
    for i in range(1, 49):
        now = apply_affine(camera_affine(move, i / 48, W, H, 3), corners)
        assert np.abs(now - previous).max() < 0.05 * W
        previous = now


def test_push_in_zooms_steadily() -> None:
    move = parse_motion("push in")
    scales = [1.0 / camera_affine(move, i / 20, W, H)[0, 0] for i in range(21)]
    assert all(b > a for a, b in pairwise(scales[1:]))
    assert scales[0] == 1.0 and scales[-1] == pytest.approx(move.zoom)
    assert 1.15 <= move.zoom <= 1.2


def test_push_in_stays_inside_the_start_keyframe() -> None:
    move = parse_motion("handheld push in")
    corners = np.array([[0, 0], [W, 0], [0, H], [W, H]], dtype=float)
    for i in range(21):
        src = apply_affine(camera_affine(move, i / 20, W, H, 11), corners)
        assert src[:, 0].min() >= -1e-6 and src[:, 0].max() <= W + 1e-6
        assert src[:, 1].min() >= -1e-6 and src[:, 1].max() <= H + 1e-6


def where_centre_goes(move: CameraMove, t: float) -> np.ndarray:
    """Where the start keyframe's centre is drawn at time t."""
    to_out = invert_affine(camera_affine(move, t, W, H, 0))
    return apply_affine(to_out, np.array([[W / 2, H / 2]]))[0]


def test_pans_and_tilts_move_content_the_right_way() -> None:
    assert where_centre_goes(parse_motion("pan right"), 1.0)[0] < W / 2 - 0.08 * W
    assert where_centre_goes(parse_motion("pan left"), 1.0)[0] > W / 2 + 0.08 * W
    assert where_centre_goes(parse_motion("tilt up"), 1.0)[1] > H / 2 + 0.05 * H
    assert where_centre_goes(parse_motion("crane down"), 1.0)[1] < H / 2 - 0.05 * H


def test_orbit_rotates_and_slides() -> None:
    move = parse_motion("slow orbit left")
    scale, rotation, shift_x, _ = camera_state(move, 1.0, W, H, 0)
    assert move.kinds == ("orbit_left",)
    assert rotation != 0 and shift_x < 0 and scale > 1


def test_handheld_shake_is_seeded_and_fades_at_the_ends() -> None:
    move = parse_motion("handheld")
    assert shake_envelope(0.0) == 0.0 and shake_envelope(1.0) == 0.0 and shake_envelope(0.5) == 1.0
    a = camera_affine(move, 0.5, W, H, 1)
    assert np.array_equal(a, camera_affine(move, 0.5, W, H, 1))
    assert not np.allclose(a, camera_affine(move, 0.5, W, H, 2))
    assert not is_identity(a)
    offsets = [abs(camera_affine(move, t, W, H, 1)[0, 2]) for t in np.linspace(0, 1, 41)]
    assert max(offsets) < 0.05 * W


def test_transform_box() -> None:
    box = (40, 30, 20, 10)
    assert transform_box(box, camera_affine(parse_motion("static"), 0.5, W, H), W, H) == box
    zoomed = transform_box(box, camera_affine(parse_motion("push in"), 1.0, W, H), W, H)
    assert zoomed is not None and zoomed[2] > box[2] and zoomed[3] > box[3]
    shifted = transform_box(box, camera_affine(parse_motion("pan right"), 1.0, W, H), W, H)
    assert shifted is not None and shifted[0] < box[0]
    assert transform_box((-50, 10, 20, 10), np.eye(3)[:2], W, H) is None
    half_out = (W - 10, 10, 20, 10)
    assert transform_box(half_out, np.eye(3)[:2], W, H) == (W - 10, 10, 10, 10)
    assert transform_box(half_out, np.eye(3)[:2], W, H, min_visible=0.75) is None


# --- the morph backend -----------------------------------------------------------------


def soft_keyframe(kind: int) -> Image.Image:
    """A gradient with a few soft-edged shapes, like a painted keyframe."""
    ys, xs = np.mgrid[0:H, 0:W]
    if kind == 0:
        base = np.stack([xs * 200 // W + 30, ys * 150 // H + 50, np.full_like(xs, 120)], axis=-1)
    else:
        base = np.stack([np.full_like(xs, 90), 220 - xs * 150 // W, ys * 180 // H + 40], axis=-1)
    image = Image.fromarray(base.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    if kind == 0:
        draw.ellipse((60, 20, 100, 70), fill=(230, 190, 160))
        draw.rectangle((70, 52, 90, 58), fill=(170, 60, 70))
        draw.rectangle((10, 60, 40, 90), fill=(40, 60, 200))
    else:
        draw.ellipse((100, 10, 150, 50), fill=(250, 240, 120))
        draw.polygon([(10, 90), (60, 40), (110, 90)], fill=(40, 120, 40))
    return image.filter(ImageFilter.GaussianBlur(1.5))


@pytest.fixture
def keyframes(tmp_path: Path) -> tuple[Path, Path]:
    start, end = tmp_path / "start.png", tmp_path / "end.png"
    soft_keyframe(0).save(start)
    soft_keyframe(1).save(end)
    return start, end


def clip_request(keyframes: tuple[Path, Path], **overrides: object) -> ClipRequest:
    start, end = keyframes
    fields: dict[str, object] = {
        "shot_id": "shot_001",
        "start_image": str(start),
        "end_image": str(end),
        "num_frames": 13,
        "fps": 24,
        "width": W,
        "height": H,
        "motion_prompt": "Handheld push-in that ends on their hands",
        "seed": 1,
        "start_faces": [FaceInfo("ana", FACE_BOX, MOUTH_BOX)],
    }
    fields.update(overrides)
    return ClipRequest(**fields)  # type: ignore[arg-type]


def render(tmp_path: Path, request: ClipRequest, name: str = "clip.mp4") -> tuple[ClipResult, list[np.ndarray]]:
    result = MorphBackend({"crf": 18, "preset": "veryfast"}).render(request, tmp_path / name)
    return result, list(iter_frames(result.path))


def test_morph_lands_on_both_keyframes(tmp_path: Path, keyframes: tuple[Path, Path]) -> None:
    result, frames = render(tmp_path, clip_request(keyframes))
    start = np.asarray(Image.open(keyframes[0]).convert("RGB"))
    end = np.asarray(Image.open(keyframes[1]).convert("RGB"))
    info = probe(result.path)
    assert info.video is not None
    assert info.video.frames == 13 == len(frames) == result.num_frames
    assert info.video.duration_s == pytest.approx(13 / 24, abs=1e-3)
    assert (info.video.width, info.video.height) == (W, H)
    assert psnr(frames[0], start) > 35
    assert psnr(frames[-1], end) > 35
    assert result.metadata["first_frame_psnr_db"] == pytest.approx(psnr(frames[0], start), abs=0.01)
    assert result.metadata["last_frame_psnr_db"] == pytest.approx(psnr(frames[-1], end), abs=0.01)
    steps = [float(np.abs(b.astype(int) - a.astype(int)).mean()) for a, b in pairwise(frames)]
    assert min(steps) > 0.05  # the camera keeps moving
    assert result.camera["kinds"] == ["push_in", "handheld"]
    assert result.metadata["views"] == {"start": "pixels", "end": "pixels"}


def blend_share(frame: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(share of b, residual) of the best fit frame ~ (1 - s) a + s b, on the pixels."""
    fa, fb, f = (x.astype(np.float64).ravel() for x in (a, b, frame))
    d = fb - fa
    share = float(np.clip(np.dot(f - fa, d) / max(np.dot(d, d), 1e-9), 0, 1))
    residual = float(np.abs(f - (fa + share * d)).mean())
    return share, residual


def test_a_static_shot_holds_then_changes_without_a_long_mix(tmp_path: Path, keyframes: tuple[Path, Path]) -> None:
    request = clip_request(keyframes, motion_prompt="static", num_frames=48, start_faces=[])
    result, frames = render(tmp_path, request)
    start, end = frames[0], frames[-1]
    shares = [blend_share(f, start, end)[0] for f in frames]
    mixed = [i for i, s in enumerate(shares) if 0.08 < s < 0.92]
    assert len(mixed) <= 12, mixed  # at most half a second at 24 fps
    held = [i for i, s in enumerate(shares) if s <= 0.08]
    assert held == list(range(len(held))) and len(held) >= 16  # the start picture is held first
    assert [s["view"] for s in result.metadata["edit"]] == ["start", "end"]


def test_endpoints_are_exact_before_encoding(keyframes: tuple[Path, Path]) -> None:
    start, _ = load_keyframe(keyframes[0], W, H)
    end, _ = load_keyframe(keyframes[1], W, H)
    for prompt in ("Handheld push-in", "pan left", "slow orbit", "pull back", "static"):
        views = {START: ShotView.of(START, from_image(start), False), END: ShotView.of(END, from_image(end), False)}
        segments = plan_edit(20, 24, [], View(), View(), talking=False, can_close_up=False)
        animator = Animator(views, segments, parse_motion(prompt), num_frames=20, fps=24, seed=4, lines=[])
        frames = [f.pixels for f in animator.frames()]
        assert np.array_equal(frames[0], np.asarray(start)), prompt
        assert np.array_equal(frames[-1], np.asarray(end)), prompt


def test_mouth_track_follows_the_push_in(tmp_path: Path, keyframes: tuple[Path, Path]) -> None:
    end_mouth = (50, 40, 30, 12)
    request = clip_request(
        keyframes,
        motion_prompt="fast push in",
        end_faces=[FaceInfo("ana", (40, 10, 50, 50), end_mouth), FaceInfo("ben", (100, 10, 40, 40), (110, 35, 20, 8))],
    )
    result, _ = render(tmp_path, request)
    track = result.mouth_tracks["ana"]
    assert len(track) == 13
    assert track[0] == MOUTH_BOX and track[-1] == end_mouth
    assert all(box is not None for box in track)
    cut = next(s["first_frame"] for s in result.metadata["edit"] if s["view"] == "end")
    widths = [box[2] for box in track[:cut] if box]
    assert widths == sorted(widths) and widths[-1] > widths[0]
    widths = [box[2] for box in track[cut:] if box]
    assert widths == sorted(widths) and widths[-1] > widths[0]
    # Ben is only in the end keyframe.
    assert result.mouth_tracks["ben"][: cut - 2] == [None] * (cut - 2)
    assert result.mouth_tracks["ben"][-1] == (110, 35, 20, 8)


def test_same_seed_same_frames(tmp_path: Path, keyframes: tuple[Path, Path]) -> None:
    _, a = render(tmp_path, clip_request(keyframes), "a.mp4")
    _, b = render(tmp_path, clip_request(keyframes), "b.mp4")
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_keyframes_of_another_size_are_fitted(tmp_path: Path, keyframes: tuple[Path, Path]) -> None:
    wide = tmp_path / "wide.png"
    soft_keyframe(0).resize((W * 2, H)).save(wide)
    request = clip_request((wide, keyframes[1]), start_faces=[FaceInfo("ana", (120, 20, 80, 50), (136, 50, 48, 10))])
    result, frames = render(tmp_path, request)
    assert frames[0].shape == (H, W, 3)
    assert result.metadata["keyframes_resized"] == [True, False]
    # The wide image was scaled by 1 and cropped 80 px from each side.
    assert result.mouth_tracks["ana"][0] == (56, 50, 48, 10)
    fitted = np.asarray(soft_keyframe(0).resize((W * 2, H)))[:, 80 : 80 + W]
    assert psnr(frames[0], fitted) > 35


def test_single_frame_clip_is_the_start_keyframe(tmp_path: Path, keyframes: tuple[Path, Path]) -> None:
    result, frames = render(tmp_path, clip_request(keyframes, num_frames=1))
    assert len(frames) == 1 and result.num_frames == 1
    assert result.metadata["first_frame_psnr_db"] > 35
    assert result.metadata["last_frame_psnr_db"] == result.metadata["first_frame_psnr_db"]


def test_odd_size_is_refused(tmp_path: Path, keyframes: tuple[Path, Path]) -> None:
    with pytest.raises(ValueError, match="shot_001.*even"):
        MorphBackend().render(clip_request(keyframes, width=161), tmp_path / "odd.mp4")
    assert not (tmp_path / "odd.mp4").exists()


def test_backend_identity() -> None:
    backend = MorphBackend({"crf": 20})
    assert backend.name == "morph" and backend.kind == "video" and backend.version == "2"
    assert backend.settings()["options"] == {"crf": 20}
