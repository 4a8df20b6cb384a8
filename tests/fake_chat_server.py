"""A small OpenAI-compatible chat-completions server for tests, run as its own process.

    python fake_chat_server.py SCRIPT.json LOG.jsonl

SCRIPT is a list of answers given in order (the last one repeats): {"content": str} for a
normal answer, {"status": 500} for an error, {"delay": seconds} to answer late. With
{"reject_json_schema": true} at the script's top (an object {"answers": [...], ...}),
requests asking for `json_schema` output get HTTP 400, as servers without it answer. With
{"reject_temperature": true}, requests that set a temperature get the 400 that OpenAI's
reasoning models give; {"refuse": {"status": 400, "message": ...}} refuses every chat request.
GET /models lists {"models": [...]} (default one, "tiny-planner"); with {"ollama_models": [...]}
the server also answers Ollama's GET /api/tags, as a local Ollama does.
Every request is appended to LOG. The chosen port is printed on the first line of stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class ChatServer:
    """This server as a process for a test: its URL, and the requests it logged."""

    def __init__(self, tmp: Path, script: Any) -> None:
        self.log = tmp / "requests.jsonl"
        script_path = tmp / "script.json"
        script_path.write_text(json.dumps(script))
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__)), str(script_path), str(self.log)], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.root = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.root}/v1"

    def requests(self) -> list[dict[str, Any]]:
        """The chat requests the server answered (POSTs), in order."""
        return [r for r in self.all_requests() if r.get("method") != "GET"]

    def all_requests(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def main() -> None:
    script = json.loads(Path(sys.argv[1]).read_text())
    log = Path(sys.argv[2])
    if isinstance(script, list):
        script = {"answers": script}
    answers = script["answers"]
    lock = threading.Lock()
    state = {"next": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

        def _send(self, status: int, payload: object) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with lock, log.open("a") as fh:
                fh.write(json.dumps({"path": self.path, "method": "GET"}) + "\n")
            models = script.get("models", ["tiny-planner"])
            if self.path.endswith("/models"):
                self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in models]})
            elif self.path == "/api/tags" and "ollama_models" in script:
                self._send(200, {"models": [{"name": m, "model": m} for m in script["ollama_models"]]})
            else:
                self._send(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            with lock, log.open("a") as fh:
                fh.write(
                    json.dumps({"path": self.path, "auth": self.headers.get("Authorization"), "body": request}) + "\n"
                )
            if not self.path.endswith("/chat/completions"):
                self._send(404, {"error": {"message": "not found"}})
                return
            fmt = (request.get("response_format") or {}).get("type")
            if script.get("refuse"):
                refusal = script["refuse"]
                error = {"message": refusal["message"], "type": "invalid_request_error", "param": refusal.get("param")}
                self._send(int(refusal.get("status", 400)), {"error": error})
                return
            if script.get("reject_temperature") and "temperature" in request:
                message = (
                    f"Unsupported value: 'temperature' does not support {request['temperature']} with this model. "
                    "Only the default (1) value is supported."
                )
                error = {"message": message, "type": "invalid_request_error", "param": "temperature"}
                self._send(400, {"error": error, "code": "unsupported_value"})
                return
            if script.get("reject_json_schema") and fmt == "json_schema":
                self._send(400, {"error": {"message": "response_format json_schema is not supported"}})
                return
            with lock:
                answer = answers[min(state["next"], len(answers) - 1)]
                state["next"] += 1
            time.sleep(float(answer.get("delay", 0)))
            if answer.get("status", 200) != 200:
                self._send(int(answer["status"]), {"error": {"message": "scripted failure"}})
                return
            message = {"role": "assistant", "content": answer.get("content", "")}
            self._send(
                200,
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "model": request.get("model"),
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
