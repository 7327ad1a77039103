"""One error type for the whole project.

Services raise a `CovenantError` subclass with a stable `code`; pages put its message beside
the field it names, the API turns it into an RFC 9457 problem document with the same code, and
commands print it as one line and exit non-zero. Codes are part of the API contract: add new
ones, never rename.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class CovenantError(Exception):
    """Something a user or client did that the platform refuses, with how to put it right."""

    code: str = "error"
    status: int = 400
    title: str = "The request could not be completed"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        errors: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        field_errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}
        if field is not None:
            field_errors.setdefault(field, []).append(message)
        self.errors = field_errors

    def __str__(self) -> str:
        return self.message


class ValidationFailed(CovenantError):
    """Input that breaks a rule: say which field and how to fix it."""

    code = "invalid"
    status = 422
    title = "Some of the information is not valid"


class NotAuthenticated(CovenantError):
    code = "not_authenticated"
    status = 401
    title = "Sign in or give an API token"


class PermissionDenied(CovenantError):
    code = "forbidden"
    status = 403
    title = "You do not have permission to do this"


class NotFound(CovenantError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(CovenantError):
    """The request clashes with the current state (a duplicate, a step already taken)."""

    code = "conflict"
    status = 409
    title = "This clashes with something already recorded"
