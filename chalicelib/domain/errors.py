"""Domain errors. They carry a contract `code`; only handlers/api.py maps them to HTTP."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, code: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details  # extra fields of the error body (e.g. `available`)
        if code:
            self.code = code


class Unauthenticated(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """A state conflict: not_editable, invalid_state, feedback_locked, already_reimbursed …"""

    code = "conflict"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class InvalidInput(DomainError):
    """Bad input; `errors` names each field at fault."""

    code = "validation_error"

    def __init__(self, errors: list[dict[str, str]], message: str | None = None) -> None:
        super().__init__(message or "; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls([{"field": field, "message": message}])


class StaleWrite(Exception):
    """A conditional write lost a race: what it read has changed. Not an answer to a user:
    use cases re-read and decide again (logic.retry_on_stale)."""
