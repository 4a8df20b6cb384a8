"""The built-in movie as an animated film: no double images, the speaker on screen, pictures that match their prompts.

Measured on rendered media: the frames of produced movies, the painted keyframes and the
alignment map, with the few bookkeeping fields a test needs (shot frames, mouth boxes) read
from the run the way a user's tool would.
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sparkle_cli.backends.base import CharacterLook, ClipRequest, ImageRequest
from sparkle_cli.backends.image.layers import compose
from sparkle_cli.backends.image.painter import PainterBackend, describe, paint
from sparkle_cli.backends.image.scene import read_scene
from sparkle_cli.backends.video.animator import Animator, ShotView
from sparkle_cli.backends.video.edit import END, MAX_DISSOLVE_S, START, Line, View, close_up, plan_edit
from sparkle_cli.backends.video.morph import MorphBackend
from sparkle_cli.media.video import iter_frames, psnr

from .conftest import write_json

FPS = 12

# --- measuring double images from pixels -----------------------------------------------

#: Small camera moves a held picture may have made between two frames: zooms about the centre and shifts.
SCALES = (0.94, 0.97, 1.0, 1.03, 1.06)
SHIFTS = [(dx, dy) for dx in (-3, -2, -1, 0, 1, 2, 3) for dy in (-2, -1, 0, 1, 2)]
#: Windows (seconds either side of a frame) over which a picture change is looked for.
WINDOWS_S = (0.25, 0.5, 1.0)


def _moved(img: np.ndarray) -> list[np.ndarray]:
    h, w = img.shape[:2]
    planes = [Image.fromarray(img[..., k]) for k in range(img.shape[2])]
    out = []
    for s in SCALES:
        a = 1 / s
        for dx, dy in SHIFTS:
            data = (a, 0, w / 2 - a * w / 2 + dx, 0, a, h / 2 - a * h / 2 + dy)
            warped = [
                np.asarray(p.transform((w, h), Image.Transform.AFFINE, data, Image.Resampling.BILINEAR)) for p in planes
            ]
            out.append(np.stack(warped, axis=-1))
    return out


def mixed_frames(frames: list[np.ndarray], fps: float) -> list[int]:
    """Frames (small float RGB thumbnails of one shot) that show two different pictures at once.

    A frame is a mix when, against a frame before and one after it that differ a lot, neither of
    those (seen through any small camera move) explains it, but a blend of the two does. Camera
    moves, breathing and blinks are explained by one picture alone; a cut has no frame between.
    """
    core = (slice(4, -4), slice(4, -4))
    cache: dict[int, list[np.ndarray]] = {}

    def moved(j: int) -> list[np.ndarray]:
        if j not in cache:
            cache[j] = _moved(frames[j])
        return cache[j]

    def best(f: np.ndarray, j: int) -> tuple[float, np.ndarray]:
        errs = [float(np.abs(f[core] - v[core]).mean()) for v in moved(j)]
        k = int(np.argmin(errs))
        return errs[k], moved(j)[k]

    n, out = len(frames), []
    for i in range(n):
        for seconds in WINDOWS_S:
            m = max(1, round(seconds * fps))
            if i - m < 0 or i + m >= n:
                continue
            p, q, f = frames[i - m], frames[i + m], frames[i]
            d = q - p
            if float(np.abs(d).mean()) < 10:
                continue
            share = float(np.sum((f - p) * d) / np.sum(d * d))
            if not 0.15 < share < 0.85:
                continue
            ep, vp = best(f, i - m)
            eq, vq = best(f, i + m)
            dd, ff = (vq - vp)[core], (f - vp)[core]
            s = float(np.clip(np.sum(ff * dd) / max(float(np.sum(dd * dd)), 1e-6), 0, 1))
            if min(ep, eq) > 3.0 and 0.15 < s < 0.85 and float(np.abs(ff - s * dd).mean()) < 0.6 * min(ep, eq):
                out.append(i)
                break
    return out


def shot_mixes(movie: Path, alignment: dict) -> dict[str, list[int]]:
    frames = [f.astype(np.float32) for f in iter_frames(movie, size=(64, 36))]
    return {
        s["shot_id"]: mixed_frames(frames[s["start_frame"] : s["start_frame"] + s["frames"]], alignment["fps"])
        for s in alignment["shots"]
    }


def test_the_measure_catches_a_shot_long_cross_fade(tmp_path: Path) -> None:
    """The old look, a dissolve from one picture to the next over the whole shot, is caught."""
    cast = [CharacterLook("ava", "Ava", "a detective, a woman"), CharacterLook("ben", "Ben", "a chef, a man")]
    pics = []
    for i, prompt in enumerate(("Close-up of Ava in a kitchen", "Close-up of Ben in a kitchen")):
        req = ImageRequest(f"k{i}", prompt, 5 + i, 160, 96, characters=cast, closeup_character=["ava", "ben"][i])
        layers, _, _ = paint(describe(req))
        pics.append(compose(layers).astype(np.float32))
    n = 60
    blended = []
    for i in range(n):
        t = i / (n - 1)
        w = t * t * (3 - 2 * t)
        frame = Image.fromarray(((1 - w) * pics[0] + w * pics[1]).astype(np.uint8))
        # A slow push-in, as the shot's camera would make.
        z = 1 + 0.1 * t
        frame = frame.resize((round(160 * z), round(96 * z))).crop((0, 0, 160, 96))
        blended.append(np.asarray(frame.resize((64, 36), Image.Resampling.BOX), np.float32))
    mixed = mixed_frames(blended, FPS)
    assert len(mixed) / FPS > 1.5, mixed


# --- a produced movie ------------------------------------------------------------------


def talk_plan() -> dict:
    """Three shots: a wide view, two characters talking in one close-up shot, then three voices."""
    chars = [
        ("ava", "Ava", "a detective in a trench coat, a woman", "I found the recipe in the safe."),
        ("ben", "Ben", "a chef, a man with a beard", "Then someone wanted it hidden."),
        ("cleo", "Cleo", "a talking cat", "I saw who it was."),
    ]
    lines = [
        ("ava", 3.4, "I found the recipe in the safe."),
        ("ben", 5.6, "Then someone wanted it hidden."),
        ("ava", 7.6, "Who would do that?"),
        ("ava", 9.6, "We have to tell someone."),
        ("ben", 11.4, "Not yet. Listen."),
        ("cleo", 13.2, "I saw who it was."),
    ]
    return {
        "title": "The Recipe",
        "characters": [
            {"id": cid, "name": name, "description": desc, "voice_profile": {"language": "en-US"}}
            for cid, name, desc, _ in chars
        ],
        "base_images": [
            {
                "id": "frame_000",
                "prompt": "Wide view of a kitchen at night, no one in focus yet",
                "metadata": {"seed": 1},
            },
            {"id": "frame_001", "prompt": "Close-up of Ava in the kitchen at night", "metadata": {"seed": 2}},
            {"id": "frame_002", "prompt": "Close-up of Ben in the kitchen at night", "metadata": {"seed": 3}},
            {
                "id": "frame_003",
                "prompt": "Ava, Ben and Cleo together in the kitchen at night",
                "metadata": {"seed": 4},
            },
        ],
        "shots": [
            {
                "id": "shot_001",
                "duration_sec": 3.0,
                "setting": "kitchen at night",
                "visual_description": "Wide view of the kitchen",
                "start_base_image_id": "frame_000",
                "end_base_image_id": "frame_001",
                "motion_prompt": "Slow crane down",
                "is_talking_closeup": False,
            },
            {
                "id": "shot_002",
                "duration_sec": 6.0,
                "setting": "kitchen at night",
                "visual_description": "Ava and Ben talk",
                "start_base_image_id": "frame_001",
                "end_base_image_id": "frame_002",
                "motion_prompt": "Gentle push-in",
                "is_talking_closeup": True,
            },
            {
                "id": "shot_003",
                "duration_sec": 6.5,
                "setting": "kitchen at night",
                "visual_description": "All three talk",
                "start_base_image_id": "frame_002",
                "end_base_image_id": "frame_003",
                "motion_prompt": "Slow pan right",
                "is_talking_closeup": True,
            },
        ],
        "dialogue_timeline": [
            {"type": "dialogue", "character_id": c, "text": t, "start_time_sec": s, "duration_sec": 1.6}
            for c, s, t in lines
        ],
        "render_profile": {
            "video": {"model_id": "builtin-morph", "max_fps": FPS, "width": 320, "height": 180},
            "images": {"backend": "painter"},
            "tts": {"backend": "espeak"},
            "qa": {"backend": "heuristic"},
            "lipsync": {"backend": "amplitude"},
        },
        "metadata": {"seed": 7},
    }


@pytest.fixture(scope="module")
def talk_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    from sparkle_cli.cli import app

    root = tmp_path_factory.mktemp("runs")
    plan = write_json(root / "talk.plan.json", talk_plan())
    runner = CliRunner()
    args = ["--runs-dir", str(root)]
    assert runner.invoke(app, ["plan", "--from-file", str(plan), "--run-id", "talk", *args]).exit_code == 0
    result = runner.invoke(app, ["produce", "talk", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "talk"


def alignment_of(run: Path) -> dict:
    return json.loads((run / "assembly_lipsync" / "alignment_map.json").read_text())


def test_no_shot_mixes_two_pictures_for_more_than_half_a_second(talk_run: Path) -> None:
    alignment = alignment_of(talk_run)
    mixes = shot_mixes(talk_run / "assembly_lipsync" / "video_final.mp4", alignment)
    for shot_id, frames in mixes.items():
        assert len(frames) / alignment["fps"] <= MAX_DISSOLVE_S, (shot_id, frames)


def test_each_line_of_a_talking_closeup_is_on_screen_as_its_speaker(talk_run: Path) -> None:
    alignment = alignment_of(talk_run)
    talking = {"shot_002", "shot_003"}
    lines = [ln for ln in alignment["lines"] if ln["shot_id"] in talking]
    assert {ln["character_id"] for ln in lines if ln["shot_id"] == "shot_002"} == {"ava", "ben"}
    assert {ln["character_id"] for ln in lines if ln["shot_id"] == "shot_003"} == {"ava", "ben", "cleo"}
    assert [ln["on_screen"] for ln in lines] == [ln["character_id"] for ln in lines]


def dark_share(frame: np.ndarray, box: list[int]) -> float:
    """How much of a mouth box is dark like an open mouth's inside, against the skin round it."""
    x, y, w, h = box
    region = frame[y : y + h, x : x + w].astype(np.float32) @ np.array([0.3, 0.59, 0.11], np.float32)
    ring = np.concatenate([region[0], region[-1], region[:, 0], region[:, -1]])
    return float((region < 0.4 * np.median(ring)).mean())


def mouth_report(run: Path, shot_id: str) -> dict[str, tuple[list[float], list[float]]]:
    """Per line of the shot, how open its speaker's mouth is in each of its frames (from the final
    movie's pixels); per character, the same while it is on screen and silent."""
    alignment = alignment_of(run)
    shot = next(s for s in alignment["shots"] if s["shot_id"] == shot_id)
    first = shot["start_frame"]
    tracks = json.loads((run / "video_clips" / "manifest.json").read_text())["items"][shot_id]["result"]["mouth_tracks"]
    frames = list(iter_frames(run / "assembly_lipsync" / "video_final.mp4"))[first : first + shot["frames"]]
    lines = [ln for ln in alignment["lines"] if ln["shot_id"] == shot_id]
    # A mouth closes over a few frames after its line; those frames are neither speech nor silence.
    busy = {
        ln["character_id"]: {i for m in lines if m["character_id"] == ln["character_id"] for i in range(m["start_frame"] - first, m["end_frame"] - first + 8)}
        for ln in lines
    }  # fmt: skip
    report: dict[str, tuple[list[float], list[float]]] = {}
    for ln in lines:
        cid, boxes = ln["character_id"], tracks[ln["character_id"]]
        span = [i for i in range(ln["start_frame"] - first, ln["end_frame"] - first) if boxes[i]]
        spoken = [dark_share(frames[i], boxes[i]) for i in span]
        # Silence is measured on the same picture of the speaker (a mouth box of the same size).
        width = float(np.median([boxes[i][2] for i in span])) if span else 0.0
        silent = [
            dark_share(frames[i], b)
            for i, b in enumerate(boxes)
            if b and i not in busy[cid] and abs(b[2] - width) <= 0.2 * width
        ]
        report[ln["line_id"]] = (spoken, silent)
    return report


def test_each_speakers_own_mouth_moves_during_their_line(talk_run: Path) -> None:
    """In the pixels: the speaker's mouth is open (dark inside) through much of their line, shut when silent."""
    for shot_id in ("shot_002", "shot_003"):
        for line_id, (spoken, silent) in mouth_report(talk_run, shot_id).items():
            closed = float(np.median(silent)) if silent else 0.0
            opened = [v > closed + 0.03 for v in spoken]
            assert sum(opened) >= 0.5 * len(opened), (line_id, np.round(spoken, 3), closed)
            if silent:
                assert np.mean([v > closed + 0.03 for v in silent]) <= 0.25, (line_id, np.round(silent, 3))


def test_clips_still_start_and_end_on_their_keyframes(talk_run: Path) -> None:
    for shot_id, item in json.loads((talk_run / "video_clips" / "manifest.json").read_text())["items"].items():
        meta = item["result"]["metadata"]
        assert meta["first_frame_psnr_db"] > 30 and meta["last_frame_psnr_db"] > 30, shot_id
        assert set(meta["views"].values()) == {"painted"}, shot_id


def test_a_together_keyframe_in_the_run_records_every_face(talk_run: Path) -> None:
    result = json.loads((talk_run / "base_images" / "manifest.json").read_text())["items"]["frame_003"]["result"]
    assert sorted(f["character_id"] for f in result["faces"]) == ["ava", "ben", "cleo"]


# --- keyframes that match their prompts ------------------------------------------------

CAST = [
    CharacterLook("ava", "Ava", "a detective, a woman in a trench coat"),
    CharacterLook("miko", "Miko", "a chef, a man"),
]


def painted(
    tmp_path: Path, prompt: str, name: str, w: int = 320, h: int = 180, **kw: object
) -> tuple[np.ndarray, dict]:
    request = ImageRequest(name, prompt, 11, w, h, characters=CAST, **kw)  # type: ignore[arg-type]
    result = PainterBackend().render(request, tmp_path / f"{name}.png")
    with Image.open(result.path) as im:
        return np.asarray(im.convert("RGB")), {"faces": result.faces, **result.metadata}


def test_a_together_keyframe_is_a_two_shot_with_both_faces(tmp_path: Path) -> None:
    img, meta = painted(tmp_path, "Ava and Miko together on a beach at sunset", "two")
    assert meta["camera"] == "two"
    assert sorted(f.character_id for f in meta["faces"]) == ["ava", "miko"]
    boxes = {f.character_id: f.face_box for f in meta["faces"]}
    assert abs(boxes["ava"][0] - boxes["miko"][0]) > 320 * 0.25  # side by side, not one over the other


def test_a_wide_view_shows_the_cast_small_in_the_place(tmp_path: Path) -> None:
    _, meta = painted(tmp_path, "Wide view of the castle, Ava and Miko small in the frame", "wide")
    heights = [f["box"][3] for f in meta["figures"]]
    assert len(heights) == 2 and max(heights) < 180 * 0.3
    assert meta["place"] == "castle" and not meta["faces"]


PLACES = [
    "kitchen", "bakery", "restaurant", "cafe", "TV studio", "library", "classroom", "office", "laboratory",
    "hospital", "living room", "bedroom", "greenhouse", "garden", "park", "meadow", "farm", "forest",
    "jungle", "beach", "sea", "lake", "river", "harbor", "ship deck", "island", "desert", "mountain",
    "cave", "volcano", "castle", "throne room", "dungeon", "tavern", "village", "market", "city street",
    "alley", "rooftop", "train station", "museum", "theater stage", "space station", "spaceship",
    "moon surface", "swamp", "temple ruins",
]  # fmt: skip


def test_the_place_vocabulary_is_read(tmp_path: Path) -> None:
    expect = {"TV studio": "studio", "ship deck": "ship", "city street": "street", "train station": "station",
              "theater stage": "theater", "moon surface": "moon", "temple ruins": "ruins"}  # fmt: skip
    for place in PLACES:
        assert read_scene(f"Wide view of the {place}").place == expect.get(place, place), place
    assert read_scene("A detective in a rainy city at night").weather[:1] == ("rain",)
    assert read_scene("a storm at sea").weather[:2] == ("rain", "storm")
    for word, time in (("dawn", "dawn"), ("morning", "morning"), ("day", "noon"), ("sunset", "golden"),
                       ("dusk", "dusk"), ("night", "night")):  # fmt: skip
        assert read_scene(f"a park at {word}").time == time
    for word in ("rain", "storm", "snow", "fog", "wind"):
        assert word in read_scene(f"a park in the {word}").weather


def test_distinct_places_render_distinctly(tmp_path: Path) -> None:
    """Every pair of places differs in colour or structure: a measurable difference on small copies."""
    thumbs = {}
    for place in PLACES:
        img, meta = painted(tmp_path, f"Wide view of the {place} at day", place.replace(" ", "_"), 160, 90)
        thumbs[place] = np.asarray(Image.fromarray(img).resize((32, 18), Image.Resampling.BOX), np.float32)
    close = []
    for a, b in combinations(PLACES, 2):
        diff = float(np.abs(thumbs[a] - thumbs[b]).mean())
        if diff < 8:
            close.append((a, b, round(diff, 1)))
    assert not close, close


def test_roles_and_species_dress_the_figure(tmp_path: Path) -> None:
    from sparkle_cli.backends.image.looks import look_for

    def look(desc: str):  # noqa: ANN202
        return look_for(CharacterLook("x", "X", desc), "s")

    assert (look("a detective, a tired woman").hat, look("a detective, a tired woman").outfit) == ("fedora", "coat")
    assert look("a chef").hat == "toque" and look("a chef").outfit == "whites"
    assert look("an astronaut").hat == "space_helmet" and look("an astronaut").outfit == "spacesuit"
    assert look("a knight").outfit == "armour" and look("a wizard").hat == "wizard_hat"
    assert look("a pirate").hat == "tricorn"
    for animal in ("cat", "dog", "fox", "dragon", "robot"):
        lk = look(f"a talking {animal}")
        assert lk.kind == animal and lk.outfit in ("fur", "scales", "metal"), animal
    assert look("a little girl").age == "child" and look("an old man").age == "old"
    assert look("a detective who loves cats").kind == "person"


def test_unrelated_stories_do_not_share_faces() -> None:
    from sparkle_cli.backends.image.looks import look_for

    ch = CharacterLook("lena", "Lena", "Lena, one of two friends in the story")
    looks = {look_for(ch, f"story-{k}") for k in range(6)}
    assert len({(lk.skin, lk.hair, lk.hair_style, lk.top) for lk in looks}) >= 5


# --- the edit: where a shot changes picture (pure) ------------------------------------


def views_shown(segments: list, n: int) -> list[str]:
    shown = [""] * n
    for seg in segments:
        for i in range(seg.first, seg.last):
            shown[i] = seg.view
    return shown


def test_two_speakers_in_one_shot_cut_between_their_close_ups() -> None:
    fps, n = 24, 240
    lines = [Line("ava", 12, 60), Line("ben", 72, 120), Line("ava", 130, 170), Line("ben", 182, 220)]
    segments = plan_edit(n, fps, lines, View("ava"), View("ben"), talking=True, can_close_up=True)
    shown = views_shown(segments, n)
    assert shown[0] == START and shown[-1] == END
    want = {"ava": START, "ben": END}
    for line in lines:
        frames = shown[line.start : line.end]
        assert frames.count(want[line.character_id]) == len(frames), line
    assert all(seg.dissolve == 0 for seg in segments)  # cuts between speakers
    for seg in segments[1:]:
        assert not any(ln.start < seg.first < ln.end for ln in lines), seg  # cut in a pause


def test_three_voices_get_a_close_up_each() -> None:
    fps, n = 24, 200
    lines = [Line("ava", 10, 50), Line("ben", 60, 100), Line("cleo", 110, 150)]
    segments = plan_edit(
        n, fps, lines, View("ava"), View(None, frozenset({"ava", "ben"})), talking=True, can_close_up=True
    )
    shown = views_shown(segments, n)
    assert shown[30] == START and shown[80] == close_up("ben") and shown[130] == close_up("cleo")
    assert shown[-1] == END


def test_a_speaker_without_a_close_up_is_heard_off_screen_or_shown_where_visible() -> None:
    lines = [Line("ava", 10, 50), Line("ben", 60, 100)]
    segments = plan_edit(140, 24, lines, View("ava"), View(None, frozenset({"ben"})), talking=True, can_close_up=False)
    shown = views_shown(segments, 140)
    assert shown[30] == START and shown[80] == END


def test_a_shot_without_speech_changes_picture_near_its_middle_by_a_short_dissolve() -> None:
    segments = plan_edit(120, 24, [], View(), View(), talking=False, can_close_up=False)
    assert [s.view for s in segments] == [START, END]
    assert 0 < segments[1].dissolve <= MAX_DISSOLVE_S * 24
    assert abs(segments[1].first + segments[1].dissolve / 2 - 60) <= 2


def test_a_line_in_a_wide_shot_moves_the_change_to_its_end() -> None:
    lines = [Line("ava", 40, 75)]
    segments = plan_edit(120, 24, lines, View(None, frozenset({"ava"})), View(), talking=False, can_close_up=False)
    change = segments[1].first
    assert change == 75 or change >= 75 - segments[1].dissolve // 2
    assert segments[1].dissolve == 0  # people change size: a cut


# --- life and parallax (the animator on painted layers) --------------------------------


def closeup_views(motion: str) -> tuple[dict, ClipRequest]:
    req = ImageRequest(
        "k", "Close-up of Ava in a library at day", 3, 320, 180, characters=CAST, closeup_character="ava"
    )
    layers, _, _ = paint(describe(req))
    views = {START: ShotView.of(START, layers, True), END: ShotView.of(END, layers, True)}
    return views, ClipRequest("s", "", "", 72, 24, 320, 180, motion, 9)


def test_a_held_close_up_breathes_and_blinks_but_starts_and_ends_on_the_keyframe() -> None:
    from sparkle_cli.backends.video.camera import parse_motion

    views, req = closeup_views("static")
    layers = views[START].layers
    key = compose(layers)
    segments = plan_edit(req.num_frames, req.fps, [], View("ava"), View("ava"), talking=True, can_close_up=False)
    animator = Animator(views, segments, parse_motion("static"), num_frames=72, fps=24, seed=9, lines=[])
    frames = [f.pixels for f in animator.frames()]
    assert np.array_equal(frames[0], key) and np.array_equal(frames[-1], key)
    face = layers.faces[0].face_box
    x, y, w, h = face
    changes = [
        float(np.abs(f[y : y + h, x : x + w].astype(int) - key[y : y + h, x : x + w].astype(int)).mean())
        for f in frames
    ]
    assert max(changes) > 1.0  # the head moves: breathing and swaying
    eyes = layers.faces[0].eyes
    ex, ey, rx, ry = (int(v) for v in eyes[0])
    lids = [
        float(
            np.abs(
                f[ey - ry : ey + ry, ex - rx : ex + rx].astype(int)
                - key[ey - ry : ey + ry, ex - rx : ex + rx].astype(int)
            ).mean()
        )
        for f in frames
    ]
    assert max(lids) > 15  # a blink covers the eye


def test_the_background_moves_less_than_the_people_in_front_of_it() -> None:
    from sparkle_cli.backends.video.camera import parse_motion

    views, req = closeup_views("fast pan right")
    segments = plan_edit(72, 24, [], View("ava"), View("ava"), talking=True, can_close_up=False)
    animator = Animator(views, segments, parse_motion("fast pan right"), num_frames=72, fps=24, seed=9, lines=[])
    frames = [f.pixels for f in animator.frames()]
    face = views[START].layers.faces[0].face_box

    def shift(a: np.ndarray, b: np.ndarray, rows: slice, cols: slice) -> int:
        """The horizontal shift that best maps strip `a` onto strip `b` (column profiles of luma)."""
        pa = a[rows, cols].astype(float).mean(axis=(0, 2))
        pb = b[rows, cols].astype(float).mean(axis=(0, 2))
        errs = {d: float(np.abs(pa[40 + d : len(pa) - 40 + d] - pb[40:-40]).mean()) for d in range(-30, 31)}
        return min(errs, key=errs.get)  # type: ignore[arg-type]

    mid = frames[30]
    fx, fy, fw, fh = face
    figure = shift(frames[0], mid, slice(fy + fh // 3, fy + fh // 2), slice(0, 320))
    background = shift(frames[0], mid, slice(0, max(4, fy - 2)), slice(0, 320))
    assert abs(figure) > abs(background) >= 1


def test_the_morph_backend_paints_close_ups_of_other_speakers(tmp_path: Path) -> None:
    cast = [*CAST, CharacterLook("cleo", "Cleo", "a talking cat")]
    reqs = []
    for i, who in enumerate(("ava", "miko")):
        req = ImageRequest(
            f"k{i}", f"Close-up of {who} in a cafe", 20 + i, 160, 96, characters=cast, closeup_character=who
        )
        result = PainterBackend().render(req, tmp_path / f"k{i}.png")
        reqs.append(result)
    clip = ClipRequest(
        "shot", reqs[0].path, reqs[1].path, 60, 12, 160, 96, "static", 3,
        start_scene=reqs[0].metadata["scene"], end_scene=reqs[1].metadata["scene"],
        lines=[{"line_id": "l0", "character_id": "ava", "start_s": 0.3, "end_s": 1.4},
               {"line_id": "l1", "character_id": "cleo", "start_s": 1.8, "end_s": 3.2},
               {"line_id": "l2", "character_id": "miko", "start_s": 3.6, "end_s": 4.6}],
        talking_closeup=True,
    )  # fmt: skip
    result = MorphBackend().render(clip, tmp_path / "clip.mp4")
    views = [s["view"] for s in result.metadata["edit"]]
    assert views == [START, close_up("cleo"), END]
    frames = list(iter_frames(result.path))
    cleo_frame = frames[30]
    assert psnr(cleo_frame, frames[0]) < 25 and psnr(cleo_frame, frames[-1]) < 25  # a third picture
    track = result.mouth_tracks["cleo"]
    assert all(track[i] is not None for i in range(24, 36)) and track[0] is None and track[-1] is None


def test_a_title_two_characters_share_names_neither() -> None:
    from sparkle_cli.planinfo import named_characters

    plan = {"characters": [{"id": "chef_emery", "name": "Chef Emery"}, {"id": "chef_luca", "name": "Chef Luca"}]}
    assert named_characters(plan, "Close-up of Chef Luca, a rival chef, speaking") == ["chef_luca"]
    assert named_characters(plan, "Emery and Luca together") == ["chef_emery", "chef_luca"]
    assert named_characters(plan, "The chef at the stove") == []
