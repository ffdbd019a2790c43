"""The one logger and metrics of the package (the tracer is in `attendry.tracing`).

Created once per execution environment so every module logs with the same service name
and correlation id, as Powertools expects.
"""

import warnings

from aws_lambda_powertools import Logger, Metrics

# An invocation with nothing to count is normal (a health check, an empty re-drive);
# Powertools would print a warning into the function's log for each one.
warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)

logger = Logger()
metrics = Metrics()
