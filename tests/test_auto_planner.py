"""`--planner auto`: a configured chat server, a local Ollama, a cached model, or the template with a notice.

Each test runs the real CLI against a real local HTTP server process (or a port where nothing
listens) with HOME, the model cache and Ollama's address pointed at test values.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparkle_cli.backends.planner.template import PlanOptions, TemplatePlanner
from sparkle_cli.planning import auto
from tests.fake_chat_server import ChatServer

PROMPT = "A knight and a dragon make peace at the mouth of a volcano at sunset."


def model_plan(shots: int = 2) -> dict[str, Any]:
    plan = TemplatePlanner().plan(PlanOptions(prompt=PROMPT, shots=shots))
    plan.pop("render_profile", None)
    return plan


def closed_port() -> int:
    """A port nothing listens on: bound, then let go."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def quiet_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No configured server, no Ollama, an empty model cache, no config file: a bare machine."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{closed_port()}")
    monkeypatch.setenv("SPARKLE_CONFIG", str(home / "no-config.yaml"))
    monkeypatch.chdir(tmp_path)
    # The planner variables themselves are cleared for every test (conftest).
    return home


@pytest.fixture
def chat_server(tmp_path: Path) -> Iterator[Any]:
    servers: list[ChatServer] = []

    def start(script: Any) -> ChatServer:
        folder = tmp_path / f"server{len(servers)}"
        folder.mkdir()
        servers.append(ChatServer(folder, script))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def plan_json(cli, *args: str) -> tuple[dict[str, Any], dict[str, Any]]:
    result = cli("plan", PROMPT, "--shots", "2", "--json", *args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    envelope = json.loads(Path(payload["artifact_uri"].removeprefix("file://")).read_text())
    return payload, envelope


def test_nothing_configured_uses_the_template_and_says_how_to_get_a_model(runs: Path, cli) -> None:
    result = cli("plan", PROMPT, "--shots", "2")
    assert result.exit_code == 0, result.output
    assert "planner: template" in result.output and "chosen by --planner auto" in result.output
    notice = [line for line in result.output.splitlines() if "no language model found" in line]
    assert len(notice) == 1 and "SPARKLE_LLM_BASE_URL" in notice[0] and "--planner transformers" in notice[0]
    payload, envelope = plan_json(cli)
    assert payload["planner"]["name"] == "template" and payload["planner"]["requested"] == "auto"
    assert "Ollama" in payload["planner"]["reason"] and "notice" in payload["planner"]
    request = envelope["request"]
    assert request["planner"] == "template" and request["planner_requested"] == "auto"
    assert request["planner_reason"].startswith("no language model is reachable")


def test_a_configured_chat_server_is_picked(runs: Path, cli, chat_server, monkeypatch) -> None:
    server = chat_server({"answers": [{"content": json.dumps(model_plan())}]})
    monkeypatch.setenv("SPARKLE_LLM_BASE_URL", server.url)
    payload, envelope = plan_json(cli)
    assert payload["planner"]["name"] == "openai"
    assert payload["planner"]["reason"] == f"SPARKLE_LLM_BASE_URL is set and {server.url} answers"
    assert "notice" not in payload["planner"]
    assert envelope["request"]["planner"] == "openai" and envelope["request"]["planner_requested"] == "auto"
    assert envelope["metadata"]["model"] == f"tiny-planner at {server.url}"
    assert [r["path"] for r in server.requests()] == ["/v1/chat/completions"]
    # The model's plan went through the same post-processing as the template's.
    assert envelope["validated_plan"]["characters"] == model_plan()["characters"]


def test_an_unreachable_configured_server_falls_back_with_the_notice(runs: Path, cli, monkeypatch) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    monkeypatch.setenv("SPARKLE_LLM_BASE_URL", url)
    result = cli("plan", PROMPT, "--shots", "2")
    assert result.exit_code == 0, result.output
    assert "planner: template" in result.output
    assert f"SPARKLE_LLM_BASE_URL {url}: no answer" in result.output
    assert "no language model found" in result.output


def test_a_local_ollama_is_picked_with_a_model_it_serves(runs: Path, cli, chat_server, monkeypatch) -> None:
    server = chat_server(
        {
            "ollama_models": ["nomic-embed-text", "llama3.2:3b", "qwen2.5:7b"],
            "answers": [{"content": json.dumps(model_plan())}],
        }
    )
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{server.port}")
    payload, envelope = plan_json(cli)
    assert payload["planner"]["name"] == "openai"
    assert payload["planner"]["reason"] == f"Ollama answers at {server.root} and serves qwen2.5:7b"
    sent = server.requests()
    assert len(sent) == 1 and sent[0]["body"]["model"] == "qwen2.5:7b"
    assert envelope["metadata"]["model"] == f"qwen2.5:7b at {server.url}"


def test_forced_ollama_without_one_is_a_clear_usage_error(runs: Path, cli) -> None:
    result = cli("plan", PROMPT, "--planner", "ollama")
    assert result.exit_code == 2
    assert "--planner ollama" in result.output and "ollama serve" in result.output
    assert "Traceback" not in result.output


def test_forced_template_never_probes(runs: Path, cli, chat_server, monkeypatch) -> None:
    server = chat_server({"ollama_models": ["qwen2.5:7b"], "answers": [{"content": "{}"}]})
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{server.port}")
    payload, envelope = plan_json(cli, "--planner", "template")
    assert payload["planner"] == {
        "name": "template",
        "requested": "template",
        "model": "template (built-in, no model)",
        "reason": "--planner template",
    }
    assert server.all_requests() == []


def test_a_model_in_the_cache_is_chosen_and_a_configured_one_first(quiet_machine: Path, monkeypatch) -> None:
    pytest.importorskip("transformers")
    assert auto.choose({}).planner == "template"
    snapshot = quiet_machine / "hf" / "hub" / "models--Qwen--Qwen2.5-1.5B-Instruct" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    assert auto.choose({}).planner == "template", "a config without weights is not a model"
    (snapshot / "model.safetensors").write_bytes(b"")
    choice = auto.choose({})
    assert choice.planner == "transformers" and choice.options == {"model_path": "Qwen/Qwen2.5-1.5B-Instruct"}
    assert "in the local model cache" in choice.reason
    monkeypatch.setenv("SPARKLE_MODEL_PATH_PLANNER", "/models/mine")
    assert auto.choose({}).options == {"model_path": "/models/mine"}


def test_auto_falls_back_when_the_chosen_model_cannot_load(runs: Path, cli, monkeypatch, tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    monkeypatch.setenv("SPARKLE_MODEL_PATH_PLANNER", str(tmp_path / "gone"))
    payload, _ = plan_json(cli)
    assert payload["planner"]["name"] == "template"
    assert "transformers planner cannot run here" in payload["planner"]["notice"]


def test_the_ollama_address_follows_ollama_host(monkeypatch) -> None:
    for value, expected in (
        ("", "http://localhost:11434"),
        ("0.0.0.0", "http://0.0.0.0:11434"),
        ("127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("https://ollama.example:443/", "https://ollama.example:443"),
    ):
        monkeypatch.setenv("OLLAMA_HOST", value)
        assert auto.ollama_url() == expected


def test_probes_do_not_wait_on_a_silent_port(monkeypatch) -> None:
    """A port that accepts and never answers costs the probe's timeout, not a hang."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        names, why = auto.ollama_models(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.2)
    assert names is None and "no answer" in why
