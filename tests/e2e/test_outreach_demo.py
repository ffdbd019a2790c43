"""The product's main job, end to end, through the real template and the public HTTP API.

The same walk-through `make demo` prints: agent, contact and event created, a task queued
and completed by the Outreach agent's worker, the draft approved, the Sender handing it
to (local) SES, the email in the outbox with its headers, and its delivery status as the
local SES's Delivery event set it.
"""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from attendry.local.demo import walk_through
from attendry.local.outbox import outbox_extension
from attendry.local.runtime import LocalRuntime
from attendry.local.ses_simulator import ses_simulator_extension

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture(scope="module")
def system(database_url: str) -> Iterator[LocalRuntime]:
    runtime = LocalRuntime(
        TEMPLATE,
        api_port=0,
        aws_port=0,
        database_url=database_url,
        run_schedules=False,
        extensions=[outbox_extension, ses_simulator_extension],
    )
    with runtime:
        yield runtime


def test_one_outreach_goes_from_task_to_the_outbox(
    system: LocalRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert walk_through(system.api_url, threading.Event())

    shown = capsys.readouterr().out
    assert "completed" in shown
    assert "List-Unsubscribe-Post  List-Unsubscribe=One-Click" in shown
    assert "@email.amazonses.com>" in shown
    assert "status                 delivered" in shown
    assert "Demo complete" in shown
