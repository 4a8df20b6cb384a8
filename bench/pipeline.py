"""Benchmark: the demo movie on the built-in backends, the engine's own overhead, final QA memory.

Prints, in one run and side by side:
- the demo with default settings (one worker per core) and with `--workers 1`, per stage, the
  speedup, and the real-time factor (render time / movie length; lower is faster); one worker's CPU
  time per stage, and from it the most any number of workers could gain over it (one worker alone
  already keeps more than one core busy, and the one-item stages cannot be split); and the default
  command pinned to one core;
- the CPU time of a no-op `produce` (everything current) at 4 and at 48 shots: the engine's own
  overhead, which should grow with the movie no faster than the movie does;
- the peak memory of final QA on a 1-minute and a 10-minute movie.
Quote ratios, not absolute seconds: shared machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sparkle_cli.executors import machine_workers

ROOT = Path(__file__).resolve().parents[1]
SPARKLE = [sys.executable, "-m", "sparkle_cli"]


#: Runs the CLI with each stage's CPU time (the process's and its waited-for children's) written to
#: the JSON file named first. Right for one worker, where items run in the process; a pool's workers
#: are not its children. Run as `python -c STAGE_CPU FILE ARGS...`.
STAGE_CPU = """
import atexit, json, resource, sys
from sparkle_cli import engine
from sparkle_cli.cli import main

def cpu():
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))

out, sys.argv = sys.argv[1], ["sparkle", *sys.argv[2:]]
seconds, run_stage = {}, engine.Engine.run_stage

def measured(self, stage, **kw):
    before = cpu()
    try:
        return run_stage(self, stage, **kw)
    finally:
        seconds[stage.id] = seconds.get(stage.id, 0.0) + cpu() - before

engine.Engine.run_stage = measured
atexit.register(lambda: open(out, "w").write(json.dumps(seconds)))
main()
"""


def one_core() -> None:
    """Pin the process (and all it starts) to one CPU: the baseline that shows what the others add."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def sparkle(
    *args: str, env: dict[str, str], pinned: bool = False, stage_cpu: Path | None = None
) -> tuple[float, float, str]:
    """Run the CLI; returns (wall seconds, CPU seconds of the process and its children, stdout).
    With `stage_cpu`, each stage's CPU seconds are written there (see STAGE_CPU)."""
    command = [sys.executable, "-c", STAGE_CPU, str(stage_cpu)] if stage_cpu else SPARKLE
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, cwd=ROOT, preexec_fn=one_core if pinned else None
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit(f"sparkle {' '.join(args)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, out.stdout


def stage_seconds(runs_dir: Path, run_id: str) -> dict[str, float]:
    state = json.loads((runs_dir / run_id / "run.json").read_text())
    return {k: v.get("duration_s", 0.0) for k, v in state["stages"].items()}


def several_items(runs_dir: Path, run_id: str) -> list[str]:
    """The stages of more than one item: the only ones more workers can split."""
    state = json.loads((runs_dir / run_id / "run.json").read_text())
    return [k for k, v in state["stages"].items() if (v.get("items") or {}).get("total", 0) > 1]


def demo(runs_dir: Path, prompt: str, shots: int, env: dict[str, str], repeat: int) -> None:
    """The demo movie with the default workers, with one, and pinned to one core (where the default is one
    worker, as on a one-core machine); the best of `repeat` each, alternating."""
    best: dict[str, dict] = {}
    movie_s = 0.0
    video: dict = {}
    pinning = hasattr(os, "sched_setaffinity")
    configs = [("default", "default", [], False), ("1 worker", "w1", ["--workers", "1"], False)]
    if pinning:
        configs.append(("one core", "core1", [], True))
    for attempt in range(repeat):
        for label, name, extra, pinned in configs:
            run_id = f"bench-{name}-{attempt}"
            shutil.rmtree(runs_dir / run_id, ignore_errors=True)
            sparkle("plan", prompt, "--shots", str(shots), "--run-id", run_id, "--json", env=env)
            cpu_file = runs_dir / f"{run_id}.stage-cpu.json" if name == "w1" else None
            wall, cpu, out = sparkle("produce", run_id, "--json", *extra, env=env, pinned=pinned, stage_cpu=cpu_file)
            status = json.loads(out)
            if status["status"] != "succeeded":
                sys.exit(f"{run_id}: {status['status']}: {status.get('error')}")
            timeline = json.loads((runs_dir / run_id / "dialogue_audio" / "dialogue_timeline_audio.json").read_text())
            movie_s = timeline["total_duration_s"]
            plan = json.loads((runs_dir / run_id / "plan.json").read_text())["validated_plan"]
            video = plan["render_profile"]["video"]
            # The CPU time counts the process and the children it waited for: complete for one
            # worker (items run in the process), not for a pool, whose workers are not its children.
            sample = {
                "wall": wall,
                "cpu": cpu,
                "stages": stage_seconds(runs_dir, run_id),
                "split": several_items(runs_dir, run_id),
                "stage_cpu": json.loads(cpu_file.read_text()) if cpu_file else None,
                "workers": status.get("workers"),
            }
            if label not in best or wall < best[label]["wall"]:
                best[label] = sample
    default, one = best["default"], best["1 worker"]
    print(
        f"demo movie: {movie_s:.2f} s at {video['width']}x{video['height']}, {video['max_fps']} fps; "
        f"{os.cpu_count()} CPU cores; default workers: {default['workers']}; best of {repeat}"
    )
    print(f"{'stage':<18}{'1 worker':>10}{'default':>10}{'speedup':>9}{'1 worker CPU s':>16}")
    for stage, seconds in one["stages"].items():
        other = default["stages"].get(stage, 0.0)
        print(
            f"{stage:<18}{seconds:>10.3f}{other:>10.3f}{seconds / other if other else 0.0:>8.2f}x"
            f"{one['stage_cpu'].get(stage, 0.0):>16.3f}"
        )
    print(f"{'produce (wall)':<18}{one['wall']:>10.3f}{default['wall']:>10.3f}{one['wall'] / default['wall']:>8.2f}x")
    print(
        f"real-time factor (render time / movie length): default {default['wall'] / movie_s:.3f}, "
        f"1 worker {one['wall'] / movie_s:.3f}"
    )
    # One worker is already a little parallel (the encoder runs beside the painter), which caps what
    # more workers can add. The bound from its own figures: the stages of several items split
    # evenly over every core with no overhead at all; the one-item stages and the process's start
    # and end, which no number of workers can split, keep the time they take.
    cores = machine_workers()
    split_cpu = sum(one["stage_cpu"].get(s, 0.0) for s in one["split"])
    kept = one["wall"] - sum(one["stages"][s] for s in one["split"])
    print(
        f"1 worker: {one['cpu']:.2f} CPU s in {one['wall']:.2f} s "
        f"({one['cpu'] / one['wall']:.2f} cores busy); its stages of several items "
        f"({', '.join(one['split'])}) take {split_cpu:.2f} CPU s, the rest {kept:.2f} s. "
        f"Split perfectly over {cores} cores, the most the default can gain is {one['wall'] / (kept + split_cpu / cores):.2f}x"
    )
    if "one core" in best:
        # One worker already keeps more than one core busy (the encoder runs beside the painter);
        # pinned to one core, the same command shows what the second core adds.
        core = best["one core"]
        print(
            f"pinned to one core: {core['wall']:.3f} s (workers: {core['workers']}); "
            f"default is {core['wall'] / default['wall']:.2f}x faster, 1 worker {core['wall'] / one['wall']:.2f}x"
        )


def noop_overhead(runs_dir: Path, prompt: str, env: dict[str, str], repeat: int) -> None:
    """CPU seconds of a `produce` with nothing to do, at 4 and 48 shots (the same small profile)."""
    profile = runs_dir / "bench-profile.json"
    profile.write_text(json.dumps({"video": {"model_id": "builtin-morph", "max_fps": 24, "width": 320, "height": 180}}))
    cpu: dict[int, float] = {}
    for shots in (4, 48):
        run_id = f"bench-noop-{shots}"
        shutil.rmtree(runs_dir / run_id, ignore_errors=True)
        sparkle("plan", prompt, "--shots", str(shots), "--profile", str(profile), "--run-id", run_id, env=env)
        sparkle("produce", run_id, "--json", env=env)
        cpu[shots] = min(sparkle("produce", run_id, "--json", env=env)[1] for _ in range(repeat))
    print(
        f"\nno-op produce (nothing to do), CPU seconds: 4 shots {cpu[4]:.3f}, 48 shots {cpu[48]:.3f}; "
        f"48/4 = {cpu[48] / cpu[4]:.2f}x for 12x the shots"
    )


def final_qa_memory() -> None:
    """Peak memory of final QA on a 1- and a 10-minute movie (small frames, a tone in the speech windows)."""
    sys.path.insert(0, str(ROOT))
    from tests.longmovies import final_qa_in_a_process, movie, timeline

    peaks = {}
    with tempfile.TemporaryDirectory(prefix="sparkle-bench-") as tmp:
        for minutes in (1, 10):
            seconds = 60 * minutes
            speech = [(float(s), float(s) + 2.0) for s in range(5, seconds - 5, 20)]
            video = movie(Path(tmp) / f"{minutes}.mp4", seconds, speech)
            peaks[minutes] = final_qa_in_a_process(video, timeline(seconds, speech))["rss_mb"]
    print(
        f"\nfinal QA peak memory: 1-minute movie {peaks[1]:.1f} MB, 10-minute movie {peaks[10]:.1f} MB "
        f"({peaks[10] - peaks[1]:+.1f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs-dir", default="bench/out")
    parser.add_argument("--prompt-file", default="examples/neon_rooftop.prompt.txt")
    parser.add_argument("--shots", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best is reported")
    parser.add_argument("--only", choices=("demo", "noop", "memory"), help="run one part")
    args = parser.parse_args()

    runs_dir = (ROOT / args.runs_dir).resolve()
    runs_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SPARKLE_RUNS_DIR": str(runs_dir)}
    env.pop("SPARKLE_WORKERS", None)
    prompt = (ROOT / args.prompt_file).read_text().strip()
    if args.only in (None, "demo"):
        demo(runs_dir, prompt, args.shots, env, args.repeat)
    if args.only in (None, "noop"):
        noop_overhead(runs_dir, prompt, env, args.repeat)
    if args.only in (None, "memory"):
        final_qa_memory()


if __name__ == "__main__":
    main()
