"""The AWS stand-in: moto's server in a thread of this process, on the loopback only.

In-process so that stopping the runtime leaves no server behind. moto keeps its state per
process, not per server: `attendry-local dev` starts from nothing, and runtimes started
one after another in one process (tests) share what the earlier ones created, which
provisioning tolerates.

moto's own ThreadedMotoServer, but with a dispatcher that remembers which backend serves
each host: moto works it out on every request, under a lock every request takes, by
listing its package's directories and trying its URL patterns one by one (1-1.5 ms here),
which capped how many SQS and SES calls the whole local system could make per second.

moto's ReceiveMessage also checks each message it hands out against the queue's retention
period by computing every attribute of the queue, three of which walk all of its messages:
a receive of 10 from a queue 500 deep took 270 ms under the GIL every request shares, and
a burst of approvals stalled the whole local system. `_retained` reads the one attribute.
"""

import logging
import socket
from threading import Thread
from typing import Any

from moto.core.utils import unix_time
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.sqs.models import Message, SQSBackend
from werkzeug.serving import BaseWSGIServer, make_server


def _retained(self: SQSBackend, queue_name: str, message: Message) -> bool:
    queue = self.get_queue(queue_name)
    # moto sets its attributes with setattr from their API names.
    retention_seconds: int = queue.message_retention_period  # type: ignore[attr-defined]
    return retention_seconds + (message.sent_timestamp or 0) / 1000 > unix_time()


class _RememberingDispatcher(DomainDispatcherApplication):
    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._backend_by_host: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backend_by_host:
            self._backend_by_host[host] = super().get_backend_for_host(host)
        return self._backend_by_host[host]


class AwsStandIn:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: Thread | None = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("The AWS stand-in is not running")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> None:
        # Binding here, before the thread, makes a taken port fail fast and say why
        # (moto's own start() waits forever).
        if self._requested_port:
            _ensure_free(self.host, self._requested_port)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        SQSBackend.is_message_valid_based_on_retention_period = _retained  # type: ignore[method-assign]
        self._server = make_server(
            self.host,
            self._requested_port,
            _RememberingDispatcher(),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
        self._thread = Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._server.server_close()
        self._server = None
        self._thread = None


def _ensure_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise OSError(f"{host}:{port} is already in use ({error.strerror})") from error
