"""The `openai` planner: any OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp, a hosted API).

It asks for the MoviePlan JSON Schema as `response_format`, stepping down to JSON mode and
then to plain text when the server says it cannot do that (an HTTP 400 or 422 about the response
format). A temperature is sent only when the user set one, and dropped when the model refuses it.
Any other refusal is reported with the server's own words. Connection errors, timeouts, 429 and
5xx answers are retried with a growing pause, a bounded number of times. Standard library only.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any, ClassVar

from sparkle_cli.backends.planner.llm import LLMPlanner, PlannerFailed, plan_schema
from sparkle_cli.errors import UsageError

DEFAULT_BASE_URL = "http://localhost:8000/v1"
OPENAI_URL = "https://api.openai.com/v1"
KEY_VARIABLES = ("SPARKLE_LLM_API_KEY", "OPENAI_API_KEY")
FORMATS = ("json_schema", "json_object", "text")
#: Words in a refusal that say the server cannot give structured output (vLLM, llama.cpp, Ollama, OpenAI).
FORMAT_WORDS = ("response_format", "json_schema", "json_object", "structured output", "response format", "grammar")


def _default_url() -> str:
    """OpenAI's URL when only OPENAI_API_KEY is set (the key is OpenAI's), else a local server's."""
    if os.environ.get("OPENAI_API_KEY") and not os.environ.get("SPARKLE_LLM_API_KEY"):
        return os.environ.get("OPENAI_BASE_URL") or OPENAI_URL
    return DEFAULT_BASE_URL


class HTTPProblem(Exception):
    """An HTTP answer that retrying will not fix."""

    def __init__(self, status: int, body: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"HTTP {status}: {self.message}")

    @property
    def message(self) -> str:
        """The server's own words: `error.message` of an OpenAI-style answer, else the body."""
        try:
            error = json.loads(self.body).get("error")
        except (ValueError, AttributeError):
            return self.body.strip()
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        return str(error) if isinstance(error, str) and error else self.body.strip()


class OpenAIPlanner(LLMPlanner):
    """Chat completions over HTTP: base URL, model, key from SPARKLE_LLM_API_KEY (else OPENAI_API_KEY)."""

    name: ClassVar[str] = "openai"
    version: ClassVar[str] = "1"

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.base_url = str(
            self.options.get("base_url") or os.environ.get("SPARKLE_LLM_BASE_URL") or _default_url()
        ).rstrip("/")
        self.model = str(self.options.get("model") or os.environ.get("SPARKLE_LLM_MODEL") or "")
        self.timeout = float(self.options.get("timeout") or 120.0)
        self.retries = max(0, int(self.options.get("retries", 2)))
        self.backoff = float(self.options.get("retry_backoff", 1.0))
        fmt = str(self.options.get("response_format") or FORMATS[0])
        if fmt not in FORMATS:
            raise UsageError(f"response_format {fmt!r}: use one of {', '.join(FORMATS)}")
        self.format = fmt
        self.drop_temperature = False
        self.model_label = f"{self.model or '?'} at {self.base_url}"

    def _key(self) -> str | None:
        return next((os.environ[v] for v in KEY_VARIABLES if os.environ.get(v)), None)

    def request_settings(self) -> dict[str, Any]:
        return {
            "endpoint": f"{self.base_url}/chat/completions",
            "model": self.model,
            "timeout_s": self.timeout,
            "retries": self.retries,
            "response_format": self.format,
            "temperature": self._temperature(),
            "seed": self.options.get("seed"),
            "max_tokens": self.options.get("max_tokens"),
            "api_key_from": next((v for v in KEY_VARIABLES if os.environ.get(v)), None),
        }

    def _temperature(self) -> float | None:
        """The user's temperature, or None: the server's default (some models accept no other)."""
        value = self.options.get("temperature")
        return None if value is None or self.drop_temperature else float(value)

    # --- HTTP ------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One JSON request, retried on network trouble; HTTPProblem for answers a retry cannot fix."""
        url = f"{self.base_url}{path}"
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        key = self._key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        problem = ""
        tries = self.retries + 1
        for attempt in range(1, tries + 1):
            try:
                request = urllib.request.Request(url, data=data, headers=headers, method=method)
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                try:
                    answer = json.loads(raw)
                except json.JSONDecodeError:
                    raise PlannerFailed(f"{url} answered something that is not JSON: {raw[:200]!r}") from None
                if not isinstance(answer, dict):
                    raise PlannerFailed(f"{url} answered JSON that is not an object")
                return answer
            except urllib.error.HTTPError as exc:
                text = exc.read().decode("utf-8", "replace")[:1000]
                if exc.code != 429 and exc.code < 500:
                    raise HTTPProblem(exc.code, text) from None
                problem = f"HTTP {exc.code}: {text[:200]}"
            except TimeoutError:
                problem = f"no answer within {self.timeout:g} s"
            except urllib.error.URLError as exc:
                reason = exc.reason
                timed_out = isinstance(reason, TimeoutError)
                problem = f"no answer within {self.timeout:g} s" if timed_out else f"cannot connect: {reason}"
            except (ConnectionError, OSError) as exc:
                problem = f"connection failed: {exc}"
            if attempt < tries:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), 30.0))
        raise PlannerFailed(
            f"{url}: {problem} (tried {tries} time{'s' if tries != 1 else ''})",
            hint="check that the server runs and --llm-base-url points at it; raise --llm-timeout for a slow model",
        )

    def _pick_model(self) -> str:
        """The server's model when none is named: vLLM and llama.cpp serve one, so asking is safe."""
        try:
            answer = self._call("GET", "/models")
        except HTTPProblem as exc:
            raise UsageError(f"no model named and {self.base_url}/models answered {exc}; set --llm-model") from None
        names = [str(m.get("id")) for m in answer.get("data") or [] if isinstance(m, dict) and m.get("id")]
        if len(names) != 1:
            listed = ", ".join(names[:20]) or "none"
            raise UsageError(f"no model named and {self.base_url} serves {listed}; choose one with --llm-model")
        return names[0]

    def _response_format(self) -> dict[str, Any] | None:
        if self.format == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": "MoviePlan", "schema": plan_schema(), "strict": False},
            }
        if self.format == "json_object":
            return {"type": "json_object"}
        return None

    def complete(self, messages: list[dict[str, str]], record: dict[str, Any]) -> str:
        if not self.model:
            self.model = self._pick_model()
            self.model_label = f"{self.model} at {self.base_url}"
            if self.transcript is not None:
                self.transcript.model = self.model_label
        while True:
            body: dict[str, Any] = {"model": self.model, "messages": messages}
            temperature = self._temperature()
            if temperature is not None:
                body["temperature"] = temperature
            for key in ("seed", "max_tokens"):
                if self.options.get(key) is not None:
                    body[key] = int(self.options[key])
            response_format = self._response_format()
            if response_format is not None:
                body["response_format"] = response_format
            try:
                answer = self._call("POST", "/chat/completions", body)
                break
            except HTTPProblem as exc:
                refusal = refusal_about(exc)
                if refusal == "temperature" and temperature is not None:
                    # Reasoning models take only their default temperature: ask again without one.
                    record.setdefault("dropped", []).append({"temperature": temperature, "answer": exc.body[:500]})
                    self.drop_temperature = True
                    continue
                if refusal == "format" and self.format != FORMATS[-1]:
                    record.setdefault("format_fallbacks", []).append({"format": self.format, "answer": exc.body[:500]})
                    self.format = FORMATS[FORMATS.index(self.format) + 1]
                    continue
                hint = None
                if exc.status in (401, 403):
                    hint = f"set the API key in {' or '.join(KEY_VARIABLES)}"
                elif exc.status == 404:
                    hint = f"check --llm-base-url ({self.base_url}) and --llm-model ({self.model})"
                raise PlannerFailed(f"{self.base_url}/chat/completions refused the request: {exc}", hint=hint) from None
        record["response_format"] = self.format
        if isinstance(answer.get("usage"), dict):
            record["usage"] = answer["usage"]
        try:
            message = answer["choices"][0]["message"]
            content = message.get("content")
        except (KeyError, IndexError, TypeError, AttributeError):
            raise PlannerFailed(f"{self.base_url}/chat/completions answered without choices[0].message") from None
        if isinstance(content, list):  # some servers answer content parts
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return str(content or "")


def refusal_about(problem: HTTPProblem) -> str | None:
    """What a 400 or 422 objects to: "temperature", "format" (no structured output), or None (something else)."""
    if problem.status not in (400, 422):
        return None
    text = problem.body.lower()
    try:  # OpenAI names the parameter: {"error": {"param": "temperature", ...}}
        error = json.loads(problem.body).get("error")
        param = str(error.get("param") or "").lower() if isinstance(error, dict) else ""
    except (ValueError, AttributeError):
        param = ""
    if param == "temperature" or (not param and "temperature" in text):
        return "temperature"
    if param.startswith("response_format") or any(word in text for word in FORMAT_WORDS):
        return "format"
    return None
