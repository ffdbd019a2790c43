"""The one logger and metrics of the package (the tracer is in `attendry.core.tracing`).

Created once per execution environment so every module logs with the same service name
and correlation id, as Powertools expects.
"""

import os
import warnings

from aws_lambda_powertools import Logger, Metrics

DEFAULT_METRICS_NAMESPACE = "Attendry"
"""The template's POWERTOOLS_METRICS_NAMESPACE, for handlers run without it (tests, scripts):
Powertools refuses to publish metrics without a namespace."""

# An invocation with nothing to count is normal (a health check, an empty re-drive);
# Powertools would print a warning into the function's log for each one.
warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)

logger = Logger()
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_METRICS_NAMESPACE
)
