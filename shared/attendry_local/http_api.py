"""The HTTP API on 127.0.0.1: API Gateway's routing and JWT authorizer in front of the
functions, and the local control routes beside them."""

import base64
import logging
import os
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from attendry_local.apigw import (
    HttpRequest,
    HttpResponse,
    RouteTable,
    build_event,
    gateway_response,
    translate_response,
)
from attendry_local.auth import RefusedError, authorize
from attendry_local.functions import Invocation
from attendry_local.local_routes import LOCAL_PREFIX, LocalRequest, LocalRoutes

log = logging.getLogger(__name__)

Invoke = Callable[[str, Any], Invocation]


class HttpApiServer:
    """Serves the template's HTTP API routes and `/_local/` on one port."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        routes: RouteTable,
        local_routes: LocalRoutes,
        invoke: Invoke,
        api_id: str,
        account_id: str,
        jwt_secret: str,
    ) -> None:
        self.routes = routes
        self.local_routes = local_routes
        self.invoke = invoke
        self.api_id = api_id
        self.account_id = account_id
        self.jwt_secret = jwt_secret
        self._host = host
        self._server = ThreadingHTTPServer((host, port), _RequestHandler)
        self._server.daemon_threads = True
        self._server.api = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="http-api"
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def handle(self, request: HttpRequest, headers: dict[str, str]) -> HttpResponse:
        if request.raw_path.startswith(LOCAL_PREFIX):
            return self.local_routes.dispatch(
                LocalRequest(
                    method=request.method,
                    path=request.raw_path,
                    path_parameters={},
                    query=dict(parse_qsl(request.raw_query)),
                    headers=headers,
                    body=request.body,
                )
            )
        match = self.routes.match(request.method, request.raw_path)
        if match is None:
            return gateway_response(404, "Not Found")
        authorizer_context = None
        if match.route.authorizer is not None:
            try:
                authorizer_context = authorize(
                    headers.get(match.route.authorizer.identity_header),
                    match.route.authorizer,
                    match.route.scopes,
                    self.jwt_secret,
                )
            except RefusedError as refused:
                challenge = refused.www_authenticate
                return gateway_response(
                    refused.status,
                    refused.message,
                    [("www-authenticate", challenge)] if challenge else [],
                )
        event = build_event(
            request,
            match,
            api_id=self.api_id,
            account_id=self.account_id,
            authorizer=authorizer_context,
        )
        invocation = self.invoke(match.route.function_id, event)
        if invocation.failed:
            log.error("%s failed: %s", match.route.function_id, invocation.error)
            return gateway_response(500, "Internal Server Error")
        return translate_response(invocation.payload)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection frees its thread

    def _serve(self) -> None:
        started = time.monotonic()
        api: HttpApiServer = self.server.api  # type: ignore[attr-defined]
        raw_path, _, raw_query = self.path.partition("?")
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = HttpRequest(
            method=self.command,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=list(self.headers.items()),
            body=self._read_body(),
            source_ip=self.client_address[0],
            source_port=int(self.client_address[1]),
            request_id=base64.b32encode(os.urandom(10)).decode().rstrip("="),
        )
        try:
            response = api.handle(request, headers)
        except Exception:
            log.exception("%s %s failed in the local runtime", self.command, self.path)
            response = gateway_response(500, "Internal Server Error")
        self._write(response, request.request_id)
        elapsed_ms = (time.monotonic() - started) * 1000
        log.info("%s %s %d %.0f ms", self.command, self.path, response.status, elapsed_ms)

    def __getattr__(self, name: str) -> Any:
        """http.server looks up `do_<METHOD>` and answers an HTML 501 where it finds none;
        API Gateway answers every method, one it does not route with its JSON 404."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _write(self, response: HttpResponse, request_id: str) -> None:
        self.send_response_only(response.status)
        self.send_header("date", formatdate(usegmt=True))
        self.send_header("apigw-requestid", request_id)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)
