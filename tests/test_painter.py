"""The keyframe painter and the shared face drawing, checked by measuring the pictures they make."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sparkle_cli.backends.base import CharacterLook, ImageRequest, ImageResult
from sparkle_cli.backends.image.faces import draw_mouth
from sparkle_cli.backends.image.painter import PainterBackend, look_for, read_scene

AVA = CharacterLook(id="ava", name="Ava", description="tall photographer in a red jacket and blue jeans")
MIKO = CharacterLook(id="miko", name="Miko", description="DJ with headphones in a teal hoodie")


def render(
    tmp_path: Path, prompt: str, *, w: int = 320, h: int = 180, seed: int = 7, name: str = "img", **kw: object
) -> tuple[np.ndarray, ImageResult]:
    request = ImageRequest(image_id=name, prompt=prompt, seed=seed, width=w, height=h, **kw)  # type: ignore[arg-type]
    out = tmp_path / f"{name}.png"
    result = PainterBackend().render(request, out)
    with Image.open(out) as im:
        assert im.mode == "RGB"
        return np.asarray(im).copy(), result


def grey(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    ix, iy, iw, ih = inner
    ox, oy, ow, oh = outer
    return ix >= ox and iy >= oy and ix + iw <= ox + ow and iy + ih <= oy + oh


def test_same_request_gives_identical_bytes(tmp_path: Path) -> None:
    request = ImageRequest("k0", "Night skyline, pink neon, rain streaks on lens", 11, 320, 180, characters=[AVA, MIKO])
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    PainterBackend().render(request, a)
    PainterBackend().render(request, b)
    assert a.read_bytes() == b.read_bytes()


def test_seed_changes_the_picture(tmp_path: Path) -> None:
    one, _ = render(tmp_path, "A forest at dawn", seed=1, name="one")
    two, _ = render(tmp_path, "A forest at dawn", seed=2, name="two")
    assert np.abs(one.astype(int) - two.astype(int)).mean() > 2


@pytest.mark.parametrize("size", [(64, 64), (640, 360), (333, 197), (200, 480), (1920, 1080)])
def test_output_has_exactly_the_requested_size(tmp_path: Path, size: tuple[int, int]) -> None:
    w, h = size
    img, result = render(
        tmp_path, "Camera settles behind Ava as she faces Miko on a rooftop", w=w, h=h, characters=[AVA, MIKO]
    )
    assert img.shape == (h, w, 3)
    assert (result.width, result.height) == (w, h)
    for face in result.faces:
        assert inside(face.face_box, (0, 0, w, h))


def test_night_is_darker_than_noon(tmp_path: Path) -> None:
    night, meta_night = render(tmp_path, "A city street at night", name="night")
    noon, meta_noon = render(tmp_path, "A city street at noon", name="noon")
    assert meta_night.metadata["time_of_day"] == "night"
    assert meta_noon.metadata["time_of_day"] == "noon"
    assert grey(noon).mean() - grey(night).mean() > 40


def _streak_energy(img: np.ndarray) -> float:
    """Horizontal contrast that persists down several rows: what vertical streaks add."""
    gx = np.diff(grey(img), axis=1)
    k = 6
    coherent = np.stack([gx[i : gx.shape[0] - k + i] for i in range(k)]).mean(axis=0)
    return float(np.abs(coherent).mean())


def test_rain_adds_vertical_streaks(tmp_path: Path) -> None:
    clear, _ = render(tmp_path, "An open meadow at noon under a clear sky", name="clear")
    wet, result = render(tmp_path, "An open meadow at noon in the rain", name="rain")
    assert "rain" in result.metadata["weather"]
    assert _streak_energy(wet) > 1.5 * _streak_energy(clear)


def test_different_prompts_give_different_pictures(tmp_path: Path) -> None:
    a, ra = render(tmp_path, "A desert with dunes at noon", name="desert")
    b, rb = render(tmp_path, "A snowy forest at night", name="forest")
    assert ra.metadata["setting"] == "desert" and rb.metadata["setting"] == "forest"
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 30


def test_a_character_keeps_its_clothing_colour_across_scenes(tmp_path: Path) -> None:
    colours = []
    for i, prompt in enumerate(["Ava walks through a park at noon", "Ava waits on a city street in the morning"]):
        img, result = render(tmp_path, prompt, w=640, h=360, name=f"scene{i}", characters=[AVA, MIKO])
        (figure,) = result.metadata["figures"]
        assert figure["id"] == "ava"
        x, y, w, h = figure["top_swatch"]
        bx, by, bw, bh = figure["box"]
        assert inside((x, y, w, h), (bx, by, bw, bh))
        colours.append(img[y : y + h, x : x + w].reshape(-1, 3).astype(float).mean(axis=0))
    for r, g, b in colours:
        assert r > g + 50 and r > b + 50, "a red jacket should read as red"
    assert np.abs(colours[0] - colours[1]).max() < 40


def test_look_depends_only_on_id_and_description() -> None:
    assert look_for(AVA) == look_for(CharacterLook(id="ava", name="Someone else", description=AVA.description))
    assert look_for(AVA).top == (228, 60, 62)
    assert look_for(AVA).bottom == (60, 120, 255)
    assert look_for(AVA) != look_for(MIKO)


def test_talking_closeup_returns_face_and_mouth_inside_the_image(tmp_path: Path) -> None:
    img, result = render(tmp_path, "Ava speaks", w=640, h=360, characters=[AVA, MIKO], closeup_character="ava")
    assert result.metadata["mode"] == "portrait"
    (face,) = [f for f in result.faces if f.character_id == "ava"]
    assert inside(face.face_box, (0, 0, 640, 360))
    assert inside(face.mouth_box, face.face_box)
    assert face.face_box[3] >= 100, "a talking close-up fills the frame with the face"
    # The painted mouth is what draw_mouth paints closed, so animation starts from it.
    again = img.copy()
    draw_mouth(again, face.mouth_box, 0.0)
    assert np.abs(again.astype(int) - img.astype(int)).max() <= 6


def test_small_figures_get_no_face_entry(tmp_path: Path) -> None:
    _, result = render(tmp_path, "Wide establishing view of Ava in a field", w=640, h=360, characters=[AVA])
    assert result.metadata["camera"] == "wide"
    assert [f["id"] for f in result.metadata["figures"]] == ["ava"]
    assert result.faces == []


def test_large_figure_faces_are_reported(tmp_path: Path) -> None:
    _, result = render(tmp_path, "Ava and Miko talk on a beach", w=1280, h=720, characters=[AVA, MIKO])
    assert {f.character_id for f in result.faces} == {"ava", "miko"}
    for f in result.faces:
        assert f.face_box[3] >= 40 and inside(f.mouth_box, f.face_box)


def test_wide_shot_without_names_draws_nobody(tmp_path: Path) -> None:
    _, result = render(tmp_path, "Wide establishing shot of the harbor", characters=[AVA, MIKO])
    assert result.metadata["figures"] == []


def test_in_frame_decides_who_is_drawn(tmp_path: Path) -> None:
    _, result = render(tmp_path, "Ava on a bridge at dusk", characters=[AVA, MIKO], in_frame=["miko"])
    assert [f["id"] for f in result.metadata["figures"]] == ["miko"]


def test_closeup_on_hands(tmp_path: Path) -> None:
    img, result = render(
        tmp_path,
        "Closeup on clasped hands lit by cyan signage",
        characters=[AVA, MIKO],
        setting="Medium shot as the friends talk",
    )
    assert result.metadata["mode"] == "hands"
    assert "cyan" in result.metadata["colours"]
    assert grey(img).std() > 12


def test_scene_words_are_recognised() -> None:
    scene = read_scene(
        "Night skyline, pink neon, rain streaks on lens", "Neon rooftop with rain pooling on glass tiles"
    )
    assert (scene.time, scene.weather, scene.family, scene.camera) == ("night", ("rain",), "rooftop", "wide")
    assert scene.neon and scene.colours == ("pink",)
    assert read_scene("A fox and an owl argue in a snowy forest at dawn").family == "forest"
    assert read_scene("Closeup on clasped hands lit by cyan signage").light_colour == (40, 228, 255)
    assert read_scene("Camera settles behind Ava as she faces Miko").behind == "ava"
    families = {
        read_scene(p).family
        for p in (
            "kitchen",
            "a planet in space",
            "rooftop",
            "alley",
            "bridge",
            "harbor",
            "skyline",
            "woods",
            "beach",
            "mountains",
            "desert",
            "meadow",
        )
    }
    assert len(families) == 12


@pytest.mark.parametrize("prompt", ["Something happens.", "", "Thick fog at night"])
@pytest.mark.parametrize("size", [(64, 64), (320, 180)])
def test_pictures_are_never_flat(tmp_path: Path, prompt: str, size: tuple[int, int]) -> None:
    img, _ = render(tmp_path, prompt, w=size[0], h=size[1])
    assert grey(img).std() > 12


def _skin_frame() -> np.ndarray:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (60, 90, 3), dtype=np.uint8)
    y, x = np.mgrid[10:40, 20:70]
    frame[10:40, 20:70, 0] = 200 + x // 10
    frame[10:40, 20:70, 1] = 160 + y // 8
    frame[10:40, 20:70, 2] = 130
    return frame


def test_draw_mouth_touches_only_its_box() -> None:
    box = (25, 15, 40, 20)
    for openness in (0.0, 0.4, 1.0):
        frame = _skin_frame()
        before = frame.copy()
        draw_mouth(frame, box, openness)
        changed = np.argwhere(np.any(frame != before, axis=2))
        assert len(changed) > 0
        assert changed[:, 1].min() >= 25 and changed[:, 1].max() < 65
        assert changed[:, 0].min() >= 15 and changed[:, 0].max() < 35


def test_draw_mouth_clips_to_the_frame() -> None:
    frame = _skin_frame()
    before = frame.copy()
    draw_mouth(frame, (70, 45, 40, 20), 1.0)
    assert np.array_equal(frame[:45], before[:45]) and np.array_equal(frame[:, :70], before[:, :70])


def test_opening_the_mouth_darkens_it() -> None:
    box = (25, 15, 40, 20)
    means = []
    for openness in (0.0, 0.5, 1.0):
        frame = _skin_frame()
        draw_mouth(frame, box, openness)
        means.append(grey(frame[15:35, 25:65]).mean())
    assert means[0] > means[1] + 3 > means[2] + 6


def test_draw_mouth_redraws_from_the_same_skin() -> None:
    frame = _skin_frame()
    draw_mouth(frame, (25, 15, 40, 20), 0.0)
    closed = frame.copy()
    draw_mouth(frame, (25, 15, 40, 20), 1.0)
    draw_mouth(frame, (25, 15, 40, 20), 0.0)
    assert np.abs(frame.astype(int) - closed.astype(int)).max() <= 1


def test_report_render_times(tmp_path: Path) -> None:
    """Not a limit, a report: run with -s to see how long a keyframe takes here."""
    for w, h in ((640, 360), (1920, 1080)):
        request = ImageRequest("t", "Night skyline, pink neon, rain streaks on lens", 3, w, h, characters=[AVA, MIKO])
        PainterBackend().render(request, tmp_path / "warm.png")
        start = time.perf_counter()
        PainterBackend().render(request, tmp_path / "t.png")
        print(f"painter {w}x{h}: {(time.perf_counter() - start) * 1000:.0f} ms")
