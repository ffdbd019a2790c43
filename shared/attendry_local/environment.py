"""The environment each function's process gets: Lambda's own variables, then the
template's (resolved to local values), then what running locally requires.

Nothing else leaks in from the shell that started the runtime, so a function that works
locally is not relying on a variable the deployed function will never have.
"""

import os
import uuid
from collections.abc import Mapping

from attendry_local.aws import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
from attendry_local.intrinsics import NO_VALUE
from attendry_local.sns_https import local_sns_endpoint
from attendry_local.stack import LocalStack
from attendry_local.topology import FunctionDef

# Deployed functions reach PostgreSQL through RDS Proxy with these; locally DATABASE_URL
# replaces them all.
DATABASE_VARIABLES = frozenset({"DB_SECRET_ARN", "DB_HOST", "DB_PORT", "DB_NAME"})

# What the operating system itself needs to run a process; not configuration.
_HOST_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


def function_environment(
    function: FunctionDef,
    stack: LocalStack,
    *,
    database_url: str | None,
    overrides: Mapping[str, str],
) -> dict[str, str]:
    """Lambda's reserved variables < the template's < local wiring < explicit overrides."""
    region = stack.addresses.region
    environment = {name: os.environ[name] for name in _HOST_VARIABLES if name in os.environ}
    environment.update(
        {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[$LATEST]{uuid.uuid4().hex}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "LAMBDA_TASK_ROOT": str(function.code_dir),
            "_HANDLER": function.handler,
            "TZ": ":UTC",
        }
    )
    for name, value in function.environment.items():
        if name in DATABASE_VARIABLES:
            continue
        resolved = stack.resolve(value)
        if resolved is not NO_VALUE:
            environment[name] = _as_variable(resolved)
    environment.update(
        {
            "AWS_ENDPOINT_URL": stack.addresses.aws_endpoint,
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
            # A developer's ~/.aws must not redirect or authenticate local calls.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # There is no X-Ray daemon locally.
            "POWERTOOLS_TRACE_DISABLED": "true",
            "STAGE": "local",
            "SNS_LOCAL_ENDPOINT": local_sns_endpoint(stack.addresses.api_url),
        }
    )
    if database_url:
        environment["DATABASE_URL"] = database_url
    environment.update(overrides)
    return environment


def _as_variable(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
