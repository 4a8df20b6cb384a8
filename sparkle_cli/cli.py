"""The `sparkle` command line: thin commands over the planning, engine and report modules."""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from sparkle_cli import __version__
from sparkle_cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, SparkleError, UsageError
from sparkle_cli.text import safe


def _flags_without_a_type() -> None:
    """Typer's help shows every option's type, so a flag reads `--json <bool>`, as if it took a value.

    A flag takes none; its help row should show nothing there.
    """
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_without_a_type()

app = typer.Typer(
    name="sparkle",
    help="Turn a story prompt into a short movie with spoken dialogue.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

RunsDirOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--runs-dir", help="Runs directory (else SPARKLE_RUNS_DIR, ARTIFACTS_DIR, ./runs).", show_default=False
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
ModelPathOpt = Annotated[
    list[str],
    typer.Option(
        "--model-path",
        help="KIND=DIR_OR_HUB_ID for a backend's model (kinds: video, image, tts, qa, lipsync, planner); remembered by the run.",
    ),
]
ExecutorOpt = Annotated[
    Optional[str],
    typer.Option("--executor", help="local (default) or ray; else the config key `executor`.", show_default=False),
]
WorkersOpt = Annotated[
    Optional[int],
    typer.Option(
        "--workers",
        min=1,
        max=256,
        help="Local worker processes (default: one per CPU core; 1 runs items in this process); else SPARKLE_WORKERS or the config key `workers`.",
        show_default=False,
    ),
]
RayAddressOpt = Annotated[
    Optional[str],
    typer.Option(
        "--ray-address",
        help="Ray cluster: auto, HOST:PORT, or unset for a local Ray; else the config key `ray_address`.",
        show_default=False,
    ),
]
RunIdArg = Annotated[str, typer.Argument(help="The run id `sparkle plan` printed.", show_default=False)]


def _fail(exc: SparkleError, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "status": "error",
                    "error": exc.message,
                    "problems": exc.lines,
                    "hint": exc.hint,
                    "exit_code": exc.exit_code,
                }
            )
        )
    else:
        err.print(f"[bold red]error:[/] {escape(safe(exc.message, 2000))}", highlight=False)
        for line in exc.lines[:200]:
            err.print(f"  {safe(line, 2000)}", highlight=False, markup=False)
        if len(exc.lines) > 200:
            err.print(f"  ... and {len(exc.lines) - 200} more", highlight=False, markup=False)
        if exc.hint:
            err.print(f"[dim]hint: {escape(safe(exc.hint, 2000))}[/]", highlight=False)


def guarded(body: Callable[[], int | None], *, as_json: bool = False, debug: bool = False) -> None:
    """Run a command body: people get one red line and an exit code, --debug the traceback."""
    if debug:
        os.environ["SPARKLE_DEBUG"] = "1"
    try:
        code = body()
    except SparkleError as exc:
        _fail(exc, as_json)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("[magenta]interrupted[/]")
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # a bug: say so plainly, keep the trace for --debug
        if debug:
            traceback.print_exc()
        _fail(
            SparkleError(f"unexpected {type(exc).__name__}: {exc}", hint="run again with --debug for the traceback"),
            as_json,
        )
        raise typer.Exit(EXIT_FAILED) from None
    raise typer.Exit(code or EXIT_OK)


def _root(runs_dir: Path | None) -> Path:
    from sparkle_cli.rundir import check_root
    from sparkle_cli.rundir import runs_dir as resolve

    return check_root(resolve(runs_dir))


def _run(runs_dir: Path | None, run_id: str) -> Any:
    from sparkle_cli.rundir import RunDir

    return RunDir(_root(runs_dir), run_id).require()


def _print_json(payload: Any) -> None:
    print(json.dumps(payload, indent=2, default=str))


def _print_version(value: bool) -> None:
    if value:
        console.print(f"sparkle {__version__}")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", help="Print the version.", callback=_print_version, is_eager=True),
    ] = None,
) -> None:
    """Turn a story prompt into a short movie with spoken dialogue."""


@app.command()
def plan(
    prompt: Annotated[Optional[str], typer.Argument(help="What the movie is about.", show_default=False)] = None,
    title: Annotated[Optional[str], typer.Option(help="Movie title (else made from the prompt).")] = None,
    shots: Annotated[int, typer.Option(help="Number of shots (keyframes = shots + 1).", min=1, max=200)] = 3,
    seconds: Annotated[
        Optional[float],
        typer.Option(help="Target length in seconds (never shorter than the dialogue needs).", min=1, max=1800),
    ] = None,
    planner: Annotated[
        str,
        typer.Option(
            help="Planner: auto (a configured or local language model when one answers, else template), "
            "template (built-in, no model), openai (an OpenAI-compatible server), ollama (a local Ollama) "
            "or transformers (a local model folder or hub id)."
        ),
    ] = "auto",
    profile: Annotated[Optional[str], typer.Option(help="Render profile: builtin, gpu, or a YAML/JSON file.")] = None,
    from_file: Annotated[
        Optional[Path], typer.Option("--from-file", help="Import a plan file instead of planning from a prompt.")
    ] = None,
    run_id: Annotated[Optional[str], typer.Option("--run-id", help="Run id (else made from the title).")] = None,
    seed: Annotated[
        Optional[int], typer.Option(help="Planner seed (else derived from the prompt).", min=0, max=2**32 - 1)
    ] = None,
    llm_base_url: Annotated[
        Optional[str],
        typer.Option(
            "--llm-base-url",
            envvar="SPARKLE_LLM_BASE_URL",
            help="openai planner: the server's base URL (default http://localhost:8000/v1); key from SPARKLE_LLM_API_KEY or OPENAI_API_KEY.",
            show_default=False,
        ),
    ] = None,
    llm_model: Annotated[
        Optional[str],
        typer.Option(
            "--llm-model",
            envvar="SPARKLE_LLM_MODEL",
            help="openai and ollama planners: the model name (else the server's only model); "
            "transformers planner: a hub id such as Qwen/Qwen2.5-1.5B-Instruct (downloaded on first use) or a folder.",
            show_default=False,
        ),
    ] = None,
    llm_model_path: Annotated[
        Optional[str],
        typer.Option(
            "--llm-model-path",
            help="transformers planner: a model folder or hub id (else --llm-model, SPARKLE_MODEL_PATH_PLANNER or the config's models.planner).",
            show_default=False,
        ),
    ] = None,
    llm_timeout: Annotated[
        Optional[float],
        typer.Option(
            "--llm-timeout",
            min=0.1,
            max=3600,
            help="openai planner: seconds to wait for each answer (default 120).",
            show_default=False,
        ),
    ] = None,
    llm_retries: Annotated[
        Optional[int],
        typer.Option(
            "--llm-retries",
            min=0,
            max=10,
            help="openai planner: tries again this often on connection errors, timeouts and 5xx (default 2).",
            show_default=False,
        ),
    ] = None,
    llm_max_tokens: Annotated[
        Optional[int],
        typer.Option(
            "--llm-max-tokens",
            min=1,
            max=32768,
            help="Language-model planners: the longest answer in tokens.",
            show_default=False,
        ),
    ] = None,
    temperature: Annotated[
        Optional[float],
        typer.Option(
            "--temperature",
            min=0,
            max=2,
            help="Language-model planners: sampling temperature (openai: the server's default; transformers: 0, greedy).",
            show_default=False,
        ),
    ] = None,
    repair_rounds: Annotated[
        int,
        typer.Option(
            "--repair-rounds",
            min=0,
            max=10,
            help="Language-model planners: times a plan that fails validation is sent back for repair.",
        ),
    ] = 3,
    runs_dir: RunsDirOpt = None,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write a validated plan into a new run and print its run id."""

    def body() -> int:
        from sparkle_cli import planning

        root = _root(runs_dir)
        if from_file is not None:
            if prompt:
                raise UsageError("give either a PROMPT or --from-file, not both")
            result = planning.plan_from_file(root, from_file, profile=profile, run_id=run_id)
        elif prompt:
            llm = {
                "base_url": llm_base_url,
                "model": llm_model,
                "model_path": llm_model_path,
                "timeout": llm_timeout,
                "retries": llm_retries,
                "max_tokens": llm_max_tokens,
                "temperature": temperature,
                "repair_rounds": repair_rounds,
                "seed": seed,
            }
            result = planning.plan_from_prompt(
                root,
                prompt,
                title=title,
                shots=shots,
                seconds=seconds,
                planner=planner,
                profile=profile,
                run_id=run_id,
                seed=seed,
                planner_options={k: v for k, v in llm.items() if v is not None},
            )
        else:
            raise UsageError('say what the movie is about: sparkle plan "PROMPT" (or --from-file PLAN.json)')
        if as_json:
            payload = {
                "status": "planned",
                "run_id": result.run.run_id,
                "artifact_uri": result.run.plan_path.resolve().as_uri(),
                "request_id": result.envelope["metadata"]["request_id"],
            }
            if result.requested:  # planned from a prompt: which planner wrote it, and why
                payload["planner"] = result.planner_summary()
            _print_json(payload)
            return EXIT_OK
        from sparkle_cli.views import plural, show

        plan_data = result.envelope["validated_plan"]
        total = sum(s["duration_sec"] for s in plan_data["shots"])
        lines = sum(1 for e in plan_data.get("dialogue_timeline") or [] if e.get("type") == "dialogue")
        console.print(
            f"[bold]{show(plan_data['title'], 120)}[/]: {plural(len(plan_data['shots']), 'shot')}, "
            f"{plural(len(plan_data['base_images']), 'keyframe')}, {plural(lines, 'line')}, {total:.1f} s; "
            f"video {show(plan_data['render_profile']['video']['model_id'])}",
            highlight=False,
        )
        # "template (built-in, no model)" already names its planner; "openai" gets its model beside it.
        named = result.model if str(result.model).startswith(result.planner) else f"{result.planner} ({result.model})"
        chosen = f" [dim]chosen by --planner auto: {show(result.reason, 300)}[/]" if result.requested == "auto" else ""
        console.print(f"planner: {show(named or result.planner, 200)}{chosen}", highlight=False)
        if result.planner_notice:
            console.print(f"[yellow]notice:[/] {show(result.planner_notice, 500)}", highlight=False)
        if result.envelope["metadata"].get("transcript"):
            rounds = result.envelope["validated_plan"].get("metadata", {}).get("rounds")
            console.print(
                f"planner transcript: {show(result.run.path / result.envelope['metadata']['transcript'])}"
                + (f" ({plural(rounds, 'round')})" if rounds else ""),
                highlight=False,
            )
        for notice in result.notices:
            console.print(f"[yellow]notice:[/] {show(notice, 500)}", highlight=False)
        console.print(f"plan: {show(result.run.plan_path)}", highlight=False)
        console.print(f"next: sparkle produce {result.run.run_id}", highlight=False)
        print(result.run.run_id)
        return EXIT_OK

    guarded(body, as_json=as_json, debug=debug)


@app.command()
def validate(
    plan_file: Annotated[Path, typer.Argument(help="A plan envelope or a bare MoviePlan (JSON).", show_default=False)],
    as_json: JsonOpt = False,
) -> None:
    """Check a plan: exit 0 when valid, 2 with one line per problem when not."""

    def body() -> int:
        from sparkle_cli.validation import check_plan, read_plan_file

        check = check_plan(read_plan_file(plan_file))
        if as_json:
            _print_json({"valid": check.ok, "errors": check.errors, "notices": check.notices})
            return EXIT_OK if check.ok else EXIT_USAGE
        check.raise_for_errors(str(plan_file))
        for notice in check.notices:
            console.print(f"[yellow]notice:[/] {escape(safe(notice, 500))}", highlight=False)
        console.print(f"[green]valid[/]: {escape(safe(plan_file))}", highlight=False)
        return EXIT_OK

    guarded(body, as_json=as_json)


def _executor(kind: str | None, workers: int | None, ray_address: str | None) -> Any:
    """The executor from the options, else the config file (`executor`, `workers`, `ray_address`)."""
    from sparkle_cli import config
    from sparkle_cli.executors import machine_workers, make_executor

    kind = kind or str(config.get("executor", "local"))
    if workers is None:
        configured = os.environ.get("SPARKLE_WORKERS") or config.get("workers")
        try:
            workers = int(configured) if configured not in (None, "") else machine_workers()
        except (TypeError, ValueError):
            raise UsageError(
                f"workers must be a whole number, got {configured!r} (SPARKLE_WORKERS or config)"
            ) from None
    ray_address = ray_address or config.get("ray_address")
    if kind == "local" and ray_address:
        raise UsageError("--ray-address goes with --executor ray")
    return make_executor(kind, workers, ray_address)


def _produce(run: Any, options: Any, as_json: bool, quiet: bool = False, executor: Any = None) -> int:
    from sparkle_cli.engine import Engine
    from sparkle_cli.preflight import preflight
    from sparkle_cli.reports import status_payload, video_final
    from sparkle_cli.stages import all_stages

    preflight(run)
    started = time.perf_counter()
    if as_json or quiet:
        engine = Engine(run, executor=executor)
        code = engine.produce(options)
    else:
        from sparkle_cli.views import ProgressView

        with ProgressView(console, len(all_stages())) as view:
            engine = Engine(run, executor=executor, observer=view)
            code = engine.produce(options)
        console.print(view.summary_table())
    payload = status_payload(run, log_limit=0)
    if code != EXIT_OK and engine.error and payload.get("error") != engine.error:
        payload.update(status="failed" if code == EXIT_FAILED else payload["status"], error=engine.error)
    elapsed = time.perf_counter() - started
    report = _report_after_run(run)
    if as_json:
        _print_json({**payload, "elapsed_s": round(elapsed, 3), "report": str(report) if report else None})
        return code
    final = video_final(run)
    if payload["status"] == "succeeded" and final:
        skipped = " [bold yellow](QA skipped)[/]" if final["metadata"].get("qa_skipped") else ""
        console.print(
            f"[green]done[/] in {elapsed:.2f}s: {escape(safe(final['local_path']))}{skipped}", highlight=False
        )
    elif payload["status"] == "stopped":
        console.print(f"[magenta]stopped[/]; continue with: sparkle resume {run.run_id}", highlight=False)
    else:
        err.print(
            f"[bold red]{payload['status']}[/]: {escape(safe(payload.get('error') or '', 2000))}", highlight=False
        )
        err.print(f"[dim]fix the cause, then: sparkle resume {run.run_id}[/]", highlight=False)
    if report is not None:
        console.print(f"report: {report}", highlight=False)
    return code


def _report_after_run(run: Any) -> Path | None:
    """Write the run's report page; a report that cannot be written never changes how the run ended."""
    from sparkle_cli.report_html import write_report

    try:
        return write_report(run).path
    except Exception as exc:  # the movie is made either way; say why the page is missing
        err.print(f"[yellow]warning:[/] could not write the report: {escape(str(exc))}", highlight=False)
        return None


@app.command()
def produce(
    run_id: RunIdArg,
    qa_mode: Annotated[Optional[str], typer.Option("--qa-mode", help="full (default) or skip.")] = None,
    qa_policy: Annotated[Optional[Path], typer.Option("--qa-policy", help="QA thresholds file (YAML/JSON).")] = None,
    model_path: ModelPathOpt = [],  # noqa: B006 (typer reads the default, never mutates it)
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would render and what would be skipped; render nothing.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Render everything again.")] = False,
    burn_subtitles: Annotated[
        Optional[bool],
        typer.Option(
            "--burn-subtitles/--no-burn-subtitles",
            help="Draw the dialogue into the picture as well (the run remembers it; else the plan's "
            "render_profile.subtitles.burn). The soft subtitle track is always there.",
            show_default=False,
        ),
    ] = None,
    executor: ExecutorOpt = None,
    workers: WorkersOpt = None,
    ray_address: RayAddressOpt = None,
    runs_dir: RunsDirOpt = None,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Run every unfinished stage of a run."""

    def body() -> int:
        if qa_mode not in (None, "full", "skip"):
            raise UsageError(f"--qa-mode must be full or skip, got {qa_mode!r}")
        chosen = _executor(executor, workers, ray_address)
        try:
            return _produce_checked(chosen)
        finally:
            chosen.close()  # also when a check below refuses the run: no worker outlives the command

    def _produce_checked(chosen: Any) -> int:
        from sparkle_cli.engine import ProduceOptions

        run = _run(runs_dir, run_id)
        if not dry_run:
            chosen.warm()  # workers start while the plan and the options are checked
        if qa_policy is not None:
            from sparkle_cli.qa_policy import load_policy

            load_policy(qa_policy)
        _check_plan(run)
        if not dry_run:
            if qa_policy is not None:
                _set_option(run, "qa_policy", str(qa_policy.resolve()))
            _remember_model_paths(run, model_path)
        else:
            from sparkle_cli import config

            config.apply_model_paths(config.parse_model_paths(model_path))
        options = ProduceOptions(force=force, qa_mode=qa_mode, dry_run=dry_run, burn_subtitles=burn_subtitles)
        if dry_run:
            return _dry_run(run, options, as_json)
        return _produce(run, options, as_json, executor=chosen)

    guarded(body, as_json=as_json, debug=debug)


def _check_plan(run: Any) -> None:
    """The plan is checked before the run remembers any option, so bad input changes nothing."""
    from sparkle_cli.validation import check_plan, read_plan_file

    check_plan(read_plan_file(run.plan_path)).raise_for_errors(str(run.plan_path))


def _remember_model_paths(run: Any, values: list[str]) -> None:
    """Store --model-path choices in the run (so resume uses them too) and apply the run's choices."""
    from sparkle_cli import config

    paths = config.parse_model_paths(values)
    if paths:
        with run.locked():
            state = run.read_state()
            state.setdefault("options", {}).setdefault("model_paths", {}).update(paths)
            run.write_state(state)
    config.apply_model_paths((run.read_state().get("options") or {}).get("model_paths") or {})


def _set_option(run: Any, key: str, value: Any) -> None:
    from sparkle_cli.qa_policy import load_policy

    if key == "qa_policy":
        load_policy(value)
    with run.locked():
        state = run.read_state()
        state.setdefault("options", {})[key] = value
        run.write_state(state)


def _dry_run(run: Any, options: Any, as_json: bool) -> int:
    from rich.table import Table

    from sparkle_cli.engine import Engine
    from sparkle_cli.preflight import preflight

    preflight(run)
    report = Engine(run).dry_run(options)
    if as_json:
        _print_json({"run_id": run.run_id, "dry_run": True, "stages": report.stages})
        return EXIT_OK
    from rich import box

    from sparkle_cli.views import show

    table = Table(title=f"dry run of {run.run_id}: nothing is rendered", box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("stage", "make", "redo", "depends", "skip", "est. s"):
        table.add_column(column, justify="left" if column == "stage" else "right", no_wrap=True)
    notes: list[str] = []
    for stage in report.stages:
        kinds = [i.get("kind") for i in stage["items"]]
        unknown = "pending" in stage
        table.add_row(
            stage["stage_id"],
            str(kinds.count("make")) + ("+?" if unknown else ""),
            str(kinds.count("redo")),
            str(kinds.count("depends")),
            str(kinds.count("skip")),
            f"{stage['estimate_s']:.1f}",
        )
        for item in stage["items"]:
            if item["kind"] in ("redo", "depends") or (item["kind"] == "make" and len(notes) < 40):
                notes.append(f"  {stage['stage_id']}/{item['item_id']}: {item['reason']}")
        if unknown:
            notes.append(f"  {stage['stage_id']}: {stage['pending']}")
    console.print(table)
    if notes:
        console.print("why:", highlight=False)
        for note in notes[:60]:
            console.print(show(note, 300), highlight=False)
        if len(notes) > 60:
            console.print(f"  ... and {len(notes) - 60} more (--json lists every item)", highlight=False)
    return EXIT_OK


@app.command()
def resume(
    run_id: RunIdArg,
    from_stage: Annotated[
        Optional[str], typer.Option("--from", help="Redo this stage and every stage after it.")
    ] = None,
    model_path: ModelPathOpt = [],  # noqa: B006
    executor: ExecutorOpt = None,
    workers: WorkersOpt = None,
    ray_address: RayAddressOpt = None,
    runs_dir: RunsDirOpt = None,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Continue a stopped, failed or paused run (a paused producer is released)."""

    def body() -> int:
        chosen = _executor(executor, workers, ray_address)
        try:
            return _resume_checked(chosen)
        finally:
            chosen.close()

    def _resume_checked(chosen: Any) -> int:
        from sparkle_cli.engine import ProduceOptions

        run = _run(runs_dir, run_id)
        holder = run.holder()
        if holder is None:
            chosen.warm()  # workers start while the plan is checked
        else:
            if run.control() == "pause" or run.read_state().get("status") == "paused":
                run.request("run")
                if as_json:
                    _print_json({"run_id": run_id, "status": "running", "released": True})
                else:
                    console.print(f"released the pause; process {holder.get('pid')} continues {run_id}")
                return EXIT_OK
        _check_plan(run)
        _remember_model_paths(run, model_path)
        return _produce(run, ProduceOptions(from_stage=from_stage), as_json, executor=chosen)

    guarded(body, as_json=as_json, debug=debug)


@app.command()
def qa(run_id: RunIdArg, runs_dir: RunsDirOpt = None, as_json: JsonOpt = False, debug: DebugOpt = False) -> None:
    """Run the QA stages on what the run has: exit 0 when QA passes, 1 when it fails."""

    def body() -> int:
        from sparkle_cli.engine import ProduceOptions
        from sparkle_cli.stages import all_stages

        run = _run(runs_dir, run_id)
        _remember_model_paths(run, [])
        # QA here always means full QA; assembly runs too, so that a clip QA re-renders is in
        # the movie qa_publish checks (it is skipped when the accepted clips did not change).
        only = [s.id for s in all_stages() if s.is_qa or s.id == "assembly_lipsync"]
        return _produce(run, ProduceOptions(only=only, qa_mode="full"), as_json)

    guarded(body, as_json=as_json, debug=debug)


@app.command()
def status(
    run_id: RunIdArg,
    watch: Annotated[bool, typer.Option("--watch", help="Refresh until the run stops.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between refreshes with --watch.", min=0.1, max=3600)] = 1.0,
    runs_dir: RunsDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The run's state: status, stage, progress, QA mode and the step log."""

    def body() -> int:
        from sparkle_cli.reports import status_payload
        from sparkle_cli.views import duration, show, status_table

        run = _run(runs_dir, run_id)
        while True:
            payload = status_payload(run)
            if as_json:
                print(json.dumps(payload, default=str), flush=True)
            else:
                console.print(status_table(payload))
                for worker, items in (payload.get("in_flight_by_worker") or {}).items():
                    console.print(f"in flight on {show(worker)}: {show(', '.join(items))}", highlight=False)
                qa_state = payload["qa"]
                console.print(
                    f"progress {payload['progress']:.0%}, stage {show(payload['current_stage'] or '-')}; "
                    f"QA {'skipped' if qa_state.get('skipped') else show(qa_state.get('mode', 'full'))}; "
                    f"production time {duration(payload.get('production_s'))}",
                    highlight=False,
                )
                if payload.get("note"):
                    console.print(f"[magenta]{show(payload['note'])}[/]", highlight=False)
                if payload.get("error"):
                    err.print(f"[red]{show(payload['error'], 2000)}[/]", highlight=False)
                if payload.get("video_final"):
                    console.print(
                        f"video: {show(payload['video_final'])}"
                        + (" [bold yellow](QA skipped)[/]" if qa_state.get("skipped") else ""),
                        highlight=False,
                    )
                elif payload.get("video_final_problem"):
                    err.print(f"[yellow]the movie is not available: {show(payload['video_final_problem'])}[/]")
            if not watch or payload["status"] not in {"running", "paused"}:
                return EXIT_OK
            time.sleep(max(0.1, interval))

    guarded(body, as_json=as_json)


@app.command()
def artifacts(
    run_id: RunIdArg,
    stage: Annotated[Optional[str], typer.Option("--stage", help="Only this stage's artifacts.")] = None,
    runs_dir: RunsDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The run's artifacts, grouped by stage."""

    def body() -> int:
        from sparkle_cli.reports import artifacts_payload
        from sparkle_cli.views import artifacts_view

        run = _run(runs_dir, run_id)
        payload = artifacts_payload(run, stage)
        if as_json:
            _print_json(payload)
        else:
            console.print(artifacts_view(payload, run.path))
        return EXIT_OK

    guarded(body, as_json=as_json)


@app.command()
def report(run_id: RunIdArg, runs_dir: RunsDirOpt = None, as_json: JsonOpt = False, debug: DebugOpt = False) -> None:
    """Write RUN/report.html: the movie with subtitles, storyboard, shots, QA verdicts and timings in one page."""

    def body() -> int:
        from sparkle_cli.report_html import write_report

        written = write_report(_run(runs_dir, run_id))
        if as_json:
            _print_json(
                {
                    "run_id": run_id,
                    "report": str(written.path),
                    "report_uri": written.path.resolve().as_uri(),
                    "size_bytes": written.size_bytes,
                    "embedded_bytes": written.embedded_bytes,
                    "linked": written.linked,
                }
            )
        else:
            extra = f"; linked, not embedded: {', '.join(written.linked)}" if written.linked else ""
            console.print(
                f"report: {written.path} ({written.size_bytes / 1024 / 1024:.1f} MiB{extra})", highlight=False
            )
        return EXIT_OK

    guarded(body, as_json=as_json, debug=debug)


def _control(run_id: str, runs_dir: Path | None, action: str, as_json: bool) -> int:
    run = _run(runs_dir, run_id)
    holder = run.holder()
    if holder is None:
        raise SparkleError(
            f"no process is producing {run_id}; nothing to {action}", hint=f"`sparkle status {run_id}` shows its state"
        )
    run.request(action)
    if as_json:
        _print_json({"run_id": run_id, "requested": action, "pid": holder.get("pid")})
    else:
        console.print(f"asked process {holder.get('pid')} to {action} {run_id} before its next item")
    return EXIT_OK


@app.command()
def pause(run_id: RunIdArg, runs_dir: RunsDirOpt = None, as_json: JsonOpt = False) -> None:
    """Ask the running producer to pause before its next item; `sparkle resume` releases it."""
    guarded(lambda: _control(run_id, runs_dir, "pause", as_json), as_json=as_json)


@app.command()
def stop(run_id: RunIdArg, runs_dir: RunsDirOpt = None, as_json: JsonOpt = False) -> None:
    """Ask the running producer to stop cleanly before its next item (the run stays resumable)."""
    guarded(lambda: _control(run_id, runs_dir, "stop", as_json), as_json=as_json)


@app.command()
def runs(runs_dir: RunsDirOpt = None, as_json: JsonOpt = False) -> None:
    """List runs with their status and total production time."""

    def body() -> int:
        from sparkle_cli.reports import status_payload
        from sparkle_cli.rundir import list_runs
        from sparkle_cli.views import runs_view, show

        rows = []
        root = _root(runs_dir)
        for run in list_runs(root):
            try:
                payload = status_payload(run, log_limit=0)
            except Exception as exc:  # one broken run must not hide the others
                err.print(f"[yellow]skipping run {run.run_id}: {show(exc, 200)}[/]", highlight=False)
                continue
            rows.append(
                {
                    "run_id": run.run_id,
                    "title": payload.get("title"),
                    "status": payload["status"],
                    "production_s": payload.get("production_s"),
                    "duration_s": payload.get("production_s"),
                    "updated_at": payload.get("updated_at"),
                    "video_final": payload.get("video_final"),
                }
            )
        if as_json:
            _print_json(rows)
            return EXIT_OK
        console.print(runs_view(rows, root, console.width))
        return EXIT_OK

    guarded(body, as_json=as_json)


@app.command()
def doctor(runs_dir: RunsDirOpt = None, as_json: JsonOpt = False) -> None:
    """Check ffmpeg, TTS, Python packages, GPU, disk and model backends; say how to fix each."""

    def body() -> int:
        from sparkle_cli.doctor import run_checks

        results = run_checks(_root(runs_dir))
        bad = [r for r in results if r["status"] == "fail"]
        if as_json:
            _print_json({"ok": not bad, "checks": results})
        else:
            from sparkle_cli.views import doctor_view

            console.print(doctor_view(results, console.width))
        return EXIT_FAILED if bad else EXIT_OK

    guarded(body, as_json=as_json)


SCHEMA_NOTES = {
    "plan": "a MoviePlan: characters, keyframes, shots, dialogue timeline, render profile",
    "envelope": "plan.json on disk: the request, the validated plan and where it came from",
    "manifest": "<stage>/manifest.json: what a stage made, from which inputs",
    "step": "one line of events.jsonl: a stage or item starting, ending, failing",
    "status": "sparkle status --json",
    "artifacts": "sparkle artifacts --json",
    "plan-result": "sparkle plan --json",
}
SCHEMAS = tuple(SCHEMA_NOTES)


@app.command()
def schema(
    name: Annotated[
        Optional[str], typer.Argument(help=f"One of: {', '.join(SCHEMAS)}. Without it: the list.", show_default=False)
    ] = None,
) -> None:
    """Print a JSON Schema; without a name, list the schemas there are."""

    def body() -> int:
        from sparkle_cli.schemas import plan as plan_schemas
        from sparkle_cli.schemas import records

        models: dict[str, Any] = {
            "plan": plan_schemas.MoviePlan,
            "envelope": plan_schemas.PlanEnvelope,
            "manifest": records.StageManifest,
            "step": records.StepExecutionRecord,
            "status": records.StatusPayload,
            "artifacts": records.ArtifactsPayload,
            "plan-result": records.PlanCommandPayload,
        }
        if name is None:
            for key in models:
                console.print(f"{key:<12} {SCHEMA_NOTES[key]}", highlight=False)
            console.print("[dim]sparkle schema NAME prints one[/]")
            return EXIT_OK
        if name not in models:
            raise UsageError(f"unknown schema {safe(name, 40)!r}; choose one of: {', '.join(SCHEMAS)}")
        _print_json(models[name].model_json_schema())
        return EXIT_OK

    guarded(body)


@app.command()
def stages(as_json: JsonOpt = False) -> None:
    """The pipeline's stages: what each reads and writes."""

    def body() -> int:
        from rich.table import Table

        from sparkle_cli.stages import all_stages

        described = [s.describe() for s in all_stages()]
        if as_json:
            _print_json(described)
            return EXIT_OK
        table = Table(title="stages")
        for column in ("#", "stage", "does", "reads", "writes"):
            table.add_column(column, overflow="fold")
        for d in described:
            table.add_row(
                str(d["number"]), d["stage_id"], d["description"], ", ".join(d["reads"]), ", ".join(d["writes"])
            )
        console.print(table)
        return EXIT_OK

    guarded(body, as_json=as_json)


def main() -> None:
    app(prog_name="sparkle")


if __name__ == "__main__":  # pragma: no cover
    main()
