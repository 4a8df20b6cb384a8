"""What a stage is: an id, a version, what it reads and writes, and the items it makes.

A stage yields its items in phases (a list at a time); the engine fingerprints each item,
skips the ones whose outputs are current, runs the rest and records them. Later phases
can read the results of earlier ones through `ctx.results`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sparkle_cli.errors import StageError
from sparkle_cli.executor import BackendSpec
from sparkle_cli.rundir import RunDir


@dataclass
class Output:
    path: str  # relative to the run directory
    artifact_type: str
    media_type: str  # image | audio | video | data | text


@dataclass
class Item:
    id: str
    inputs: dict[str, Any]  # everything that decides the outputs, by name (hashed for the fingerprint)
    outputs: dict[str, Output]
    func: str  # "module:function", called with `out` (name -> temporary path) and `kwargs`
    kwargs: dict[str, Any] = field(default_factory=dict)
    backend: BackendSpec | None = None
    label: str = ""
    #: Seconds a first render is expected to take, for --dry-run.
    estimate_s: float = 0.1


#: A dry run's stand-in for the hash of an output that will be made again: "pending:stage/item".
PENDING = "pending:"


def pending_inputs(value: Any) -> set[str]:
    """The "stage/item" keys of every pending placeholder inside an item's inputs."""
    found: set[str] = set()
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            if current.startswith(PENDING):
                found.add(current[len(PENDING) :])
        elif isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, (list, tuple)):
            stack.extend(current)
    return found


@dataclass
class StageContext:
    run: RunDir
    plan: dict[str, Any]
    options: dict[str, Any]
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    dry_run: bool = False
    #: This stage's id (a dry run names this stage's own items that will be made again).
    stage_id: str = ""
    #: In a dry run: "stage/item" keys (or "stage/*") that will be made again before this stage reads them.
    pending: set[str] = field(default_factory=set)
    #: In a dry run: the pending keys read while building the items of the current phase.
    pending_reads: set[str] = field(default_factory=set)
    #: Upstream manifests, parsed once per stage: they do not change while this stage runs.
    _manifests: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _pending(self, stage_id: str, item_id: str) -> str | None:
        """In a dry run, the key of an item that will be made again (so its outputs are not known)."""
        if not self.dry_run:
            return None
        key = f"{stage_id}/{item_id}"
        if key in self.pending or f"{stage_id}/*" in self.pending:
            self.pending_reads.add(key)
            return key
        return None

    def manifest(self, stage_id: str) -> dict[str, Any]:
        manifest = self._manifests.get(stage_id)
        if manifest is None:
            manifest = self.run.read_manifest(stage_id)
            if not manifest or manifest.get("status") != "succeeded":
                raise StageError(f"stage {stage_id} has not finished; run it first (sparkle resume {self.run.run_id})")
            self._manifests[stage_id] = manifest
        return manifest

    def item_record(self, stage_id: str, item_id: str) -> dict[str, Any]:
        record = self.manifest(stage_id)["items"].get(item_id)
        if record is None:
            raise StageError(
                f"{stage_id} has no item {item_id}; run `sparkle resume {self.run.run_id} --from {stage_id}`"
            )
        return record

    def output(self, stage_id: str, item_id: str, name: str) -> tuple[Path, str]:
        """Absolute path and sha256 of an upstream item's output.

        In a dry run, an item that will be made again has no known hash yet: a placeholder naming
        it stands in, so whatever reads it is reported as depending on it.
        """
        pending = self._pending(stage_id, item_id)
        if pending:
            known = ((self.manifest(stage_id)["items"].get(item_id) or {}).get("outputs") or {}).get(name)
            return (self.run.abs(known["path"]) if known else self.run.path / stage_id / "pending"), PENDING + pending
        record = self.item_record(stage_id, item_id)["outputs"][name]
        return self.run.abs(record["path"]), record["sha256"]

    def own(self, item_id: str, name: str) -> tuple[Path, str]:
        """Absolute path and sha256 of an output of this stage's earlier phase."""
        pending = self._pending(self.stage_id, item_id)
        record = (self.records.get(item_id) or {}).get("outputs", {}).get(name)
        if pending:
            return (self.run.abs(record["path"]) if record else self.run.path / "pending"), PENDING + pending
        if record is None:
            raise KeyError(f"{self.stage_id}/{item_id}")
        return self.run.abs(record["path"]), record["sha256"]

    def result(self, stage_id: str, item_id: str) -> dict[str, Any]:
        if self._pending(stage_id, item_id):  # a dry run notes the read; the last result stands in
            return (self.manifest(stage_id)["items"].get(item_id) or {}).get("result") or {}
        return self.item_record(stage_id, item_id).get("result") or {}


class Stage:
    """Subclasses set the class attributes and implement `phases`."""

    id: ClassVar[str]
    number: ClassVar[int]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    after: ClassVar[tuple[str, ...]] = ()
    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ()
    is_qa: ClassVar[bool] = False

    def phases(self, ctx: StageContext) -> Iterator[list[Item]]:
        raise NotImplementedError

    def path(self, name: str) -> str:
        return f"{self.id}/{name}"

    def describe(self) -> dict[str, Any]:
        return {
            "stage_id": self.id,
            "number": self.number,
            "version": self.version,
            "description": self.description,
            "after": list(self.after),
            "reads": list(self.reads),
            "writes": list(self.writes),
        }


def backend_spec(plan: dict[str, Any], section: str, kind: str) -> BackendSpec:
    """The backend a plan's render_profile selects for a stage, with its options.

    A model location from the configuration (`sparkle_cli.config.model_path`) fills in
    `model_path` unless the plan's options name one; it is part of every fingerprint.
    """
    from sparkle_cli import config

    profile = plan["render_profile"][section]
    options = dict(profile.get("options") or {})
    if profile.get("model_id"):
        options.setdefault("model_id", profile["model_id"])
    name = str(profile.get("backend"))
    path = config.model_path(kind, name, str(profile.get("model_id") or ""))
    if path and "model_path" not in options:
        options["model_path"] = path
    return BackendSpec(kind, name, options)
