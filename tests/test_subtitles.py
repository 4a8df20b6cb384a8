"""Subtitles in the movie: a soft mov_text track whose cues match the dialogue, and burned-in cues."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import av
import numpy as np
import pytest

from sparkle_cli.media.burn import Cue, overlaps, place, split_long
from sparkle_cli.media.video import read_frames

from .conftest import copy_run


def soft_cues(movie: Path) -> tuple[str, list[tuple[float, float, str]]]:
    """The movie's subtitle track: its language and (start, end, text) of every cue, read from the packets."""
    with av.open(str(movie)) as container:
        stream = next(s for s in container.streams if s.type == "subtitle")
        language = stream.metadata.get("language", "")
        assert stream.codec_context.name == "mov_text"
        cues = []
        for packet in container.demux(stream):
            data = bytes(packet)
            if packet.pts is None or len(data) < 2:
                continue
            (length,) = struct.unpack(">H", data[:2])
            if length == 0:
                continue  # the empty sample that ends a cue
            start = float(packet.pts * stream.time_base)
            cues.append((start, start + float(packet.duration * stream.time_base), data[2 : 2 + length].decode()))
    return language, cues


@pytest.fixture(scope="module")
def movies(tmp_path_factory: pytest.TempPathFactory, produced_sample: Path) -> dict[str, Path]:
    """The sample plan produced as it is, and again with --burn-subtitles (only the movie is made again)."""
    from typer.testing import CliRunner

    from sparkle_cli.cli import app

    root = tmp_path_factory.mktemp("runs")
    plain = copy_run(produced_sample, root, "plain")
    burned = copy_run(produced_sample, root, "burned")
    result = CliRunner().invoke(app, ["produce", "burned", "--runs-dir", str(root), "--burn-subtitles"])
    assert result.exit_code == 0, result.output
    return {"plain": plain, "burned": burned}


def test_the_movie_carries_the_dialogue_as_a_subtitle_track(movies: dict[str, Path]) -> None:
    run = movies["plain"]
    timeline = json.loads((run / "dialogue_audio" / "dialogue_timeline_audio.json").read_text())
    plan = json.loads((run / "plan_intake" / "normalized_plan.json").read_text())
    names = {c["id"]: c["name"] for c in plan["characters"]}
    language, cues = soft_cues(run / "assembly_lipsync" / "video_final.mp4")
    assert language == "eng"
    lines = timeline["lines"]
    assert [text for _, _, text in cues] == [f"{names[ln['character_id']]}: {ln['text']}" for ln in lines]
    for (start, end, _), line in zip(cues, lines, strict=True):
        assert start == pytest.approx(line["start_time_actual_s"], abs=0.01)
        assert end == pytest.approx(line["end_time_actual_s"], abs=0.01)
    alignment = json.loads((run / "assembly_lipsync" / "alignment_map.json").read_text())
    assert alignment["subtitles"] == {"track": "mov_text", "language": "eng", "burned": False, "cues": []}


def test_burned_subtitles_change_only_the_subtitle_area_and_avoid_mouths(movies: dict[str, Path]) -> None:
    plain = movies["plain"] / "assembly_lipsync" / "video_final.mp4"
    burned = movies["burned"] / "assembly_lipsync" / "video_final.mp4"
    alignment = json.loads((movies["burned"] / "assembly_lipsync" / "alignment_map.json").read_text())
    cues = alignment["subtitles"]["cues"]
    assert alignment["subtitles"]["burned"] and len(cues) == len(alignment["lines"])
    assert soft_cues(burned)[1], "the soft track is there as well"
    middles = [(c["start_frame"] + c["end_frame"]) // 2 for c in cues]
    outside = (alignment["lines"][0]["start_frame"] // 2,)  # before anyone speaks
    frames_plain = read_frames(plain, [*middles, *outside])
    frames_burned = read_frames(burned, [*middles, *outside])
    for cue, a, b in zip(cues, frames_plain, frames_burned, strict=False):
        diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).mean(axis=2)
        x, y, w, h = cue["box"]
        inside = np.zeros(diff.shape, bool)
        inside[max(0, y - 2) : y + h + 2, max(0, x - 2) : x + w + 2] = True
        # Inside the box: the text and its backing, a large change. Outside: only re-encoding noise.
        assert diff[inside].mean() > 25, cue
        assert diff[~inside].mean() < 2.0 and np.percentile(diff[~inside], 99.9) < 40, cue
        assert 1 <= len(cue["lines"]) <= 2
    # Before the first line nothing is drawn.
    quiet = np.abs(frames_plain[-1].astype(np.int16) - frames_burned[-1].astype(np.int16))
    assert quiet.mean() < 2.0
    # No cue box covers a mouth shown while it is on screen.
    fps = alignment["fps"]
    clips = json.loads((movies["burned"] / "video_clips" / "manifest.json").read_text())["items"]
    for cue in cues:
        for shot in alignment["shots"]:
            tracks = clips[shot["shot_id"]]["result"].get("mouth_tracks") or {}
            for track in tracks.values():
                for i, box in enumerate(track):
                    frame = shot["start_frame"] + i
                    if box and cue["start_frame"] <= frame < cue["end_frame"]:
                        assert not overlaps(tuple(cue["box"]), tuple(box)), (cue, box, frame / fps)


def test_a_long_line_is_wrapped_to_two_lines_or_split_in_time() -> None:
    short = place("Ava: I was scared of losing us.", 640, 360, [])
    assert short.lines == ["Ava: I was scared of losing us."] and not short.at_top
    long = "Ava: " + " ".join(["everything I never managed to say to you"] * 10)
    parts = split_long(Cue(1.0, 9.0, long), 640, 360)
    assert len(parts) > 1 and parts[0].start_s == 1.0 and parts[-1].end_s == pytest.approx(9.0)
    assert " ".join(p.text for p in parts) == long
    for part in parts:
        assert len(place(part.text, 640, 360, []).lines) <= 2
    # A mouth where the bottom box would go sends the cue to the top.
    bottom = place("Ava: hello there.", 640, 360, [])
    moved = place("Ava: hello there.", 640, 360, [bottom.box])
    assert moved.at_top and moved.box[1] < 360 // 4
