"""Shapes every area shares: the page of a list, the one error body, the strict scalar
types of request bodies, and the two shapes the OpenAPI document states once, as
components: text that becomes an email header, and free-form JSON."""

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    Strict,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from attendry.email.headers import HEADER_TEXT_DESCRIPTION, header_text, header_text_pattern
from attendry.http.request_body import MAX_INTEGER, MAX_JSON_DEPTH

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class Page(BaseModel, Generic[T]):
    """A slice of a list; `next_cursor` is null on the last page."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Opaque; pass it back as `cursor` to get the next page."
    )

    @classmethod
    def of(cls, rows: list[dict[str, Any]], next_cursor: str | None) -> Self:
        """The page of a list read's rows, validated in one call rather than one per row."""
        return cls.model_validate({"items": rows, "next_cursor": next_cursor})


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str
    type: str | None = None


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """The one error shape of the API, whatever the status."""

    error: ErrorInfo


class Resource(BaseModel):
    """Base of every resource the API returns: read from an ORM row, or a list page's dict."""

    model_config = ConfigDict(from_attributes=True)


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> ErrorBody:
    return ErrorBody(
        error=ErrorInfo(
            code=code,
            message=message,
            details=[ErrorDetail.model_validate(d) for d in details or []],
        )
    )


def _date_time_text(value: Any) -> Any:
    """Only an ISO 8601 string is a date-time in a request: pydantic would read `0` or `5`
    as seconds since 1970 and `false` as 1970 itself, which is never what a user meant."""
    if isinstance(value, str | datetime):
        return value
    raise ValueError(
        "give a date-time as an ISO 8601 string with an offset, e.g. 2026-06-04T09:00:00Z"
    )


def _within_calendar(value: datetime) -> datetime:
    """PostgreSQL stores a timestamptz in UTC, and Python reads back only years 1 to 9999:
    `9999-12-31T23:59:59-23:59` is year 10000 in UTC, stored and then unreadable."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date-time in UTC falls outside years 1 to 9999") from None
    return value


Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_date_time_text), AfterValidator(_within_calendar)
]
"""A request's date-time: an ISO 8601 string with an offset, whose UTC is within years
1 to 9999 (`2026-06-04T09:00:00Z`, `2026-06-04T11:00:00+02:00`)."""


def _time_of_day_text(value: Any) -> Any:
    """As `_date_time_text`: `3600` would be one o'clock, in UTC, which a send window is not."""
    if isinstance(value, str | time):
        return value
    raise ValueError("give a time of day as a string, e.g. 08:00")


def _without_offset(value: time) -> time:
    """A send window is in the contact's own zone, so a time of day carries no offset
    (and one with an offset cannot be compared with one without)."""
    if value.tzinfo is not None:
        raise ValueError("a time of day is in the contact's time zone: give it without an offset")
    return value


TimeOfDay = Annotated[time, BeforeValidator(_time_of_day_text), AfterValidator(_without_offset)]
"""`HH:MM` or `HH:MM:SS`, in the contact's own time zone."""

Number = Annotated[float, Strict()]
"""A JSON number: an integer or a fraction, never `true` or `"0.5"` (pydantic reads both)."""
Integer = Annotated[int, Strict()]
"""A JSON integer, never `true` or `"3"`."""
Flag = Annotated[bool, Strict()]
"""`true` or `false`, never `1`, `"yes"` or `"on"` (pydantic reads all three as true)."""


Topics = Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=50)]


COMPONENTS = "#/components/schemas/"
HEADER_TEXT = "HeaderText"
JSON_VALUE = "JsonValue"


@dataclass(frozen=True)
class _RefersTo:
    """A field's schema as pydantic makes it, and also one of the document's components.

    The `$ref` sits in an `allOf`: pydantic resolves a `$ref` at the top of a field's
    schema against its own definitions, where the document's components are not."""

    component: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"allOf": [{"$ref": COMPONENTS + self.component}], **handler(core_schema)}


def HeaderText(field: str) -> tuple[AfterValidator, _RefersTo]:  # noqa: N802 - reads as a type
    """Annotations of a request field whose text becomes an email header, named `field` in
    the 422: `Annotated[str, Field(max_length=...), *HeaderText("subject")]`."""
    return AfterValidator(header_text(field)), _RefersTo(HEADER_TEXT)


def _json_value_ref() -> dict[str, str]:
    return {"$ref": COMPONENTS + JSON_VALUE}


_WITHOUT_NUL = {"pattern": "^[^\\u0000]*$"}


JsonObject = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {"type": "object", "propertyNames": _WITHOUT_NUL, "additionalProperties": _json_value_ref()}
    ),
]
"""A free-form JSON object of the user's (`metadata`, `signals`), under the body's rules."""


def component_schemas() -> dict[str, dict[str, Any]]:
    """The components the fields above refer to, for the OpenAPI document."""
    return {
        HEADER_TEXT: {
            "title": HEADER_TEXT,
            "description": HEADER_TEXT_DESCRIPTION,
            "type": "string",
            "pattern": header_text_pattern(),
        },
        JSON_VALUE: {
            "title": JSON_VALUE,
            "description": (
                "Any JSON value, with the limits every body has: arrays and objects nest at "
                f"most {MAX_JSON_DEPTH} levels, the body included; a number is a finite "
                "double and an integer fits 64 bits; no string holds U+0000."
            ),
            "anyOf": [
                {"type": "null"},
                {"type": "boolean"},
                {"type": "integer", "minimum": -MAX_INTEGER, "maximum": MAX_INTEGER},
                {"type": "number"},
                {"type": "string", **_WITHOUT_NUL},
                {"type": "array", "items": _json_value_ref()},
                {
                    "type": "object",
                    "propertyNames": _WITHOUT_NUL,
                    "additionalProperties": _json_value_ref(),
                },
            ],
        },
    }
