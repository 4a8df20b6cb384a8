"""The pipeline's stages, found by scanning this package: each module defines `STAGE`.

The order is the stages' own `number`; `after` says which stages must finish first.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import TYPE_CHECKING

from sparkle_cli.errors import UsageError

if TYPE_CHECKING:
    from sparkle_cli.stages.base import Stage


@functools.cache
def all_stages() -> tuple[Stage, ...]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        stage = getattr(module, "STAGE", None)
        if stage is not None:
            found.append(stage)
    found.sort(key=lambda s: s.number)
    ids = [s.id for s in found]
    for stage in found:
        for dep in stage.after:
            if dep not in ids or ids.index(dep) >= ids.index(stage.id):
                raise RuntimeError(f"stage {stage.id} runs after {dep}, which does not come before it")
    return tuple(found)


def stage_ids() -> list[str]:
    return [s.id for s in all_stages()]


def get_stage(stage_id: str) -> Stage:
    for stage in all_stages():
        if stage.id == stage_id:
            return stage
    raise UsageError(f"unknown stage {stage_id!r}; stages: {', '.join(stage_ids())}")
