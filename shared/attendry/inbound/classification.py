"""What a received email is: a person's reply, an auto-reply, a delivery report, a list post.

Pure: the parsed message in, a kind and a short machine-readable reason out. The order
of the checks is the point, because one mail often carries several signs (Postfix puts
`Auto-Submitted: auto-replied` on its bounces, an out-of-office reply comes with an empty
Return-Path like a bounce):
1. a delivery report (`multipart/report; report-type=delivery-status`, a
   `message/delivery-status` part, `X-Failed-Recipients`, a MAILER-DAEMON or postmaster
   sender, a delivery-failure subject): `bounce`, never a reply;
2. another machine report (read receipt, abuse feedback): `other`;
3. a mailing-list post (`List-Id`, `Precedence: list`): `list`, before the auto-reply
   headers, which list software and notification senders set too (GitHub's list mail
   carries `X-Auto-Response-Suppress: All` and `Precedence: bulk`);
4. an auto-reply header (RFC 3834 `Auto-Submitted`, Exchange's `X-Auto-Response-Suppress`
   and inbox-rule headers, the vendors' `X-Autoreply` family) or `Precedence`
   auto_reply/bulk/junk: `auto_reply`;
5. an out-of-office subject in one of the languages of `OUT_OF_OFFICE_PHRASES`, looked
   for before the first reply prefix ("Automatic reply: Re: ..." is one, "Re: Out of
   office hours" is a person answering): `auto_reply`;
6. an empty Return-Path with none of the above: `bounce` (only machines send `<>`);
7. no sender address: `other`; anything else is a `reply`.
A wrong `reply` stops a sequence the user wanted running, a wrong `auto_reply` keeps
writing to someone who answered; the tests on real mail (tests/fixtures/mail) hold both.
"""

import re
from dataclasses import dataclass
from email.message import EmailMessage

from attendry.db.models.inbound import InboundKind
from attendry.email.inbound import InboundEmail, header_values

# Out-of-office subject phrases, by language (ISO 639-1; zh-hans/zh-hant for Chinese).
# Lower case; a phrase in Latin script must stand as whole words, one in another script
# is found anywhere (Chinese, Japanese and Thai put no spaces between words).
OUT_OF_OFFICE_PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "out of office",
        "out of the office",
        "automatic reply",
        "auto reply",
        "auto-reply",
        "autoreply",
        "auto response",
        "auto-response",
        "autoresponse",
        "away from the office",
        "away from my desk",
        "on vacation",
        "on holiday",
        "on leave",
        "on annual leave",
        "vacation reply",
        "is out of the office",
    ),
    "de": (
        "abwesenheitsnotiz",
        "automatische antwort",
        "abwesenheit",
        "abwesend",
        "nicht im büro",
        "außer haus",
        "im urlaub",
    ),
    "fr": (
        "réponse automatique",
        "absence du bureau",
        "absent du bureau",
        "absente du bureau",
        "message d'absence",
        "en congé",
        "en vacances",
    ),
    "es": (
        "respuesta automática",
        "respuesta automatica",
        "fuera de la oficina",
        "fuera de oficina",
        "de vacaciones",
        "ausente",
    ),
    "pt": (
        "resposta automática",
        "resposta automatica",
        "fora do escritório",
        "ausência",
        "de férias",
    ),
    "it": ("risposta automatica", "fuori ufficio", "fuori sede", "assente", "in ferie"),
    "nl": (
        "automatisch antwoord",
        "automatisch bericht",
        "afwezig",
        "afwezigheid",
        "buiten kantoor",
        "met vakantie",
    ),
    "sv": ("automatiskt svar", "frånvaromeddelande", "frånvarande", "inte på kontoret"),
    "da": ("automatisk svar", "fraværende", "ikke på kontoret", "autosvar", "på ferie"),
    "no": ("automatisk svar", "fraværende", "ikke på kontoret", "autosvar", "fravær"),
    "fi": (
        "automaattinen vastaus",
        "automaattivastaus",
        "poissa toimistolta",
        "poissaolo",
        "lomalla",
    ),
    "pl": (
        "automatyczna odpowiedź",
        "odpowiedź automatyczna",
        "poza biurem",
        "nieobecność",
        "nieobecny",
        "nieobecna",
    ),
    "cs": ("automatická odpověď", "mimo kancelář", "nepřítomnost", "nepřítomen", "nepřítomna"),
    "ru": (
        "автоматический ответ",
        "автоответ",
        "нет на месте",
        "вне офиса",
        "отсутствую",
        "в отпуске",
        "отсутствие",
    ),
    # Cyrillic and Turkish letters that ruff takes for Latin look-alikes are meant here.
    "uk": ("автоматична відповідь", "поза офісом", "у відпустці"),  # noqa: RUF001
    "tr": ("otomatik yanıt", "otomatik cevap", "ofis dışında", "izindeyim", "ofiste değilim"),  # noqa: RUF001
    "ja": ("自動応答", "自動返信", "自動送信", "不在", "外出中", "休暇中"),
    "zh-hans": ("自动回复", "自动答复", "不在办公室", "外出", "休假"),
    "zh-hant": ("自動回覆", "自動回复", "自動答覆", "不在辦公室", "外出", "休假"),
    "ko": ("자동 회신", "자동회신", "자동 응답", "자동응답", "부재중", "부재 중", "휴가"),
    "ar": ("رد تلقائي", "الرد التلقائي", "خارج المكتب", "إجازة"),
    "he": ("מענה אוטומטי", "תשובה אוטומטית", "מחוץ למשרד", "חופשה"),
    "hi": ("स्वचालित उत्तर", "स्वतः उत्तर", "कार्यालय से बाहर", "अवकाश"),
    "id": ("balasan otomatis", "di luar kantor", "sedang cuti"),
    "hu": ("automatikus válasz", "házon kívül", "szabadságon"),
    "ro": ("răspuns automat", "în afara biroului", "în concediu"),
    "el": ("αυτόματη απάντηση", "εκτός γραφείου"),
    "vi": ("trả lời tự động", "vắng mặt"),
    "th": ("ตอบกลับอัตโนมัติ", "ไม่อยู่ที่สำนักงาน"),
}
# Lotus Notes / Domino: "AUTO: Jane Doe is out of the office (returning 12/01/2025)".
_AUTO_PREFIX = re.compile(r"^\s*auto\s*:", re.IGNORECASE)
# Reply and forward prefixes in the same languages, at the start or after another
# prefix's colon: what follows one is the thread's subject, which a person answering
# keeps (and which may itself say "vacation"); "Автоматический ответ:" is no prefix.
_REPLY_PREFIX = re.compile(
    r"(?:^\s*|[:\]]\s*)(?:re|aw|sv|vs|odp|odg|antw|ref|rif|res|yn|ynt|fw|fwd|wg|tr|rv|"
    r"ответ|回复|回覆|答复|答覆|返信|رد|השב)\s*(?:\[\d+\])?\s*[:\uff1a]",
    re.IGNORECASE,
)
# Delivery-failure subjects of the MTAs we know (anchored: "Re: Undeliverable" is a person).
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:undeliverable|undelivered mail|undeliverable mail|delivery status notification|"
    r"delivery failure|delivery notification|failure notice|mail delivery failed|"
    r"mail delivery failure|returned mail|delivery failed|message not delivered|"
    r"mail system error|non[- ]?delivery|nondeliverable|could not send message|"
    r"warning: could not send|unzustellbar|nicht zustellbar|non remis|"
    r"no se puede entregar|não entregue|impossibile recapitare|onbestelbaar|"
    r"kan inte levereras|message bounced|bounced mail)",
    re.IGNORECASE,
)
_DAEMON_LOCAL_PARTS = frozenset(
    {"mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "postmaster", "mailer"}
)
_DAEMON_NAME = re.compile(r"mail delivery (?:subsystem|system|service)|mailer.daemon", re.I)
_AUTO_FLAG_HEADERS = (
    "X-Autoreply",
    "X-Autorespond",
    "X-Autogenerated",
    "X-Autoreply-From",
    "X-Mail-Autoreply",
    # Exchange puts these on what an inbox rule or the out-of-office assistant sends.
    "X-MS-Exchange-Inbox-Rules-Loop",
)
_AUTO_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk"})
# Exchange: All, or a list naming the responses to suppress (OOF, AutoReply, DR, RN, NRN).
_SUPPRESS_AUTO = re.compile(r"\b(?:all|oof|autoreply)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Classification:
    kind: InboundKind
    reason: str


def classify(email: InboundEmail) -> Classification:
    """The kind of `email` and why, by the order in this module's docstring."""
    message = email.message
    for check in (_delivery_report, _list_post, _auto_header):
        found = check(message, email)
        if found is not None:
            return found
    language = _out_of_office_language(email.subject)
    if language is not None:
        return Classification(
            InboundKind.AUTO_REPLY, f"subject matches out-of-office phrase ({language})"
        )
    if any(value.strip() == "<>" for value in header_values(message, "Return-Path")):
        return Classification(InboundKind.BOUNCE, "empty Return-Path <>")
    if email.from_address is None:
        return Classification(InboundKind.OTHER, "no sender address")
    return Classification(InboundKind.REPLY, "no automatic-mail signal")


def _delivery_report(message: EmailMessage, email: InboundEmail) -> Classification | None:
    content_type = message.get_content_type()
    report_type = str(message.get_param("report-type", "", header="content-type")).lower()
    if content_type == "multipart/report" and report_type == "delivery-status":
        return Classification(InboundKind.BOUNCE, "multipart/report; report-type=delivery-status")
    part_types = {part.get_content_type() for part in message.walk()}
    if "message/delivery-status" in part_types:
        return Classification(InboundKind.BOUNCE, "message/delivery-status part")
    if content_type == "multipart/report":
        return Classification(InboundKind.OTHER, f"multipart/report; report-type={report_type}")
    if "message/disposition-notification" in part_types:
        return Classification(InboundKind.OTHER, "message/disposition-notification part")
    if header_values(message, "X-Failed-Recipients"):
        return Classification(InboundKind.BOUNCE, "header X-Failed-Recipients")
    if email.from_address is not None:
        local_part = email.from_address.rsplit("@", 1)[0].lower()
        if local_part in _DAEMON_LOCAL_PARTS:
            return Classification(InboundKind.BOUNCE, f"sender {local_part}")
    if _DAEMON_NAME.search(email.from_name):
        return Classification(InboundKind.BOUNCE, "sender name mail delivery system")
    if _BOUNCE_SUBJECT.match(email.subject):
        return Classification(InboundKind.BOUNCE, "subject matches delivery-failure phrase")
    return None


def _auto_header(message: EmailMessage, _email: InboundEmail) -> Classification | None:
    auto_submitted = header_values(message, "Auto-Submitted")
    if auto_submitted:
        # "auto-replied (zimbra; vacation)": the keyword, without its comment or parameters.
        value = re.split(r"[;(]", auto_submitted[0])[0].strip().lower()
        if value != "no":
            return Classification(InboundKind.AUTO_REPLY, f"header Auto-Submitted: {value}")
    for name in _AUTO_FLAG_HEADERS:
        if header_values(message, name):
            return Classification(InboundKind.AUTO_REPLY, f"header {name} present")
    suppress = " ".join(header_values(message, "X-Auto-Response-Suppress"))
    if _SUPPRESS_AUTO.search(suppress):
        return Classification(
            InboundKind.AUTO_REPLY, f"header X-Auto-Response-Suppress: {suppress.strip()}"
        )
    precedence = header_values(message, "Precedence") + header_values(message, "X-Precedence")
    for value in (value.strip().lower() for value in precedence):
        if value in _AUTO_PRECEDENCE:
            return Classification(InboundKind.AUTO_REPLY, f"header Precedence: {value}")
    return None


def _list_post(message: EmailMessage, _email: InboundEmail) -> Classification | None:
    precedence = header_values(message, "Precedence") + header_values(message, "X-Precedence")
    if header_values(message, "List-Id"):
        return Classification(InboundKind.LIST, "List-Id present")
    if any(value.strip().lower() == "list" for value in precedence):
        return Classification(InboundKind.LIST, "header Precedence: list")
    return None


def _phrase_pattern(phrase: str) -> str:
    escaped = re.escape(phrase)
    if all(ord(char) < 0x250 for char in phrase):
        return rf"(?<!\w){escaped}(?!\w)"
    return escaped


_PHRASE_PATTERNS = tuple(
    (language, re.compile("|".join(_phrase_pattern(phrase) for phrase in phrases), re.I))
    for language, phrases in OUT_OF_OFFICE_PHRASES.items()
)


def _out_of_office_language(subject: str) -> str | None:
    """The language of the first out-of-office phrase before any reply prefix, or None."""
    if _AUTO_PREFIX.match(subject):
        return "en"
    prefix = _REPLY_PREFIX.search(subject)
    own = subject[: prefix.start()] if prefix else subject
    for language, pattern in _PHRASE_PATTERNS:
        if pattern.search(own):
            return language
    return None
