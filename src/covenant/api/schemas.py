"""Building blocks shared by every app's API schemas: bounded, printable text fields and the
problem document.

Input strings are bounded by the column they end up in and refuse control characters, so no
request reaches the database with a value it would reject (PostgreSQL refuses NUL bytes and
over-long values with an error, which would otherwise surface as a 500).
"""

from __future__ import annotations

from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, StringConstraints

_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"} | {"\x7f"}


def plain_text(value: str) -> str:
    if any(c in _CONTROL for c in value):
        raise ValueError("Remove the control characters (such as NUL) from this text.")
    return value


def email_address(value: str) -> str:
    value = plain_text(value).strip()
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("Enter an e-mail address, like office@example.org.") from None
    return value


def web_address(value: str) -> str:
    value = plain_text(value).strip()
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except DjangoValidationError:
            raise ValueError("Enter a web address, like https://example.org.") from None
    return value


ShortText = Annotated[str, StringConstraints(max_length=100), AfterValidator(plain_text)]
Text200 = Annotated[str, StringConstraints(max_length=200), AfterValidator(plain_text)]
LongText = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(plain_text)]
Code = Annotated[str, StringConstraints(max_length=20), AfterValidator(plain_text)]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(email_address)]
WebAddress = Annotated[str, StringConstraints(max_length=200), AfterValidator(web_address)]


class InputSchema(Schema):
    """Request bodies refuse unknown fields: a misspelt field is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class ProblemField(Schema):
    field: str = Field(description="The field at fault ('' for the whole body).")
    pointer: str | None = Field(None, description="JSON pointer into the request body.")
    parameter: str | None = Field(None, description="The query, path or header parameter.")
    message: str


class Problem(Schema):
    """An RFC 9457 problem document, as every error is sent (application/problem+json)."""

    type: str = Field(description="urn:social-covenant:problem:<code>")
    title: str
    status: int
    detail: str = Field(description="What was wrong with this request and how to fix it.")
    code: str = Field(description="Stable machine-readable code; see the docs page.")
    errors: list[ProblemField]
