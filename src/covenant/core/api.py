"""The JSON API for organisations: the directory, registration, details, verification and
roles. Thin: each endpoint parses, calls one core selector or service, and returns a schema;
errors become problem documents in covenant.api.problems.

No `from __future__ import annotations` here: ninja's @paginate wraps the view in a function
of its own module, where string annotations could not be resolved.
"""

import re
from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import AfterValidator, StringConstraints

from covenant.api.auth import PUBLIC, SIGNED_IN, actor_of
from covenant.api.pagination import Pagination
from covenant.api.schemas import (
    Code,
    Email,
    InputSchema,
    LongText,
    ShortText,
    Text200,
    WebAddress,
    plain_text,
)

from . import authz, selectors, services
from .errors import NotFound
from .models import Membership, Organisation, OrganisationKind, OrgRole, VerificationStatus

router = Router(tags=["Organisations"])

# Above any id a database holds; stops a huge number in the path reaching SQL as an overflow.
_MAX_ID = 2**63 - 1

Postcode = Annotated[str, StringConstraints(max_length=16), AfterValidator(plain_text)]


def _area_code(value: str) -> str:
    value = value.strip().upper()
    if not re.fullmatch(r"[ENSW][0-9]{8}", value):
        raise ValueError("Give the area's ONS code: a letter and 8 digits, like E08000011.")
    return value


AreaCode = Annotated[str, StringConstraints(max_length=20), AfterValidator(_area_code)]


class AreaOut(Schema):
    code: str
    name: str


class OrganisationOut(Schema):
    id: int
    name: str
    kind: OrganisationKind
    charity_number: str
    company_number: str
    description: str
    email: str
    phone: str
    website: str
    address_line_1: str
    address_line_2: str
    town: str
    postcode: str
    postcode_district: str
    lsoa: str | None = Field(description="The LSOA code of the postcode, when the node knows it.")
    local_authority: AreaOut | None
    verification_status: VerificationStatus
    verification_note: str | None = Field(
        description="The CVS's reason; shown only to the organisation's administrators and the CVS."
    )
    verified_at: datetime | None
    is_member: bool
    runs_node: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_lsoa(obj: Organisation) -> str | None:
        return obj.lsoa_id

    @staticmethod
    def resolve_verification_note(obj: Organisation, context: dict[str, Any]) -> str | None:
        request = context.get("request")
        actor = actor_of(request) if request is not None else authz.ANONYMOUS
        return (
            obj.verification_note if authz.allows(actor, "organisation.members.view", obj) else None
        )


class DirectoryFilters(Schema):
    kind: OrganisationKind | None = Field(None, description="Only organisations of this kind.")
    local_authority: AreaCode | None = Field(
        None, description="Only those serving this local authority (ONS code, like E08000011)."
    )
    q: ShortText | None = Field(None, description="Words in the name or description.")


class OrganisationIn(InputSchema):
    name: Text200
    kind: OrganisationKind
    charity_number: Code = ""
    company_number: Code = ""
    description: LongText = ""
    email: Email = ""
    phone: Code = ""
    website: WebAddress = ""
    address_line_1: Text200 = ""
    address_line_2: Text200 = ""
    town: ShortText = ""
    postcode: Postcode = ""
    local_authority: AreaCode | None = Field(
        None,
        description="ONS code of the area it mainly serves; found from the postcode if not given.",
    )


# Typed Any so a field can default to "not sent" while its schema stays non-nullable: an
# explicit null for a field that cannot be empty is then a 422, not a database error.
_UNCHANGED: Any = None


class OrganisationPatch(InputSchema):
    """Only the fields sent are changed. A field that cannot be empty cannot be null."""

    name: Text200 = _UNCHANGED
    kind: OrganisationKind = _UNCHANGED
    charity_number: Code = _UNCHANGED
    company_number: Code = _UNCHANGED
    description: LongText = _UNCHANGED
    email: Email = _UNCHANGED
    phone: Code = _UNCHANGED
    website: WebAddress = _UNCHANGED
    address_line_1: Text200 = _UNCHANGED
    address_line_2: Text200 = _UNCHANGED
    town: ShortText = _UNCHANGED
    postcode: Postcode = _UNCHANGED
    local_authority: AreaCode | None = Field(None, description="null clears it.")


class VerificationIn(InputSchema):
    verified: bool
    note: Annotated[LongText, Field(description="Required when not verified: the reason.")] = ""
    is_member: bool | None = Field(None, description="Record CVS membership at the same time.")


class MembershipIn(InputSchema):
    email: Email = Field(description="The e-mail address of the person's account.")
    role: OrgRole


class PersonOut(Schema):
    id: int
    email: str
    display_name: str


class MembershipOut(Schema):
    id: int
    organisation_id: int
    user: PersonOut
    role: OrgRole
    granted_at: datetime


def _visible_organisation(request: HttpRequest, organisation_id: int) -> Organisation:
    """An organisation the caller may know exists; anything else is "not found", so the
    directory does not reveal organisations still waiting for the CVS."""
    organisation = None
    if 0 < organisation_id <= _MAX_ID:
        organisation = (
            selectors.organisations_visible_to(actor_of(request))
            .select_related("local_authority")
            .filter(pk=organisation_id)
            .first()
        )
    if organisation is None:
        raise NotFound(f"There is no organisation {organisation_id} that you can see.")
    return organisation


@router.get(
    "/organisations",
    response=list[OrganisationOut],
    auth=PUBLIC,
    summary="The directory of verified organisations",
)
@paginate(Pagination)
def organisations_list(request: HttpRequest, filters: Query[DirectoryFilters]) -> Any:
    """Everyone, signed in or not, sees the organisations the CVS has verified."""
    return selectors.organisations_directory(
        kind=filters.kind.value if filters.kind else None,
        local_authority=filters.local_authority,
        query=filters.q,
    )


@router.get(
    "/organisations/{int:organisation_id}",
    response=OrganisationOut,
    auth=PUBLIC,
    summary="One organisation",
)
def organisation_detail(request: HttpRequest, organisation_id: int) -> Organisation:
    """Verified organisations are public; a pending one is seen by its own people and the CVS.
    A token needs the organisation.view scope."""
    organisation = _visible_organisation(request, organisation_id)
    authz.require(actor_of(request), "organisation.view", organisation)
    return organisation


@router.post(
    "/organisations",
    response={201: OrganisationOut},
    auth=SIGNED_IN,
    summary="Register an organisation",
)
def organisation_register(request: HttpRequest, payload: OrganisationIn) -> Status[Organisation]:
    """The person registering becomes its administrator; it waits for the CVS to verify it.
    Only people register organisations (an API token belongs to one already)."""
    organisation = services.organisation_register(
        actor=actor_of(request), **payload.model_dump(mode="json", exclude_unset=True)
    )
    return Status(201, organisation)


@router.patch(
    "/organisations/{int:organisation_id}",
    response=OrganisationOut,
    auth=SIGNED_IN,
    summary="Change an organisation's details",
)
def organisation_update(
    request: HttpRequest, organisation_id: int, payload: OrganisationPatch
) -> Organisation:
    """Changing the charity or company number, or the kind, sends it back to the CVS to
    verify again."""
    organisation = _visible_organisation(request, organisation_id)
    return services.organisation_update(
        actor=actor_of(request),
        organisation=organisation,
        **payload.model_dump(mode="json", exclude_unset=True),
    )


@router.post(
    "/organisations/{int:organisation_id}/verification",
    response=OrganisationOut,
    auth=SIGNED_IN,
    summary="Record the CVS's verification decision",
)
def organisation_verify(
    request: HttpRequest, organisation_id: int, payload: VerificationIn
) -> Organisation:
    """For CVS staff. Not verifying needs a note saying why, which the organisation sees."""
    organisation = _visible_organisation(request, organisation_id)
    return services.organisation_verify(
        actor=actor_of(request),
        organisation=organisation,
        verified=payload.verified,
        note=payload.note,
        is_member=payload.is_member,
    )


@router.post(
    "/organisations/{int:organisation_id}/memberships",
    response={201: MembershipOut},
    auth=SIGNED_IN,
    summary="Give a person a role in an organisation",
)
def membership_grant(
    request: HttpRequest, organisation_id: int, payload: MembershipIn
) -> Status[Membership]:
    """The person needs an account on the node already."""
    organisation = _visible_organisation(request, organisation_id)
    membership: Membership = services.membership_grant(
        actor=actor_of(request),
        organisation=organisation,
        email=payload.email,
        role=payload.role.value,
    )
    return Status(201, membership)
