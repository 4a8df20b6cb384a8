"""The Ray executor: each item is a Ray task; model-holding backends live in actors, one per GPU.

Workers read inputs from and write outputs to the runs directory, which every node must
mount at the same path (checked before anything renders); the driver alone writes
manifests and events. A worker or node lost mid-item costs that item a bounded re-run.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sparkle_cli import executor as ex
from sparkle_cli.errors import UsageError
from sparkle_cli.executor import Executor, Outcome, Task, TaskFeed

#: How often one item is started again after its worker, actor or node was lost under it.
MAX_LOST = 2


# --- on the workers ------------------------------------------------------------------------


def where() -> str:
    return f"{socket.gethostname()} (pid {os.getpid()})"


def run_item(task: Task) -> Outcome:
    """A Ray task: run one item in whichever worker process Ray picked."""
    outcome = ex.execute(task)
    outcome.worker = f"task on {where()}"
    return outcome


def read_probe(path: str, token: str) -> str | None:
    """None when this node sees the driver's probe file, else what it saw instead."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        return f"{where()}: {exc.strerror or exc}"
    return None if text == token else f"{where()}: the file there holds something else"


class ModelServer:
    """A Ray actor holding one stage's model on one GPU (or one CPU slot), serving item after item."""

    def run(self, task: Task) -> Outcome:
        outcome = ex.execute(task)
        outcome.worker = f"actor on {where()}"
        return outcome

    def close(self) -> None:
        ex.close_backends()


# --- in the driver -------------------------------------------------------------------------


class RayExecutor(Executor):
    """Items as Ray tasks (CPU) and actor calls (models); at most one in flight per CPU or actor."""

    name = "ray"

    def __init__(self, address: str | None = None, actor_kinds: Iterable[str] | None = None) -> None:
        super().__init__()
        self.address = address
        #: Backend kinds served from actors whatever their class says (used where no GPU exists).
        self.actor_kinds = set(actor_kinds or ())
        self.slots = 1
        self.gpus = 0
        self._ray: Any = None
        self._owns = False
        self._lock = threading.RLock()
        self._actors: dict[str, list[tuple[str, Any]]] = {}  # stage -> [(slot name, handle)]
        self._busy: set[str] = set()
        self._aborted = False

    # --- connecting --------------------------------------------------------------------
    def _connect(self) -> Any:
        if self._ray is not None:
            return self._ray
        import ray

        if not ray.is_initialized():
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if self.address:
                kwargs["address"] = self.address
            ray.init(**kwargs)
            self._owns = True
        resources = ray.cluster_resources()
        self.slots = max(1, int(resources.get("CPU", 1)))
        self.gpus = int(resources.get("GPU", 0))
        self._task = ray.remote(max_retries=0)(run_item)
        self._probe = ray.remote(num_cpus=0, max_retries=0)(read_probe)
        self._ray = ray
        return ray

    def prepare(self, run_path: Any) -> None:
        """Connect, then ask every live node to read a file the driver wrote in the run directory."""
        ray = self._connect()
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        run_path = Path(run_path).resolve()
        probe = run_path / f".ray-probe-{secrets.token_hex(4)}"
        token = secrets.token_hex(16)
        probe.write_text(token)
        try:
            refs = [
                self._probe.options(
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
                ).remote(str(probe), token)
                for node in ray.nodes()
                if node.get("Alive")
            ]
            problems = [p for p in ray.get(refs, timeout=120) if p]
        finally:
            probe.unlink(missing_ok=True)
        if problems:
            raise UsageError(
                f"the run directory {run_path} is not reachable from every Ray node ({'; '.join(problems)}); "
                "put the runs directory on storage every node mounts at the same path (NFS, a shared disk) "
                "and pass that path with --runs-dir"
            )

    # --- actors --------------------------------------------------------------------------
    def _uses_actor(self, task: Task) -> bool:
        return task.backend is not None and (task.backend.kind in self.actor_kinds or ex.holds_model(task.backend))

    def _stage_actors(self, stage_id: str) -> list[tuple[str, Any]]:
        with self._lock:
            actors = self._actors.get(stage_id)
            if actors is None:
                ray = self._ray
                # One actor per GPU; a cluster without GPUs still gets one model per CPU slot.
                if self.gpus:
                    cls = ray.remote(num_gpus=1, max_restarts=MAX_LOST, max_task_retries=0)(ModelServer)
                    count, prefix = self.gpus, "gpu"
                else:
                    cls = ray.remote(num_cpus=1, max_restarts=MAX_LOST, max_task_retries=0)(ModelServer)
                    count, prefix = self.slots, "actor"
                actors = [(f"{stage_id}/{prefix}-{i}", cls.remote()) for i in range(count)]
                self._actors[stage_id] = actors
            return actors

    def _free_slot(self, task: Task) -> tuple[str, Any] | None:
        """A free actor of the task's stage (None when all are busy), or a task slot."""
        if self._uses_actor(task):
            with self._lock:
                for slot, handle in self._stage_actors(task.stage_id):
                    if slot not in self._busy:
                        self._busy.add(slot)
                        return slot, handle
            return None
        with self._lock:
            for i in range(self.slots):
                slot = f"ray-{i + 1}"
                if slot not in self._busy:
                    self._busy.add(slot)
                    return slot, None
        return None

    def _submit(self, task: Task, slot: str, handle: Any) -> Any:
        return handle.run.remote(task) if handle is not None else self._task.remote(task)

    # --- the interface -------------------------------------------------------------------
    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        ray = self._connect()
        from ray.exceptions import RayError, RayTaskError

        feed = TaskFeed(tasks)
        pending: dict[Any, tuple[Task, str, Any]] = {}
        lost: dict[str, int] = {}
        try:
            while True:
                while (task := feed.peek()) is not None:
                    free = self._free_slot(task)
                    if free is None:
                        break
                    slot, handle = free
                    pending[self._submit(task, slot, handle)] = (feed.take(), slot, handle)
                    self.notify("start", task, slot)
                if not pending:
                    if feed.held is None:
                        break
                    time.sleep(0.1)  # every slot is busy with another stage's items
                    continue
                done, _ = ray.wait(list(pending), num_returns=1, timeout=0.2)
                if self._aborted:
                    raise KeyboardInterrupt
                for ref in done:
                    task, slot, handle = pending.pop(ref)
                    try:
                        outcome = ray.get(ref)
                    except RayTaskError as exc:  # the item's code failed outside `execute`'s net
                        outcome = Outcome(task, error=f"{type(exc).__name__}: {exc}", worker=slot)
                    except RayError as exc:
                        # The worker process, the actor or its node is gone: run the item again elsewhere.
                        lost[task.item_id] = lost.get(task.item_id, 0) + 1
                        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'worker lost'}"
                        if lost[task.item_id] <= MAX_LOST:
                            self.notify("retried", task, slot, reason)
                            pending[self._submit(task, slot, handle)] = (task, slot, handle)
                            continue
                        outcome = Outcome(
                            task, error=f"lost its worker {lost[task.item_id]} times: {reason}", worker=slot
                        )
                    outcome.lost = lost.get(task.item_id, 0)
                    # Reported done before its slot is free: the next item on the slot starts after.
                    self.notify("done", task, slot)
                    with self._lock:
                        self._busy.discard(slot)
                    yield outcome
            if feed.stop is not None:
                raise feed.stop
        finally:
            for ref, (task, slot, handle) in pending.items():
                if handle is None:  # actor calls end with their actor, at end_stage
                    ray.cancel(ref, force=True)
                self.notify("done", task, slot)
                with self._lock:
                    self._busy.discard(slot)

    def end_stage(self, stage_id: str | None = None) -> None:
        if self._ray is None:
            return
        with self._lock:
            stages = list(self._actors) if stage_id is None else [stage_id]
            ended = [a for s in stages for a in self._actors.pop(s, [])]
        for _, handle in ended:
            # Killing the actor frees its GPU memory for the next stage's model.
            self._ray.kill(handle, no_restart=True)

    def abort(self) -> None:
        self._aborted = True
        self.end_stage()

    def close(self) -> None:
        self.end_stage()
        self._aborted = False
        if self._owns and self._ray is not None:
            self._ray.shutdown()
            self._ray = None
            self._owns = False
