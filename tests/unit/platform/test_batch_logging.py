"""A consumer's unexpected failure is logged with its trace; a planned retry is not."""

import logging

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from attendry.platform.queue import logging_failures


class PlannedRetryError(Exception):
    pass


RECORD = SQSRecord({"messageId": "m-1", "body": "{}"})


def test_an_unexpected_error_is_logged_then_reported(caplog: pytest.LogCaptureFixture) -> None:
    def broken(record: SQSRecord) -> None:
        raise KeyError("settings")

    with pytest.raises(KeyError):
        logging_failures(broken, planned=(PlannedRetryError,))(RECORD)

    [logged] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged.getMessage() == "Queue message failed"
    assert logged.exc_info is not None
    assert logged.exc_info[0] is KeyError


def test_a_planned_retry_is_reported_without_an_error_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def later(record: SQSRecord) -> None:
        raise PlannedRetryError

    with pytest.raises(PlannedRetryError):
        logging_failures(later, planned=(PlannedRetryError,))(RECORD)

    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
