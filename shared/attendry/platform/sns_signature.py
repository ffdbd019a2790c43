"""Amazon SNS message signatures, checked the way AWS documents them.

Follows "Verifying the signatures of Amazon SNS messages"
(https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html): the
string to sign per message `Type`, SHA1withRSA for `SignatureVersion` 1 and
SHA256withRSA for 2, and a signing certificate taken only from the SNS host of the
topic's own region over HTTPS. The subject names a certificate must carry are those AWS's
own validator expects (AWS SDK for Java v2, sns-message-manager `SnsHostProvider`).

Anyone can POST to the webhook, so everything a message says about where to fetch its
certificate is distrusted until checked: the URL must be the regional SNS host before
any request is made (no lookalike host, no port, no userinfo, no redirect followed), and
the certificate it returns must name SNS and be within its validity dates. The TLS
connection to that host is what vouches for the certificate; its own chain is not
rebuilt here, as AWS's validators do not either.

Certificates are cached per URL (a few, least recently used first out), because SNS signs
every message of a region with the same one and a webhook should not fetch it per call.
"""

import base64
import binascii
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from attendry.core.clock import Clock

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"
MESSAGE_TYPES = (NOTIFICATION, SUBSCRIPTION_CONFIRMATION, UNSUBSCRIBE_CONFIRMATION)

# The fields of the string to sign, in byte order, per message type (AWS's page, step 5).
NOTIFICATION_SIGNED_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_SIGNED_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
_REQUIRED_FIELDS = (
    "Type",
    "MessageId",
    "TopicArn",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertURL",
)
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}

TOPIC_ARN = re.compile(
    r"arn:(?P<partition>aws|aws-cn|aws-us-gov):sns:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d{1,2})"
    r":(?P<account>\d{12}):(?P<name>[A-Za-z0-9_-]{1,256}(?:\.fifo)?)"
)
_CERT_FILE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\.pem")

# The subject name the local runtime's signing certificate carries; trusted only where a
# local SNS endpoint is configured (see `SnsSignatureVerifier`).
LOCAL_SIGNING_CERT_NAME = "sns.attendry.local"

DEFAULT_CACHE_SIZE = 16

FetchCertificate = Callable[[str], bytes]


class SnsMessageError(ValueError):
    """The body is not an SNS message at all (not JSON, a field missing or mistyped)."""


class SnsVerificationError(Exception):
    """A well-formed message that cannot be shown to come from SNS for a trusted topic."""


@dataclass(frozen=True)
class SnsMessage:
    """One message SNS posted, its fields exactly as received (signed text must not change)."""

    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: str
    signature_version: str
    signature: str
    signing_cert_url: str
    subject: str | None = None
    subscribe_url: str | None = None
    token: str | None = None

    @property
    def region(self) -> str:
        return _topic_part(self.topic_arn, "region")

    @property
    def partition(self) -> str:
        return _topic_part(self.topic_arn, "partition")


def _topic_part(topic_arn: str, part: str) -> str:
    found = TOPIC_ARN.fullmatch(topic_arn)
    if found is None:
        raise SnsMessageError(f"TopicArn is not an SNS topic ARN: {topic_arn!r}")
    return found.group(part)


def parse_sns_message(body: str | bytes) -> SnsMessage:
    """The SNS message in a POST body, or SnsMessageError saying what is wrong with it."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise SnsMessageError(f"The body is not JSON: {error}") from error
    except RecursionError as error:
        # Nesting deep enough to exhaust the parser's stack: no SNS message looks so.
        raise SnsMessageError("The body is not an SNS message: it nests too deeply.") from error
    if not isinstance(document, dict):
        raise SnsMessageError("The body is not a JSON object.")
    message_type = document.get("Type")
    if message_type not in MESSAGE_TYPES:
        raise SnsMessageError(f"Type must be one of {', '.join(MESSAGE_TYPES)}.")
    required = list(_REQUIRED_FIELDS)
    if message_type != NOTIFICATION:
        required += ["SubscribeURL", "Token"]
    fields = {name: _text_field(document, name) for name in required}
    subject = document.get("Subject")
    if subject is not None and not isinstance(subject, str):
        raise SnsMessageError("Subject must be a string.")
    _topic_part(fields["TopicArn"], "region")
    return SnsMessage(
        type=fields["Type"],
        message_id=fields["MessageId"],
        topic_arn=fields["TopicArn"],
        message=fields["Message"],
        timestamp=fields["Timestamp"],
        signature_version=fields["SignatureVersion"],
        signature=fields["Signature"],
        signing_cert_url=fields["SigningCertURL"],
        subject=subject,
        subscribe_url=fields.get("SubscribeURL"),
        token=fields.get("Token"),
    )


def _text_field(document: dict[str, Any], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise SnsMessageError(f"{name} is missing or not a string.")
    return value


def string_to_sign(message: SnsMessage) -> bytes:
    """Each signed field as `name\\nvalue\\n`, in byte order; Subject only when present."""
    values = {
        "Message": message.message,
        "MessageId": message.message_id,
        "Subject": message.subject,
        "SubscribeURL": message.subscribe_url,
        "Timestamp": message.timestamp,
        "Token": message.token,
        "TopicArn": message.topic_arn,
        "Type": message.type,
    }
    names = (
        NOTIFICATION_SIGNED_FIELDS if message.type == NOTIFICATION else CONFIRMATION_SIGNED_FIELDS
    )
    return "".join(
        f"{name}\n{values[name]}\n" for name in names if values[name] is not None
    ).encode()


def sns_host(region: str, partition: str) -> str:
    """The regional SNS endpoint host: where certificates and SubscribeURLs must point."""
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"sns.{region}.{suffix}"


def signing_cert_names(region: str, partition: str) -> frozenset[str]:
    """The names SNS's signing certificate for this region may carry.

    `sns.amazonaws.com` in most commercial regions, `sns-signing.<region>.amazonaws.com`
    in the opt-in ones; one name per China region; one for GovCloud.
    """
    if partition == "aws-cn":
        return frozenset({f"sns-{region}.amazonaws.com.cn"})
    if partition == "aws-us-gov":
        return frozenset({"sns-us-gov-west-1.amazonaws.com"})
    return frozenset({"sns.amazonaws.com", f"sns-signing.{region}.amazonaws.com"})


def certificate_names(certificate: x509.Certificate) -> set[str]:
    """DNS names of the subject alternative names, else the subject's common names (RFC 6125)."""
    try:
        alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return {
            str(attribute.value).lower()
            for attribute in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        }
    return {name.lower() for name in alternative.value.get_values_for_type(x509.DNSName)}


def _split(url: str, name: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError as error:
        raise SnsVerificationError(f"{name} is not a URL.") from error


class SnsSignatureVerifier:
    """Checks that a message was signed by SNS, with a certificate fetched only from SNS.

    `fetch_certificate(url) -> bytes` makes the one network call; it is given only URLs
    that passed the checks. `local_endpoint` (the local runtime's stand-in for the SNS
    host, e.g. `http://127.0.0.1:3000/_local/sns`) adds one more trusted place whose
    certificate names `LOCAL_SIGNING_CERT_NAME`; callers pass it only in the local stage.
    """

    def __init__(
        self,
        fetch_certificate: FetchCertificate,
        *,
        local_endpoint: str | None = None,
        clock: Clock,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self._fetch = fetch_certificate
        self._local = urlsplit(local_endpoint.rstrip("/")) if local_endpoint else None
        self._clock = clock
        self._cache_size = cache_size
        self._cache: OrderedDict[str, x509.Certificate] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, message: SnsMessage) -> None:
        """Raise SnsVerificationError unless SNS signed exactly this message."""
        hash_algorithm = _HASHES.get(message.signature_version)
        if hash_algorithm is None:
            raise SnsVerificationError(
                f"SignatureVersion {message.signature_version!r} is not supported."
            )
        try:
            signature = base64.b64decode(message.signature, validate=True)
        except (binascii.Error, ValueError) as error:
            raise SnsVerificationError("Signature is not base64.") from error
        public_key = self._certificate(message).public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise SnsVerificationError("The signing certificate's key is not RSA.")
        try:
            public_key.verify(
                signature, string_to_sign(message), padding.PKCS1v15(), hash_algorithm()
            )
        except InvalidSignature as error:
            raise SnsVerificationError("The signature does not match the message.") from error

    def subscribe_url(self, message: SnsMessage) -> str:
        """The message's SubscribeURL, once it is shown to confirm this very subscription
        at the SNS host of the topic's region (or at the local stand-in)."""
        url = message.subscribe_url or ""
        parts = _split(url, "SubscribeURL")
        at_sns = (
            parts.scheme == "https"
            and parts.netloc == sns_host(message.region, message.partition)
            and parts.path in ("", "/")
        )
        directory = parts.path.removesuffix("/")
        if parts.fragment or not (at_sns or self._is_local(parts, directory)):
            raise SnsVerificationError(
                "SubscribeURL is not the SNS endpoint of the topic's region."
            )
        query = parse_qs(parts.query)
        if (
            query.get("Action") != ["ConfirmSubscription"]
            or query.get("TopicArn") != [message.topic_arn]
            or query.get("Token") != [message.token]
        ):
            raise SnsVerificationError("SubscribeURL does not confirm this subscription.")
        return url

    def _certificate(self, message: SnsMessage) -> x509.Certificate:
        url = message.signing_cert_url
        expected = self._expected_names(message)
        with self._lock:
            certificate = self._cache.get(url)
            if certificate is not None:
                self._cache.move_to_end(url)
        if certificate is None:
            certificate = self._load(url, expected)
            with self._lock:
                self._cache[url] = certificate
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        now = self._clock()
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise SnsVerificationError("The signing certificate is expired or not yet valid.")
        return certificate

    def _expected_names(self, message: SnsMessage) -> frozenset[str]:
        """Which names the certificate must carry, decided by where it comes from; the URL
        alone decides, so a cached certificate never needs checking again."""
        parts = _split(message.signing_cert_url, "SigningCertURL")
        directory, _, file_name = parts.path.rpartition("/")
        well_formed = bool(_CERT_FILE.fullmatch(file_name)) and not parts.query
        well_formed = well_formed and not parts.fragment
        at_sns = (
            parts.scheme == "https"
            and parts.netloc == sns_host(message.region, message.partition)
            and not directory
        )
        if well_formed and at_sns:
            return signing_cert_names(message.region, message.partition)
        if well_formed and self._is_local(parts, directory):
            return frozenset({LOCAL_SIGNING_CERT_NAME})
        raise SnsVerificationError(
            "SigningCertURL is not an https URL of the SNS endpoint of the topic's region."
        )

    def _is_local(self, parts: SplitResult, directory: str) -> bool:
        """At the local SNS stand-in: same scheme, host and port, and its very directory."""
        local = self._local
        if local is None:
            return False
        return (parts.scheme, parts.netloc, directory) == (local.scheme, local.netloc, local.path)

    def _load(self, url: str, expected: frozenset[str]) -> x509.Certificate:
        try:
            data = self._fetch(url)
        except OSError as error:
            raise SnsVerificationError(
                f"The signing certificate could not be fetched: {error}"
            ) from error
        try:
            certificate = x509.load_pem_x509_certificate(data)
        except ValueError as error:
            raise SnsVerificationError(
                "The signing certificate is not a PEM certificate."
            ) from error
        if not certificate_names(certificate) & expected:
            raise SnsVerificationError("The signing certificate does not belong to SNS.")
        return certificate
