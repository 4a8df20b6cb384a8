"""The run engine: walks the stages, skips what is current, runs the rest, records everything.

Order of a commit, so that a kill at any moment leaves a resumable run: the item's media are
written to temporary names, the manifest records them (with their hashes), then the media are
renamed into place. An output that is missing or differs from its record is made again.
With an executor of several slots, stages that do not depend on each other run side by side
(a driver thread each); the driver alone writes run.json, events and manifests, under a lock.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkle_cli import atomic
from sparkle_cli.backends import registry
from sparkle_cli.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    RunFailed,
    SparkleError,
    StageError,
    UsageError,
    describe,
)
from sparkle_cli.executor import Executor, Outcome, SerialExecutor, Task
from sparkle_cli.fingerprint import change_reason, file_record, input_digests, item_fingerprint, output_matches
from sparkle_cli.manifests import StageManifest, mend_tail
from sparkle_cli.rundir import RunDir, now_iso
from sparkle_cli.stages import all_stages, get_stage
from sparkle_cli.stages.base import Item, Stage, StageContext, pending_inputs

_MAGIC = {
    ".png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    ".wav": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE",
    ".mp4": lambda b: b[4:8] == b"ftyp",
    ".json": lambda b: b.lstrip()[:1] in (b"{", b"["),
}


class StopRequested(Exception):
    """A stop was asked for (control file or signal); the run is left resumable."""


class Observer:
    """Receives progress; the command line draws it, tests may record it."""

    def stage_start(self, stage: Stage, total: int, to_run: int) -> None:
        """Called once per phase of a stage, with that phase's item counts."""

    def item_start(self, stage: Stage, item: Item) -> None: ...
    def item_done(self, stage: Stage, item: Item, status: str, duration_s: float, reason: str | None) -> None: ...
    def stage_done(self, stage: Stage, status: str, duration_s: float, summary: dict[str, Any]) -> None: ...
    def notice(self, text: str) -> None: ...
    def in_flight(self, by_worker: dict[str, list[dict[str, Any]]]) -> None:
        """The items running now, per worker (slot), after every change."""


@dataclass
class ProduceOptions:
    force: bool = False
    from_stage: str | None = None
    only: list[str] | None = None  # run just these stages (the `qa` command)
    qa_mode: str | None = None
    dry_run: bool = False
    #: --burn-subtitles / --no-burn-subtitles; remembered by the run like the QA mode.
    burn_subtitles: bool | None = None


@dataclass
class PlannedItem:
    item: Item
    fingerprint: str
    digests: dict[str, str]
    reason: str | None  # None: up to date


@dataclass
class DryRunReport:
    stages: list[dict[str, Any]] = field(default_factory=list)


class Engine:
    def __init__(self, run: RunDir, executor: Executor | None = None, observer: Observer | None = None) -> None:
        self.run = run
        self.executor = executor or SerialExecutor()
        self.observer = observer or Observer()
        self.state: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._abort = threading.Event()
        self._in_flight: dict[str, list[dict[str, Any]]] = {}
        self.executor.listener = self._worker_event
        #: How the last `produce` ended, for the caller to show (None when it succeeded).
        self.error: str | None = None
        self._usage: UsageError | None = None

    # --- entry point ---------------------------------------------------------------
    def produce(self, options: ProduceOptions) -> int:
        """Run the pipeline; returns the exit code (0, 1 or 130). Raises for usage and lock errors."""
        self.run.require()
        if options.from_stage:
            get_stage(options.from_stage)
        if options.dry_run:
            return EXIT_OK
        qa_mode = options.qa_mode or (self.run.read_state().get("options") or {}).get("qa_mode", "full")
        if qa_mode == "skip" and os.environ.get("SPARKLE_FORBID_QA_SKIP"):
            raise UsageError("QA skipping is forbidden here (SPARKLE_FORBID_QA_SKIP is set); use --qa-mode full")
        with self.run.locked(), _signals_raise():
            atomic.remove_stale_temps(self.run.path)
            mend_tail(self.run.events_path)
            try:
                self.executor.prepare(self.run.path)
            except BaseException:
                self.executor.close()
                raise
            self._start(options)
            try:
                status, error = self._run_and_classify(options)
            finally:
                self.executor.close()
                # Every worker has ended: whatever temporary files they left are half-written.
                atomic.remove_stale_temps(self.run.path)
            self._finish(status, error=error)
            if self._usage is not None:
                raise self._usage
        return {"succeeded": EXIT_OK, "stopped": EXIT_INTERRUPTED}.get(status, EXIT_FAILED)

    def _run_and_classify(self, options: ProduceOptions) -> tuple[str, str | None]:
        """Run the stages; the run's final status and error, whatever went wrong."""
        self._usage = None
        try:
            self._run_stages(options)
        except StopRequested as exc:
            return "stopped", str(exc) or "stopped on request"
        except KeyboardInterrupt:
            self.executor.abort()
            return "stopped", "interrupted"
        except UsageError as exc:
            self._usage = exc
            return "failed", exc.message
        except (StageError, RunFailed) as exc:
            return "failed", exc.message
        except Exception as exc:  # recorded like any failure, never left as "running"
            if os.environ.get("SPARKLE_DEBUG"):
                self.observer.notice(traceback.format_exc())
            return "failed", f"{self.state.get('current_stage') or 'run'}: {describe(exc)}"
        return "succeeded", None

    def _start(self, options: ProduceOptions) -> None:
        state = self.run.read_state()
        for key in ("options", "stages"):  # a run.json edited by hand must not break the run
            if not isinstance(state.get(key), dict):
                state[key] = {}
        stored = state["options"]
        if options.qa_mode:
            stored["qa_mode"] = options.qa_mode
        if options.burn_subtitles is not None:
            stored["burn_subtitles"] = options.burn_subtitles
        stored.setdefault("qa_mode", "full")
        state.update(
            status="running",
            pid=os.getpid(),
            error=None,
            executor=self.executor.name,
            workers=self.executor.slots,
            in_flight={},
        )
        state["started_at"] = now_iso()
        self._began = time.monotonic()
        state.pop("completed_at", None)
        state.setdefault("stages", {})
        state["qa"] = {
            "mode": stored["qa_mode"],
            "skipped": stored["qa_mode"] == "skip",
            "required": stored["qa_mode"] == "skip",
        }
        self.state = state
        self.run.write_state(state)
        self.run.request("run")

    def _finish(self, status: str, error: str | None = None) -> None:
        """Record how the run ended. Best effort: on a full disk the error still reaches the caller."""
        self.error = error
        with self._lock:
            self._in_flight.clear()
            self.state.update(
                status=status, error=error, completed_at=now_iso(), pid=None, in_flight={}, running_stages=[]
            )
            if status == "succeeded":
                self.state.update(current_stage=None, progress=1.0)
            # Production time adds up over every invocation (a stop and a resume are one job).
            spent = time.monotonic() - getattr(self, "_began", time.monotonic())
            prior = self.state.get("production_s")
            prior = float(prior) if isinstance(prior, (int, float)) and prior >= 0 else 0.0
            self.state["production_s"] = round(prior + spent, 3)
            # A stage cut short says how: stopped, or failed with the run.
            for old in ("running", "paused"):
                self._mark_stages(old, "failed" if status == "failed" else "stopped")
            try:
                self.run.write_state(self.state)
                self.run.append_event({"stage": "run", "status": status, "reason": error, "completed_at": now_iso()})
            except OSError as exc:
                self.error = f"{error or status} (and the run's state could not be saved: {describe(exc)})"

    # --- driver-side writes (stage threads share them) -----------------------------------
    def _save(self) -> None:
        with self._lock:
            self.run.write_state(self.state)

    def _event(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.run.append_event(record)

    def _worker_event(self, event: str, task: Task, worker: str, error: str | None) -> None:
        """Executors report items starting, ending and being re-run after a lost worker."""
        with self._lock:
            if event == "start":
                self._in_flight.setdefault(worker, []).append(
                    {"stage": task.stage_id, "item": task.item_id, "started_at": now_iso()}
                )
            elif event == "done":
                entries = [
                    e
                    for e in self._in_flight.get(worker, [])
                    if (e["stage"], e["item"]) != (task.stage_id, task.item_id)
                ]
                if entries:
                    self._in_flight[worker] = entries
                else:
                    self._in_flight.pop(worker, None)
            elif event == "retried":
                self.run.append_event(
                    {
                        "stage": task.stage_id,
                        "item": task.item_id,
                        "status": "retried",
                        "started_at": now_iso(),
                        "backend": task.backend.name if task.backend else None,
                        "worker": worker,
                        "reason": "its worker was lost; running it again",
                        "error": error,
                    }
                )
                self.observer.notice(
                    f"{task.stage_id}/{task.item_id}: worker {worker} lost ({error}); running it again"
                )
            self.state["in_flight"] = {w: list(v) for w, v in self._in_flight.items()}
            self.run.write_state(self.state)
            self.observer.in_flight(self.state["in_flight"])

    # --- stages --------------------------------------------------------------------
    def selected_stages(self, options: ProduceOptions) -> list[Stage]:
        stages = list(all_stages())
        if options.only:
            stages = [s for s in stages if s.id in options.only]
        return stages

    def _run_stages(self, options: ProduceOptions) -> None:
        stages = self.selected_stages(options)
        forced_from = None
        if options.from_stage:
            forced_from = [s.id for s in all_stages()].index(options.from_stage)

        def forced(stage: Stage) -> bool:
            number = [s.id for s in all_stages()].index(stage.id)
            return options.force or (forced_from is not None and number >= forced_from)

        if self.executor.slots > 1 and len(stages) > 1:
            self._run_stages_side_by_side(stages, forced)
            return
        for index, stage in enumerate(stages):
            self.state["current_stage"] = stage.id
            self.state["progress"] = round(index / len(stages), 4)
            self._save()
            self.run_stage(stage, force=forced(stage))

    def _run_stages_side_by_side(self, stages: list[Stage], forced: Any) -> None:
        """Start each stage once the stages it comes `after` are done; a thread per running stage.

        A failed stage lets its running siblings finish their items but starts nothing new;
        an interrupt stops every stage before its next item and ends the items in flight.
        """
        selected = {s.id for s in stages}
        done: set[str] = set()
        # Each stage thread says it has ended with an event of its own: Thread.join() cannot be
        # trusted after a Ctrl-C interrupted it (it may return at once while the thread still runs).
        running: dict[str, threading.Event] = {}
        errors: list[BaseException] = []

        def work(stage: Stage, ended: threading.Event) -> None:
            try:
                self.run_stage(stage, force=forced(stage))
            except BaseException as exc:  # handed to the main thread, which raises it
                if isinstance(exc, StopRequested):
                    self._abort.set()  # the stop request was consumed here; the other stages stop too
                with self._lock:
                    errors.append(exc)
            finally:
                ended.set()

        try:
            while True:
                with self._lock:
                    failed = bool(errors)
                if not failed:
                    for stage in stages:
                        deps = [d for d in stage.after if d in selected]
                        if stage.id not in done and stage.id not in running and all(d in done for d in deps):
                            with self._lock:
                                self.state["current_stage"] = stage.id
                                self.state["running_stages"] = [*running, stage.id]
                                self.state["progress"] = round(len(done) / len(stages), 4)
                                self.run.write_state(self.state)
                            ended = threading.Event()
                            running[stage.id] = ended
                            try:
                                threading.Thread(
                                    target=work, args=(stage, ended), name=f"stage-{stage.id}", daemon=True
                                ).start()
                            except BaseException:
                                if not any(t.name == f"stage-{stage.id}" for t in threading.enumerate()):
                                    ended.set()  # it never started: nothing to wait for
                                raise
                if not running:
                    break
                for stage_id, ended in list(running.items()):
                    if ended.wait(0.05):
                        del running[stage_id]
                        done.add(stage_id)
                        with self._lock:
                            self.state["running_stages"] = list(running)
        except KeyboardInterrupt:
            self._abort.set()
            self.executor.abort()
            for ended in running.values():
                ended.wait()
            raise
        if errors:
            raise errors[0]

    def context(self, stage: Stage) -> StageContext:
        plan: dict[str, Any] = {}
        if stage.id != "plan_intake":
            manifest = self.run.read_manifest("plan_intake")
            if not manifest or manifest.get("status") != "succeeded":
                raise StageError("plan_intake has not finished; run `sparkle produce` without --from")
            plan = self.run.read_json(self.run.abs(manifest["items"]["plan"]["outputs"]["plan"]["path"]))
        options = self.run.read_state().get("options")
        return StageContext(
            run=self.run, plan=plan, options=dict(options) if isinstance(options, dict) else {}, stage_id=stage.id
        )

    def plan_items(
        self, stage: Stage, ctx: StageContext, items: list[Item], manifest: dict[str, Any], force: bool
    ) -> list[PlannedItem]:
        planned = []
        for item in items:
            settings = _settings(item)
            fp = item_fingerprint(stage.id, stage.version, settings, item.inputs)
            digests = input_digests({**item.inputs, "backend": settings})
            record = manifest["items"].get(item.id)
            reason: str | None
            if force:
                reason = "forced"
            elif record is None or record.get("status") != "succeeded":
                reason = "not made yet" if record is None else f"last attempt {record.get('status')}"
            elif record.get("fingerprint") != fp:
                reason = change_reason(record.get("input_digests"), digests)
            elif not all(output_matches(self.run.abs(o["path"]), o) for o in record.get("outputs", {}).values()):
                reason = "output file missing or changed on disk"
            else:
                reason = None
            planned.append(PlannedItem(item, fp, digests, reason))
        return planned

    def run_stage(self, stage: Stage, *, force: bool = False) -> None:
        """Run one stage; anything unexpected becomes a StageError naming the stage, with the stage failed."""
        try:
            self._run_stage(stage, force=force)
        except (SparkleError, StopRequested):
            raise
        except Exception as exc:
            if os.environ.get("SPARKLE_DEBUG"):
                self.observer.notice(traceback.format_exc())
            message = f"{stage.id}: {describe(exc)}"
            with self._lock:
                self.state["stages"].setdefault(stage.id, {}).update(status="failed", error=message)
                with contextlib.suppress(OSError):
                    self.run.append_event(_record(stage, None, "failed", error=message, completed_at=now_iso()))
            raise StageError(message) from exc

    def _run_stage(self, stage: Stage, *, force: bool = False) -> None:
        started = time.perf_counter()
        ctx = self.context(stage)
        sm = StageManifest(self.run.manifest_path(stage.id), stage.id)
        manifest = sm.data
        sm.set(version=stage.version, status="running", started_at=now_iso(), description=stage.description)
        counts = {"total": 0, "rendered": 0, "skipped": 0, "failed": 0}
        touched: list[str] = []
        with self._lock:
            stage_info = self.state["stages"].setdefault(stage.id, {})
            stage_info.update(status="running", started_at=now_iso())
        self.executor.begin_stage(stage.id)
        started_any = False
        for batch in stage.phases(ctx):
            planned = self.plan_items(stage, ctx, batch, manifest, force)
            to_run = [p for p in planned if p.reason is not None]
            counts["total"] += len(planned)
            with self._lock:
                self.observer.stage_start(stage, len(planned), len(to_run))
            for p in planned:
                touched.append(p.item.id)
                if p.reason is None:
                    record = manifest["items"][p.item.id]
                    ctx.results[p.item.id] = record.get("result") or {}
                    ctx.records[p.item.id] = record
                    counts["skipped"] += 1
                    with self._lock:
                        self.observer.item_done(stage, p.item, "skipped", 0.0, "up to date")
            if to_run:
                # A later phase (a report on the items just made, say) goes on the stage already started.
                reason = f"{'then ' if started_any else ''}{len(to_run)} item(s) to make"
                self._event(_record(stage, None, "running", started_at=now_iso(), reason=reason))
                started_any = True
            self._execute(stage, ctx, sm, to_run, counts)
        # Items the plan no longer has are dropped from the manifest (their files stay until overwritten).
        manifest["items"] = {k: v for k, v in manifest["items"].items() if k in touched}
        verdict = getattr(stage, "verdict", None)
        problem = verdict(ctx) if verdict else None
        duration = time.perf_counter() - started
        manifest.update(
            status="failed" if problem else "succeeded",
            completed_at=now_iso(),
            duration_s=round(duration, 4),
            counts=counts,
            error=problem,
            fingerprint=item_fingerprint(
                stage.id, stage.version, {}, {k: v.get("fingerprint") for k, v in sorted(manifest["items"].items())}
            ),
        )
        sm.save()
        status = "failed" if problem else ("skipped" if counts["rendered"] == 0 else "succeeded")
        with self._lock:
            stage_info.update(
                status=manifest["status"], completed_at=now_iso(), duration_s=round(duration, 4), items=counts
            )
            self.run.write_state(self.state)
            self.run.append_event(
                _record(
                    stage,
                    None,
                    status,
                    duration_s=duration,
                    reason="up to date" if status == "skipped" else problem,
                    completed_at=now_iso(),
                )
            )
            self.observer.stage_done(stage, status, duration, counts)
        self.executor.end_stage(stage.id)
        if problem:
            raise RunFailed(f"{stage.id}: {problem}")

    def _tasks(
        self, stage: Stage, ctx: StageContext, to_run: list[PlannedItem], temps: dict[str, dict[str, Path]]
    ) -> Iterator[Task]:
        for p in to_run:
            if self._abort.is_set():
                raise StopRequested("stopped on request (sparkle stop)")
            self._honour_control()
            item = p.item
            outs = {name: atomic.temp_name(self.run.abs(o.path)) for name, o in item.outputs.items()}
            for path in outs.values():
                path.parent.mkdir(parents=True, exist_ok=True)
            temps[item.id] = outs
            with self._lock:
                self.observer.item_start(stage, item)
            self._event(_record(stage, item.id, "running", started_at=now_iso(), reason=p.reason, backend=item.backend))
            yield Task(
                stage_id=stage.id,
                item_id=item.id,
                func=item.func,
                kwargs={"out": {k: str(v) for k, v in outs.items()}, **item.kwargs},
                backend=item.backend,
            )

    def _execute(
        self,
        stage: Stage,
        ctx: StageContext,
        sm: StageManifest,
        to_run: list[PlannedItem],
        counts: dict[str, int],
    ) -> None:
        if not to_run:
            return
        by_id = {p.item.id: p for p in to_run}
        temps: dict[str, dict[str, Path]] = {}
        if self.executor.slots > 1:
            # Longest first: the last items to finish are short ones, so no worker idles long at the end.
            to_run = sorted(to_run, key=lambda p: -p.item.estimate_s)
        try:
            for outcome in self.executor.run(self._tasks(stage, ctx, to_run, temps)):
                p = by_id[outcome.task.item_id]
                if outcome.error is None:
                    try:
                        self._commit(stage, ctx, sm, p, outcome, temps[p.item.id])
                    except StageError as exc:
                        outcome.error = exc.message
                if outcome.error is not None:
                    self._fail(stage, sm, p, outcome, counts)
                counts["rendered"] += 1
                with self._lock:
                    self.observer.item_done(stage, p.item, "succeeded", outcome.duration_s, p.reason)
                    self.state["stages"][stage.id]["items"] = counts
                    self.run.write_state(self.state)
        finally:
            for outs in temps.values():
                for path in outs.values():
                    path.unlink(missing_ok=True)

    def _commit(
        self,
        stage: Stage,
        ctx: StageContext,
        sm: StageManifest,
        p: PlannedItem,
        outcome: Outcome,
        outs: dict[str, Path],
    ) -> None:
        item = p.item
        outputs = {}
        for name, tmp in outs.items():
            final = item.outputs[name]
            if not tmp.exists():
                raise StageError(f"{stage.id} {item.id}: the backend wrote nothing to {final.path}")
            check = _MAGIC.get(Path(final.path).suffix.lower())
            if check is not None:
                with open(tmp, "rb") as fh:
                    head = fh.read(16)
                if not check(head):
                    raise StageError(
                        f"{stage.id} {item.id}: {final.path} is not a valid {Path(final.path).suffix} file"
                    )
            rec = file_record(tmp, final.path)
            rec.update(artifact_type=final.artifact_type, media_type=final.media_type)
            outputs[name] = rec
        previous = sm.items.get(item.id) or {}
        record: dict[str, Any] = {
            "item_id": item.id,
            "label": item.label,
            "status": "succeeded",
            "fingerprint": p.fingerprint,
            "input_digests": p.digests,
            "outputs": outputs,
            "result": dict(outcome.result or {}),
            "attempt": int(previous.get("attempt", 0)) + 1,
            "backend": item.backend.name if item.backend else None,
            "device": outcome.device,
            "duration_s": round(outcome.duration_s, 4),
            "reason": p.reason,
            "completed_at": now_iso(),
        }
        sm.put(item.id, record)
        for name, tmp in outs.items():
            final_path = self.run.abs(item.outputs[name].path)
            try:
                os.replace(tmp, final_path)
            except OSError as exc:
                raise StageError(
                    f"{stage.id} {item.id}: cannot put {item.outputs[name].path} in place ({describe(exc)})"
                ) from exc
        ctx.results[item.id] = record["result"]
        ctx.records[item.id] = record
        for text in record["result"].get("run_notices") or []:  # what a stage wants the person to see
            self.observer.notice(f"{stage.id}: {text}")
        self._event(
            _record(
                stage,
                item.id,
                "succeeded",
                attempt=record["attempt"],
                duration_s=outcome.duration_s,
                backend=item.backend,
                device=outcome.device,
                reason=p.reason,
                completed_at=now_iso(),
                worker=outcome.worker,
                lost=outcome.lost or None,
                artifacts=[self.run.abs(o.path).resolve().as_uri() for o in item.outputs.values()],
            )
        )

    def _fail(self, stage: Stage, sm: StageManifest, p: PlannedItem, outcome: Outcome, counts: dict[str, int]) -> None:
        counts["failed"] += 1
        previous = sm.items.get(p.item.id) or {}
        record = {
            **previous,
            "item_id": p.item.id,
            "status": "failed",
            "error": outcome.error,
            "attempt": int(previous.get("attempt", 0)) + 1,
            "completed_at": now_iso(),
        }
        sm.put(p.item.id, record)
        sm.set(status="failed", error=f"{p.item.id}: {outcome.error}")
        self._event(
            _record(
                stage,
                p.item.id,
                "failed",
                duration_s=outcome.duration_s,
                backend=p.item.backend,
                device=outcome.device,
                error=outcome.error,
                completed_at=now_iso(),
                worker=outcome.worker,
            )
        )
        with self._lock:
            self.state["stages"][stage.id].update(status="failed")
        if os.environ.get("SPARKLE_DEBUG") and outcome.traceback:
            self.observer.notice(outcome.traceback)
        raise StageError(f"{stage.id} failed at {p.item.id}: {outcome.error}")

    def _honour_control(self) -> None:
        action = self.run.control()
        if action == "stop":
            self._abort.set()  # before the request is cleared, so stages running beside this one see it
            self.run.request("run")
            raise StopRequested("stopped on request (sparkle stop)")
        if action != "pause":
            return
        with self._lock:
            self.state["status"] = "paused"
            self._mark_stages("running", "paused")
            self.run.write_state(self.state)
            self.run.append_event(
                {"stage": self.state.get("current_stage"), "status": "paused", "started_at": now_iso()}
            )
            self.observer.notice(f"paused; `sparkle resume {self.run.run_id}` continues, `sparkle stop` stops")
        while (action := self.run.control()) == "pause" and not self._abort.is_set():
            time.sleep(0.2)
        if action == "stop" or self._abort.is_set():
            if action == "stop":
                self._abort.set()
                self.run.request("run")
            raise StopRequested("stopped on request while paused")
        with self._lock:
            self.state["status"] = "running"
            self._mark_stages("paused", "running")
            self.run.write_state(self.state)
            self.run.append_event(
                {
                    "stage": self.state.get("current_stage"),
                    "status": "running",
                    "reason": "resumed",
                    "started_at": now_iso(),
                }
            )

    def _mark_stages(self, old: str, new: str) -> None:
        for info in (self.state.get("stages") or {}).values():
            if isinstance(info, dict) and info.get("status") == old:
                info["status"] = new

    # --- dry run -------------------------------------------------------------------
    def dry_run(self, options: ProduceOptions) -> DryRunReport:
        """What `produce` would make, redo and skip, and why, without making anything.

        Stages are walked in order. An item whose inputs are all known (its upstream items stay as
        they are) is fingerprinted as `produce` would: skipped, made, or redone with the input that
        changed. An item that reads the output of an item that will be made first is reported as
        depending on that item, since its inputs are only known once that one exists.
        """
        self.run.require()
        report = DryRunReport()
        forced_from = [s.id for s in all_stages()].index(options.from_stage) if options.from_stage else None
        pending: set[str] = set()  # "stage/item" keys that this produce would make
        for stage in self.selected_stages(options):
            number = [s.id for s in all_stages()].index(stage.id)
            force = options.force or (forced_from is not None and number >= forced_from)
            entry: dict[str, Any] = {"stage_id": stage.id, "items": []}
            ctx: StageContext | None = None
            try:
                ctx = self.context(stage)
                if stage.id != "plan_intake" and "plan_intake/plan" in pending:
                    # The plan is read again before anything else: later stages see the edited plan.
                    ctx.plan = _normalized(self.run)
                ctx.dry_run, ctx.stage_id, ctx.pending = True, stage.id, pending
                if options.qa_mode:
                    ctx.options["qa_mode"] = options.qa_mode
                if options.burn_subtitles is not None:
                    ctx.options["burn_subtitles"] = options.burn_subtitles
                manifest = self.run.read_manifest(stage.id) or {"items": {}}
                for batch in stage.phases(ctx):
                    planned = self.plan_items(stage, ctx, batch, manifest, force)
                    entry["items"] += self._predict(stage, ctx, planned, manifest, pending)
            except (StageError, KeyError, IndexError, TypeError, ValueError):
                # Its items (or its later ones) can only be listed once what it reads exists.
                waiting = sorted(ctx.pending_reads) if ctx is not None else []
                later = "later " if entry["items"] else ""
                what = ", ".join(waiting[:3]) + (" ..." if len(waiting) > 3 else "") if waiting else ""
                entry["pending"] = (
                    f"its {later}items are known once {what} exist"
                    if what
                    else f"its {later}items are known once the stages before it have run"
                )
                pending.add(f"{stage.id}/*")
            known = "pending" not in entry
            entry["render_count"] = sum(1 for i in entry["items"] if i["action"] == "render") if known else None
            entry["skip_count"] = sum(1 for i in entry["items"] if i["action"] == "skip")
            entry["depends_count"] = sum(1 for i in entry["items"] if i.get("depends_on"))
            entry["estimate_s"] = round(sum(i["estimate_s"] for i in entry["items"]), 2)
            report.stages.append(entry)
        return report

    def _predict(
        self,
        stage: Stage,
        ctx: StageContext,
        planned: list[PlannedItem],
        manifest: dict[str, Any],
        pending: set[str],
    ) -> list[dict[str, Any]]:
        """One phase's items in a dry run: skip, make, redo (with the reason) or depends on (what)."""
        reads = set(ctx.pending_reads)
        ctx.pending_reads.clear()
        placeholders = [pending_inputs(p.item.inputs) for p in planned]
        covered = set().union(*placeholders) if placeholders else set()
        # A pending item read while building the phase but named in no item's inputs (a shared
        # timeline, say) could change any of them.
        shared = reads - covered
        out = []
        for p, own in zip(planned, placeholders, strict=True):
            depends = sorted(own | shared)
            old = manifest["items"].get(p.item.id)
            if p.reason == "forced":
                kind, reason = "redo", "forced"
            elif depends:
                kind, reason = "depends", "depends on " + ", ".join(depends[:3]) + (" ..." if len(depends) > 3 else "")
            elif p.reason is None:
                kind, reason = "skip", "up to date"
            elif old is None or p.reason == "not made yet":
                kind, reason = "make", "not made yet"
            else:
                kind, reason = "redo", p.reason
            if kind != "skip":
                pending.add(f"{stage.id}/{p.item.id}")
            if old is not None:  # later phases read it; a placeholder stands in where it will change
                ctx.results[p.item.id] = old.get("result") or {}
                ctx.records[p.item.id] = old
            out.append(
                {
                    "item_id": p.item.id,
                    "label": p.item.label,
                    "action": "skip" if kind == "skip" else "render",
                    "kind": kind,
                    "reason": reason,
                    "depends_on": depends,
                    "estimate_s": 0.0 if kind == "skip" else p.item.estimate_s,
                }
            )
        return out


def _normalized(run: RunDir) -> dict[str, Any]:
    """The plan as plan_intake would write it from plan.json now."""
    from sparkle_cli.validation import check_plan, read_plan_file

    check = check_plan(read_plan_file(run.plan_path))
    check.raise_for_errors(str(run.plan_path))
    assert check.normalized is not None
    return check.normalized


def _settings(item: Item) -> dict[str, Any]:
    if item.backend is None:
        return {}
    cls = registry.backend_class(item.backend.kind, item.backend.name)
    return {"backend": item.backend.name, "version": cls.version, "options": item.backend.options}


def _record(stage: Stage, item: str | None, status: str, **fields: Any) -> dict[str, Any]:
    backend = fields.pop("backend", None)
    record: dict[str, Any] = {
        "stage": stage.id,
        "item": item,
        "status": status,
        "attempt": fields.pop("attempt", 1),
        "started_at": fields.pop("started_at", None),
        "completed_at": fields.pop("completed_at", None),
        "duration_s": round(fields.pop("duration_s", 0.0) or 0.0, 4),
        "backend": backend.name if backend is not None else None,
        "device": fields.pop("device", "cpu"),
        "artifacts": fields.pop("artifacts", []),
    }
    record.update({k: v for k, v in fields.items() if v is not None})
    return record


class _signals_raise:
    """SIGTERM behaves like Ctrl-C while producing, so both leave the run stopped and resumable."""

    def __enter__(self) -> None:
        self._old = signal.getsignal(signal.SIGTERM)
        try:
            signal.signal(signal.SIGTERM, self._handler)
        except ValueError:  # not the main thread
            self._old = None

    def __exit__(self, *exc: object) -> None:
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)

    @staticmethod
    def _handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt
