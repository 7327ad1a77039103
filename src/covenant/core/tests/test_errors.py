"""The project-wide error classes: their codes and statuses are API contract, and the field
errors they carry are what a form shows beside each field."""

from __future__ import annotations

import pytest

from covenant.core.errors import (
    Conflict,
    CovenantError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

# Codes are published in API problem documents: renaming one breaks clients.
CONTRACT = [
    (CovenantError, "error", 400),
    (ValidationFailed, "invalid", 422),
    (NotAuthenticated, "not_authenticated", 401),
    (PermissionDenied, "forbidden", 403),
    (NotFound, "not_found", 404),
    (Conflict, "conflict", 409),
]


@pytest.mark.parametrize(("cls", "code", "status"), CONTRACT)
def test_code_and_status_are_the_published_ones(cls, code, status):
    error = cls("Something is wrong.")
    assert (error.code, error.status) == (code, status)
    assert error.title
    assert isinstance(error, CovenantError)
    assert isinstance(error, Exception)


def test_codes_are_unique():
    codes = [code for _, code, _ in CONTRACT]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(("cls", "code", "status"), CONTRACT)
def test_message_is_the_string_form(cls, code, status):
    error = cls("Enter a postcode, like L36 9YU.")
    assert str(error) == "Enter a postcode, like L36 9YU."
    assert error.message == "Enter a postcode, like L36 9YU."


def test_no_field_means_no_field_errors():
    error = ValidationFailed("Something is wrong.")
    assert error.field is None
    assert error.errors == {}


def test_field_puts_the_message_beside_that_field():
    error = ValidationFailed("Enter a postcode, like L36 9YU.", field="postcode")
    assert error.field == "postcode"
    assert error.errors == {"postcode": ["Enter a postcode, like L36 9YU."]}


def test_errors_for_several_fields_are_kept_together():
    error = ValidationFailed(
        "Enter the organisation's name.",
        errors={"name": ["Enter the organisation's name."], "postcode": ("Not a postcode.",)},
    )
    assert error.errors == {
        "name": ["Enter the organisation's name."],
        "postcode": ["Not a postcode."],
    }
    assert all(isinstance(v, list) for v in error.errors.values())


def test_field_message_is_added_to_that_fields_existing_errors():
    error = ValidationFailed(
        "Enter a postcode in England.",
        field="postcode",
        errors={"postcode": ["Not a postcode."], "name": ["Enter a name."]},
    )
    assert error.errors == {
        "postcode": ["Not a postcode.", "Enter a postcode in England."],
        "name": ["Enter a name."],
    }


def test_field_message_joins_errors_for_other_fields():
    error = Conflict("Already registered.", field="charity_number", errors={"name": ["Taken."]})
    assert error.errors == {"name": ["Taken."], "charity_number": ["Already registered."]}


def test_the_callers_mapping_is_not_changed():
    given = {"postcode": ["Not a postcode."]}
    error = ValidationFailed("Enter a postcode.", field="postcode", errors=given)
    error.errors["postcode"].append("more")
    assert given == {"postcode": ["Not a postcode."]}


def test_code_can_be_narrowed_per_instance_without_changing_the_class():
    error = Conflict("This call-out is already filled.", code="callout_filled")
    assert error.code == "callout_filled"
    assert error.status == 409
    assert Conflict.code == "conflict"
    assert Conflict("Another clash.").code == "conflict"


def test_errors_are_raised_and_caught_as_covenant_errors():
    with pytest.raises(CovenantError) as caught:
        raise NotFound("No such organisation.", field="organisation")
    assert caught.value.status == 404
    assert caught.value.errors == {"organisation": ["No such organisation."]}
