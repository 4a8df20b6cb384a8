"""Rich views for people: live progress while producing, and the tables other commands print."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from sparkle_cli.engine import Observer
from sparkle_cli.stages.base import Item, Stage

STATUS_STYLE = {
    "succeeded": "green",
    "skipped": "dim",
    "failed": "red",
    "running": "yellow",
    "paused": "magenta",
    "stopped": "magenta",
    "pending": "dim",
    "passed": "green",
    "not_evaluated": "yellow",
}


def badge(status: str | None) -> str:
    status = status or "pending"
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


class ProgressView(Observer):
    """Bars for the stages of the run and the items of each running stage, the items in flight per
    worker, and one line per redo reason."""

    def __init__(self, console: Console, total_stages: int, verbose: bool = True) -> None:
        self.console = console
        self.verbose = verbose
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.stages_task: TaskID = self.progress.add_task("stages", total=total_stages)
        self.items_tasks: dict[str, TaskID] = {}
        self.stage_totals: dict[str, int] = {}
        self.finished: set[str] = set()
        self.flight_task: TaskID | None = None
        self.rows: list[tuple[str, str, float, dict[str, Any]]] = []

    def __enter__(self) -> ProgressView:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def stage_start(self, stage: Stage, total: int, to_run: int) -> None:
        task = self.items_tasks.get(stage.id)
        if task is not None:
            self.stage_totals[stage.id] += total
            self.progress.update(task, total=self.stage_totals[stage.id])
            return
        # Finished stages' bars give way to the new one; stages running side by side keep theirs.
        for done in [s for s in self.items_tasks if s in self.finished]:
            self.progress.remove_task(self.items_tasks.pop(done))
        self.stage_totals[stage.id] = total
        self.items_tasks[stage.id] = self.progress.add_task(f"  {stage.id}", total=max(total, 1))

    def item_start(self, stage: Stage, item: Item) -> None:
        task = self.items_tasks.get(stage.id)
        if task is not None:
            self.progress.update(task, description=f"  {stage.id}: {item.id}")

    def item_done(self, stage: Stage, item: Item, status: str, duration_s: float, reason: str | None) -> None:
        task = self.items_tasks.get(stage.id)
        if task is not None:
            self.progress.advance(task)
        if status != "skipped" and self.verbose:
            self.progress.console.print(
                f"  [green]made[/] {stage.id}/{item.id} in {duration_s:.2f}s [dim]({escape(reason or '')})[/]"
            )

    def stage_done(self, stage: Stage, status: str, duration_s: float, summary: dict[str, Any]) -> None:
        self.progress.advance(self.stages_task)
        self.finished.add(stage.id)
        task = self.items_tasks.get(stage.id)
        if task is not None:
            self.progress.update(task, description=f"  {stage.id}")
        self.rows.append((stage.id, status, duration_s, summary))

    def in_flight(self, by_worker: dict[str, list[dict[str, Any]]]) -> None:
        text = in_flight_text(by_worker)
        if self.flight_task is None:
            self.flight_task = self.progress.add_task(text, total=None, visible=bool(by_worker))
        else:
            self.progress.update(self.flight_task, description=text, visible=bool(by_worker))

    def notice(self, text: str) -> None:
        self.progress.console.print(f"[yellow]{escape(text)}[/]")

    def summary_table(self) -> Table:
        table = Table(title="stages")
        for column in ("stage", "status", "made", "skipped", "seconds"):
            table.add_column(column, justify="right" if column in {"made", "skipped", "seconds"} else "left")
        for stage_id, status, duration, counts in self.rows:
            table.add_row(
                stage_id,
                badge(status),
                str(counts.get("rendered", 0)),
                str(counts.get("skipped", 0)),
                f"{duration:.2f}",
            )
        return table


def in_flight_text(by_worker: dict[str, list[dict[str, Any]]]) -> str:
    """One line: each worker with the items it is making now."""
    parts = []
    for worker, entries in sorted(by_worker.items()):
        items = ", ".join(f"{e['stage']}/{e['item']}" for e in entries)
        parts.append(f"{escape(worker)}: {escape(items)}")
    return "  [dim]in flight[/] " + (" | ".join(parts) if parts else "-")


def status_table(payload: dict[str, Any]) -> Table:
    table = Table(
        title=f"{payload['run_id']}: {payload['status']}" + (f" ({payload['note']})" if payload.get("note") else "")
    )
    for column in ("stage", "status", "items", "made", "skipped", "seconds"):
        table.add_column(column)
    for stage_id, info in (payload.get("stages") or {}).items():
        items = info.get("items") or {}
        table.add_row(
            stage_id,
            badge(info.get("status")),
            str(items.get("total", "")),
            str(items.get("rendered", "")),
            str(items.get("skipped", "")),
            f"{info.get('duration_s', 0):.2f}" if info.get("duration_s") is not None else "",
        )
    return table


def artifacts_table(payload: dict[str, Any]) -> Table:
    table = Table(title=f"artifacts of {payload['run_id']}")
    for column in ("stage", "type", "label", "duration", "size", "path"):
        table.add_column(column, overflow="fold")
    for section in payload["stages"]:
        for a in section["artifacts"]:
            label = escape(a.get("label") or "")
            if a["artifact_type"] == "video_final" and a["metadata"].get("qa_skipped"):
                label = f"[bold yellow]{label}[/]"
            table.add_row(
                section["stage_id"],
                a["artifact_type"],
                label,
                f"{a['duration_s']:.2f}s" if a.get("duration_s") else "",
                f"{a['size_bytes'] / 1024:.0f} KiB",
                escape(a["local_path"]),
            )
    return table
