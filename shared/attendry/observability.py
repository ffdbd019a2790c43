"""The one logger, tracer and metrics of the package.

Created once per execution environment so every module logs with the same service name
and correlation id, as Powertools expects.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
