"""Starting and stopping: nothing left behind, failures reported, the CLI's commands."""

import os
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from attendry_local.runtime import LocalRuntime
from attendry_local.template import TemplateError
from tests.fixtures.local_runtime import APP_TEMPLATE, MINIMAL_TEMPLATE, http, wait_until


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def port_is_free(port: int) -> bool:
    """Whether a server could listen on `port` again (connections in TIME_WAIT aside)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The runtime's own threads, and moto's server thread. Request threads of the servers are
# left out: another runtime of this process may open connections at any moment.
RUNTIME_THREADS = ("http-api", "sqs:", "schedule", "_server_entry")


def no_threads_left_since(before: set[threading.Thread]) -> bool:
    """True once every runtime thread started since `before` has ended."""
    return not [
        thread
        for thread in set(threading.enumerate()) - before
        if any(marker in thread.name for marker in RUNTIME_THREADS)
    ]


def test_stop_leaves_no_process_thread_or_port_behind() -> None:
    threads_before = set(threading.enumerate())
    runtime = LocalRuntime(MINIMAL_TEMPLATE, api_port=0, aws_port=0).start()
    pids = [pid for instances in runtime.worker_pids().values() for pid in instances]
    ports = [int(url.rsplit(":", 1)[1]) for url in (runtime.api_url, runtime.aws_endpoint)]
    assert http("GET", runtime.api_url + "/hello").json() == {"hello": "world"}
    assert len(pids) == 2
    assert all(process_exists(pid) for pid in pids)

    runtime.stop()
    runtime.stop()

    assert not any(process_exists(pid) for pid in pids)
    assert all(port_is_free(port) for port in ports)
    wait_until(lambda: no_threads_left_since(threads_before), timeout_s=5)


def test_a_handler_that_cannot_import_fails_its_invocations_only() -> None:
    with LocalRuntime(MINIMAL_TEMPLATE, api_port=0, aws_port=0, run_schedules=False) as runtime:
        invocation = runtime.invoke("BrokenFunction", {})
        response = http("GET", runtime.api_url + "/broken")
        healthy = http("GET", runtime.api_url + "/hello")

    assert invocation.error is not None
    assert invocation.error["errorType"] == "Runtime.ImportModuleError"
    assert "a_module_that_is_not_installed" in invocation.error["errorMessage"]
    assert response.status == 500
    assert healthy.status == 200


def test_a_template_that_cannot_run_locally_releases_what_was_started(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Inline:\n"
        "    Type: AWS::Lambda::Function\n"
        "    Properties:\n"
        "      Handler: index.handler\n"
        "      Runtime: python3.12\n"
        "      Code: {ZipFile: 'def handler(event, context): return 1'}\n"
    )
    api_port, aws_port = free_port(), free_port()
    threads_before = set(threading.enumerate())

    with pytest.raises(TemplateError, match="Inline"):
        LocalRuntime(template, api_port=api_port, aws_port=aws_port).start()

    assert port_is_free(api_port)
    assert port_is_free(aws_port)
    wait_until(lambda: no_threads_left_since(threads_before), timeout_s=5)


def test_a_taken_port_is_refused_with_its_number() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(OSError, match=str(port)):
            LocalRuntime(MINIMAL_TEMPLATE, api_port=0, aws_port=port).start()


def attendry_local() -> str:
    return str(Path(sys.executable).with_name("attendry-local"))


def test_the_token_command_prints_a_token_the_templates_authorizer_accepts(
    runtime: LocalRuntime,
) -> None:
    result = subprocess.run(  # noqa: S603
        [attendry_local(), "token", "bob", "--template", str(APP_TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    response = http(
        "GET",
        runtime.api_url + "/items/1",
        headers={"authorization": f"Bearer {result.stdout.strip()}"},
    )
    assert response.status == 200
    assert response.json()["event"]["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == (
        "bob"
    )


def test_the_token_command_needs_a_template(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603
        [attendry_local(), "token", "bob", "--template", str(tmp_path / "none.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "no template" in result.stderr


def test_dev_serves_until_sigterm_then_exits_cleanly(database_url: str, tmp_path: Path) -> None:
    api_port, aws_port = free_port(), free_port()
    environment = {**os.environ, "DATABASE_URL": database_url}
    log = (tmp_path / "dev.log").open("w+")
    process = subprocess.Popen(  # noqa: S603
        [
            attendry_local(),
            "dev",
            "--template",
            str(MINIMAL_TEMPLATE),
            "--api-port",
            str(api_port),
            "--aws-port",
            str(aws_port),
        ],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{api_port}"
    try:
        wait_until(lambda: _answers(api + "/hello"), timeout_s=60)
        pids = [
            pid
            for function in http("GET", api + "/_local/functions").json()["functions"]
            for pid in function["pids"]
        ]

        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.seek(0)
        output = log.read()
        log.close()

    assert exit_code == 0, output
    assert 'curl -H "Authorization: Bearer $TOKEN"' in output
    assert not any(process_exists(pid) for pid in pids)
    assert port_is_free(api_port)
    assert port_is_free(aws_port)


def _answers(url: str) -> bool:
    try:
        return http("GET", url).status == 200
    except OSError:
        return False


def test_a_busy_function_scales_out_to_its_instance_limit_then_reuses_them() -> None:
    event = {"queryStringParameters": {"mode": "pause"}}
    with LocalRuntime(APP_TEMPLATE, api_port=0, aws_port=0, instances=2) as runtime:
        with ThreadPoolExecutor(3) as pool:
            calls = [pool.submit(runtime.invoke, "SecondEchoFunction", event) for _ in range(3)]
            results = [call.result(timeout=60).payload for call in calls]
        instances = runtime.worker_pids()["SecondEchoFunction"]

    assert len(instances) == 2
    assert {result["pid"] for result in results} == set(instances)
    first, second, third = sorted(results, key=lambda result: result["started"])
    assert second["started"] < first["ended"]  # two ran side by side
    assert third["started"] >= min(first["ended"], second["ended"])  # the third waited
