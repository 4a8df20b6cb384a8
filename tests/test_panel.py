"""The notebook's control panel, driven as a person would, over real `sparkle` processes."""

from __future__ import annotations

import copy
import fcntl
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import ipywidgets as widgets
import pytest

from sparkle_cli.media.video import probe
from sparkle_cli.notebook import create_control_panel, render
from sparkle_cli.notebook.client import SparkleCLI
from sparkle_cli.notebook.panel import ControlPanel

from .conftest import STAGES
from .gated_backends import Gate

PROMPT = "Two friends on a neon rooftop reconcile before sunrise."
TIMEOUT = 120.0


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("QA_POLICY_PATH", "SPARKLE_FORBID_QA_SKIP", "SPARKLE_RUNS_DIR", "ARTIFACTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "runs"


@pytest.fixture
def gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    """Gated clips: the test lets each one through, so Pause and Stop land at a known item."""
    made = Gate(tmp_path / "gate")
    for name, value in made.env().items():
        monkeypatch.setenv(name, value)
    yield made
    made.open_all()  # a producer still waiting finishes instead of hanging on


@pytest.fixture
def panel(runs: Path, gate: Gate) -> Iterator[ControlPanel]:
    made = create_control_panel(runs, poll_interval=0.25)
    yield made
    gate.open_all()
    made.close(stop_production=True)


def stage_states(panel: ControlPanel) -> dict[str, str]:
    return dict(re.findall(r"data-stage='([^']+)' data-state='([^']+)'", panel.stage_table.value))


def use_gate(panel: ControlPanel, gate: Gate, plan: dict | None = None) -> dict:
    """Edit the plan in the editor so that its clips render through the gate; returns the edited plan."""
    plan = plan or json.loads(panel.plan_editor.value)
    plan["render_profile"]["video"] = gate.video_profile()
    panel.plan_editor.value = json.dumps(plan, indent=2)
    panel.save_plan_button.click()
    panel.wait_idle()
    assert "Plan saved" in panel.message.value, text(panel.message.value)
    return plan


def generate(panel: ControlPanel, prompt: str = PROMPT) -> str:
    panel.prompt.value = prompt
    panel.generate_button.click()
    panel.wait_idle()
    assert panel.run_id, text(panel.message.value)
    return panel.run_id


def test_a_person_plans_edits_produces_pauses_and_resumes(panel: ControlPanel, runs: Path, gate: Gate) -> None:
    assert panel.run_button.disabled and panel.pause_button.disabled and panel.resume_button.disabled
    assert panel.final_video is None and "No final video yet" in panel.final_info.value  # no empty player
    assert panel.stop_button.button_style == "" and panel.run_button.button_style == ""  # disabled looks plain
    panel.shots.value = 2
    run_id = generate(panel)
    assert panel.plan_path == runs / run_id / "plan.json"
    assert panel.plan_uri.value == panel.plan_path.as_uri()
    summary = text(panel.plan_summary.value)
    for label in ("Title", "Shots", "Keyframes", "Dialogue lines", "Total length"):
        assert label in summary
    assert not panel.run_button.disabled and panel.pause_button.disabled
    assert panel.run_button.button_style == "success"

    # An edit is validated, then replaces plan.json; the new title shows wherever the run is named.
    plan = json.loads(panel.plan_editor.value)
    line = next(e for e in plan["dialogue_timeline"] if e["type"] == "dialogue")
    line["text"] = "We can still watch the sunrise together."
    plan["title"] = "Sunrise Again"
    use_gate(panel, gate, plan)
    saved = json.loads(panel.plan_path.read_text())
    assert "We can still watch the sunrise together." in json.dumps(saved["validated_plan"])
    assert "request" in saved  # the envelope is kept around the edited plan
    assert "Sunrise Again" in panel.run_label.value and "Sunrise Again" in panel.status_line.value

    # A broken edit is refused in the validator's words and leaves plan.json as it was.
    before = panel.plan_path.read_bytes()
    broken = copy.deepcopy(plan)
    broken["shots"][0]["end_base_image_id"] = "nowhere"
    panel.plan_editor.value = json.dumps(broken)
    panel.save_plan_button.click()
    panel.wait_idle()
    assert "shots[0].end_base_image_id" in panel.message.value
    assert "Traceback" not in panel.message.value
    assert panel.plan_path.read_bytes() == before
    assert sorted(p.name for p in panel.plan_path.parent.iterdir() if p.name.startswith(".plan.json")) == []

    # Produce in the background; pause while the first clip renders, then resume.
    panel.qa_mode.value = "skip"
    panel.run_button.click()
    assert panel.producing and panel.run_button.disabled and panel.generate_button.disabled
    gate.wait_for("shot_001", TIMEOUT)
    panel.wait_until(lambda p: p.state == "running" and not p.pause_button.disabled, TIMEOUT, "the run to start")
    assert panel.stop_button.button_style == "danger"
    panel.pause_button.click()
    panel.wait_idle()
    gate.open("shot_001")
    panel.wait_until(lambda p: p.state == "paused" and not p.resume_button.disabled, TIMEOUT, "the pause")
    assert panel.pause_button.disabled and not panel.stop_button.disabled and panel.producing
    assert SparkleCLI(runs).status(run_id).data["status"] == "paused"  # the CLI agrees
    assert stage_states(panel)["video_clips"] == "paused"
    assert "paused" in panel.log.value
    panel.resume_button.click()
    panel.wait_idle()
    gate.open_all()
    status = panel.wait_for_run(TIMEOUT)
    assert status is not None and status["status"] == "succeeded", text(panel.message.value)
    assert panel.last_answer is not None and panel.last_answer.code == 0
    assert any(r.get("status") == "paused" for r in status["log"])
    assert panel.run_button.disabled is False and panel.pause_button.disabled and panel.resume_button.disabled

    # Progress: every stage in the table, each with a pass badge; the log words agree with themselves.
    assert panel.progress.value == 1.0
    for stage_id in status["stages"]:
        assert stage_id in panel.stage_table.value
    assert panel.stage_table.value.count(">pass<") == len(status["stages"])
    assert "qa_publish" in panel.log.value
    log = text(panel.log.value)
    assert "made in" in log and "not made yet" not in log and "succeeded 0" not in log

    # Artifacts: the final video listed with a player; images and audio shown as such.
    listing = panel.artifacts_view.listing
    finals = [e for e in listing if e["artifact_type"] == "video_final"]
    assert len(finals) == 1 and finals[0]["stage_id"] == "qa_publish"
    assert isinstance(finals[0]["widget"], widgets.Video) and len(finals[0]["widget"].value) > 0
    assert all(isinstance(e["widget"], widgets.Image) for e in listing if e["artifact_type"] == "base_image")
    assert any(isinstance(e["widget"], widgets.Audio) for e in listing if e["stage_id"] == "dialogue_audio")
    panel.stage_filter.value = "base_images"
    assert {e["stage_id"] for e in panel.artifacts_view.listing} == {"base_images"}

    # QA was skipped: the warning stays, beside the final video too.
    assert panel.qa_warning.layout.display != "none" and "QA skipped" in panel.qa_warning.value
    assert "QA skipped" in panel.final_info.value and "Sunrise Again" in panel.final_info.value

    final = panel.final_video_path
    assert final is not None and panel.final_video is not None
    assert Path(final).read_bytes() == panel.final_video.value
    assert panel.final_video in panel.final_tab.children
    assert not panel.download_button.disabled
    info = probe(final)
    assert info.video is not None and info.video.frames > 0 and info.audio is not None

    # The download and the report are links that carry the files themselves.
    panel.download_button.click()
    assert re.search(
        r'<a class="sparkle-download" download="video_final.mp4" href="data:video/mp4;base64,',
        panel.download_link.value,
    )
    panel.report_button.click()
    panel.wait_idle()
    assert 'download="report.html" href="data:text/html;base64,' in panel.report_link.value
    assert (runs / run_id / "report.html").is_file()


def test_a_failed_run_shows_a_red_banner_and_resumes_from_a_stage(
    panel: ControlPanel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An impossible image QA threshold makes base_images fail for real, on its first keyframe.
    policy = tmp_path / "strict.json"
    policy.write_text(json.dumps({"image_max_attempts": 1, "image_min_std": 250}))
    monkeypatch.setenv("QA_POLICY_PATH", str(policy))
    generate(panel, "A fox crosses a snowy forest at dusk.")
    panel.run_button.click()
    status = panel.wait_for_run(TIMEOUT)
    assert status is not None and status["status"] == "failed"
    assert panel.failure_banner.layout.display != "none"
    assert "failed at base_images" in panel.failure_text.value and "#d93025" in panel.failure_text.value
    assert panel.resume_from.value == "base_images" and "qa_publish" in panel.resume_from.options
    assert "The run failed" in panel.message.value and "Traceback" not in panel.message.value
    assert not panel.resume_button.disabled and not panel.resume_from_button.disabled

    monkeypatch.delenv("QA_POLICY_PATH")
    panel.resume_from_button.click()
    status = panel.wait_for_run(TIMEOUT)
    assert status is not None and status["status"] == "succeeded", text(panel.message.value)
    assert panel.failure_banner.layout.display == "none"
    assert panel.final_video_path is not None


def test_cli_errors_read_as_messages_not_tracebacks(panel: ControlPanel, runs: Path, tmp_path: Path) -> None:
    panel.generate_button.click()
    assert "Type a story prompt" in panel.message.value

    panel.plan_uri.value = (tmp_path / "missing.plan.json").as_uri()
    panel.load_button.click()
    panel.wait_idle()
    assert "no plan at" in panel.message.value

    bad = tmp_path / "bad.plan.json"
    bad.write_text(json.dumps({"title": "Bad", "base_images": [], "shots": [], "render_profile": {}}))
    panel.plan_uri.value = str(bad)
    panel.load_button.click()
    panel.wait_idle()
    assert "render_profile" in panel.message.value and "Traceback" not in panel.message.value
    assert panel.run_id is None

    run_id = generate(panel)
    # Another process holds the run's lock: production is refused with the CLI's reason.
    with open(runs / run_id / ".lock", "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(json.dumps({"pid": os.getpid()}))
        lock.flush()
        panel.run_button.click()
        panel.wait_for_run(TIMEOUT)
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    assert panel.last_answer is not None and panel.last_answer.code == 3
    assert "is being produced by process" in panel.message.value

    # A plan broken outside the panel: produce refuses it, naming the JSON path.
    assert panel.plan_path is not None
    envelope = json.loads(panel.plan_path.read_text())
    envelope["validated_plan"]["shots"][0]["start_base_image_id"] = "nowhere"
    panel.plan_path.write_text(json.dumps(envelope))
    panel.run_button.click()
    panel.wait_for_run(TIMEOUT)
    assert panel.last_answer is not None and panel.last_answer.code == 2
    assert "shots[0].start_base_image_id" in panel.message.value and "Traceback" not in panel.message.value

    # A dry run renders nothing and says what it would do.
    envelope["validated_plan"]["shots"][0]["start_base_image_id"] = envelope["validated_plan"]["base_images"][0]["id"]
    panel.plan_path.write_text(json.dumps(envelope))
    panel.mode.value = "dry_run"
    panel.run_button.click()
    panel.wait_idle()
    assert "Dry run" in panel.dry_run_view.value and "plan_intake" in panel.dry_run_view.value
    assert not (runs / run_id / "video_clips").exists()


def test_stop_leaves_a_run_another_panel_can_load_and_resume(panel: ControlPanel, runs: Path, gate: Gate) -> None:
    panel.shots.value = 2
    run_id = generate(panel)
    use_gate(panel, gate)
    panel.run_button.click()
    gate.wait_for("shot_001", TIMEOUT)
    panel.wait_until(lambda p: p.state == "running" and not p.stop_button.disabled, TIMEOUT, "the run to start")
    panel.stop_button.click()
    panel.wait_idle()
    gate.open("shot_001")
    status = panel.wait_for_run(TIMEOUT)
    assert status is not None and status["status"] == "stopped"
    assert panel.last_answer is not None and panel.last_answer.code == 130
    assert "Stopped" in panel.message.value
    assert not panel.resume_button.disabled and panel.pause_button.disabled and panel.stop_button.disabled
    assert panel.stop_button.button_style == ""  # a disabled Stop is not red
    # The interrupted stage says so; nothing claims to be running.
    states = stage_states(panel)
    assert states["video_clips"] == "stopped" and "running" not in states.values(), states
    assert states["plan_intake"] == "succeeded" and states["qa_publish"] == "pending"
    # produce wrote the report as it stopped: it says so, and shows the interrupted stage as stopped.
    page = (runs / run_id / "report.html").read_text()
    assert "This run is <b>stopped</b>" in page and "No movie yet" in page
    assert re.search(r"<code>video_clips</code>(?:(?!</tr>).)*<span class=\"badge stopped\">stopped</span>", page)

    # A second panel (a fresh notebook session) opens the run from its plan URI and polls it.
    other = create_control_panel(tmp_runs := runs.parent / "elsewhere", poll_interval=0.25)
    try:
        other.plan_uri.value = (runs / run_id / "plan.json").as_uri()
        other.load_button.click()
        other.wait_idle()
        assert other.run_id == run_id and other.cli.runs_dir == runs.resolve()
        assert not tmp_runs.exists()
        other.poll_button.click()
        other.wait_idle()
        other.wait_until(lambda p: p.state == "stopped" and not p.resume_button.disabled, TIMEOUT, "the poll")
        assert "stopped" in other.status_line.value and other.run_button.disabled is False
        gate.open_all()
        other.resume_button.click()
        status = other.wait_for_run(TIMEOUT)
        assert status is not None and status["status"] == "succeeded", text(other.message.value)
        assert other.final_video is not None and other.final_video_path is not None
    finally:
        other.close()


def test_stage_rows_and_log_lines_say_what_is_true() -> None:
    # A stage the run left "running" when it paused or stopped shows the run's state.
    status = {"status": "stopped", "current_stage": "video_clips",
              "stages": {"plan_intake": {"status": "succeeded"}, "video_clips": {"status": "running"}}}  # fmt: skip
    html = render.stage_table_html(status, ["plan_intake", "video_clips", "qa_publish"])
    assert "data-stage='video_clips' data-state='stopped'" in html
    assert "data-stage='qa_publish' data-state='pending'" in html
    status["status"] = "paused"
    assert "data-state='paused'" in render.stage_table_html(status, ["video_clips"])
    status["status"] = "failed"  # a stage running beside the one that failed was interrupted, not failed
    assert "data-state='stopped'" in render.stage_table_html(status, ["video_clips"])

    made = {"stage": "dialogue_audio", "item": "line_000", "status": "succeeded", "duration_s": 0.01,
            "backend": "espeak", "reason": "not made yet"}  # fmt: skip
    assert render.log_words(made) == "made in 0.01 s by espeak (new)"
    assert render.log_words({**made, "reason": "text changed"}) == "made in 0.01 s by espeak (text changed)"
    assert render.log_words({**made, "status": "running", "duration_s": 0.0}) == "making (new) by espeak"
    assert render.log_words({**made, "status": "failed", "error": "boom"}) == "failed in 0.01 s by espeak: boom"
    assert (
        render.log_words({"stage": "run", "status": "stopped", "reason": "stopped on request"}) == "stopped on request"
    )
    assert (
        render.log_words({"stage": "run", "status": "failed", "reason": "base_images: flat"})
        == "failed: base_images: flat"
    )
    assert render.log_words({"stage": "run", "status": "succeeded"}) == "succeeded"
    plan = {"stage": "plan", "status": "succeeded", "reason": "plan written by template (built-in, no model)"}
    assert render.log_words(plan) == "written by template (built-in, no model)"
    assert render.log_words({"stage": "base_images", "status": "running", "reason": "1 item(s) to make"}) == (
        "stage started: 1 item to make"
    )
    assert render.log_words({"stage": "base_images", "status": "running", "reason": "then 1 item(s) to make"}) == (
        "then 1 item to make"
    )
    records = [{**made, "item": f"line_{i:03d}", "completed_at": f"2026-01-01T10:00:{i:02d}"} for i in range(70)]
    lines = render.log_lines(records)
    assert len(lines) == 60 and lines[-1].startswith("10:00:69") and "line_069" in lines[-1]
    box = render.log_html(records)
    assert "column-reverse" in box and box.rindex("line_069") > box.rindex("line_068")


def test_each_stage_starts_once_in_the_log(produced_sample: Path) -> None:
    # base_images makes its keyframes, then its report on them: one stage, started once.
    records = [json.loads(line) for line in (produced_sample / "events.jsonl").read_text().splitlines()]
    for stage in STAGES[1:]:
        words = [render.log_words(r) for r in records if r.get("stage") == stage and not r.get("item")]
        assert sum(w.startswith("stage started") for w in words) == 1, (stage, words)
    base_images = [render.log_words(r) for r in records if r.get("stage") == "base_images" and not r.get("item")]
    assert "then 1 item to make" in base_images, base_images
    assert any("base_images" in line and "then 1 item to make" in line for line in render.log_lines(records))
