"""The whole local system from one template: `LocalRuntime(template).start()` ... `stop()`.

Used by `attendry-local dev`, by the tests and by the demo, so all three run exactly the
same wiring.
"""

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from attendry_local.apigw import RouteTable
from attendry_local.auth import jwt_secret, token_for
from attendry_local.aws import local_client
from attendry_local.control_routes import add_control_routes
from attendry_local.environment import function_environment
from attendry_local.functions import DEFAULT_INSTANCES, FunctionPool, Invocation
from attendry_local.http_api import HttpApiServer
from attendry_local.local_routes import LocalRoutes
from attendry_local.moto_server import AwsStandIn
from attendry_local.provision import Provisioner
from attendry_local.schedules import ScheduleClock, ScheduleFirer, TargetOutcome
from attendry_local.sqs_poller import QueuePoller
from attendry_local.stack import DEFAULT_STACK_NAME, LocalAddresses, LocalResource, LocalStack
from attendry_local.template import read_template
from attendry_local.topology import ScheduleDef, Topology, read_topology

log = logging.getLogger(__name__)

LOCAL_HOST = "127.0.0.1"
DEFAULT_API_PORT = 3000
DEFAULT_AWS_PORT = 4566

Extension = Callable[["LocalRuntime"], None]


class LocalRuntime:
    """Starts the AWS stand-in, creates the template's resources, starts each
    function, the queue pollers, the schedule clock and the HTTP API; stops them all.

    Ports 0 pick free ports (tests); `api_url` and `aws_endpoint` say which. Extensions
    run once everything but the HTTP API is up, to add `/_local/` routes
    (`runtime.local_routes.add(...)`) and stop callbacks (`runtime.on_stop(...)`).
    """

    def __init__(
        self,
        template_path: Path,
        *,
        api_port: int = DEFAULT_API_PORT,
        aws_port: int = DEFAULT_AWS_PORT,
        database_url: str | None = None,
        run_schedules: bool = True,
        parameter_overrides: Mapping[str, Any] | None = None,
        env_overrides: Mapping[str, str] | None = None,
        stack_name: str = DEFAULT_STACK_NAME,
        extensions: Sequence[Extension] = (),
        instances: int = DEFAULT_INSTANCES,
    ) -> None:
        self.template_path = template_path
        self.database_url = database_url
        self.jwt_secret = jwt_secret()
        self.local_routes = LocalRoutes()
        self._api_port = api_port
        self._run_schedules = run_schedules
        self._parameter_overrides = dict(parameter_overrides or {})
        self._env_overrides = dict(env_overrides or {})
        self._stack_name = stack_name
        self._extensions = list(extensions)
        self._instances = max(1, instances)
        self._aws = AwsStandIn(LOCAL_HOST, aws_port)
        self._stop_callbacks: list[Callable[[], None]] = []
        self._stack: LocalStack | None = None
        self._topology: Topology | None = None
        self._functions: FunctionPool | None = None
        self._http: HttpApiServer | None = None
        self._clock: ScheduleClock | None = None
        self._pollers: list[QueuePoller] = []
        self._aws_started = False
        self._firer: ScheduleFirer | None = None
        self._sqs: Any = None

    @property
    def stack(self) -> LocalStack:
        if self._stack is None:
            raise RuntimeError("The local runtime is not started")
        return self._stack

    @property
    def topology(self) -> Topology:
        if self._topology is None:
            raise RuntimeError("The local runtime is not started")
        return self._topology

    @property
    def api_url(self) -> str:
        return self.stack.addresses.api_url

    @property
    def aws_endpoint(self) -> str:
        return self.stack.addresses.aws_endpoint

    def start(self) -> Self:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self._http = HttpApiServer(
            host=LOCAL_HOST,
            port=self._api_port,
            routes=RouteTable([]),
            local_routes=self.local_routes,
            invoke=self.invoke,
            api_id="local",
            account_id="",
            jwt_secret=self.jwt_secret,
        )
        self._aws.start()
        self._aws_started = True
        addresses = LocalAddresses(
            aws_endpoint=self._aws.endpoint, api_url=self._http.url, stack_name=self._stack_name
        )
        template = read_template(self.template_path, addresses.pseudo_parameters())
        stack = LocalStack(template, addresses, self._parameter_overrides)
        self._stack, self._topology = stack, read_topology(stack)
        provisioner = Provisioner(stack)
        provisioner.create_secrets()
        # Functions cold-start while the rest is created; a handler's module-level code
        # that calls AWS would find secrets but maybe not yet other resources.
        functions = self._launch_functions()
        provisioner.create_resources()
        functions.wait_ready()
        self._sqs = local_client("sqs", addresses.aws_endpoint, addresses.region)
        self._firer = ScheduleFirer(
            invoke=self.invoke,
            send_to_queue=self._send_to_queue,
            account=addresses.account_id,
            region=addresses.region,
        )
        # Lambda polls a queue with as many concurrent batches as the mapping's
        # MaximumConcurrency allows; locally, as many as a function has instances.
        self._pollers = [
            QueuePoller(
                mapping,
                sqs=local_client("sqs", addresses.aws_endpoint, addresses.region),
                invoke=self.invoke,
                region=addresses.region,
            )
            for mapping in self.topology.queue_mappings
            for _ in range(min(self._instances, mapping.maximum_concurrency or self._instances))
        ]
        for poller in self._pollers:
            poller.start()
        if self._run_schedules and self.topology.schedules:
            self._clock = ScheduleClock(list(self.topology.schedules), self._firer)
            self._clock.start()
        add_control_routes(self)
        for extension in self._extensions:
            extension(self)
        self._http.routes = RouteTable(self.topology.routes)
        self._http.api_id = _api_id(stack)
        self._http.account_id = addresses.account_id
        self._http.start()

    def _launch_functions(self) -> FunctionPool:
        environments = {
            logical_id: function_environment(
                function,
                self.stack,
                database_url=self.database_url,
                overrides=self._env_overrides,
            )
            for logical_id, function in self.topology.functions.items()
        }
        self._functions = FunctionPool(
            self.topology.functions, environments, instances=self._instances
        )
        self._functions.launch()
        return self._functions

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Run `callback` when the runtime stops, before the functions and the stand-in."""
        self._stop_callbacks.append(callback)

    def stop(self) -> None:
        """Stop everything started, requests first and the stand-in last; idempotent.

        Pollers are told to stop before the workers go and joined after, since one may be
        waiting on an invocation that the workers' shutdown cuts short.
        """
        steps: list[Callable[[], None]] = []
        if self._http is not None:
            steps.append(self._http.stop)
        steps.extend(reversed(self._stop_callbacks))
        if self._clock is not None:
            steps.append(self._clock.stop)
        steps.extend(poller.request_stop for poller in self._pollers)
        if self._functions is not None:
            steps.append(self._functions.stop)
        steps.extend(poller.join for poller in self._pollers)
        if self._aws_started:
            steps.append(self._aws.stop)
        self._http, self._clock, self._functions, self._aws_started = None, None, None, False
        self._stop_callbacks, self._pollers = [], []
        for step in steps:
            try:
                step()
            except Exception:
                log.exception("Stopping the local runtime: %r failed", step)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def invoke(self, logical_id: str, event: Any) -> Invocation:
        """Invoke a function of the template as Lambda's Invoke would (RequestResponse)."""
        if self._functions is None:
            raise RuntimeError("The local runtime is not started")
        return self._functions.invoke(logical_id, event)

    def worker_pids(self) -> dict[str, list[int]]:
        """Each function's running instances' process ids."""
        return self._functions.pids() if self._functions else {}

    @property
    def firer(self) -> ScheduleFirer:
        if self._firer is None:
            raise RuntimeError("The local runtime is not started")
        return self._firer

    def resources(self) -> list[LocalResource]:
        return self.stack.resources()

    def make_token(self, sub: str) -> str:
        """A token the template's authorizer accepts for user `sub`."""
        return token_for(sub, self.topology.token_authorizer, secret=self.jwt_secret)

    def schedule(self, name: str) -> ScheduleDef:
        """A schedule by logical id, rule Name or SAM event name."""
        schedules = self.topology.schedules
        exact = [schedule for schedule in schedules if schedule.logical_id == name]
        found = exact or [schedule for schedule in schedules if name in schedule.names]
        if len(found) != 1:
            raise KeyError(name)
        return found[0]

    def fire_schedule(self, name: str, at: datetime) -> list[TargetOutcome]:
        """Deliver schedule `name` as if EventBridge fired it at `at`."""
        return self.firer.fire(self.schedule(name), at)

    def _send_to_queue(self, queue_id: str, body: str) -> str:
        queue = self.stack.resource(queue_id)
        request: dict[str, Any] = {"QueueUrl": queue.url, "MessageBody": body}
        if queue.name.endswith(".fifo"):
            request.update(MessageGroupId=queue_id, MessageDeduplicationId=str(uuid.uuid4()))
        return str(self._sqs.send_message(**request)["MessageId"])


def _api_id(stack: LocalStack) -> str:
    apis = [resource for resource in stack.resources() if resource.type == "AWS::ApiGatewayV2::Api"]
    served = [resource for resource in apis if resource.emulated]
    return served[0].name if served else "local"
