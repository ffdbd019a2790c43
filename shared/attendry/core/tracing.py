"""The X-Ray tracer, apart from the logger and metrics on purpose.

Creating Powertools' Tracer imports the X-Ray SDK and botocore: about 300 ms of cold start
on this kind of machine. The queue and schedule workers, whose cold start no user waits
on, trace their calls to Gemini, SES and SQS with it. The API function does not import it:
its invocations are still traced by Lambda's active tracing and API Gateway, and a user
waits on its cold start.
"""

from aws_lambda_powertools import Tracer

tracer = Tracer()
