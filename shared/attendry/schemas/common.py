"""Shapes every area shares: the page of a list and the one error body."""

from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

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
