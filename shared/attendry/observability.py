"""The one logger, tracer and metrics of the package.

Created once per execution environment so every module logs with the same service name
and correlation id, as Powertools expects.
"""

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

# An invocation with nothing to count is normal (a health check, an empty re-drive);
# Powertools would print a warning into the function's log for each one.
warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
