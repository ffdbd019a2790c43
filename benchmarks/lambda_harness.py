"""What the benchmarks need to call a function's handler as Lambda would, and psycopg's DSN.

A handler module is loaded from its file (each function's module is named `app`, so they
cannot all be imported by name in one process), and called with a context that carries
what Powertools reads from Lambda's.
"""

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class LambdaContext:
    memory_limit_in_mb = 512
    aws_request_id = "bench"

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        )

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load_handler(root: Path, function: str) -> Handler:
    """`functions/<function>/app.py`'s `lambda_handler`, loaded under its own module name."""
    spec = importlib.util.spec_from_file_location(
        f"{function}_app", root / "functions" / function / "app.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: Handler = module.lambda_handler
    return handler


def libpq_dsn(database_url: str) -> str:
    """The SQLAlchemy URL as psycopg takes it, for the raw-SQL baselines."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)
