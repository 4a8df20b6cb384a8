"""The Colab notebook, executed headlessly in a Jupyter kernel on the built-in backends."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from sparkle_cli.media.video import probe

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "sparkle_colab.ipynb"
KERNEL = "sparkle-test-python"


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kernelspec running this interpreter, so the kernel sees the same environment as the tests."""
    artifacts = tmp_path / "artifacts"
    spec_dir = tmp_path / "jupyter" / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "sparkle tests",
        "language": "python",
        "env": {
            "ARTIFACTS_DIR": str(artifacts),
            "SPARKLE_NOTEBOOK_AUTORUN": "1",
            "SPARKLE_NOTEBOOK_TIMEOUT": "120",
            "IPYTHONDIR": str(tmp_path / "ipython"),
        },
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    for name in ("SPARKLE_RUNS_DIR", "QA_POLICY_PATH", "SPARKLE_FORBID_QA_SKIP"):
        monkeypatch.delenv(name, raising=False)
    return artifacts


def outputs_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in (output.get("data") or {}).values())
    return "\n".join(parts)


def test_the_notebook_runs_headlessly_and_makes_a_movie(kernel: Path, tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert headings == ["## 1. Install", "## 2. Preflight", "## 3. Control panel", "## 4. Final video"]

    NotebookClient(
        nb, kernel_name=KERNEL, timeout=150, resources={"metadata": {"path": str(tmp_path)}}, allow_errors=False
    ).execute()

    text = outputs_text(nb)
    assert "Not running in Colab, so nothing is installed here." in text
    assert "espeak-ng" in text  # the doctor's table
    assert "run " in text and ": succeeded" in text
    found = re.search(r"The movie: (\S+\.mp4)", text)
    assert found, text[-2000:]
    movie = Path(found.group(1))
    assert movie.is_relative_to(kernel)
    info = probe(movie)
    assert info.video is not None and info.video.frames > 0
    assert info.audio is not None and info.audio.duration_s > 0
