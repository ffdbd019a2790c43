"""Each function of the template as warm Lambda instances, each a worker process.

A process per instance gives each exactly the environment the template gives it and its
own module state, as separate Lambda functions have. Workers are started as fresh
interpreters (`python -m attendry_local.worker`), not forked or spawned from this
process, so nothing of the runtime (moto, the HTTP server, a caller's `__main__`) is
imported into a function's process, and in their own session, so Ctrl-C reaches only
the runtime, which then stops them. One instance handles one invocation at a time; a
function scales out as Lambda does, starting another instance (a cold start) when every
warm one is busy, up to a limit. A handler that raises is a failed invocation; one that
hangs past its Timeout is killed and that instance cold-starts again.
"""

import contextlib
import json
import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from attendry_local.topology import FunctionDef

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 60.0
_STOP_GRACE_S = 2.0
# Instances per function: on a laptop, enough for one to work while another waits on the
# database or SES, without a process per CPU for every function.
DEFAULT_INSTANCES = 2


class FunctionNotFoundError(KeyError):
    """No function of the template has this logical id."""


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation: the handler's return value, or Lambda's error object."""

    request_id: str
    payload: Any
    error: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


class FunctionWorker:
    """One function's worker process and the pipe to it."""

    def __init__(self, function: FunctionDef, environment: dict[str, str]) -> None:
        self.function = function
        self._environment = environment
        self._lock = threading.Lock()  # one invocation at a time, like one instance
        self._send_lock = threading.Lock()  # a stop request may cross an invocation
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._ready = False
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the process; `wait_ready` (or the next invocation) waits for its cold start."""
        ours, theirs = socket.socketpair()
        with ours, theirs:
            command = [
                sys.executable,
                "-m",
                "attendry_local.worker",
                str(theirs.fileno()),
                self.function.handler,
                self.function.arn,
            ]
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command,
                cwd=self.function.code_dir,
                env=self._environment,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
            connection = Connection(ours.detach())
        self._process, self._connection, self._ready = process, connection, False

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        with self._lock:
            self._await_ready(timeout_s)

    def invoke(self, event: Any) -> Invocation:
        request_id = str(uuid.uuid4())
        with self._lock:
            if self._stopping:
                return _failure(request_id, "Runtime.Stopping", "The local runtime is stopping")
            if self._process is None or self._process.poll() is not None:
                self.start()
            self._await_ready(READY_TIMEOUT_S)
            connection = self._connection
            assert connection is not None
            timeout_s = self.function.timeout_s
            deadline_ms = int(time.time() * 1000) + timeout_s * 1000
            try:
                with self._send_lock:
                    connection.send(
                        ("invoke", request_id, json.dumps(event), deadline_ms, _trace_id())
                    )
                if not connection.poll(timeout_s):
                    self._restart()
                    message = f"{request_id} Task timed out after {timeout_s:.2f} seconds"
                    return _failure(request_id, "Sandbox.Timedout", message)
                status, body = connection.recv()
            except (EOFError, OSError):
                self._restart()
                return _failure(request_id, "Runtime.ExitError", "The function's process exited")
        if status == "ok":
            return Invocation(request_id, json.loads(body))
        return Invocation(request_id, None, {**body, "requestId": request_id})

    def request_stop(self) -> None:
        """Ask the process to exit after its current invocation; nothing restarts it after."""
        self._stopping = True
        with self._send_lock:
            if self._connection is not None:
                with contextlib.suppress(OSError):
                    self._connection.send(("stop",))

    def join(self, timeout_s: float) -> None:
        process = self._process
        if process is not None:
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout_s)
        with self._lock:
            if self._connection is not None:
                self._connection.close()
            self._process, self._connection, self._ready = None, None, False

    def _await_ready(self, timeout_s: float) -> None:
        if self._ready:
            return
        connection = self._connection
        if connection is None or not connection.poll(timeout_s):
            raise TimeoutError(f"{self.function.logical_id} did not start in {timeout_s:.0f} s")
        _, init_error = connection.recv()
        if init_error:
            log.error("%s failed to initialise: %s", self.function.logical_id, init_error)
        self._ready = True

    def _restart(self) -> None:
        """A timed-out or crashed instance is discarded; the next one cold-starts."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(_STOP_GRACE_S)
        if self._connection is not None:
            self._connection.close()
        self._process, self._connection, self._ready = None, None, False
        if not self._stopping:
            self.start()


class FunctionInstances:
    """One function's instances: an invocation takes an idle one (the most recently used,
    as Lambda reuses a warm one), or starts another while fewer than `limit` run."""

    def __init__(self, function: FunctionDef, environment: dict[str, str], limit: int) -> None:
        self.function = function
        self._environment = environment
        self._limit = limit
        self._instances: list[FunctionWorker] = []
        self._idle: list[FunctionWorker] = []
        self._changed = threading.Condition()
        self._stopping = False

    def launch(self) -> None:
        with self._changed:
            self._idle.append(self._new_instance())

    def wait_ready(self, timeout_s: float) -> None:
        for instance in list(self._instances):
            instance.wait_ready(timeout_s)

    def invoke(self, event: Any) -> Invocation:
        instance = self._acquire()
        try:
            return instance.invoke(event)
        finally:
            with self._changed:
                self._idle.append(instance)
                self._changed.notify()

    def pids(self) -> list[int]:
        return [pid for pid in (instance.pid for instance in self._instances) if pid is not None]

    def request_stop(self) -> None:
        with self._changed:
            self._stopping = True
        for instance in list(self._instances):
            instance.request_stop()

    def join(self, timeout_s: float) -> None:
        for instance in list(self._instances):
            instance.join(timeout_s)

    def _acquire(self) -> FunctionWorker:
        with self._changed:
            while True:
                if self._idle:
                    return self._idle.pop()
                if len(self._instances) < self._limit and not self._stopping:
                    return self._new_instance()
                self._changed.wait()

    def _new_instance(self) -> FunctionWorker:
        instance = FunctionWorker(self.function, self._environment)
        instance.start()
        self._instances.append(instance)
        return instance


class FunctionPool:
    """Every function's instances: started together, invoked by logical id, stopped together."""

    def __init__(
        self,
        functions: Mapping[str, FunctionDef],
        environments: Mapping[str, dict[str, str]],
        *,
        instances: int = DEFAULT_INSTANCES,
    ) -> None:
        self._functions = {
            logical_id: FunctionInstances(function, environments[logical_id], instances)
            for logical_id, function in functions.items()
        }

    def launch(self) -> None:
        """Start every function's first cold start at once; they import their handlers in
        parallel. Further instances start when they are needed."""
        for function in self._functions.values():
            function.launch()

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        for function in self._functions.values():
            function.wait_ready(timeout_s)

    def invoke(self, logical_id: str, event: Any) -> Invocation:
        function = self._functions.get(logical_id)
        if function is None:
            raise FunctionNotFoundError(logical_id)
        return function.invoke(event)

    def pids(self) -> dict[str, list[int]]:
        return {logical_id: function.pids() for logical_id, function in self._functions.items()}

    def stop(self) -> None:
        for function in self._functions.values():
            function.request_stop()
        for function in self._functions.values():
            function.join(_STOP_GRACE_S)


def _failure(request_id: str, error_type: str, message: str) -> Invocation:
    return Invocation(
        request_id,
        None,
        {"errorMessage": message, "errorType": error_type, "requestId": request_id},
    )


def _trace_id() -> str:
    return (
        f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
        f"Parent={uuid.uuid4().hex[:16]};Sampled=0"
    )
