"""Classification on real mail: every sample in tests/fixtures/mail/<kind>/ is of that kind.

The samples come from public test corpora (tests/fixtures/mail/SOURCES.md), not written
here; the folder a sample sits in is the expected kind, so adding a mail adds a case.
"""

from pathlib import Path

import pytest

from attendry.db.models.inbound import InboundKind
from attendry.email.inbound import parse_inbound_email
from attendry.email.settings import EmailSettings
from attendry.inbound.classification import OUT_OF_OFFICE_PHRASES, classify

MAIL = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
SAMPLES = sorted(MAIL.glob("*/*.eml"))
SETTINGS = EmailSettings(
    STAGE="local",
    UNSUBSCRIBE_SECRET="test-secret",
    SENDER_DOMAIN="attendry.example",
    REPLY_DOMAIN="reply.attendry.example",
    UNSUBSCRIBE_MAILTO="unsubscribe",
)


def _classify(raw: bytes) -> tuple[InboundKind, str]:
    found = classify(parse_inbound_email(raw, settings=SETTINGS))
    return found.kind, found.reason


def test_the_corpus_covers_every_kind_with_forty_samples() -> None:
    kinds = {path.parent.name for path in SAMPLES}
    assert kinds == {kind.value for kind in InboundKind}
    assert len(SAMPLES) >= 40


@pytest.mark.parametrize("path", SAMPLES, ids=[f"{p.parent.name}/{p.stem}" for p in SAMPLES])
def test_each_real_mail_is_classified_as_its_folder_says(path: Path) -> None:
    kind, reason = _classify(path.read_bytes())
    assert kind.value == path.parent.name, reason
    assert reason


def test_every_sample_is_listed_in_sources() -> None:
    sources = (MAIL / "SOURCES.md").read_text(encoding="utf-8")
    missing = [
        f"{p.parent.name}/{p.name}" for p in SAMPLES if f"{p.parent.name}/{p.name}" not in sources
    ]
    assert missing == []


def _mail(headers: str, body: str = "Thanks, see you there.") -> bytes:
    return (
        "From: Jonas Berg <jonas@example.se>\r\nTo: reply+x@reply.attendry.example\r\n"
        f"{headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("subject", "language"),
    [
        ("Automatiskt svar: DevSummit", "sv"),
        ("自動応答: DevSummit", "ja"),
        ("自动回复: DevSummit", "zh-hans"),
        ("自動回覆: DevSummit", "zh-hant"),
        ("Автоматический ответ: DevSummit", "ru"),
        ("Automatische Antwort: DevSummit", "de"),
        ("Réponse automatique : DevSummit", "fr"),
        ("Respuesta automática: DevSummit", "es"),
        ("Resposta automática: DevSummit", "pt"),
        ("Risposta automatica: DevSummit", "it"),
        ("Automatisch antwoord: DevSummit", "nl"),
        ("Automatisk svar: DevSummit", "da"),
        ("Automaattinen vastaus: DevSummit", "fi"),
        ("Automatyczna odpowiedź: DevSummit", "pl"),
        ("Automatická odpověď: DevSummit", "cs"),
        ("Otomatik yanıt: DevSummit", "tr"),  # noqa: RUF001 (the Turkish dotless i)
        ("자동 회신: DevSummit", "ko"),
        ("رد تلقائي: DevSummit", "ar"),
        ("תשובה אוטומטית: DevSummit", "he"),
        ("स्वचालित उत्तर: DevSummit", "hi"),
        ("AUTO: Jonas Berg is out of the office (returning 12/01/2026)", "en"),
    ],
)
def test_an_exchange_auto_reply_subject_is_known_in_each_language(
    subject: str, language: str
) -> None:
    """Exchange's out-of-office reply in the sender's language, without Auto-Submitted."""
    assert _classify(_mail(f"Subject: {subject}\r\n")) == (
        InboundKind.AUTO_REPLY,
        f"subject matches out-of-office phrase ({language})",
    )


def test_the_phrase_data_covers_twenty_languages() -> None:
    assert len(OUT_OF_OFFICE_PHRASES) >= 20


@pytest.mark.parametrize(
    "subject",
    ["Re: Out of office hours for the keynote", "AW: Abwesenheit im Januar?", "Re: DevSummit"],
)
def test_a_person_answering_a_thread_about_absence_is_a_reply(subject: str) -> None:
    assert _classify(_mail(f"Subject: {subject}\r\n"))[0] is InboundKind.REPLY


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-replied\r\n", "header Auto-Submitted: auto-replied"),
        ("X-Autoreply: yes\r\n", "header X-Autoreply present"),
        ("X-Autorespond: Re: DevSummit\r\n", "header X-Autorespond present"),
        ("X-Auto-Response-Suppress: All\r\n", "header X-Auto-Response-Suppress: All"),
        ("X-Auto-Response-Suppress: DR, OOF\r\n", "header X-Auto-Response-Suppress: DR, OOF"),
        ("Precedence: auto_reply\r\n", "header Precedence: auto_reply"),
        ("Precedence: junk\r\n", "header Precedence: junk"),
        ("X-Precedence: bulk\r\n", "header Precedence: bulk"),
    ],
)
def test_auto_reply_headers(headers: str, reason: str) -> None:
    assert _classify(_mail(f"{headers}Subject: Re: DevSummit\r\n")) == (
        InboundKind.AUTO_REPLY,
        reason,
    )


def test_auto_submitted_no_is_a_person() -> None:
    assert _classify(_mail("Auto-Submitted: no\r\nSubject: Re: DevSummit\r\n"))[0] is (
        InboundKind.REPLY
    )


def test_a_list_post_is_a_list_even_with_auto_headers() -> None:
    raw = _mail("Precedence: list\r\nSubject: [speakers] agenda\r\n")
    assert _classify(raw) == (InboundKind.LIST, "header Precedence: list")


def test_an_empty_return_path_alone_is_a_bounce() -> None:
    raw = _mail("Return-Path: <>\r\nSubject: Your message\r\n")
    assert _classify(raw) == (InboundKind.BOUNCE, "empty Return-Path <>")


def test_a_person_quoting_a_bounce_subject_is_a_reply() -> None:
    raw = _mail("Subject: Re: Undeliverable: DevSummit\r\n", "My colleague's address changed.")
    assert _classify(raw)[0] is InboundKind.REPLY


def test_mail_without_a_sender_is_other() -> None:
    raw = b"To: reply+x@reply.attendry.example\r\nSubject: hello\r\n\r\nhi\r\n"
    assert _classify(raw) == (InboundKind.OTHER, "no sender address")
