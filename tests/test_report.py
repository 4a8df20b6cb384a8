"""`sparkle report`: the run's page, read as HTML and opened from disk in headless Chromium as a person would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sparkle_cli.backends import registry
from sparkle_cli.media.video import probe
from sparkle_cli.report_html import write_report
from sparkle_cli.rundir import RunDir

from .browser_support import PageLog, chromium, not_blank, save_screenshot
from .conftest import SAMPLE_PLAN, STAGES, write_json

RUN_ID = "sample"


def sparkle(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sparkle_cli", *args], env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample plan (it has gaps in its timeline) produced once on the built-in backends."""
    runs = tmp_path_factory.mktemp("report") / "runs"
    env = {
        k: v for k, v in os.environ.items() if k not in {"ARTIFACTS_DIR", "QA_POLICY_PATH", "SPARKLE_FORBID_QA_SKIP"}
    }
    env["SPARKLE_RUNS_DIR"] = str(runs)
    planned = sparkle(env, "plan", "--from-file", str(SAMPLE_PLAN), "--profile", "builtin", "--run-id", RUN_ID)
    assert planned.returncode == 0, planned.stderr
    produced = sparkle(env, "produce", RUN_ID)
    assert produced.returncode == 0, produced.stderr
    run = RunDir(runs, RUN_ID)
    timeline = json.loads(run.abs("dialogue_audio/dialogue_timeline_audio.json").read_text())
    return {"env": env, "runs": runs, "run": run, "produced": produced, "timeline": timeline}


def test_produce_writes_the_report_and_prints_its_path(made: dict[str, Any]) -> None:
    report = made["run"].path / "report.html"
    assert f"report: {report}" in made["produced"].stdout
    assert report.is_file() and report.stat().st_size > 100_000

    again = sparkle(made["env"], "report", RUN_ID, "--json")
    assert again.returncode == 0, again.stderr
    answer = json.loads(again.stdout)
    assert answer["report"] == str(report) and answer["linked"] == []
    assert answer["embedded_bytes"] > made["run"].abs("assembly_lipsync/video_final.mp4").stat().st_size


def test_the_page_says_what_the_run_made(made: dict[str, Any]) -> None:
    html = (made["run"].path / "report.html").read_text()
    plan = json.loads(SAMPLE_PLAN.read_text())
    body = plan["validated_plan"]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert body["title"] in text and plan["request"]["prompt"] in text  # title and logline
    for image in body["base_images"]:
        assert image["prompt"] in text
    for shot in body["shots"]:
        assert shot["id"] in text and shot["motion_prompt"] in text
    for line in made["timeline"]["lines"]:
        assert line["text"] in text
    for stage_id in STAGES:
        assert stage_id in text
    assert "nothing planned from 0.00 s to 8.40 s" in text  # the sample's gap, filled with silence
    assert text.count("QA passed") >= len(body["shots"]) and "final QA passed" in text
    assert "Everything is embedded" in text
    # Self-contained: no script, nothing fetched from elsewhere.
    assert "<script" not in html.lower()
    assert not re.search(r'(?:src|href)="(?!data:)[a-z]+:', html), "the page points outside itself"


def test_the_page_plays_in_chromium(made: dict[str, Any], tmp_path: Path) -> None:
    run: RunDir = made["run"]
    final = probe(run.abs("assembly_lipsync/video_final.mp4"))
    first = made["timeline"]["lines"][0]
    log = PageLog()
    with chromium(tmp_path) as browser:
        page = browser.new_page()
        log.attach(page)
        page.goto((run.path / "report.html").as_uri())
        movie = page.locator("#movie video")
        page.wait_for_function("document.querySelector('#movie video').readyState >= 1")
        duration = page.evaluate("document.querySelector('#movie video').duration")
        assert duration == pytest.approx(final.duration_s, abs=0.1)

        # The subtitle track loaded from the page itself, one cue per spoken line.
        page.wait_for_function("(() => { const t = document.querySelector('#movie video').textTracks[0];"
                               " return t && t.cues && t.cues.length > 0; })()")  # fmt: skip
        cues = page.evaluate(
            "Array.from(document.querySelector('#movie video').textTracks[0].cues).map(c => [c.startTime, c.text])"
        )
        assert len(cues) == len(made["timeline"]["lines"])
        assert cues[0][0] == pytest.approx(first["start_time_actual_s"], abs=0.01) and first["text"] in cues[0][1]

        # It plays: time moves on.
        page.evaluate(
            "(() => { const v = document.querySelector('#movie video'); v.muted = true; return v.play(); })()"
        )
        page.wait_for_function("document.querySelector('#movie video').currentTime > 0.5")
        page.evaluate("document.querySelector('#movie video').pause()")

        # Every shot's clip and every keyframe loaded.
        shots = page.locator("article.shot video")
        assert shots.count() == len(made["timeline"]["shots"])
        for index, timed in enumerate(made["timeline"]["shots"]):
            page.wait_for_function(f"document.querySelectorAll('article.shot video')[{index}].readyState >= 1")
            clip = page.evaluate(f"document.querySelectorAll('article.shot video')[{index}].duration")
            assert clip == pytest.approx(timed["duration_s"], abs=0.1)
        page.wait_for_function("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        assert page.locator("#storyboard img").count() == 3

        # A frame with a subtitle on it, then the whole page.
        page.evaluate(
            f"(() => {{ const v = document.querySelector('#movie video'); v.currentTime = {first['start_time_actual_s'] + 0.5}; }})()"
        )
        page.wait_for_function(
            "(() => { const v = document.querySelector('#movie video'); return !v.seeking && v.readyState >= 2; })()"
        )
        frame = save_screenshot(movie, tmp_path / "report_movie.png")
        page_png = save_screenshot(page, tmp_path / "report_page.png", full_page=True)
    assert not_blank(frame)["dark_fraction"] < 0.9, "the movie shows a black frame"
    seen = not_blank(page_png)
    assert seen["std"] > 20 and seen["colours"] > 500, seen
    assert log.errors == [] and log.console_errors() == [], (log.errors, log.console)
    assert all(url.startswith(("file:", "data:")) for url in log.requests), log.requests


def test_a_movie_over_the_budget_is_linked_from_the_run_folder(made: dict[str, Any], tmp_path: Path) -> None:
    run: RunDir = made["run"]
    written = write_report(run, budget=200_000)
    assert "assembly_lipsync/video_final.mp4" in written.linked
    html = written.path.read_text()
    assert 'src="assembly_lipsync/video_final.mp4"' in html and "too large to embed" in html
    log = PageLog()
    with chromium(tmp_path) as browser:
        page = browser.new_page()
        log.attach(page)
        page.goto(written.path.as_uri())
        page.wait_for_function("document.querySelector('#movie video').readyState >= 1")
        assert page.evaluate("document.querySelector('#movie video').duration") > 1.0
        page.wait_for_function("document.querySelector('#movie video').textTracks[0].cues.length > 0")
    assert log.errors == [] and log.console_errors() == [], (log.errors, log.console)
    write_report(run)  # leave the shared run's page as produce wrote it


def test_a_run_with_nothing_made_yet_and_a_plan_edited_since(made: dict[str, Any]) -> None:
    env = made["env"]
    planned = sparkle(env, "plan", "A fox crosses a snowy forest at dusk.", "--shots", "2", "--run-id", "fresh")
    assert planned.returncode == 0, planned.stderr
    answer = sparkle(env, "report", "fresh")
    assert answer.returncode == 0, answer.stderr
    html = (made["runs"] / "fresh" / "report.html").read_text()
    assert "No movie yet" in html and "not rendered yet" in html and "no clip yet" in html
    assert "This run is <b>pending</b>" in html

    missing = sparkle(env, "report", "nope")
    assert missing.returncode == 2 and "no run 'nope'" in missing.stderr and "Traceback" not in missing.stderr

    # The produced run, its plan edited afterwards: the page keeps the produced title and says why.
    run: RunDir = made["run"]
    envelope = json.loads(run.plan_path.read_text())
    original = run.plan_path.read_text()
    envelope["validated_plan"]["title"] = "A Title Not Yet Rendered"
    run.plan_path.write_text(json.dumps(envelope))
    try:
        page = write_report(run).path.read_text()
    finally:
        run.plan_path.write_text(original)
        write_report(run)
    assert "plan.json has been edited since these media were made" in page
    assert "A Title Not Yet Rendered" not in page


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.flaky_backends import BlackFirstMorph

    BlackFirstMorph.seen.clear()
    video = {
        **registry.BACKENDS["video"],
        "black-first": ("tests.flaky_backends:BlackFirstMorph", ""),
        "always-black": ("tests.flaky_backends:AlwaysBlack", ""),
    }
    monkeypatch.setattr(registry, "BACKENDS", {**registry.BACKENDS, "video": video})
    monkeypatch.setenv("SPARKLE_WORKERS", "1")  # registered in this process only: no worker processes


@pytest.mark.parametrize("model", ["black-first", "always-black"])
def test_clip_qa_attempts_and_their_reasons_are_on_the_page(runs: Path, cli, tmp_path: Path, flaky, model: str) -> None:
    profile = write_json(
        tmp_path / "profile.json", {"video": {"model_id": model, "max_fps": 12, "width": 320, "height": 180}}
    )
    assert cli("plan", "--from-file", str(SAMPLE_PLAN), "--profile", str(profile), "--run-id", "qa").exit_code == 0
    result = cli("produce", "qa")
    page = (runs / "qa" / "report.html").read_text()
    assert f"report: {runs / 'qa' / 'report.html'}" in result.output
    shot = re.search(r'<article class="shot" id="shot_001">.*?</article>', page, re.S)
    assert shot is not None
    if model == "black-first":  # black the first time, a real clip the second
        assert result.exit_code == 0
        assert 'class="badge passed">QA passed on attempt 2<' in shot.group(0)
        assert re.search(r"attempt 1 \(seed \d+\) failed black_frames: \d+ black frame", shot.group(0))
    else:  # the budget is spent: the run fails there, and the page says why, attempt by attempt
        assert result.exit_code == 1
        assert 'class="badge failed">QA failed 3 times<' in shot.group(0)
        assert len(re.findall(r"attempt \d \(seed \d+\) failed black_frames", shot.group(0))) == 3
        assert "This run is <b>failed</b>" in page and "No movie yet" in page
