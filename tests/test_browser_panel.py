"""The notebook served by Voila on 127.0.0.1 and used in headless Chromium, as a person clicks through it.

Clips render through a gate (tests/gated_backends.py): Pause and Stop are clicked while a clip is held,
and the clip is let through afterwards, so every step lands at a known item however slow the machine is.
Every wait is for something on the page, with a generous limit.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from sparkle_cli.media.video import probe

from .browser_support import PageLog, chromium, kernelspec, not_blank, save_screenshot, voila
from .gated_backends import Gate

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "sparkle_colab.ipynb"
PROMPT = "Two friends on a neon rooftop reconcile before sunrise."
EDITED_TITLE = "Rooftop at Dawn (edited)"


def button(page: Any, name: str) -> Any:
    # A button's accessible name starts with its icon's glyph; the label is the rest.
    return page.get_by_role("button", name=re.compile(rf"^\W*{re.escape(name)}$"))


def click(page: Any, name: str) -> None:
    button(page, name).click()


def enabled(locator: Any, yes: bool = True) -> None:
    """Wait until a button is enabled (or disabled)."""
    locator.element_handle().wait_for_element_state("enabled" if yes else "disabled")


def tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def wait_text(page: Any, selector: str, pattern: str) -> None:
    """Wait until the element's visible text matches `pattern` (a regular expression)."""
    page.wait_for_function(
        "([sel, pat]) => { const e = document.querySelector(sel); return !!e && new RegExp(pat).test(e.innerText); }",
        arg=[selector, pattern],
    )


def stage_states(page: Any) -> dict[str, str]:
    rows = page.locator(".sparkle-stage-table tr[data-stage]")
    return {rows.nth(i).get_attribute("data-stage"): rows.nth(i).inner_text().split()[1] for i in range(rows.count())}


def labels_that_do_not_fit(page: Any) -> list[str]:
    """Visible buttons and labels whose text is cut off."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.widget-button, .widget-label'))
              .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
              .map(e => e.innerText)"""
    )


def background(page: Any, name: str) -> str:
    return button(page, name).evaluate("b => getComputedStyle(b).backgroundColor")


def log_view(page: Any) -> dict[str, Any]:
    """The log box as a person sees it: is the newest line inside the visible part of the box?"""
    return page.evaluate(
        """() => {
            const box = document.querySelector('.sparkle-log');
            const lines = box.querySelectorAll('.sparkle-log-line');
            const last = lines[lines.length - 1];
            const b = box.getBoundingClientRect(), l = last.getBoundingClientRect();
            return {lines: lines.length, newest: last.innerText, overflows: box.scrollHeight > box.clientHeight + 1,
                    visible: l.top >= b.top - 1 && l.bottom <= b.bottom + 1};
        }"""
    )


def own_errors(log: PageLog, origin: str) -> list[str]:
    """Console errors from the page's own code, leaving out only resources asked of hosts off this machine.

    (Voila's page template links Font Awesome's CSS on a CDN; with no network here that load fails.)
    """
    out = []
    for message in log.console_errors():
        if message["text"].startswith("Failed to load resource") and not message["url"].startswith(origin):
            continue
        out.append(f"{message['text']} ({message['url']})")
    return out + log.errors


@pytest.fixture
def served(tmp_path: Path) -> Any:
    gate = Gate(tmp_path / "gate")
    folder = tmp_path / "notebook"
    folder.mkdir()
    notebook = folder / NOTEBOOK.name
    shutil.copyfile(NOTEBOOK, notebook)
    env = {
        "ARTIFACTS_DIR": str(tmp_path / "artifacts"),
        "SPARKLE_RUNS_DIR": "",
        "QA_POLICY_PATH": "",
        "SPARKLE_NOTEBOOK_AUTORUN": "0",
        "IPYTHONDIR": str(tmp_path / "ipython"),
        **gate.env(),
    }
    env["JUPYTER_PATH"] = str(kernelspec(tmp_path / "jupyter", env))
    try:
        with voila(notebook, env) as server:
            try:
                yield server, gate, tmp_path / "artifacts"
            finally:
                print(server.log_tail())  # shown when the test fails: the kernel's and Voila's side
    finally:
        gate.open_all()  # a producer still held finishes instead of waiting out its limit


def test_a_person_plans_edits_produces_pauses_stops_resumes_and_watches(served: Any, tmp_path: Path) -> None:
    server, gate, artifacts = served
    shots = tmp_path / "screens"
    shots.mkdir()
    log = PageLog()
    with chromium(tmp_path) as browser:
        page = browser.new_page()
        page.set_viewport_size({"width": 1280, "height": 1500})  # a tall window: the whole panel in a screenshot
        log.attach(page)
        page.goto(server.url)
        button(page, "Generate Plan").wait_for()

        # The doctor is one verdict line; its table waits behind "details".
        doctor = page.locator(".sparkle-doctor")
        assert "sparkle doctor" in doctor.inner_text() and doctor.bounding_box()["height"] < 80
        assert doctor.locator("details").get_attribute("open") is None

        # Before any run: no player anywhere, a plain disabled Stop, labels that fit.
        tab(page, "Final Video")
        wait_text(page, ".sparkle-final-tab", "No final video yet")
        assert page.locator("video").count() == 0
        save_screenshot(page, shots / "panel_before_run.png")
        tab(page, "Production")
        stop = button(page, "Stop")
        assert stop.is_disabled()
        plain = background(page, "Stop")
        assert labels_that_do_not_fit(page) == []
        tab(page, "Plan")
        assert labels_that_do_not_fit(page) == []

        # Generate Plan, then edit the title (and let the clips render through the test's gate).
        page.locator(".sparkle-prompt textarea").fill(PROMPT)
        shots_box = page.locator(".sparkle-shots input")
        shots_box.fill("2")
        shots_box.press("Enter")
        click(page, "Generate Plan")
        wait_text(page, ".sparkle-message", "Planned run")
        editor = page.locator(".sparkle-plan-editor textarea")
        plan = json.loads(editor.input_value())
        assert len(plan["shots"]) == 2
        plan["title"] = EDITED_TITLE
        plan["render_profile"]["video"] = gate.video_profile()
        editor.fill(json.dumps(plan, indent=2))
        click(page, "Validate & Save Plan")
        wait_text(page, ".sparkle-message", "Plan saved")
        wait_text(page, ".sparkle-run-label", re.escape(EDITED_TITLE))

        # Run Production: while the first clip is held, the newest log line is in view.
        tab(page, "Production")
        click(page, "Run Production")
        gate.wait_for("shot_001", 300)
        wait_text(page, ".sparkle-log .sparkle-log-line:last-child", "video_clips/shot_001 +making")
        seen = log_view(page)
        assert seen["overflows"] and seen["visible"], seen
        wait_text(page, ".sparkle-status-line", re.escape(EDITED_TITLE))
        enabled(stop)
        assert background(page, "Stop") != plain  # enabled, it has its colour back
        save_screenshot(page.locator(".sparkle-panel"), shots / "panel_running.png")

        # Pause lands after the held clip; the stage row says so.
        enabled(button(page, "Pause"))
        click(page, "Pause")
        wait_text(page, ".sparkle-message", "Asked the producer to pause")
        gate.open("shot_001")
        wait_text(page, ".sparkle-stage-table tr[data-stage='video_clips']", "paused")
        wait_text(page, ".sparkle-status-line", "paused")
        save_screenshot(page.locator(".sparkle-panel"), shots / "panel_paused.png")
        enabled(button(page, "Resume"))
        click(page, "Resume")
        wait_text(page, ".sparkle-message", "Resumed")
        gate.wait_for("shot_002", 300)
        wait_text(page, ".sparkle-status-line", "running")

        # Stop: the run stops at its next item, and no stage claims to be running.
        enabled(stop)
        click(page, "Stop")
        wait_text(page, ".sparkle-message", "Asked the producer to stop")
        gate.open("shot_002")
        wait_text(page, ".sparkle-message", "Stopped")
        wait_text(page, ".sparkle-status-line", "stopped")
        states = stage_states(page)
        assert "running" not in states.values(), states
        assert [states[s] for s in ("plan_intake", "dialogue_audio", "base_images", "video_clips")] == ["pass"] * 4
        assert states["video_clip_qa"] == "stopped" and states["qa_publish"] == "pending", states
        enabled(stop, False)
        assert background(page, "Stop") == plain
        save_screenshot(page.locator(".sparkle-panel"), shots / "panel_stopped.png")

        # Resume to the end.
        gate.open_all()
        enabled(button(page, "Resume"))
        click(page, "Resume")
        wait_text(page, ".sparkle-message", "Production finished")
        wait_text(page, ".sparkle-status-line", "succeeded")
        run_id = next(p.name for p in artifacts.iterdir() if (p / "plan.json").is_file())
        final = artifacts / run_id / "assembly_lipsync" / "video_final.mp4"

        # The Final Video tab: the edited title, and a movie that plays.
        tab(page, "Final Video")
        video = page.locator(".sparkle-final-tab video")
        video.wait_for()
        wait_text(page, ".sparkle-final-title", f"^{re.escape(EDITED_TITLE)}$")
        video.evaluate(
            "v => new Promise(done => v.readyState >= 1 ? done() : v.addEventListener('loadedmetadata', done))"
        )
        assert video.evaluate("v => v.duration") == pytest.approx(probe(final).duration_s, abs=0.1)
        video.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function("() => document.querySelector('.sparkle-final-tab video').currentTime > 0.5")
        video.evaluate("v => v.pause()")
        assert labels_that_do_not_fit(page) == []

        # Real links: the movie and the report save as files.
        enabled(button(page, "Download video"))
        click(page, "Download video")
        link = page.locator("a.sparkle-download[download='video_final.mp4']")
        with page.expect_download() as saving:
            link.click()
        assert Path(saving.value.path()).read_bytes() == final.read_bytes()
        click(page, "Download report")
        report_link = page.locator("a.sparkle-download[download='report.html']")
        with page.expect_download() as saving:
            report_link.click()
        report = Path(saving.value.path()).read_text()
        assert report.startswith("<!doctype html>") and EDITED_TITLE in report
        assert labels_that_do_not_fit(page) == []  # the buttons keep their labels beside the links
        final_png = save_screenshot(page.locator(".sparkle-panel"), shots / "panel_final.png")

    seen_final = not_blank(final_png)
    assert seen_final["std"] > 15 and seen_final["colours"] > 300, seen_final
    assert own_errors(log, server.url) == [], own_errors(log, server.url)
