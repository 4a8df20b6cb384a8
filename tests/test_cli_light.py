"""The CLI stays light: `sparkle --help` imports no torch, diffusers or transformers."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import STAGES

HEAVY = ("torch", "diffusers", "transformers")


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['sparkle', '--help']\n"
        "try:\n"
        "    runpy.run_module('sparkle_cli', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "Usage" in out.stdout
    assert "HEAVY=\n" in out.stdout or out.stdout.rstrip().endswith("HEAVY="), out.stdout[-300:]


def test_schema_command_prints_json_schemas(cli) -> None:
    for name in ("plan", "envelope", "manifest", "step", "status", "artifacts"):
        result = cli("schema", name)
        assert result.exit_code == 0
        assert "properties" in json.loads(result.output)
    assert cli("schema", "nope").exit_code == 2


def test_stages_describe_themselves(cli) -> None:
    result = cli("stages", "--json")
    ids = [s["stage_id"] for s in json.loads(result.output)]
    assert ids == STAGES
