"""Shared fixtures: a temporary runs directory, the sample plan, and a CLI runner."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sparkle_cli.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PLAN = ROOT / "examples" / "rooftop_revelations.plan.json"
SHARED_SAMPLE = ROOT.parent / "shared" / "fixtures" / "rooftop_revelations.plan.json"
STAGES = [
    "plan_intake",
    "dialogue_audio",
    "base_images",
    "video_clips",
    "video_clip_qa",
    "assembly_lipsync",
    "qa_publish",
]


#: Where `--planner auto` could find a language model on the machine running the tests.
PLANNER_VARIABLES = (
    "SPARKLE_LLM_BASE_URL",
    "SPARKLE_LLM_MODEL",
    "SPARKLE_LLM_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "SPARKLE_MODEL_PATH_PLANNER",
)


@pytest.fixture(autouse=True, scope="session")
def cli_command_built_once() -> Iterator[None]:
    """Typer's test runner turns the app into a command on every call (about 25 ms, more than most
    commands take): build it once per app. The commands call the same code either way."""
    import typer.main
    import typer.testing

    built: dict[int, Any] = {}
    original = getattr(typer.testing, "_get_command", None)
    if original is None:  # another Typer: nothing to save
        yield
        return

    def command(typer_app: Any) -> Any:
        if id(typer_app) not in built:
            built[id(typer_app)] = original(typer_app)
        return built[id(typer_app)]

    typer.testing._get_command = command
    yield
    typer.testing._get_command = original


@pytest.fixture(autouse=True)
def no_real_language_models(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """`sparkle plan` defaults to `--planner auto`: keep it off any real server, Ollama or model cache here."""
    for name in PLANNER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")  # the discard port: nothing answers there
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.getbasetemp() / "hf-home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "runs"
    monkeypatch.setenv("SPARKLE_RUNS_DIR", str(root))
    monkeypatch.delenv("ARTIFACTS_DIR", raising=False)
    monkeypatch.delenv("QA_POLICY_PATH", raising=False)
    return root


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def sample_plan() -> dict:
    return json.loads(SAMPLE_PLAN.read_text())


@pytest.fixture
def sample_plan_file(tmp_path: Path) -> Path:
    target = tmp_path / "sample.plan.json"
    shutil.copyfile(SAMPLE_PLAN, target)
    return target


#: The built-in backends at a quarter of the pixels: for tests about the engine, not the picture.
SMALL_PROFILE = {"video": {"model_id": "builtin-morph", "max_fps": 24, "width": 320, "height": 180}}


@pytest.fixture(scope="session")
def small_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A profile file (`--profile PATH`) with SMALL_PROFILE."""
    return small_profile_in(tmp_path_factory.mktemp("profile"))


def small_profile_in(folder: Path) -> Path:
    return write_json(folder / "small-profile.json", SMALL_PROFILE)


@pytest.fixture(scope="session")
def produced_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plan produced once on the built-in backends: tests copy it (copy_run) instead of
    making the same movie again. Its files are never changed here."""
    root = tmp_path_factory.mktemp("produced-sample")
    runner = CliRunner()
    args = ["plan", "--from-file", str(SAMPLE_PLAN), "--profile", "builtin", "--run-id", "sample"]
    assert runner.invoke(app, [*args, "--runs-dir", str(root)]).exit_code == 0
    result = runner.invoke(app, ["produce", "sample", "--runs-dir", str(root)])
    assert result.exit_code == 0, result.output
    return root / "sample"


def copy_run(source: Path, runs: Path, run_id: str | None = None) -> Path:
    """A copy of a finished run in `runs` (times kept, so every item is still up to date there)."""
    target = runs / (run_id or source.name)
    shutil.copytree(source, target)
    (target / ".lock").unlink(missing_ok=True)
    if run_id and run_id != source.name:
        state = json.loads((target / "run.json").read_text())
        state["run_id"] = run_id
        (target / "run.json").write_text(json.dumps(state))
    return target


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, indent=2))
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI every test must run: a skipped test (a missing torch, say) fails the run."""
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") and skipped and session.exitstatus == 0:
        reporter.write_line(f"CI: {len(skipped)} test(s) were skipped; every test must run in CI", red=True)
        session.exitstatus = 1
