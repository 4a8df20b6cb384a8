"""Rich views for people: live progress while producing, and the tables other commands print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from sparkle_cli.engine import Observer
from sparkle_cli.stages.base import Item, Stage
from sparkle_cli.text import safe

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
    status = str(status or "pending")
    return f"[{STATUS_STYLE.get(status, 'white')}]{escape(safe(status, 20))}[/]"


def show(value: object, limit: int | None = None) -> str:
    """Text from a plan or a file, for Rich markup: control characters escaped, brackets literal."""
    return escape(safe(value, limit))


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def duration(seconds: float | None) -> str:
    """9.5 s, 1 min 09 s, 2 h 03 min."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def why(reason: str | None) -> str:
    """An item's reason for being made, in words: "new" for a first make, else what changed."""
    if not reason or reason == "not made yet":
        return "new"
    return f"redone: {reason}"


class ProgressView(Observer):
    """Bars for the stages of the run and the items of each running stage, the items in flight per
    worker, and one line per item made. Nothing is drawn until the first stage starts, so an error
    found before any work (an unknown stage, a locked run) shows alone."""

    def __init__(self, console: Console, total_stages: int, verbose: bool = True) -> None:
        self.console = console
        self.verbose = verbose
        self.total_stages = total_stages
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.stages_task: TaskID | None = None
        self.items_tasks: dict[str, TaskID] = {}
        self.stage_totals: dict[str, int] = {}
        self.finished: set[str] = set()
        self.flight_task: TaskID | None = None
        self.rows: list[tuple[str, str, float, dict[str, Any]]] = []
        self._started = False

    def __enter__(self) -> ProgressView:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started:
            self.progress.stop()

    def _begin(self) -> None:
        if not self._started:
            self._started = True
            self.stages_task = self.progress.add_task("stages", total=self.total_stages)
            self.progress.start()

    def stage_start(self, stage: Stage, total: int, to_run: int) -> None:
        self._begin()
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
                f"  [green]made[/] {stage.id}/{item.id} in {duration_s:.2f}s [dim]({show(why(reason), 120)})[/]"
            )

    def stage_done(self, stage: Stage, status: str, duration_s: float, summary: dict[str, Any]) -> None:
        self._begin()
        if self.stages_task is not None:
            self.progress.advance(self.stages_task)
        self.finished.add(stage.id)
        task = self.items_tasks.get(stage.id)
        if task is not None:
            self.progress.update(task, description=f"  {stage.id}")
        self.rows.append((stage.id, status, duration_s, summary))

    def in_flight(self, by_worker: dict[str, list[dict[str, Any]]]) -> None:
        if not self._started:
            return
        text = in_flight_text(by_worker)
        if self.flight_task is None:
            self.flight_task = self.progress.add_task(text, total=None, visible=bool(by_worker))
        else:
            self.progress.update(self.flight_task, description=text, visible=bool(by_worker))

    def notice(self, text: str) -> None:
        self.progress.console.print(f"[yellow]{show(text)}[/]")

    def summary_table(self) -> Table | Text:
        if not self.rows:
            return Text("")
        table = Table(title="stages", box=box.SIMPLE_HEAD)
        for column in ("stage", "status", "made", "skipped", "seconds"):
            table.add_column(column, justify="right" if column in {"made", "skipped", "seconds"} else "left")
        for stage_id, status, seconds, counts in self.rows:
            table.add_row(
                stage_id,
                badge(status),
                str(counts.get("rendered", 0)),
                str(counts.get("skipped", 0)),
                f"{seconds:.2f}",
            )
        return table


def in_flight_text(by_worker: dict[str, list[dict[str, Any]]]) -> str:
    """One line: each worker with the items it is making now."""
    parts = []
    for worker, entries in sorted(by_worker.items()):
        items = ", ".join(f"{e.get('stage')}/{e.get('item')}" for e in entries)
        parts.append(f"{show(worker)}: {show(items)}")
    return "  [dim]in flight[/] " + (" | ".join(parts) if parts else "-")


def status_table(payload: dict[str, Any]) -> Table:
    title = f"{payload['run_id']}: {payload['status']}"
    if payload.get("title"):
        title = f"{show(payload['title'], 60)} ({title})"
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("stage", "status", "items done", "made", "skipped", "seconds"):
        table.add_column(column, justify="left" if column in {"stage", "status"} else "right")
    for stage_id, info in (payload.get("stages") or {}).items():
        items = info.get("items") if isinstance(info.get("items"), dict) else {}
        total = items.get("total")
        done = int(items.get("rendered") or 0) + int(items.get("skipped") or 0)
        seconds = info.get("duration_s")
        table.add_row(
            show(stage_id, 30),
            badge(info.get("status")),
            f"{done}/{total}" if total is not None else "",
            str(items.get("rendered", "")),
            str(items.get("skipped", "")),
            f"{seconds:.2f}" if isinstance(seconds, (int, float)) else "",
        )
    return table


def runs_view(rows: list[dict[str, Any]], root: Path, width: int) -> RenderableType:
    """Every run with its whole id, status and total production time; a table when it fits in
    `width`, else two lines a run. Ids are never cut: people copy them into the next command."""
    widest = max((len(r["run_id"]) for r in rows), default=6)
    if not rows:
        return Text(f"no runs in {safe(root)}")
    if widest + 58 <= width:
        table = Table(title=f"runs in {show(root)}", box=box.SIMPLE_HEAD, title_justify="left")
        table.add_column("run id", no_wrap=True, min_width=widest)
        table.add_column("status", no_wrap=True)
        table.add_column("time", justify="right", no_wrap=True)
        table.add_column("title", overflow="fold", ratio=1)
        table.add_column("updated", no_wrap=True)
        for r in rows:
            table.add_row(
                r["run_id"], badge(r["status"]), duration(r["production_s"]), show(r["title"] or "", 80), _when(r)
            )
        return table
    lines: list[RenderableType] = [Text(f"runs in {safe(root)}", style="italic")]
    for r in rows:
        lines.append(Text(r["run_id"], style="bold", no_wrap=True, overflow="ignore"))
        detail = f"  {badge(r['status'])} · {duration(r['production_s'])} · {_when(r)}"
        if r["title"]:
            detail += f" · {show(r['title'], 80)}"
        lines.append(Text.from_markup(detail))
    return Group(*lines)


def _when(row: dict[str, Any]) -> str:
    stamp = str(row.get("updated_at") or "")
    return stamp[:16].replace("T", " ") if stamp else ""


def artifacts_view(payload: dict[str, Any], run_path: Path) -> RenderableType:
    """Artifacts grouped by stage: file (relative to the run), what it is, length and size."""
    parts: list[RenderableType] = [Text(f"artifacts of {payload['run_id']} in {safe(run_path)}", style="italic")]
    for section in payload["stages"]:
        if not section["artifacts"]:
            continue
        table = Table(
            title=f"{section['stage_id']} ({plural(section['count'], 'file')})",
            box=None,
            title_justify="left",
            show_header=False,
            padding=(0, 1),
        )
        table.add_column("file", no_wrap=True)
        table.add_column("length", justify="right", no_wrap=True)
        table.add_column("size", justify="right", no_wrap=True)
        table.add_column("what", overflow="fold", ratio=1)
        for a in section["artifacts"]:
            path = Path(a["local_path"])
            try:
                name = path.relative_to(run_path / section["stage_id"]).as_posix()
            except ValueError:
                name = path.name
            label = show(a.get("label") or "", 70)
            if a["artifact_type"] == "video_final":
                label = f"[bold]{label}[/]" if not a["metadata"].get("qa_skipped") else f"[bold yellow]{label}[/]"
            if not a["playback_ready"] and a["metadata"].get("problem"):
                label += f" [red]({show(a['metadata']['problem'])})[/]"
            table.add_row(
                show(name),
                f"{a['duration_s']:.2f} s" if a.get("duration_s") else "",
                _size(a["size_bytes"]),
                label,
            )
        parts.append(table)
    return Group(*parts)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def doctor_view(results: list[dict[str, Any]], width: int = 80) -> RenderableType:
    """A short table (packages and backends folded into one row each when all is well), fixes below."""
    rows: list[tuple[str, str, str]] = []
    folded: dict[str, list[dict[str, Any]]] = {"package": [], "backend": []}
    for r in results:
        group = str(r["name"]).split(" ", 1)[0]
        if group in folded and r["status"] == "ok":
            folded[group].append(r)
            continue
        rows.append((str(r["name"]), str(r["status"]), str(r["detail"])))
    for group, ok in folded.items():
        if ok:
            names = ", ".join(str(r["name"]).split(" ", 1)[1] for r in ok)
            rows.append((f"{group}s", "ok", f"{len(ok)} ok: {names}"))
    style = {"ok": "green", "fail": "red", "warn": "yellow", "info": "dim"}
    table = Table(title="sparkle doctor", box=box.SIMPLE_HEAD, title_justify="left")
    name_width = min(30, max(len(name) for name, _, _ in rows))
    table.add_column("check", no_wrap=True, min_width=name_width)
    table.add_column("status", no_wrap=True, min_width=6)
    # Rich gives an all-no-wrap table no width to share, so the detail column is sized here.
    table.add_column("detail", no_wrap=True, overflow="ellipsis", max_width=max(10, width - name_width - 16))
    for name, status, detail in rows:
        table.add_row(show(name, 30), f"[{style.get(status, 'white')}]{status}[/]", show(detail, 200))
    fixes = [r for r in results if r["status"] != "ok" and r.get("fix")]
    parts: list[RenderableType] = [table]
    if fixes:
        parts.append(Text("to fix or enable:", style="bold"))
        for r in fixes:
            mark = "red" if r["status"] == "fail" else "yellow" if r["status"] == "warn" else "dim"
            parts.append(Text.from_markup(f"  [{mark}]{show(r['name'])}[/]: {show(r['fix'])}"))
    bad = sum(1 for r in results if r["status"] == "fail")
    parts.append(
        Text.from_markup(
            "[green]ready[/]: every required check passed" if not bad else f"[red]{plural(bad, 'problem')}[/]"
        )
    )
    return Group(*parts)
