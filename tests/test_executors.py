"""Executors: 2 local workers and Ray make the same movie as one process; a lost Ray worker costs one item."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from sparkle_cli.engine import Engine, Observer, ProduceOptions
from sparkle_cli.executor import Executor, SerialExecutor
from sparkle_cli.executors.pool import PoolExecutor
from sparkle_cli.media.video import probe
from sparkle_cli.rundir import RunDir

from .conftest import ROOT, SAMPLE_PLAN, write_json
from .gated_backends import Gate

RUN_ID = "movie"


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plan with plain language voices: espeak-ng's +variant voices are not byte-repeatable
    between processes, which would hide what these tests compare."""
    data = json.loads(SAMPLE_PLAN.read_text())
    plan = data.get("validated_plan", data)
    for character in plan["characters"]:
        character["voice_profile"]["voice"] = "en-us"
    return write_json(tmp_path_factory.mktemp("plan") / "plan.json", data)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One runs directory for every run here: plan_intake's fingerprint names the run's own path."""
    return tmp_path_factory.mktemp("runs")


_plan_bytes: dict[str, bytes] = {}


def planned(root: Path, plan_file: Path, profile: Path) -> RunDir:
    """A fresh run holding the same plan.json every time (its envelope carries the planning time)."""
    from typer.testing import CliRunner

    from sparkle_cli.cli import app

    shutil.rmtree(root / RUN_ID, ignore_errors=True)
    if RUN_ID not in _plan_bytes:
        args = [
            "plan",
            "--from-file",
            str(plan_file),
            "--profile",
            str(profile),
            "--run-id",
            RUN_ID,
            "--runs-dir",
            str(root),
        ]
        assert CliRunner().invoke(app, args).exit_code == 0
        _plan_bytes[RUN_ID] = (root / RUN_ID / "plan.json").read_bytes()
    else:
        (root / RUN_ID).mkdir(parents=True)
        (root / RUN_ID / "plan.json").write_bytes(_plan_bytes[RUN_ID])
    return RunDir(root, RUN_ID)


def produce(run: RunDir, executor: Executor, observer: Observer | None = None) -> None:
    assert Engine(run, executor=executor, observer=observer).produce(ProduceOptions()) == 0
    assert run.read_state()["status"] == "succeeded"


def snapshot(run: RunDir) -> dict[str, Any]:
    """Every item of every manifest: its fingerprint and the sha256 of each output."""
    out = {}
    for manifest in sorted(run.path.glob("*/manifest.json")):
        data = json.loads(manifest.read_text())
        for item_id, item in data["items"].items():
            out[f"{data['stage_id']}/{item_id}"] = (
                item["fingerprint"],
                {k: o["sha256"] for k, o in item["outputs"].items()},
            )
    return out


def item_events(run: RunDir, status: str) -> list[dict[str, Any]]:
    return [e for e in run.events() if e.get("item") and e["status"] == status]


@pytest.fixture(scope="module")
def reference(root: Path, plan_file: Path, small_profile: Path) -> dict[str, Any]:
    run = planned(root, plan_file, small_profile)
    produce(run, SerialExecutor())
    return snapshot(run)


class InFlight(Observer):
    def __init__(self) -> None:
        self.seen: list[dict[str, list[dict[str, Any]]]] = []

    def in_flight(self, by_worker: dict[str, list[dict[str, Any]]]) -> None:
        self.seen.append(by_worker)


def test_two_local_workers_make_the_same_movie(
    root: Path, plan_file: Path, small_profile: Path, reference: dict[str, Any]
) -> None:
    run = planned(root, plan_file, small_profile)
    watch = InFlight()
    produce(run, PoolExecutor(2), watch)
    assert snapshot(run) == reference
    # Never more worker items in flight than workers, whatever the load; light items without a
    # backend (the plan, the timeline, the joined movie) run in this process ("main").
    workers_busy = [sum(len(v) for w, v in seen.items() if w != "main") for seen in watch.seen]
    assert watch.seen and max(workers_busy) <= 2
    assert {w for seen in watch.seen for w in seen} <= {"local-1", "local-2", "main"}
    assert run.read_state()["in_flight"] == {}
    made = [(e["stage"], e["item"]) for e in item_events(run, "succeeded")]
    assert len(made) == len(set(made)) == len(reference)


def test_executor_options_are_checked_before_anything_renders(
    runs: Path, cli, plan_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("plan", "--from-file", str(plan_file), "--profile", "builtin", "--run-id", "x").exit_code == 0
    bad = cli("produce", "x", "--workers", "0")
    assert bad.exit_code == 2 and "--workers" in bad.output and "greater than or equal to 1" in bad.output
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    missing = cli("produce", "x", "--executor", "ray")
    assert missing.exit_code == 2
    assert "pip install -e '.[distributed]'" in missing.output
    assert not (runs / "x" / "plan_intake").exists()


@pytest.fixture(scope="module")
def ray_cluster():
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    import ray

    from tests.gated_backends import register

    register()
    # Workers import the tests' gated backend: they see the checkout and register it when they start.
    runtime_env = {
        "env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))},
        "worker_process_setup_hook": "tests.gated_backends.register",
    }
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env=runtime_env)
    yield ray
    ray.shutdown()


def test_ray_makes_the_same_movie_with_tasks_and_actors(
    root: Path, plan_file: Path, small_profile: Path, reference: dict[str, Any], ray_cluster
) -> None:
    from sparkle_cli.executors.ray_executor import RayExecutor

    run = planned(root, plan_file, small_profile)
    # The clips go to model actors (as a GPU backend's would), everything else to Ray tasks.
    produce(run, RayExecutor(actor_kinds={"video"}))
    assert snapshot(run) == reference
    workers = {e["stage"]: e["worker"] for e in item_events(run, "succeeded")}
    assert workers["video_clips"].startswith("actor on ")
    assert workers["base_images"].startswith("task on ")
    assert ray_cluster.is_initialized()  # a cluster the executor did not start is left running


def test_a_killed_ray_worker_costs_one_item(
    root: Path, plan_file: Path, small_profile: Path, reference: dict[str, Any], ray_cluster, tmp_path: Path
) -> None:
    from sparkle_cli.executors.ray_executor import RayExecutor

    gate = Gate(tmp_path / "gate")
    run = planned(root, plan_file, small_profile)
    envelope = json.loads(run.plan_path.read_text())
    envelope["validated_plan"]["render_profile"]["video"].update(
        model_id="gated", options={"gate_dir": str(gate.folder)}
    )
    run.plan_path.write_text(json.dumps(envelope))
    codes: list[int] = []
    producer = threading.Thread(
        target=lambda: codes.append(Engine(run, executor=RayExecutor()).produce(ProduceOptions()))
    )
    producer.start()
    try:
        # A clip holds its worker at the gate until the gate opens: the worker is surely mid-item.
        waiting: list[Path] = []
        deadline = time.monotonic() + 300
        while not waiting and producer.is_alive() and time.monotonic() < deadline:
            waiting = sorted(gate.folder.glob("*.waiting"))
            time.sleep(0.02)
        assert waiting, "no clip reached the gate"
        killed_shot = waiting[0].name.removesuffix(".waiting")
        os.kill(int(waiting[0].read_text()), signal.SIGKILL)
    finally:
        gate.open_all()
        producer.join(300)
    assert codes == [0] and run.read_state()["status"] == "succeeded"
    retried = item_events(run, "retried")
    assert [e["item"] for e in retried] == [killed_shot]
    assert all(e["stage"] == "video_clips" and e["error"] for e in retried)
    made = [e["item"] for e in item_events(run, "succeeded") if e["stage"] == "video_clips"]
    manifest = run.read_manifest("video_clips")
    assert manifest is not None
    assert sorted(made) == sorted(manifest["items"]) == sorted(set(made))  # each clip committed once
    for item_id, item in manifest["items"].items():
        assert item["status"] == "succeeded" and item["attempt"] == 1
        info = probe(run.abs(item["outputs"]["clip"]["path"]))
        assert info.video is not None and info.video.frames == item["result"]["frames"]
        # The gated backend draws what the morph does: the same bytes as the one-process run.
        assert item["outputs"]["clip"]["sha256"] == reference[f"video_clips/{item_id}"][1]["clip"]
