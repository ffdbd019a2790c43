"""The local system as `make dev` runs it: the template plus every local stand-in.

One place for the extensions and parameter overrides, so `attendry-local`, the demo and
the end-to-end tests run exactly the same wiring.
"""

from collections.abc import Mapping
from pathlib import Path

from attendry_local.functions import DEFAULT_INSTANCES
from attendry_local.inbound import inbound_extension
from attendry_local.outbox import outbox_extension
from attendry_local.runtime import DEFAULT_API_PORT, DEFAULT_AWS_PORT, LOCAL_HOST, LocalRuntime
from attendry_local.ses_simulator import ses_simulator_extension
from attendry_local.sns_https import sns_https_extension
from attendry_local.stack import LocalAddresses, LocalStack
from attendry_local.template import read_template
from attendry_local.topology import JwtAuthorizerDef, read_topology

# Locally the SES events topic is also delivered to the webhook, so both ways in run.
LOCAL_PARAMETERS = {"SesWebhookSubscription": "true"}
EXTENSIONS = (outbox_extension, inbound_extension, sns_https_extension, ses_simulator_extension)


def local_system(
    template: Path,
    *,
    database_url: str,
    api_port: int,
    aws_port: int,
    run_schedules: bool = True,
    env_overrides: Mapping[str, str] | None = None,
    instances: int = DEFAULT_INSTANCES,
) -> LocalRuntime:
    return LocalRuntime(
        template,
        api_port=api_port,
        aws_port=aws_port,
        database_url=database_url,
        run_schedules=run_schedules,
        parameter_overrides=LOCAL_PARAMETERS,
        env_overrides=env_overrides,
        extensions=EXTENSIONS,
        instances=instances,
    )


def token_authorizer(template: Path) -> JwtAuthorizerDef | None:
    """The authorizer local tokens are made for, read from the template as `local_system`
    reads it but without starting anything: its issuer and audience name no port."""
    addresses = LocalAddresses(
        aws_endpoint=f"http://{LOCAL_HOST}:{DEFAULT_AWS_PORT}",
        api_url=f"http://{LOCAL_HOST}:{DEFAULT_API_PORT}",
    )
    stack = LocalStack(
        read_template(template, addresses.pseudo_parameters()), addresses, LOCAL_PARAMETERS
    )
    return read_topology(stack).token_authorizer
