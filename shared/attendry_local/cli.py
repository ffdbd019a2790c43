"""`attendry-local`: the whole system on this machine, from template.yaml.

    attendry-local [dev] [--template PATH] [--api-port N] [--aws-port N] [--no-schedules]
    attendry-local demo [--keep]
    attendry-local token SUB [--hours N] [--template PATH]

This module imports only the standard library at the top and the runtime inside the
commands, so a mistyped option fails before anything starts. `token` reads the template
(the token must carry its authorizer's issuer and audience) but starts nothing.
"""

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from attendry_local.runtime import LocalRuntime

DEFAULT_USER = "local-user"
# Variables a developer sets in their shell that deployed functions get from elsewhere
# (Secrets Manager); passed to every function when set.
HOST_PASSTHROUGH = ("GEMINI_API_KEY",)
_COMMANDS = ("dev", "demo", "token")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] not in (*_COMMANDS, "-h", "--help"):
        arguments.insert(0, "dev")
    options = _parser().parse_args(arguments)
    if options.command == "token":
        return _token(options)
    return _run(options)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attendry-local",
        description="Run template.yaml locally: HTTP API, SQS, schedules, SES, PostgreSQL.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    dev = commands.add_parser("dev", help="start everything in the foreground (default)")
    demo = commands.add_parser(
        "demo", help="start everything, walk one outreach through the HTTP API, stop"
    )
    demo.add_argument(
        "--keep", action="store_true", help="leave the system running after the walk-through"
    )
    for command in (dev, demo):
        command.add_argument("--template", type=Path, default=Path("template.yaml"))
        command.add_argument("--api-port", type=int, default=_number("LOCAL_API_PORT", 3000))
        command.add_argument("--aws-port", type=int, default=_number("LOCAL_AWS_PORT", 4566))
        command.add_argument(
            "--no-schedules", action="store_true", help="fire schedules only on demand"
        )
        command.add_argument("--user", default=DEFAULT_USER, help="the user of the printed token")
        command.add_argument(
            "--instances",
            type=int,
            help="warm instances a busy function scales out to (default 2; 1 runs each "
            "function's invocations one at a time)",
        )
    token = commands.add_parser("token", help="print a token the local authorizer accepts")
    token.add_argument("sub", help="the user id (the token's sub claim)")
    token.add_argument("--hours", type=float, default=12.0, help="validity (default 12)")
    token.add_argument("--template", type=Path, default=Path("template.yaml"))
    return parser


def _number(variable: str, default: int) -> int:
    return int(os.environ.get(variable) or default)


def _token(options: argparse.Namespace) -> int:
    from attendry_local.auth import token_for
    from attendry_local.system import token_authorizer
    from attendry_local.template import TemplateError

    template = options.template.resolve()
    if not template.is_file():
        print(f"attendry-local: no template at {template}", file=sys.stderr)
        return 2
    try:
        authorizer = token_authorizer(template)
    except TemplateError as error:
        print(f"attendry-local: {error}", file=sys.stderr)
        return 1
    print(token_for(options.sub, authorizer, ttl=timedelta(hours=options.hours)))
    return 0


def _run(options: argparse.Namespace) -> int:
    """`dev` and `demo`: start the same system; the demo walks through it, then stops
    unless asked to keep it running."""
    from attendry.db.migrate import upgrade
    from attendry_local.demo import walk_through
    from attendry_local.functions import DEFAULT_INSTANCES
    from attendry_local.postgres import local_database_url
    from attendry_local.system import local_system
    from attendry_local.template import TemplateError

    demo = options.command == "demo"
    logging.basicConfig(
        level=logging.WARNING if demo else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
    )
    template = options.template.resolve()
    if not template.is_file():
        print(f"attendry-local: no template at {template}", file=sys.stderr)
        return 2
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    database_url = local_database_url(template.parent)
    upgrade(database_url)
    if stopping.is_set():
        return 0
    runtime = local_system(
        template,
        api_port=options.api_port,
        aws_port=options.aws_port,
        database_url=database_url,
        run_schedules=not options.no_schedules,
        instances=options.instances or _number("LOCAL_FUNCTION_INSTANCES", DEFAULT_INSTANCES),
        env_overrides={
            **{name: os.environ[name] for name in HOST_PASSTHROUGH if name in os.environ},
            # The walk-through speaks for itself; functions' INFO lines would bury it.
            **({"POWERTOOLS_LOG_LEVEL": "WARNING"} if demo else {}),
        },
    )
    try:
        runtime.start()
    except (OSError, TemplateError) as error:
        print(f"attendry-local: {error}", file=sys.stderr)
        return 1
    try:
        if demo:
            walked = walk_through(runtime.api_url, stopping)
            if not options.keep:
                return 0 if walked else 1
        print(_banner(runtime, options.user), flush=True)
        stopping.wait()
        print("attendry-local: stopping", flush=True)
    finally:
        runtime.stop()
    return 0


def _banner(runtime: "LocalRuntime", user: str) -> str:
    topology = runtime.topology
    token = runtime.make_token(user)
    schedules = [
        f"{min(schedule.names, key=len)} {schedule.expression}" for schedule in topology.schedules
    ]
    indent = "\n                "
    lines = [
        "",
        "attendry-local is running",
        f"  HTTP API      {runtime.api_url}",
        f"  AWS (moto)    {runtime.aws_endpoint}   (AWS_ENDPOINT_URL)",
        f"  functions     {', '.join(topology.functions) or '-'}",
        f"  queues        {', '.join(m.queue_id for m in topology.queue_mappings) or '-'}",
        f"  schedules     {indent.join(schedules) or '-'}",
        f"  local routes  {indent.join(runtime.local_routes.describe())}",
        "",
        f"Token for {user} (12 h):",
        f"  export TOKEN={token}",
        f'  curl -H "Authorization: Bearer $TOKEN" {runtime.api_url}/agents',
    ]
    if schedules:
        name = min(topology.schedules[0].names, key=len)
        lines.append(
            f"  curl -X POST {runtime.api_url}/_local/schedules/{name}/fire"
            ' -d \'{"time": "2030-01-01T08:00:00Z"}\''
        )
    lines += ["", "Ctrl-C stops everything."]
    return "\n".join(lines)
