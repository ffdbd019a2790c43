"""The AWS stand-in: moto's server in a thread of this process, on the loopback only.

In-process so that stopping the runtime leaves no server behind. moto keeps its state per
process, not per server: `attendry-local dev` starts from nothing, and runtimes started
one after another in one process (tests) share what the earlier ones created, which
provisioning tolerates.
"""

import logging
import socket

from moto.server import ThreadedMotoServer


class AwsStandIn:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self._requested_port = port
        self._server: ThreadedMotoServer | None = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("The AWS stand-in is not running")
        _, port = self._server.get_host_and_port()
        return f"http://{self.host}:{port}"

    def start(self) -> None:
        # moto's start() waits forever when its port is taken; fail fast and say why.
        if self._requested_port:
            _ensure_free(self.host, self._requested_port)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address=self.host, port=self._requested_port, verbose=False)
        server.start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def _ensure_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise OSError(f"{host}:{port} is already in use ({error.strerror})") from error
