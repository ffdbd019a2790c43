"""The fuzzer can fail: against a tiny API that breaks its own document, `fuzz_api`
reports each break by the check that caught it, and a clean run only for an honest API."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.fuzz.driver import FuzzResult, FuzzSettings, fuzz_api

ITEM = {
    "type": "object",
    "properties": {"id": {"type": "string"}},
    "required": ["id"],
    "additionalProperties": False,
}


def document(paths: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "loopback", "version": "1"},
        "paths": {
            path: {
                "get": {
                    "operationId": path.strip("/"),
                    "responses": {
                        "200": {
                            "description": "the item",
                            "content": {"application/json": {"schema": ITEM}},
                        }
                    },
                }
            }
            for path in paths
        },
    }


class LoopbackApi(BaseHTTPRequestHandler):
    """Serves its document and answers each documented GET with its fixed (status, body)."""

    answers: dict[str, tuple[int, Any]]

    def do_GET(self) -> None:
        path = self.path.partition("?")[0]
        if path == "/openapi.json":
            self._answer(200, document(self.answers))
        elif path in self.answers:
            self._answer(*self.answers[path])
        else:
            self._answer(404, {"message": "Not Found"})

    def do_POST(self) -> None:
        self._answer(405, {"message": "Method Not Allowed"}, allow="GET")

    do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_POST  # noqa: N815

    def _answer(self, status: int, body: Any, allow: str | None = None) -> None:
        payload = json.dumps(body).encode()
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        if allow:
            self.send_header("allow", allow)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(answers: dict[str, tuple[int, Any]]) -> Iterator[str]:
    handler = type("Api", (LoopbackApi,), {"answers": answers})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


SETTINGS = FuzzSettings(max_examples=5, seed=1, workers=1, phases="coverage,fuzzing")
TOKENS = {"alice": "token-a", "bob": "token-b"}


@pytest.fixture
def broken_api() -> Iterator[str]:
    yield from serve({"/boom": (500, {"message": "boom"}), "/liar": (200, {"id": 5})})


@pytest.fixture
def honest_api() -> Iterator[str]:
    yield from serve({"/item": (200, {"id": "a"})})


def test_a_server_error_and_a_body_against_the_document_are_each_reported(
    broken_api: str,
) -> None:
    result = fuzz_api(broken_api, TOKENS, SETTINGS)

    assert not result.clean, result.summary()
    assert result.failures["Server error"] >= 1, result.summary()
    assert result.failures["Response violates schema"] >= 1, result.summary()
    assert result.operations == 2
    assert result.server_errors >= 1
    assert result.requests >= result.server_errors
    assert "Server error" in result.summary()


def test_a_5xx_no_check_reported_still_makes_the_run_unclean() -> None:
    result = FuzzResult(exit_code=0, operations=1, requests=2, test_cases=2)
    result.statuses.update({200: 1, 502: 1})

    assert not result.clean
    assert "5xx answers:       1" in result.summary()


def test_an_api_true_to_its_document_is_clean(honest_api: str) -> None:
    result = fuzz_api(honest_api, TOKENS, SETTINGS)

    assert result.clean, result.summary() + "\n" + result.output
    assert result.operations == 1
    assert result.server_errors == 0 < result.requests
