"""Configuration of agent tasks: their queues, how retries back off, and the LLM allowance.

Queue URLs are optional here because only some functions use each queue; the one that
needs a URL asks for it and fails with the variable's name if it is missing.
"""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TaskSettings(BaseSettings):
    """The AgentTasks queue and the retry policy of the agent-task worker."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    agent_tasks_queue_url: str | None = Field(default=None, alias="AGENT_TASKS_QUEUE_URL")
    agent_tasks_dlq_url: str | None = Field(default=None, alias="AGENT_TASKS_DLQ_URL")
    max_receive_count: int = Field(
        default=5,
        ge=1,
        alias="MAX_RECEIVE_COUNT",
        description="The queue's RedrivePolicy maxReceiveCount: the receive that is the last try.",
    )
    retry_base_delay_s: int = Field(default=30, ge=1, alias="TASK_RETRY_BASE_DELAY_S")
    retry_max_delay_s: int = Field(default=900, ge=1, alias="TASK_RETRY_MAX_DELAY_S")
    claim_lease_s: int = Field(
        default=180,
        ge=1,
        alias="TASK_CLAIM_LEASE_S",
        description="How long an in-progress attempt counts as alive: above the worker's "
        "120 s timeout, so only a dead attempt's task can be claimed again.",
    )
    redrive_grace_s: int = Field(default=120, ge=1, alias="TASK_REDRIVE_GRACE_S")
    redrive_batch_size: int = Field(default=100, ge=1, le=1000, alias="TASK_REDRIVE_BATCH_SIZE")
    gemini_api_key_secret_arn: str | None = Field(
        default=None,
        alias="GEMINI_API_KEY_SECRET_ARN",
        description="Secrets Manager secret whose string is the Gemini API key (AWS only).",
    )

    def queue_url(self) -> str:
        if not self.agent_tasks_queue_url:
            raise RuntimeError("AGENT_TASKS_QUEUE_URL is not set: tasks cannot be queued.")
        return self.agent_tasks_queue_url


@lru_cache(maxsize=1)
def task_settings() -> TaskSettings:
    return TaskSettings()


class TaskWorkerSettings(TaskSettings):
    """The agent-task worker's: it cannot start without both of its queues."""

    agent_tasks_queue_url: str = Field(alias="AGENT_TASKS_QUEUE_URL")
    agent_tasks_dlq_url: str = Field(alias="AGENT_TASKS_DLQ_URL")


class TaskQueueSettings(TaskSettings):
    """A function's that enqueues tasks (the re-drive, the follow-up sweep): it cannot
    start without the queue."""

    agent_tasks_queue_url: str = Field(alias="AGENT_TASKS_QUEUE_URL")
