"""The two GETs the SES webhook makes to SNS: the signing certificate and the SubscribeURL.

Only URLs the signature verifier has already checked arrive here, so redirects are
refused (a 3xx would lead the request to a host nobody checked), and both calls are
bounded in time and size, because the webhook waits on them inside an API request.
Failures are OSError (urllib's URLError and HTTPError are), which callers treat as
"could not reach SNS".
"""

import urllib.request
from email.message import Message
from typing import IO
from urllib.parse import urlsplit

TIMEOUT_S = 5.0
MAX_RESPONSE_BYTES = 64 * 1024


class SnsHttpError(OSError):
    """SNS answered with something the webhook cannot use."""


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None


_opener = urllib.request.OpenerDirector()
for _handler in (
    urllib.request.ProxyHandler(),
    urllib.request.HTTPHandler(),
    urllib.request.HTTPSHandler(),
    urllib.request.HTTPDefaultErrorHandler(),
    urllib.request.HTTPErrorProcessor(),
    _RefuseRedirects(),
):
    _opener.add_handler(_handler)


def get(url: str, *, timeout_s: float = TIMEOUT_S, max_bytes: int = MAX_RESPONSE_BYTES) -> bytes:
    """The body of a 2xx answer to GET `url` (http or https only, no redirect followed)."""
    if urlsplit(url).scheme not in ("https", "http"):
        raise SnsHttpError(f"Not an http(s) URL: {url!r}")
    with _opener.open(url, timeout=timeout_s) as response:
        body: bytes = response.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise SnsHttpError(f"The answer from {url} is over {max_bytes} bytes.")
    return body


def fetch_certificate(url: str) -> bytes:
    """The PEM at a signing certificate URL."""
    return get(url)


def visit_subscribe_url(url: str) -> None:
    """Confirm a subscription, as AWS says to: by visiting its SubscribeURL."""
    get(url)
