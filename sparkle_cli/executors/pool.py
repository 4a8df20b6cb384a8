"""The local executor with workers: CPU items in a pool of N processes, model items one per GPU
(one in all on a machine without GPUs, so a model is never loaded once per core).

Workers are started through a forkserver (never forked from the threaded driver) and keep
their backends between items; a backend is closed in a worker once its stage has ended.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sparkle_cli import executor as ex
from sparkle_cli.executor import Executor, Outcome, Task, TaskFeed

#: How often one item is started again after its worker process died under it.
MAX_LOST = 2

# --- in the worker process ---------------------------------------------------------------

_stage_keys: dict[str, set[str]] = {}


def _worker_init(driver: int, gpu: int | None = None, environ: dict[str, str] | None = None) -> None:
    """Exit when the driver is gone, see the driver's environment, and only this worker's GPU.

    Workers fork from a forkserver started once per process, which keeps the environment it was
    started with; a worker must see the driver's as it is now (model paths, interpreters, keys).
    """
    threading.Thread(target=_watch_driver, args=(driver,), name="driver-watch", daemon=True).start()
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpu)


def _watch_driver(driver: int) -> None:
    # A driver killed with SIGKILL cannot stop its pool, and workers are children of the
    # forkserver, not of the driver; without this they (and the GPU memory their models
    # hold) would outlive it.
    while True:
        time.sleep(1.0)
        try:
            os.kill(driver, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass


def run_in_worker(task: Task, active: frozenset[str], worker: str) -> Outcome:
    """Close the backends of stages that have ended, then run the task."""
    for stage_id in [s for s in _stage_keys if s not in active]:
        ex.close_backends(_stage_keys.pop(stage_id))
    before = ex.loaded_keys()
    outcome = ex.execute(task)
    _stage_keys.setdefault(task.stage_id, set()).update(ex.loaded_keys() - before)
    outcome.worker = f"{worker} (pid {os.getpid()})"
    return outcome


# --- in the driver -------------------------------------------------------------------------


def gpu_count() -> int:
    """GPUs this machine offers, without importing torch: CUDA_VISIBLE_DEVICES, else nvidia-smi."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    smi = shutil.which("nvidia-smi")
    if not smi:
        return 0
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


def _short_socket_folder() -> None:
    """Keep the forkserver's socket path under the 107 bytes AF_UNIX allows.

    multiprocessing puts the socket in a folder inside TMPDIR; a long TMPDIR (a deep build or test
    folder) makes starting the pool fail with "AF_UNIX path too long". Then a folder of its own in
    a short system temp directory is used instead, removed when the process exits.
    """
    from multiprocessing import process, util

    config = process.current_process()._config  # type: ignore[attr-defined]
    if config.get("tempdir") is not None or len(tempfile.gettempdir()) <= 60:
        return
    for base in ("/tmp", "/var/tmp", "/dev/shm"):
        if os.path.isdir(base) and os.access(base, os.W_OK):
            folder = tempfile.mkdtemp(prefix="pymp-", dir=base)
            util.Finalize(None, shutil.rmtree, args=[folder, True], exitpriority=-100)
            config["tempdir"] = folder
            return


class PoolExecutor(Executor):
    """At most `workers` CPU items and one item per GPU in flight, pulled lazily from each stage."""

    name = "local"

    def __init__(self, workers: int, gpus: int | None = None) -> None:
        super().__init__()
        self.slots = workers
        self._gpus = gpus
        self._gpu_slots_filled = False
        _short_socket_folder()
        self._mp = multiprocessing.get_context("forkserver")
        self._mp.set_forkserver_preload(["sparkle_cli.executor", "numpy", "av", "PIL.Image"])
        self._lock = threading.Lock()
        self._active: set[str] = set()
        self._cpu_slots: queue.Queue[str] = queue.Queue()
        for i in range(workers):
            self._cpu_slots.put(f"local-{i + 1}")
        self._gpu_slots: queue.Queue[str] = queue.Queue()
        self._pools: dict[str, ProcessPoolExecutor] = {}
        self._aborted = False
        self._warming: threading.Thread | None = None

    # --- lanes -------------------------------------------------------------------------
    def _model_slots(self) -> queue.Queue[str]:
        """One slot per GPU; without GPUs one slot, so that a model is loaded once, not once per core."""
        with self._lock:  # two stage threads may ask at once; the slots must be filled once
            if not self._gpu_slots_filled:
                if self._gpus is None:
                    self._gpus = gpu_count()
                for i in range(self._gpus):
                    self._gpu_slots.put(f"gpu-{i}")
                if not self._gpus:
                    self._gpu_slots.put("model")
                self._gpu_slots_filled = True
            return self._gpu_slots

    def _lane(self, slot: str) -> str:
        return "cpu" if slot.startswith("local-") else slot

    def _pool(self, lane: str) -> ProcessPoolExecutor:
        with self._lock:
            pool = self._pools.get(lane)
            if pool is None:
                if lane == "cpu":
                    pool = ProcessPoolExecutor(
                        self.slots,
                        mp_context=self._mp,
                        initializer=_worker_init,
                        initargs=(os.getpid(), None, dict(os.environ)),
                    )
                else:
                    gpu = int(lane.split("-")[1]) if lane.startswith("gpu-") else None
                    pool = ProcessPoolExecutor(
                        1, mp_context=self._mp, initializer=_worker_init, initargs=(os.getpid(), gpu, dict(os.environ))
                    )
                self._pools[lane] = pool
            return pool

    def _replace_pool(self, lane: str, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pools.get(lane) is broken:
                del self._pools[lane]
        broken.shutdown(wait=False, cancel_futures=True)

    def _slots_for(self, task: Task) -> queue.Queue[str]:
        return self._model_slots() if ex.holds_model(task.backend) else self._cpu_slots

    def _submit(self, task: Task, slot: str) -> tuple[Future[Outcome], ProcessPoolExecutor]:
        lane = self._lane(slot)
        with self._lock:
            active = frozenset(self._active)
        for _ in range(2):
            pool = self._pool(lane)
            try:
                return pool.submit(run_in_worker, task, active, slot), pool
            except BrokenProcessPool:
                self._replace_pool(lane, pool)
        raise RuntimeError(f"the {lane} worker pool cannot start")

    # --- the interface -------------------------------------------------------------------
    def begin_stage(self, stage_id: str) -> None:
        with self._lock:
            self._active.add(stage_id)

    def end_stage(self, stage_id: str | None = None) -> None:
        with self._lock:
            if stage_id is None:
                self._active.clear()
            else:
                self._active.discard(stage_id)

    def prepare(self, run_path: Any) -> None:
        self.warm()

    def warm(self) -> None:
        """Start the CPU workers in the background (once), while the caller checks the plan and the
        run's first, light items go on in this process."""
        if self._warming is None:
            self._warming = threading.Thread(target=self._warm, name="pool-warm", daemon=True)
            self._warming.start()

    def _warm(self) -> None:
        try:
            self._pool("cpu").submit(int).result()  # a forkserver pool starts all its workers at once
        except Exception:  # a pool that cannot start says so when an item is sent to it
            pass

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        feed = TaskFeed(tasks)
        pending: dict[Future[Outcome], tuple[Task, str, ProcessPoolExecutor]] = {}
        lost: dict[str, int] = {}
        try:
            while True:
                while len(pending) < self.slots and (task := feed.peek()) is not None:
                    if task.backend is None:
                        # Items without a backend (normalizing the plan, stitching, joining, reports)
                        # are light or wait on ffmpeg: they run here, beside the workers' items.
                        feed.take()
                        self.notify("start", task, "main")
                        outcome = ex.execute(task)
                        self.notify("done", task, "main")
                        yield outcome
                        continue
                    slots = self._slots_for(task)
                    try:
                        slot = slots.get(block=not pending, timeout=0.2)
                    except queue.Empty:
                        break
                    future, pool = self._submit(task, slot)
                    pending[future] = (feed.take(), slot, pool)
                    self.notify("start", task, slot)
                if not pending:
                    if feed.held is None:
                        break
                    continue
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                if self._aborted:
                    raise KeyboardInterrupt
                for future in done:
                    task, slot, pool = pending.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool as exc:
                        if self._aborted:  # the workers were ended on purpose: nothing is run again
                            raise KeyboardInterrupt from None
                        # A worker died (killed, out of memory): every item of that pool comes back here.
                        self._replace_pool(self._lane(slot), pool)
                        lost[task.item_id] = lost.get(task.item_id, 0) + 1
                        reason = f"worker process lost: {exc}"
                        if lost[task.item_id] <= MAX_LOST:
                            self.notify("retried", task, slot, reason)
                            future, pool = self._submit(task, slot)
                            pending[future] = (task, slot, pool)
                            continue
                        outcome = Outcome(task, error=f"{reason} ({lost[task.item_id]} times)", worker=slot)
                    outcome.lost = lost.get(task.item_id, 0)
                    # Reported done before its slot is free: the next item on the slot starts after.
                    self.notify("done", task, slot)
                    self._slots_for(task).put(slot)
                    yield outcome
            if feed.stop is not None:
                raise feed.stop
        finally:
            for future, (task, slot, _) in pending.items():
                future.cancel()
                self.notify("done", task, slot)
                self._slots_for(task).put(slot)

    def abort(self) -> None:
        self._aborted = True
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            processes: dict[Any, Any] = getattr(pool, "_processes", None) or {}
            for process in list(processes.values()):
                process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._warming is not None:
            self._warming.join()
        self.end_stage()
        self._aborted = False
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)
