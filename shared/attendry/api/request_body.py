"""The request body as the API reads it: UTF-8 text, and JSON that PostgreSQL can keep.

Python's parser takes documents PostgreSQL refuses or cannot give back: NUL characters
(no text column or jsonb value holds U+0000), lone surrogates (not Unicode, so not
UTF-8), NaN, Infinity and numbers past a double's range (jsonb has none of them),
integers past any column's range, and nesting deep enough to exhaust the parser's stack
or the driver's when the row is read back. Each such body used to reach the database
and end in a 500. Here it is refused before any route runs, once for every route, with
the field that holds the value named as pydantic names fields (`body.metadata.x`).

The rules, stated once:
- a body is UTF-8 (on every route, the form and text bodies included);
- a JSON body is `application/json` or any `application/<name>+json`, matched without
  regard to case, parameters allowed (RFC 6838's structured suffix);
- JSON nests at most `MAX_JSON_DEPTH` arrays and objects;
- a number is a finite double; an integer fits PostgreSQL's bigint;
- no string, key or value, holds U+0000 or a lone surrogate.
"""

import base64
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from attendry.core.errors import InvalidInputError

JSON_MEDIA_TYPE = "application/json"
MAX_JSON_DEPTH = 32
"""Arrays and objects inside one another, the body itself included: far more than any of
the API's shapes or a user's metadata needs, and far less than the JSON readers' limits
(Python's parser's stack, the driver's reader of jsonb columns at 200)."""
MAX_INTEGER = 2**63 - 1
"""PostgreSQL's bigint: the widest integer a column holds."""
MAX_INTEGER_DIGITS = len(str(MAX_INTEGER))
MAX_REPORTED = 20
"""Problems reported in one answer; a body full of NULs gets a readable list."""

BODY = "body"

# The only routes whose callers cannot send JSON, by method and exact path shape: mail
# clients' RFC 8058 one-click unsubscribes (and the confirmation page's form) post a form;
# SNS posts its JSON to the SES webhook as text/plain. Each route reads its own body;
# everything else stays JSON-only. The patterns match the OpenAPI paths too.
NON_JSON_BODY_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("POST", re.compile(r"/unsubscribe/[^/]+")),
    ("POST", re.compile(r"/webhooks/ses")),
)


class _Unstorable(str):
    """A number the parser read but the API will not keep, with why, until it is reported."""

    reason: str

    def __new__(cls, literal: str, reason: str) -> "_Unstorable":
        value = super().__new__(cls, literal)
        value.reason = reason
        return value


def _integer(literal: str) -> int | _Unstorable:
    # int() of a very long literal is slow and past 4,300 digits refused with a message
    # about sys.set_int_max_str_digits: bound it by its length first.
    if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        return _Unstorable(literal, _integer_range_message())
    value = int(literal)
    if abs(value) > MAX_INTEGER:
        return _Unstorable(literal, _integer_range_message())
    return value


def _number(literal: str) -> float | _Unstorable:
    value = float(literal)
    if math.isinf(value):
        return _Unstorable(literal, f"{literal} is past the range of a double (about ±1.8e308)")
    return value


def _constant(literal: str) -> _Unstorable:
    return _Unstorable(literal, f"{literal} is not a JSON number")


def _integer_range_message() -> str:
    return f"an integer must be between -{MAX_INTEGER} and {MAX_INTEGER}"


def _problem(field: str, message: str, kind: str) -> dict[str, str]:
    return {"field": field, "message": message, "type": kind}


def _refused(details: list[dict[str, str]]) -> InvalidInputError:
    return InvalidInputError("The request body is not valid.", details=details)


def body_text(event: dict[str, Any]) -> str | None:
    """The body as text: API Gateway's base64 undone, and the bytes read as UTF-8."""
    body = event.get("body")
    if not body:
        return None
    if not event.get("isBase64Encoded"):
        # API Gateway hands a text body over as a string already decoded; a string that
        # still cannot be encoded holds lone surrogates, which no UTF-8 body can carry.
        raw = str(body).encode("utf-8", "surrogatepass")
    else:
        raw = base64.b64decode(str(body))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _refused(
            [
                _problem(
                    BODY,
                    f"the body is not valid UTF-8: {error.reason} at byte {error.start}",
                    "utf8_invalid",
                )
            ]
        ) from None


def takes_non_json_body(method: str, path: str) -> bool:
    return any(
        method.upper() == allowed and pattern.fullmatch(path)
        for allowed, pattern in NON_JSON_BODY_ROUTES
    )


def is_json_media_type(content_type: str) -> bool:
    """`application/json` or `application/<name>+json`, any case, any parameters."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == JSON_MEDIA_TYPE:
        return True
    top_level, _, subtype = media_type.partition("/")
    return top_level == "application" and subtype.endswith("+json") and subtype != "+json"


def load_json_body(text: str) -> Any:
    """The body's JSON, or an `InvalidInputError` naming each value the API cannot keep.

    Powertools calls this for every route that declares a body, so every such route
    reads JSON under the same rules, and a route without a body never parses one.
    """
    try:
        document = json.loads(
            text, parse_int=_integer, parse_float=_number, parse_constant=_constant
        )
    except json.JSONDecodeError as error:
        message = f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        raise _refused([_problem(BODY, message, "json_invalid")]) from None
    except RecursionError:
        raise _refused([_too_deep(BODY)]) from None
    problems = list(_problems(document))
    if problems:
        raise _refused(problems[:MAX_REPORTED])
    return document


def _too_deep(field: str) -> dict[str, str]:
    return _problem(
        field, f"nested more than {MAX_JSON_DEPTH} arrays and objects deep", "json_too_deep"
    )


def _problems(document: Any) -> Iterator[dict[str, str]]:
    """Every value the API will not keep, walked without recursion (nesting is unbounded
    until this walk has bounded it)."""
    pending: list[tuple[Any, str, int]] = [(document, BODY, 1)]
    while pending:
        value, field, depth = pending.pop()
        if isinstance(value, _Unstorable):
            yield _problem(field, value.reason, "number_out_of_range")
        elif isinstance(value, str):
            yield from _text_problems(value, field, "value")
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                yield _too_deep(field)
                continue
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in reversed(list(items)):
                child = f"{field}.{_shown(key)}"
                if isinstance(key, str):
                    yield from _text_problems(key, child, "key")
                pending.append((item, child, depth + 1))


def _text_problems(text: str, field: str, part: str) -> Iterator[dict[str, str]]:
    if "\x00" in text:
        yield _problem(field, f"the {part} holds a NUL character (U+0000)", "string_nul")
    if not _is_unicode(text):
        yield _problem(
            field, f"the {part} holds a lone surrogate (U+D800 to U+DFFF)", "string_surrogate"
        )


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(key: str | int) -> str:
    """A key as the answer can print it: a lone surrogate cannot be written as UTF-8."""
    text = str(key)
    return text if _is_unicode(text) else text.encode("utf-8", "backslashreplace").decode()
