"""The Colab notebook, executed in a Jupyter kernel on the built-in backends, and in Colab with a stand-in `google.colab`."""

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

# A stand-in for Colab's own `google.colab` package: it records what the notebook asks of it.
COLAB_STANDIN = {
    "__init__.py": "",
    "_calls.py": (
        "import json, os\n"
        "def record(what, *args):\n"
        "    with open(os.environ['SPARKLE_TEST_COLAB_CALLS'], 'a') as fh:\n"
        "        fh.write(json.dumps([what, *args]) + '\\n')\n"
    ),
    "drive.py": (
        "import os\n"
        "from google.colab._calls import record\n"
        "def mount(mountpoint, force_remount=False):\n"
        "    record('drive.mount', mountpoint)\n"
        "    os.makedirs(os.path.join(mountpoint, 'MyDrive'), exist_ok=True)\n"
    ),
    "output.py": (
        "from google.colab._calls import record\n"
        "def enable_custom_widget_manager():\n"
        "    record('output.enable_custom_widget_manager')\n"
    ),
    "files.py": "from google.colab._calls import record\ndef download(path):\n    record('files.download', path)\n",
}


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
            "SPARKLE_NOTEBOOK_SHOTS": "2",
            "SPARKLE_NOTEBOOK_TIMEOUT": "300",
            "IPYTHONDIR": str(tmp_path / "ipython"),
            "SPARKLE_TEST_COLAB_CALLS": str(tmp_path / "colab_calls.jsonl"),
        },
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    for name in ("SPARKLE_RUNS_DIR", "QA_POLICY_PATH", "SPARKLE_FORBID_QA_SKIP"):
        monkeypatch.delenv(name, raising=False)
    return artifacts


def outputs_text(cells: list[nbformat.NotebookNode]) -> str:
    parts = []
    for cell in cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in (output.get("data") or {}).values())
    return "\n".join(parts)


def code_cell(nb: nbformat.NotebookNode, marker: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.cell_type == "code" and marker in c.source)


def test_the_notebook_runs_headlessly_and_makes_a_movie(kernel: Path, tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert headings == ["## 1. Install", "## 2. Preflight", "## 3. Control panel"]
    assert sum("Video.from_file" in c.source for c in nb.cells) == 0  # the panel's Final Video tab is the one player

    NotebookClient(
        nb, kernel_name=KERNEL, timeout=400, resources={"metadata": {"path": str(tmp_path)}}, allow_errors=False
    ).execute()

    text = outputs_text(nb.cells)
    assert "Not running in Colab, so nothing is installed here." in text
    assert "sparkle doctor" in text and "espeak-ng" in text  # the verdict line, the table behind "details"
    assert "<details>" in text
    assert "run " in text and ": succeeded" in text
    found = re.search(r"The movie: (\S+\.mp4)", text)
    assert found, text[-2000:]
    movie = Path(found.group(1))
    assert movie.is_relative_to(kernel)
    info = probe(movie)
    assert info.video is not None and info.video.frames > 0
    assert info.audio is not None and info.audio.duration_s > 0
    report = re.search(r"The report: (\S+\.html)", text)
    assert report and Path(report.group(1)).is_file()


def test_in_colab_switching_mount_drive_on_mounts_drive_and_keeps_runs_there(kernel: Path, tmp_path: Path) -> None:
    standin = tmp_path / "standin" / "google" / "colab"
    standin.mkdir(parents=True)
    for name, source in COLAB_STANDIN.items():
        (standin / name).write_text(source)
    drive_root, content = tmp_path / "drive", tmp_path / "content" / "artifacts"
    calls = tmp_path / "colab_calls.jsonl"

    nb = nbformat.read(NOTEBOOK, as_version=4)
    preflight, panel_cell = code_cell(nb, "MOUNT_DRIVE = False"), code_cell(nb, "create_control_panel(")
    # As in Colab: google.colab is loaded before the first cell, and nothing sets ARTIFACTS_DIR.
    setup = nbformat.v4.new_code_cell(
        "import os, sys\n"
        "from pathlib import Path\n"
        "os.environ.pop('ARTIFACTS_DIR', None)\n"
        f"sys.path.insert(0, {str(standin.parent.parent)!r})\n"
        "import google.colab\n"
        "import sparkle_cli.notebook.colab as colab\n"
        f"colab.DRIVE_ROOT = Path({str(drive_root)!r})\n"
        f"colab.COLAB_ARTIFACTS = Path({str(content)!r})\n"
    )
    use = nbformat.v4.new_code_cell(
        "panel.prompt.value = 'A fox crosses a snowy forest at dusk.'\n"
        "panel.shots.value = 1\n"
        "panel.generate_button.click()\n"
        "panel.wait_idle()\n"
        "print('RUNS', panel.cli.runs_dir)\n"
        "print('PLAN', panel.plan_path)\n"
        "panel.close()\n"
    )
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=300, resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        client.execute_cell(setup, 0)
        client.execute_cell(preflight, 1)
        client.execute_cell(panel_cell, 2)
        first = outputs_text([preflight])
        assert f"Runs and artifacts go to {content}" in first
        assert not calls.exists() or "drive.mount" not in calls.read_text()

        # The person switches Drive on and runs the preflight cell again, then the panel cell.
        preflight.source = preflight.source.replace("MOUNT_DRIVE = False", "MOUNT_DRIVE = True")
        client.execute_cell(preflight, 1)
        second = outputs_text([preflight])
        assert f"Runs and artifacts go to {drive_root / 'MyDrive' / 'sparkle_artifacts'}" in second
        assert "Run the control panel cell again" in second
        client.execute_cell(panel_cell, 2)
        client.execute_cell(use, 3)
    recorded = [json.loads(line) for line in calls.read_text().splitlines()]
    assert ["drive.mount", str(drive_root)] in recorded
    assert ["output.enable_custom_widget_manager"] in recorded
    used = outputs_text([use])
    drive_runs = drive_root / "MyDrive" / "sparkle_artifacts"
    assert f"RUNS {drive_runs}" in used
    plan = Path(re.search(r"PLAN (\S+)", used).group(1))  # type: ignore[union-attr]
    assert plan.is_relative_to(drive_runs) and plan.is_file()
    assert not any(content.iterdir()), "nothing may land in the runtime's own folder once Drive is chosen"
