"""The notebook's control panel: ipywidgets that drive `sparkle` through its JSON answers, with production
in a background process and polling in a background thread; every widget is an attribute, for scripts and tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from sparkle_cli.notebook import colab, render
from sparkle_cli.notebook.client import Answer, Producer, SparkleCLI
from sparkle_cli.notebook.media import INLINE_LIMIT, ArtifactsView
from sparkle_cli.notebook.plans import PlanError, editor_text, path_from_uri, read_plan, run_of, save_edited_plan

BUSY = {"running", "paused"}
RESUMABLE = {"stopped", "failed"}
FULL = widgets.Layout(width="100%")
#: Room for a description such as "every (s)" or "from stage" without cutting it.
WIDE_LABEL = {"description_width": "initial"}


def _show(widget: widgets.Widget, visible: bool) -> None:
    widget.layout.display = "" if visible else "none"


def _button(description: str, icon: str, style: str = "") -> widgets.Button:
    """A button as wide as its label, never squeezed by a long neighbour (a link, a path) in its row.

    `style` is its colour while enabled; a disabled button is plain grey.
    """
    layout = widgets.Layout(width="auto", flex="0 0 auto")
    button = widgets.Button(description=description, icon=icon, button_style=style, layout=layout)
    button._enabled_style = style  # type: ignore[attr-defined]
    return button


def _enable(button: widgets.Button, enabled: bool) -> None:
    button.disabled = not enabled
    # A red or green button reads as "press me" even when disabled, so a disabled one loses its colour.
    button.button_style = getattr(button, "_enabled_style", "") if enabled else ""


class ControlPanel:
    """Plan, produce, watch and preview one run at a time."""

    def __init__(self, runs_dir: str | Path | None = None, *, poll_interval: float = 1.0, auto_fetch: bool = True):
        self.cli = SparkleCLI(runs_dir)
        self.run_id: str | None = None
        self.plan_path: Path | None = None
        self.status: dict[str, Any] | None = None
        self.artifacts: dict[str, Any] | None = None
        self.producer: Producer | None = None
        self.last_answer: Answer | None = None  # the last background command's answer
        self._stage_ids: list[str] = []
        self._poll_lock = threading.RLock()
        self._poller_lock = threading.Lock()
        self._poller: threading.Thread | None = None
        self._stop_polling = threading.Event()
        # One worker: clicks that call the CLI run in order, off the kernel's thread.
        self._jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sparkle-panel")
        self._pending: list[Future[None]] = []
        self._seen: Any = None
        self._final_key: Any = None
        self._plan_key: Any = None
        self.plan_info: dict[str, Any] = {}  # the saved plan's summary: title, shots, lines...
        self._build(poll_interval, auto_fetch)
        self._connect()
        self._refresh_buttons()

    # --- layout ------------------------------------------------------------------
    def _build(self, poll_interval: float, auto_fetch: bool) -> None:
        W = widgets
        self.prompt = W.Textarea(placeholder="Two friends on a neon rooftop reconcile before sunrise.",
                                 description="Prompt", layout=W.Layout(width="100%", height="70px"))  # fmt: skip
        self.title = W.Text(placeholder="(made from the prompt)", description="Title", layout=FULL)
        self.shots = W.BoundedIntText(value=3, min=1, max=24, description="Shots")
        self.generate_button = _button("Generate Plan", "magic", "primary")
        self.plan_uri = W.Text(
            placeholder="file:///.../plan.json", description="Plan URI", layout=W.Layout(width="70%")
        )
        self.load_button = _button("Load Plan JSON", "folder-open")
        self.plan_summary = W.HTML("<i>No plan yet.</i>")
        self.plan_editor = W.Textarea(layout=W.Layout(width="100%", height="320px"))
        self.save_plan_button = _button("Validate & Save Plan", "check")
        plan_tab = W.VBox([
            self.prompt, self.title, W.HBox([self.shots, self.generate_button]),
            W.HBox([self.plan_uri, self.load_button]), self.plan_summary,
            W.HTML("<b>Plan</b> (edit, then save: it is validated before it replaces plan.json)"),
            self.plan_editor, self.save_plan_button,
        ])  # fmt: skip

        self.mode = W.ToggleButtons(options=[("dry run", "dry_run"), ("run", "run")], value="run", description="Mode")
        self.qa_mode = W.ToggleButtons(options=["full", "skip"], value="full", description="QA mode")
        self.run_button = _button("Run Production", "play", "success")
        self.pause_button = _button("Pause", "pause")
        self.resume_button = _button("Resume", "step-forward", "info")
        self.stop_button = _button("Stop", "stop", "danger")
        self.poll_button = _button("Poll Status", "refresh")
        self.poll_interval = W.BoundedFloatText(
            value=poll_interval, min=0.2, max=60, step=0.5, description="every (s)", style=WIDE_LABEL
        )
        self.progress = W.FloatProgress(value=0.0, min=0.0, max=1.0, description="Progress", layout=FULL)
        self.status_line = W.HTML()
        self.stage_table = W.HTML()
        self.log = W.HTML(render.log_html([]))
        self.dry_run_view = W.HTML()
        production_tab = W.VBox([
            self.mode, self.qa_mode,
            W.HBox([self.run_button, self.pause_button, self.resume_button, self.stop_button]),
            W.HBox([self.poll_button, self.poll_interval]), self.progress, self.status_line,
            self.stage_table, W.HTML("<b>Log</b> (newest last)"), self.log, self.dry_run_view,
        ])  # fmt: skip

        self.artifacts_view = ArtifactsView(auto_fetch)
        self.stage_filter = self.artifacts_view.stage_filter
        self.auto_fetch = self.artifacts_view.auto_fetch

        # The player is made when there is a movie to put in it: an empty player is a black box with a spinner.
        self.final_video: widgets.Video | None = None
        self.final_info = W.HTML("<i>No final video yet: produce a run, and it appears here.</i>")
        self.download_button = _button("Download video", "download")
        self.report_button = _button("Download report", "file-text")
        self.download_link = W.HTML()
        self.report_link = W.HTML()
        self.final_tab = W.VBox([
            self.final_info,
            W.HBox([self.download_button, self.download_link], layout=W.Layout(align_items="center")),
            W.HBox([self.report_button, self.report_link], layout=W.Layout(align_items="center")),
        ])  # fmt: skip

        self.run_label = W.HTML("<b>Run:</b> none yet")
        self.message = W.HTML()
        self.qa_warning = W.HTML()
        self.failure_text = W.HTML()
        self.resume_from = W.Dropdown(options=[], description="from stage", style=WIDE_LABEL)
        self.resume_from_button = _button("Resume from stage", "repeat", "warning")
        self.failure_banner = W.VBox([self.failure_text, W.HBox([self.resume_from, self.resume_from_button])])
        _show(self.qa_warning, False)
        _show(self.failure_banner, False)
        self.tabs = W.Tab(children=[plan_tab, production_tab, self.artifacts_view.widget, self.final_tab])
        self.tabs.titles = ("Plan", "Production", "Artifacts", "Final Video")
        self.widget = W.VBox([W.HTML("<h3 style='margin:4px 0'>Sparkle Motion</h3>"), self.run_label, self.message,
                              self.qa_warning, self.failure_banner, self.tabs])  # fmt: skip
        # Class names name the parts of the panel for scripts and browser tests (and for a user's own CSS).
        for widget, name in ((self.plan_editor, "plan-editor"), (self.run_label, "run-label"), (self.message, "message"),
                             (self.status_line, "status-line"), (self.stage_table, "stage-table"), (self.log, "log-panel"),
                             (self.final_tab, "final-tab"), (self.prompt, "prompt"), (self.shots, "shots"),
                             (self.widget, "panel")):  # fmt: skip
            widget.add_class(f"sparkle-{name}")

    def _connect(self) -> None:
        self.generate_button.on_click(self._guard(self._on_generate))
        self.load_button.on_click(self._guard(self._on_load))
        self.save_plan_button.on_click(self._guard(self._on_save))
        self.run_button.on_click(self._guard(self._on_run))
        self.pause_button.on_click(self._guard(lambda: self._control("pause")))
        self.stop_button.on_click(self._guard(lambda: self._control("stop")))
        self.resume_button.on_click(self._guard(self._on_resume))
        self.resume_from_button.on_click(self._guard(self._on_resume_from))
        self.poll_button.on_click(self._guard(self._on_poll))
        self.download_button.on_click(self._guard(self._on_download))
        self.report_button.on_click(self._guard(self._on_report))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # --- messages and background work ----------------------------------------------
    def say(self, text: str, kind: str = "info") -> None:
        """Show one message above the tabs; errors are shown as the CLI worded them."""
        self.message.value = render.banner(kind, text) if text else ""

    def _guard(self, handler: Callable[[], None]) -> Callable[[Any], None]:
        """A click handler that reports a failure in the panel instead of a traceback."""

        def on_click(_: Any) -> None:
            try:
                handler()
            except PlanError as exc:
                self.say(str(exc), "error")
            except Exception as exc:  # the panel must keep answering whatever went wrong
                self.say(f"{type(exc).__name__}: {exc}", "error")
            self._refresh_buttons()

        return on_click

    def _submit(self, job: Callable[[], None]) -> Future[None]:
        def guarded() -> None:
            try:
                job()
            except PlanError as exc:
                self.say(str(exc), "error")
            except Exception as exc:
                self.say(f"{type(exc).__name__}: {exc}", "error")
            finally:
                self._refresh_buttons()

        future = self._jobs.submit(guarded)
        self._pending = [f for f in self._pending if not f.done()] + [future]
        return future

    def wait_idle(self, timeout: float = 120.0) -> None:
        """Wait for the clicks already made to finish their CLI calls."""
        deadline = time.monotonic() + timeout
        for future in list(self._pending):
            future.result(timeout=max(0.0, deadline - time.monotonic()))

    # --- state -------------------------------------------------------------------
    @property
    def state(self) -> str | None:
        return self.status.get("status") if self.status else None

    @property
    def producing(self) -> bool:
        producer = self.producer
        return producer is not None and producer.running()

    @property
    def settled(self) -> bool:
        """No producer of ours is alive and the run is neither running nor paused."""
        return self.producer is None and self.state not in BUSY

    @property
    def final_video_path(self) -> str | None:
        path = (self.status or {}).get("video_final")
        return path if path and Path(path).is_file() else None

    def _refresh_buttons(self) -> None:
        state, alive = self.state, self.producing
        busy = alive or state in BUSY
        _enable(self.generate_button, not busy)
        _enable(self.load_button, not busy)
        _enable(self.save_plan_button, self.plan_path is not None and not busy)
        _enable(self.run_button, self.run_id is not None and not busy)
        _enable(self.pause_button, state == "running")
        _enable(self.resume_button, state == "paused" or (state in RESUMABLE and not alive))
        _enable(self.stop_button, state in BUSY)
        _enable(self.resume_from_button, not busy and self.run_id is not None)
        _enable(self.poll_button, self.run_id is not None)
        _enable(self.download_button, self.final_video_path is not None)
        _enable(self.report_button, self.run_id is not None and self.status is not None and not busy)

    # --- plan ----------------------------------------------------------------------
    def _on_generate(self) -> None:
        prompt = self.prompt.value.strip()
        if not prompt:
            self.say("Type a story prompt first.", "warn")
            return
        title, shots = self.title.value.strip() or None, int(self.shots.value)
        self.say("Planning ...")
        self._submit(lambda: self._generate(prompt, title, shots))

    def _generate(self, prompt: str, title: str | None, shots: int) -> None:
        answer = self.cli.plan(prompt, title, shots)
        if not answer.ok:
            self.say(answer.message, "error")
            return
        self.plan_uri.value = answer.data["artifact_uri"]
        self._open_run(answer.data["run_id"], path_from_uri(answer.data["artifact_uri"]))
        self.say(f"Planned run {self.run_id}. Review or edit the plan, then Run Production.", "info")

    def _on_load(self) -> None:
        uri = self.plan_uri.value
        self._submit(lambda: self._load(uri))

    def _load(self, uri: str) -> None:
        path = path_from_uri(uri).resolve()
        if not path.is_file():
            raise PlanError(f"no plan at {path}")
        located = run_of(path)
        if located is not None:
            runs_dir, run_id = located
            self.cli.runs_dir = runs_dir
            self._open_run(run_id, path)
            self.say(f"Loaded run {run_id}.")
            return
        # A plan from elsewhere becomes a run of its own; the CLI validates it on the way in.
        answer = self.cli.plan_from_file(path)
        if not answer.ok:
            self.say(answer.message, "error")
            return
        self.plan_uri.value = answer.data["artifact_uri"]
        self._open_run(answer.data["run_id"], path_from_uri(answer.data["artifact_uri"]))
        self.say(f"Imported {path.name} as run {self.run_id}.")

    def _open_run(self, run_id: str, plan_path: Path) -> None:
        if self.producing:
            raise PlanError(f"run {self.run_id} is being produced; stop it or let it finish first")
        with self._poll_lock:
            self.run_id, self.plan_path = run_id, plan_path
            self.status = self.artifacts = self.last_answer = None
            self._seen = self._final_key = self._plan_key = None
            self._drop_final_video()
            self.download_link.value = self.report_link.value = ""
            self.dry_run_view.value = ""
            _show(self.failure_banner, False)
            _show(self.qa_warning, False)
            self._show_plan(read_plan(plan_path))
        self.poll_once()

    def _show_plan(self, envelope: dict[str, Any]) -> None:
        self._plan_facts(envelope)
        self.plan_editor.value = editor_text(envelope)

    def _plan_facts(self, envelope: dict[str, Any] | None = None) -> dict[str, Any]:
        """The saved plan's summary (title, shots, ...), read again whenever plan.json changes on disk.

        The title and summary always come from plan.json, which is where a person edits them.
        """
        path = self.plan_path
        if path is None:
            return self.plan_info
        try:
            stat = path.stat()
        except FileNotFoundError:
            return self.plan_info
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if envelope is None and key == self._plan_key:
            return self.plan_info
        if envelope is None:
            try:
                envelope = read_plan(path)
            except PlanError:
                return self.plan_info  # a half-edited file: keep what was shown
        self._plan_key = key
        self.plan_info = render.plan_summary(envelope)
        self.plan_summary.value = render.plan_summary_html(self.plan_info)
        self.run_label.value = (
            f"<b>{escape(str(self.plan_info['title']))}</b> &nbsp; run <code>{escape(self.run_id or '')}</code>"
            f" &nbsp; <span style='color:#5f6368'>{escape(str(path))}</span>"
        )
        return self.plan_info

    def _on_save(self) -> None:
        if self.plan_path is None:
            self.say("Generate or load a plan first.", "warn")
            return
        text, plan_path = self.plan_editor.value, self.plan_path
        self._submit(lambda: self._save(plan_path, text))

    def _save(self, plan_path: Path, text: str) -> None:
        envelope, notices = save_edited_plan(self.cli, plan_path, text)
        with self._poll_lock:
            self._show_plan(envelope)
            if self.status is not None:
                self._show_status(self.status)
                self._show_final(self.status)
        extra = "".join(f"\nnotice: {n}" for n in notices)
        self.say(f"Plan saved to {plan_path}. Run Production renders only what the edit touches.{extra}")

    # --- production ----------------------------------------------------------------
    def _on_run(self) -> None:
        if self.run_id is None:
            self.say("Generate or load a plan first.", "warn")
            return
        if self.mode.value == "dry_run":
            run_id, qa = self.run_id, self.qa_mode.value
            self._submit(lambda: self._dry_run(run_id, qa))
            return
        self._start("produce", self.run_id, "--qa-mode", self.qa_mode.value)

    def _dry_run(self, run_id: str, qa_mode: str) -> None:
        answer = self.cli.call("produce", run_id, "--dry-run", "--qa-mode", qa_mode)
        if not answer.ok or not isinstance(answer.data, dict) or "stages" not in answer.data:
            self.say(answer.message, "error")
            return
        self.dry_run_view.value = render.dry_run_html(answer.data)
        self.say("Dry run done: see the Production tab. Nothing was rendered.")

    def _start(self, *args: str) -> None:
        if self.producing:
            self.say("A production is already running for this run.", "warn")
            return
        self.last_answer = None
        self.producer = self.cli.start(*args)
        self.dry_run_view.value = ""
        self.download_link.value = self.report_link.value = ""  # links to files this run is about to replace
        self.say(f"Started `sparkle {' '.join(args)}` in the background (process {self.producer.pid}).")
        self._refresh_buttons()
        self.start_polling()

    def _control(self, action: str) -> None:
        run_id = self.run_id
        if run_id is None:
            return

        def job() -> None:
            answer = self.cli.call(action, run_id)
            if answer.ok:
                self.say(f"Asked the producer to {action} before its next item.")
            else:
                self.say(answer.message, "error")
            self.poll_once()

        self._submit(job)

    def _on_resume(self) -> None:
        if self.run_id is None:
            return
        if self.state == "paused":
            run_id = self.run_id

            def release() -> None:
                # The paused producer is alive: `resume` only lifts the pause and returns at once.
                answer = self.cli.call("resume", run_id)
                self.say("Resumed." if answer.ok else answer.message, "info" if answer.ok else "error")
                self.poll_once()

            self._submit(release)
        else:
            self._start("resume", self.run_id)

    def _on_resume_from(self) -> None:
        if self.run_id is None or not self.resume_from.value:
            self.say("Pick the stage to resume from.", "warn")
            return
        self._start("resume", self.run_id, "--from", str(self.resume_from.value))

    def _finished(self, answer: Answer | None) -> None:
        """Report how a background command ended: a run failure, a stop, a refusal or success."""
        self.last_answer = answer
        if answer is None:
            return
        if answer.code == 0:
            done = self.final_video_path
            self.say(f"Production finished. The movie: {done}" if done else "Production finished.")
        elif answer.code == 130:
            self.say("Stopped. Resume continues where it stopped.", "warn")
        elif isinstance(answer.data, dict) and answer.data.get("status") == "error":
            self.say(answer.message, "error")  # bad plan, locked run, missing model: nothing was rendered
        elif answer.code == 1:
            self.say(f"The run failed: {(self.status or {}).get('error') or answer.message}", "error")
        else:
            self.say(answer.message, "error")

    # --- polling -------------------------------------------------------------------
    def _on_poll(self) -> None:
        def job() -> None:
            self.poll_once()

        self._submit(job)
        self.start_polling()

    def start_polling(self) -> None:
        """Poll in a background thread until the run settles."""
        with self._poller_lock:
            if self._poller is not None and self._poller.is_alive():
                return
            self._stop_polling.clear()
            self._poller = threading.Thread(target=self._poll_loop, name="sparkle-poller", daemon=True)
            self._poller.start()

    def _poll_loop(self) -> None:
        while not self._stop_polling.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # keep the kernel quiet; the panel says what happened
                self.say(f"Polling stopped: {type(exc).__name__}: {exc}", "error")
                break
            with self._poller_lock:
                # Decided under the lock, so a production started meanwhile always gets a poller.
                if self.settled:
                    self._poller = None
                    return
            self._stop_polling.wait(float(self.poll_interval.value))
        with self._poller_lock:
            self._poller = None

    def poll_once(self) -> dict[str, Any] | None:
        """Ask the CLI for the run's status (and its artifacts when something changed); update every view."""
        with self._poll_lock:
            run_id, producer = self.run_id, self.producer
            if run_id is None:
                return None
            exited = producer is not None and not producer.running()
            answer = self.cli.status(run_id)
            if answer.ok and isinstance(answer.data, dict):
                self.status = answer.data
            else:
                self.say(answer.message, "error")
            if exited and producer is not None:
                if self.producer is producer:
                    self.producer = None
                self._finished(producer.answer())
            if self.status is not None:
                self._show_status(self.status)
                seen = (self.status.get("updated_at"), self.status.get("status"), len(self.status.get("log") or []),
                        self.status.get("video_final"))  # fmt: skip
                if seen != self._seen or exited:
                    listed = self.cli.artifacts(run_id)
                    if listed.ok and isinstance(listed.data, dict):
                        self.artifacts, self._seen = listed.data, seen
                        self.artifacts_view.update(listed.data)
                self._show_final(self.status)
            self._refresh_buttons()
            return self.status

    def wait_until(self, predicate: Callable[[ControlPanel], bool], timeout: float = 120.0, what: str = "the run") -> dict[str, Any] | None:  # fmt: skip
        """Block until predicate(panel) holds, polling when no background poller is doing it."""
        deadline = time.monotonic() + timeout
        while True:
            with self._poll_lock:  # a poll in progress has updated the state but not yet the buttons
                if predicate(self):
                    return self.status
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f} s for {what}; the run is {self.state}")
            poller = self._poller
            if poller is None or not poller.is_alive():
                self.poll_once()
            time.sleep(0.1)

    def wait_for_run(self, timeout: float = 600.0) -> dict[str, Any] | None:
        """Block until the production started from this panel has ended (for scripts and headless runs)."""
        return self.wait_until(lambda p: p.settled and p.status is not None, timeout, "the run to finish")

    def close(self, stop_production: bool = False, timeout: float = 60.0) -> None:
        """Stop polling and the worker; with stop_production, stop a running producer cleanly first."""
        self._stop_polling.set()
        producer = self.producer
        if stop_production and producer is not None and producer.running():
            producer.process.terminate()  # SIGTERM: the producer stops cleanly and the run stays resumable
            producer.wait(timeout)
        self._jobs.shutdown(wait=True)
        poller = self._poller
        if poller is not None:
            poller.join(timeout)

    # --- views -----------------------------------------------------------------------
    def _stages(self, status: dict[str, Any]) -> list[str]:
        if not self._stage_ids:
            answer = self.cli.stages()
            if answer.ok and isinstance(answer.data, list):
                self._stage_ids = [s["stage_id"] for s in answer.data]
        return self._stage_ids or list(status.get("stages") or {})

    def _show_status(self, status: dict[str, Any]) -> None:
        state = status.get("status")
        title = self._plan_facts().get("title")
        self.status_line.value = render.status_line_html(status, title) + (
            render.banner("warn", status["note"]) if status.get("note") else ""
        )
        self.progress.value = float(status.get("progress") or 0.0)
        self.progress.bar_style = {"succeeded": "success", "failed": "danger", "paused": "warning", "stopped": "warning"}.get(state or "", "info")  # fmt: skip
        stage_ids = self._stages(status)
        self.stage_table.value = render.stage_table_html(status, stage_ids)
        self.log.value = render.log_html(status.get("log") or [])
        qa = status.get("qa") or {}
        if qa.get("skipped"):
            self.qa_warning.value = render.banner(
                "warn", "QA skipped: this run's clips and final video were not checked (qa_mode skip)."
            )
        _show(self.qa_warning, bool(qa.get("skipped")))
        if state == "failed":
            stages = status.get("stages") or {}
            failed = next((s for s in stage_ids if (stages.get(s) or {}).get("status") == "failed"), None)
            where = failed or status.get("current_stage") or (stage_ids[0] if stage_ids else None)
            self.failure_text.value = render.banner(
                "error", f"The run failed at {where}: {status.get('error') or 'see the log'}\n"
                "Fix the cause (edit the plan, install what is missing), then resume from a stage."
            )  # fmt: skip
            if list(self.resume_from.options) != stage_ids:
                self.resume_from.options = stage_ids
            if where in stage_ids:
                self.resume_from.value = where
        _show(self.failure_banner, state == "failed")

    def _drop_final_video(self) -> None:
        if self.final_video is not None:
            self.final_tab.children = tuple(c for c in self.final_tab.children if c is not self.final_video)
            self.final_video.close()
            self.final_video = None

    def _show_final(self, status: dict[str, Any]) -> None:
        path = self.final_video_path
        if path is None:
            self._drop_final_video()
            self.final_info.value = "<i>No final video yet: produce a run, and it appears here.</i>"
            return
        stat = Path(path).stat()
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key != self._final_key and stat.st_size <= INLINE_LIMIT:
            if self.final_video is None:
                self.final_video = widgets.Video(value=Path(path).read_bytes(), format="mp4", autoplay=False,
                                                 controls=True, width=640)  # fmt: skip
                info, *rest = self.final_tab.children
                self.final_tab.children = (info, self.final_video, *rest)
            else:
                self.final_video.value = Path(path).read_bytes()
            self._final_key = key
        listed = (self.artifacts or {}).get("artifacts") or []
        entry: dict[str, Any] = next((a for a in listed if a["artifact_type"] == "video_final"), {})
        meta = entry.get("metadata") or {}
        qa = render.badge("warn", "QA skipped") if meta.get("qa_skipped") or (status.get("qa") or {}).get("skipped") else (
            render.badge("passed", "QA passed") if meta.get("qa_passed") else render.badge("failed", "QA not passed"))  # fmt: skip
        details = ", ".join(x for x in (f"{entry['duration_s']:.1f} s" if entry.get("duration_s") else "",
                                         entry.get("resolution_px") or "") if x)  # fmt: skip
        title = self._plan_facts().get("title") or status.get("run_id") or ""
        too_big = "" if stat.st_size <= INLINE_LIMIT else "<br><i>Too large to play here; download it.</i>"
        heading = f"<b class='sparkle-final-title'>{escape(str(title))}</b> {qa} {details}"
        self.final_info.value = f"{heading}<br><code>{escape(path)}</code>{too_big}"

    def _on_download(self) -> None:
        path = self.final_video_path
        if path is None:
            self.say("No final video yet.", "warn")
            return
        self.download_link.value = colab.download(path)

    def _on_report(self) -> None:
        run_id = self.run_id
        if run_id is None:
            return

        def job() -> None:
            # Written afresh, so the page shows the run as it is now (produce also writes it when it ends).
            answer = self.cli.report(run_id)
            if not answer.ok or not isinstance(answer.data, dict):
                self.say(answer.message, "error")
                return
            self.report_link.value = colab.download(answer.data["report"], "text/html")

        self._submit(job)
