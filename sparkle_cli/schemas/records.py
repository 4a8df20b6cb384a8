"""Shapes of what a run records and reports: manifests, step records, `status` and `artifacts`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RunStatus = Literal["pending", "running", "paused", "stopped", "failed", "succeeded"]
StepStatus = Literal["running", "succeeded", "failed", "skipped", "paused", "stopped"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class StepExecutionRecord(_Open):
    stage: str
    item: str | None = None
    status: StepStatus | str
    attempt: int = 1
    started_at: str | None = None
    completed_at: str | None = None
    duration_s: float = 0.0
    backend: str | None = None
    device: str | None = "cpu"
    artifacts: list[str] = Field(default_factory=list)
    reason: str | None = None
    error: str | None = None


class OutputRecord(_Open):
    path: str
    size_bytes: int
    mtime_ns: int
    sha256: str
    artifact_type: str
    media_type: str


class ItemRecord(_Open):
    item_id: str
    status: Literal["succeeded", "failed"]
    fingerprint: str | None = None
    input_digests: dict[str, str] = Field(default_factory=dict)
    outputs: dict[str, OutputRecord] = Field(default_factory=dict)
    result: dict[str, Any] = Field(default_factory=dict)
    attempt: int = 1
    backend: str | None = None
    device: str | None = None
    duration_s: float | None = None
    reason: str | None = None
    error: str | None = None


class StageManifest(_Open):
    stage_id: str
    version: str
    status: Literal["running", "succeeded", "failed"]
    fingerprint: str | None = None
    items: dict[str, ItemRecord]
    counts: dict[str, int] = Field(default_factory=dict)
    started_at: str | None = None
    completed_at: str | None = None
    duration_s: float | None = None
    error: str | None = None


class QAState(BaseModel):
    mode: Literal["full", "skip"] = "full"
    skipped: bool = False
    required: bool = False


class StatusPayload(_Open):
    run_id: str
    status: RunStatus
    current_stage: str | None = None
    progress: float = Field(ge=0, le=1)
    started_at: str | None = None
    updated_at: str | None = None
    qa: QAState
    log: list[StepExecutionRecord]


class Artifact(_Open):
    artifact_type: str
    artifact_uri: str
    local_path: str
    media_type: str
    mime_type: str
    size_bytes: int
    checksum_sha256: str
    duration_s: float | None = None
    frame_rate: float | None = None
    resolution_px: str | None = None
    label: str | None = None
    playback_ready: bool
    metadata: dict[str, Any] = Field(default_factory=dict)


class StageArtifacts(_Open):
    stage_id: str
    count: int
    artifact_types: list[str]
    media_types: list[str]
    media_summary: dict[str, Any]
    preview: dict[str, str | None]
    qa_summary: dict[str, Any] | None = None
    artifacts: list[Artifact]


class ArtifactsPayload(_Open):
    run_id: str
    stages: list[StageArtifacts]
    artifacts: list[Artifact]


class PlanCommandPayload(BaseModel):
    status: str
    run_id: str
    artifact_uri: str
    request_id: str
    planner: dict[str, Any] | None = Field(
        default=None, description="name, requested, model, reason (and notice) of the planner that wrote the plan"
    )
