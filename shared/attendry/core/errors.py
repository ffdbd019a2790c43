"""Domain exceptions: services raise these, the API maps each to one HTTP status in one place."""

from typing import Any


class DomainError(Exception):
    """Base of every error a user can be told about; `code` is stable, `message` readable."""

    code = "error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFoundError(DomainError):
    """Unknown id, or a resource owned by another user (never told apart, so ids leak nothing)."""

    code = "not_found"


class ConflictError(DomainError):
    """An illegal state change or a clash with existing data."""

    code = "conflict"


class InvalidInputError(DomainError):
    """Input that is well-formed JSON but breaks a rule the schema cannot express."""

    code = "validation_error"


class PayloadTooLargeError(DomainError):
    """A request body over the API's limit."""

    code = "payload_too_large"


class UnauthorizedError(DomainError):
    """No authenticated user on a route that needs one."""

    code = "unauthorized"
