"""AgentTasks SQS consumer: runs each queued task's agent, reporting partial batch failures."""

from attendry.platform.handlers import sqs_batch_handler
from attendry.tasks.runner import runner_from_settings
from attendry.tasks.settings import TaskWorkerSettings
from attendry.wiring import TASK_HANDLERS, connect_features

connect_features()
settings = TaskWorkerSettings()

# A batch where every record failed is still a partial response: each item's retry is
# already scheduled through its visibility, so the invocation itself must not fail.
# The runner is built on the first batch: its drafter may read a secret from AWS.
lambda_handler = sqs_batch_handler(
    lambda: runner_from_settings(settings, TASK_HANDLERS), raise_on_entire_batch_failure=False
)
