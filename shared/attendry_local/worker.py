"""One Lambda execution environment, in a process of its own.

Started as `python -m attendry_local.worker FD HANDLER FUNCTION_ARN` with the function's
code folder as working directory (so it comes first on `sys.path`, as /var/task does)
and exactly the environment the template gives the function. It imports the handler's
module once, so module-level code runs at cold start as on Lambda, then serves
invocations one at a time over the connection on FD. Only the standard library is
imported here, so a cold start measures the handler's own imports.
"""

import importlib
import io
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The `context` a Lambda handler receives, attribute for attribute as the runtime sets it.

    As in the Python runtime interface client, the descriptive attributes come from the
    environment, so `memory_limit_in_mb` is the environment's string.
    """

    def __init__(self, request_id: str, function_arn: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, message: str) -> None:
        sys.stdout.write(message)
        sys.stdout.flush()


def serve(connection: Connection, handler_name: str, function_arn: str) -> None:
    """Answer invocations until told to stop or the parent goes away."""
    # Lambda ships each log line as it is written; a pipe would otherwise buffer them.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(line_buffering=True)
    handler, init_error = _load_handler(handler_name)
    connection.send(("ready", init_error))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            return
        _, request_id, event_json, deadline_ms, trace_id = message
        if handler is None:
            handler, init_error = _load_handler(handler_name)
        if handler is None:
            connection.send(("error", {**(init_error or {}), "requestId": request_id}))
            continue
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
        context = LambdaContext(request_id, function_arn, deadline_ms)
        connection.send(_invoke(handler, event_json, context))


def _load_handler(handler_name: str) -> tuple[Handler | None, dict[str, Any] | None]:
    module_name, _, function_name = handler_name.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        traceback.print_exc()
        return None, _error(
            error, "Runtime.ImportModuleError", f"Unable to import module '{module_name}'"
        )
    handler = getattr(module, function_name, None)
    if not callable(handler):
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        return None, {"errorMessage": message, "errorType": "Runtime.HandlerNotFound"}
    return handler, None


def _invoke(handler: Handler, event_json: str, context: LambdaContext) -> tuple[str, Any]:
    try:
        result = handler(json.loads(event_json), context)
    except Exception as error:
        traceback.print_exc()
        return "error", {**_error(error, type(error).__name__), "requestId": context.aws_request_id}
    try:
        return "ok", json.dumps(result)
    except (TypeError, ValueError) as error:
        message = f"Unable to marshal response: {error}"
        return "error", {"errorMessage": message, "errorType": "Runtime.MarshalError"}


def _error(error: BaseException, error_type: str, prefix: str | None = None) -> dict[str, Any]:
    message = f"{prefix}: {error}" if prefix else str(error)
    frames = traceback.format_tb(error.__traceback__)
    return {"errorMessage": message, "errorType": error_type, "stackTrace": frames}


if __name__ == "__main__":
    fd, handler_name, function_arn = sys.argv[1:4]
    serve(Connection(int(fd)), handler_name, function_arn)
