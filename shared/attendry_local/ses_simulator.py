"""Local SES event publishing: the events SES would publish for each email the stand-in
accepts, in SES's own format, to the configuration set's SNS topic from the template.

moto accepts SendEmail but publishes no events and drops what they are built from: the
configuration set and the EmailTags (the `sent_id` tag that lets a `Send` event reconcile
a send whose outcome was lost). Real SES gets those from the SendEmail request itself,
so this simulator reads them from the same place: it records each SendEmail request the
in-process stand-in answers successfully (a thin wrapper on moto's SES v2 `send_email`,
installed once per process, local mode only). The alternatives were worse: looking the
sent row up by SES message id in the database races the Sender (the id is recorded only
after SES answers) and can never simulate the lost-outcome case the tag exists for; a
tags header added in local mode would change the email the product sends.

For each recorded email it publishes `Send`, then, per recipient, what the SES mailbox
simulator does (https://docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html,
"Using the mailbox simulator manually"; labels such as `bounce+x@` included):
`success@` and any other address: `Delivery`; `bounce@`: `Bounce` (Permanent, General,
550 5.1.1 user unknown); `complaint@`: `Delivery` then `Complaint` (abuse);
`suppressionlist@`: `Bounce` (Permanent, Suppressed), since SES documents it as "a hard
bounce as if the recipient's address is on the global suppression list" — a bounce, not a
`Reject` (SES publishes `Reject` only for a virus). Events go through moto's SNS, so every
subscription of the topic (the SQS queue, the HTTPS webhook) receives them, as on AWS.

`POST /_local/ses/events` publishes one event record given by hand the same way. SES
publishes an email's events through the configuration set it was sent with, so a record
whose `mail.messageId` is an email the stand-in accepted goes through that email's set,
whatever its `ses:configuration-set` tag says (a record copied from AWS's documentation
names `ConfigSet`), and the tag is set to it, as in every record SES publishes. A record of
any other message goes through the set its tag names; one naming neither is refused.
"""

import base64
import binascii
import json
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from attendry_local.apigw import HttpResponse, json_response
from attendry_local.aws import local_client
from attendry_local.local_routes import LocalRequest, LocalRouteError
from attendry_local.ses_mailbox import (
    CONFIGURATION_SET_TAG,
    AcceptedEmail,
    simulated_events,
)
from attendry_local.stack import LocalStack

if TYPE_CHECKING:
    from attendry_local.runtime import LocalRuntime

log = logging.getLogger(__name__)

EVENTS_PATH = "/_local/ses/events"
_POLL_S = 0.25


# ------------------------------------------------------------------ recording SendEmail

Listener = Callable[[AcceptedEmail], None]
_listeners: list[Listener] = []
_listeners_lock = threading.Lock()
_installed = False


def _destinations(destination: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        address
        for kind in ("ToAddresses", "CcAddresses", "BccAddresses")
        for address in destination.get(kind) or []
    )


def _accepted_email(
    params: dict[str, Any], answer: str, region: str, account: str
) -> AcceptedEmail:
    content = params.get("Content") or {}
    raw = None
    if "Raw" in content:
        raw = base64.b64decode(content["Raw"]["Data"]).decode("utf-8", errors="replace")
    subject = ((content.get("Simple") or {}).get("Subject") or {}).get("Data")
    return AcceptedEmail(
        ses_message_id=json.loads(answer)["MessageId"],
        accepted_at=datetime.now(UTC),
        source=str(params.get("FromEmailAddress") or ""),
        destinations=_destinations(params.get("Destination") or {}),
        tags={str(t["Name"]): str(t["Value"]) for t in params.get("EmailTags") or []},
        configuration_set=params.get("ConfigurationSetName"),
        raw=raw,
        subject=subject,
        region=region,
        account_id=account,
    )


def install_send_email_recorder() -> None:
    """Wrap moto's SES v2 SendEmail once per process; listeners then hear every success."""
    global _installed
    with _listeners_lock:
        if _installed:
            return
        from moto.sesv2.responses import SESV2Response

        original = SESV2Response.send_email

        def send_email(response: Any) -> Any:
            answer = original(response)
            try:
                email = _accepted_email(
                    json.loads(response.body), answer, response.region, response.current_account
                )
            except (KeyError, TypeError, ValueError, binascii.Error):
                log.exception("The SES simulator could not read a SendEmail request")
                return answer
            with _listeners_lock:
                listeners = list(_listeners)
            for listener in listeners:
                listener(email)
            return answer

        SESV2Response.send_email = send_email  # type: ignore[method-assign, assignment]
        _installed = True


def _listen(listener: Listener) -> None:
    with _listeners_lock:
        _listeners.append(listener)


def _stop_listening(listener: Listener) -> None:
    with _listeners_lock:
        if listener in _listeners:
            _listeners.remove(listener)


# ----------------------------------------------------------------------- publishing


def _event_type_key(name: str) -> str:
    """`Rendering Failure`, `renderingFailure` and `RENDERING_FAILURE` name one type."""
    return name.replace(" ", "").replace("_", "").lower()


@dataclass(frozen=True)
class SnsEventDestination:
    name: str
    topic_arn: str
    event_types: frozenset[str]

    def publishes(self, event_type: str) -> bool:
        return _event_type_key(event_type) in self.event_types


@dataclass
class EventDestinations:
    """The template's configuration sets' SNS event destinations, and each sending
    identity's default configuration set."""

    by_configuration_set: dict[str, list[SnsEventDestination]] = field(default_factory=dict)
    default_set_by_identity: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_stack(cls, stack: LocalStack) -> "EventDestinations":
        found = cls()
        for logical_id in stack.logical_ids("AWS::SES::ConfigurationSetEventDestination"):
            properties = stack.properties(logical_id)
            destination = properties.get("EventDestination") or {}
            sns = destination.get("SnsDestination")
            if not sns or destination.get("Enabled") is False:
                continue
            found.by_configuration_set.setdefault(
                str(properties["ConfigurationSetName"]), []
            ).append(
                SnsEventDestination(
                    name=str(destination.get("Name") or logical_id),
                    topic_arn=str(sns["TopicARN"]),
                    event_types=frozenset(
                        _event_type_key(str(t)) for t in destination.get("MatchingEventTypes", [])
                    ),
                )
            )
        for logical_id in stack.logical_ids("AWS::SES::EmailIdentity"):
            properties = stack.properties(logical_id)
            default_set = (properties.get("ConfigurationSetAttributes") or {}).get(
                "ConfigurationSetName"
            )
            if default_set:
                found.default_set_by_identity[str(properties["EmailIdentity"]).lower()] = str(
                    default_set
                )
        return found

    def configuration_set_of(self, email: AcceptedEmail) -> str | None:
        """The request's configuration set, else its sending identity's default one."""
        if email.configuration_set:
            return email.configuration_set
        sender = parseaddr(email.source)[1].lower()
        return self.default_set_by_identity.get(sender) or self.default_set_by_identity.get(
            sender.rpartition("@")[2]
        )


class SesEventPublisher:
    """Publishes event records to the SNS topics of a configuration set's destinations."""

    def __init__(self, destinations: EventDestinations, sns: Any) -> None:
        self.destinations = destinations
        self.sns = sns

    def publish(self, event: dict[str, Any], configuration_set: str) -> list[dict[str, str]]:
        published = []
        for destination in self.destinations.by_configuration_set.get(configuration_set, []):
            if destination.publishes(str(event.get("eventType", ""))):
                answer = self.sns.publish(
                    TopicArn=destination.topic_arn,
                    Message=json.dumps(event, separators=(",", ":")),
                )
                published.append(
                    {"topic_arn": destination.topic_arn, "sns_message_id": answer["MessageId"]}
                )
        return published


class SesSimulator:
    """Hears the stand-in's accepted emails and publishes their events from a thread of its
    own, so a SendEmail call never waits for SNS."""

    def __init__(self, publisher: SesEventPublisher, now: Callable[[], datetime] | None = None):
        self.publisher = publisher
        self.now = now or (lambda: datetime.now(UTC))
        self._inbox: queue.Queue[AcceptedEmail] = queue.Queue()
        self._sent_with: dict[str, str] = {}
        self._sent_with_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        install_send_email_recorder()
        _listen(self._accepted)
        self._thread = threading.Thread(target=self._run, name="ses-simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        _stop_listening(self._accepted)
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _accepted(self, email: AcceptedEmail) -> None:
        """Keep the email's configuration set before SendEmail answers, so an event posted
        for the message id the Sender is given already finds it; publish from the thread."""
        configuration_set = self.publisher.destinations.configuration_set_of(email)
        if configuration_set is not None:
            with self._sent_with_lock:
                self._sent_with[email.ses_message_id] = configuration_set
        self._inbox.put(email)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                email = self._inbox.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            try:
                self.simulate(email)
            except Exception:
                log.exception("The SES simulator could not publish the events of an email")

    def simulate(self, email: AcceptedEmail) -> list[dict[str, str]]:
        configuration_set = self.publisher.destinations.configuration_set_of(email)
        if configuration_set is None:
            return []
        published = []
        for event in simulated_events(email, configuration_set, now=self.now):
            published.extend(self.publisher.publish(event, configuration_set))
        return published

    def publish_route(self, request: LocalRequest) -> HttpResponse:
        """`POST /_local/ses/events`: one SES event record, published as SES would."""
        event = request.json()
        if not isinstance(event, dict) or not isinstance(event.get("eventType"), str):
            raise LocalRouteError(
                400, 'Give one SES event record: a JSON object with "eventType" and "mail".'
            )
        mail = event.get("mail")
        if not isinstance(mail, dict):
            raise LocalRouteError(400, 'The record has no "mail" object.')
        stated = mail.get("tags")
        tags: dict[str, Any] = stated if isinstance(stated, dict) else {}
        configuration_set = self._sent_with_set(mail.get("messageId"))
        if configuration_set is None:
            configuration_set = self._tagged_set(mail.get("messageId"), tags)
        else:
            mail["tags"] = {**tags, CONFIGURATION_SET_TAG: [configuration_set]}
        published = self.publisher.publish(event, configuration_set)
        if not published:
            raise LocalRouteError(
                422,
                f"No event destination of configuration set {configuration_set} publishes "
                f"{event['eventType']} events.",
            )
        return json_response(202, {"configuration_set": configuration_set, "published": published})

    def _sent_with_set(self, message_id: Any) -> str | None:
        """The configuration set the accepted email `message_id` was sent with, if any."""
        if not isinstance(message_id, str):
            return None
        with self._sent_with_lock:
            return self._sent_with.get(message_id)

    def _tagged_set(self, message_id: Any, tags: dict[str, Any]) -> str:
        """The configuration set the record's tag names, when the template has it."""
        named = tags.get(CONFIGURATION_SET_TAG)
        tagged = str(named[0]) if isinstance(named, list) and named else None
        known = self.publisher.destinations.by_configuration_set
        if tagged is not None and tagged in known:
            return tagged
        raise LocalRouteError(
            422,
            f"mail.messageId {message_id!r} is no email the local SES accepted, and "
            f'mail.tags["{CONFIGURATION_SET_TAG}"] names {tagged!r}, not a configuration set '
            f"with an event destination in the template ({', '.join(sorted(known)) or 'none'}).",
        )


def ses_simulator_extension(runtime: "LocalRuntime") -> None:
    """A LocalRuntime extension: `LocalRuntime(..., extensions=[ses_simulator_extension])`."""
    addresses = runtime.stack.addresses
    publisher = SesEventPublisher(
        EventDestinations.from_stack(runtime.stack),
        local_client("sns", addresses.aws_endpoint, addresses.region),
    )
    simulator = SesSimulator(publisher)
    simulator.start()
    runtime.on_stop(simulator.stop)
    runtime.local_routes.add("POST", EVENTS_PATH, simulator.publish_route)
