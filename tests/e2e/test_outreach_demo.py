"""The product's main job, end to end, through the real template and the public HTTP API.

The same walk-through `make demo` prints: agent, contact and event created, a task queued
and completed by the Outreach agent's worker, the draft approved, the Sender handing it
to (local) SES, the email in the outbox with its headers, and its delivery status as the
local SES's Delivery event set it.
"""

import threading

import pytest

from attendry_local.demo import walk_through
from attendry_local.runtime import LocalRuntime


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
