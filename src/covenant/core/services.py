"""Every write to core tables: people, organisations, roles.

Each service checks its input (`check_*`), asks `authz.require`, writes in one transaction,
and records the action in the audit log. Services take an `actor`, never a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from covenant.places.models import LSOA, LocalAuthority
from covenant.places.selectors import place_for_postcode

from . import audit, authz, clock
from .errors import Conflict, NotFound, ValidationFailed
from .identifiers import charity_number_normalise, company_number_normalise
from .models import (
    ContactChannel,
    Membership,
    NodeRole,
    NodeRoleName,
    Organisation,
    OrganisationKind,
    OrgRole,
    User,
    VerificationStatus,
    VolunteerProfile,
)
from .models.organisations import KINDS_NEEDING_CHARITY_NUMBER, KINDS_NEEDING_COMPANY_NUMBER

ORGANISATION_FIELDS = (
    "name",
    "kind",
    "charity_number",
    "company_number",
    "description",
    "email",
    "phone",
    "website",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "local_authority",
    "lsoa",
)


def check_contact_channels(channels: Sequence[str]) -> list[str]:
    allowed = set(ContactChannel.values)
    unknown = [c for c in channels if c not in allowed]
    if unknown:
        raise ValidationFailed(
            f"Choose from: {', '.join(ContactChannel.labels)}.", field="contact_channels"
        )
    return list(dict.fromkeys(channels))


def check_organisation_details(details: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise an organisation's details, collecting every problem at once so
    a form can show each beside its field."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, value in details.items():
        if key not in ORGANISATION_FIELDS:
            raise ValidationFailed(f"'{key}' is not a detail an organisation has.", field=key)
        clean[key] = value.strip() if isinstance(value, str) else value

    if "name" in clean and not clean["name"]:
        errors.setdefault("name", []).append("Enter the organisation's name.")
    kind = clean.get("kind")
    if kind is not None and kind not in OrganisationKind.values:
        errors.setdefault("kind", []).append("Choose what kind of organisation this is.")
    for key, normalise in (
        ("charity_number", charity_number_normalise),
        ("company_number", company_number_normalise),
    ):
        if clean.get(key):
            try:
                clean[key] = normalise(clean[key])
            except ValueError as exc:
                errors.setdefault(key, []).append(str(exc))
    if kind in KINDS_NEEDING_CHARITY_NUMBER and not clean.get("charity_number"):
        errors.setdefault("charity_number", []).append(
            "Enter the charity number: registered charities and CIOs have one."
        )
    if kind in KINDS_NEEDING_COMPANY_NUMBER and not clean.get("company_number"):
        errors.setdefault("company_number", []).append(
            "Enter the company number: CICs and companies are registered at Companies House."
        )
    if clean.get("postcode"):
        try:
            placed = place_for_postcode(clean["postcode"])
        except ValueError as exc:
            errors.setdefault("postcode", []).append(str(exc))
        else:
            clean["postcode"] = placed.postcode
            clean["postcode_district"] = placed.district
            clean["lsoa"] = placed.lsoa
            if not clean.get("local_authority") and placed.local_authority is not None:
                clean["local_authority"] = placed.local_authority
    neighbourhood = clean.get("lsoa")
    if isinstance(neighbourhood, str):
        found_lsoa = LSOA.objects.filter(code=neighbourhood.upper()).first()
        if found_lsoa is None:
            errors.setdefault("lsoa", []).append(
                f"'{neighbourhood}' is not a known LSOA code (like E01006412)."
            )
        else:
            clean["lsoa"] = found_lsoa
            clean.setdefault("local_authority", found_lsoa.local_authority)
    area = clean.get("local_authority")
    if isinstance(area, str):
        if not area:
            clean["local_authority"] = None
        else:
            found = LocalAuthority.objects.filter(code=area).first()
            if found is None:
                errors.setdefault("local_authority", []).append(
                    f"'{area}' is not a local authority code. Choose the area from the list."
                )
            clean["local_authority"] = found
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, errors=errors)
    return clean


def check_numbers_unique(clean: dict[str, Any], *, exclude_pk: int | None = None) -> None:
    """One directory entry per body: a charity or company number names one organisation."""
    for key in ("charity_number", "company_number"):
        if clean.get(key):
            others = Organisation.objects.filter(**{key: clean[key]})
            if exclude_pk is not None:
                others = others.exclude(pk=exclude_pk)
            if others.exists():
                raise Conflict(
                    "An organisation with this number is already registered. Ask its "
                    "administrator to add you, or contact the CVS.",
                    field=key,
                )


@transaction.atomic
def organisation_register(*, actor: Any, **details: Any) -> Organisation:
    """Register an organisation; the person registering becomes its administrator.

    It waits in the CVS verification queue until checked. A second registration with the same
    charity or company number is refused, so the directory has one entry per body.
    """
    who = authz.require(actor, "organisation.register")
    for required in ("name", "kind"):
        details.setdefault(required, "")
    clean = check_organisation_details(details)
    check_numbers_unique(clean)
    assert who.user_id is not None  # the rule admits only signed-in people
    organisation = Organisation.objects.create(**clean)
    Membership.objects.create(user_id=who.user_id, organisation=organisation, role=OrgRole.ADMIN)
    if not isinstance(actor, authz.Actor):
        authz.forget(actor)
    audit.record(actor=who, action="organisation.register", target=organisation)
    return organisation


@transaction.atomic
def organisation_update(*, actor: Any, organisation: Organisation, **details: Any) -> Organisation:
    """Change an organisation's details. Changing its charity or company number sends it back
    to the verification queue, because the CVS verified the old one; so does any change to a
    rejected organisation, which is how it puts right what the CVS found."""
    authz.require(actor, "organisation.update", organisation)
    identity = ("kind", "charity_number", "company_number")
    if set(identity) & details.keys():
        # The kind's required number is checked against what the organisation will hold, not
        # only against what this change mentions.
        details = {key: getattr(organisation, key) for key in identity} | details
    clean = check_organisation_details(details)
    changed = {k: v for k, v in clean.items() if getattr(organisation, k) != v}
    if not changed:
        return organisation
    check_numbers_unique(changed, exclude_pk=organisation.pk)
    identity_changed = bool(set(identity) & changed.keys())
    for key, value in changed.items():
        setattr(organisation, key, value)
    if (identity_changed and organisation.is_verified) or (
        organisation.verification_status == VerificationStatus.REJECTED
    ):
        organisation.verification_status = VerificationStatus.PENDING
        organisation.verified_at = None
        organisation.verified_by = None
    organisation.save()
    audit.record(
        actor=actor,
        action="organisation.update",
        target=organisation,
        fields=sorted(k for k in changed if k not in ("lsoa", "postcode_district")),
    )
    return organisation


@transaction.atomic
def organisation_verify(
    *,
    actor: Any,
    organisation: Organisation,
    verified: bool,
    note: str = "",
    is_member: bool | None = None,
    notify: bool = True,
) -> Organisation:
    """Record the CVS's check of an organisation: verified, or not with a reason.

    The organisation's administrators are e-mailed the outcome once the decision commits;
    `notify=False` is for loading data in bulk (the demo), where nobody is waiting to hear.
    """
    who = authz.require(actor, "organisation.verify", organisation)
    note = note.strip()
    if not verified and not note:
        raise ValidationFailed(
            "Give the reason it is not verified, so the organisation can put it right.",
            field="note",
        )
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    organisation.verification_status = (
        VerificationStatus.VERIFIED if verified else VerificationStatus.REJECTED
    )
    organisation.verification_note = note
    organisation.verified_at = clock.now()
    organisation.verified_by_id = who.user_id
    if is_member is not None:
        organisation.is_member = is_member
    organisation.save()
    audit.record(
        actor=who,
        action="organisation.verify",
        target=organisation,
        outcome=organisation.verification_status,
        is_member=organisation.is_member,
    )
    from .tasks import organisation_verification_notify

    if notify:
        organisation_id = organisation.pk
        transaction.on_commit(lambda: organisation_verification_notify.enqueue(organisation_id))
    return organisation


@transaction.atomic
def membership_grant(
    *, actor: Any, organisation: Organisation, email: str, role: str
) -> Membership:
    """Give a person with an account a role in an organisation."""
    authz.require(actor, "organisation.members.manage", organisation)
    if role not in OrgRole.values:
        raise ValidationFailed("Choose a role from the list.", field="role")
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise NotFound(
            "Nobody has an account with that e-mail address. Ask them to sign up first.",
            field="email",
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    except IntegrityError:
        raise Conflict("They already have this role.", field="role") from None
    audit.record(actor=actor, action="membership.grant", target=membership, role=role)
    return membership


@transaction.atomic
def membership_revoke(*, actor: Any, membership: Membership) -> None:
    """Remove a role. The last administrator cannot be removed: someone must be able to
    manage the organisation."""
    authz.require(actor, "organisation.members.manage", membership.organisation)
    # Lock the organisation, so two administrators removing each other at once cannot both
    # see the other as the one who remains.
    list(
        Organisation.objects.select_for_update()
        .filter(pk=membership.organisation_id)
        .values_list("pk", flat=True)
    )
    if (
        membership.role == OrgRole.ADMIN
        and not Membership.objects.filter(
            organisation_id=membership.organisation_id, role=OrgRole.ADMIN
        )
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise Conflict(
            "This is the organisation's only administrator. Make someone else an administrator "
            "first."
        )
    audit.record(
        actor=actor,
        action="membership.revoke",
        target=membership,
        user_id=membership.user_id,
        role=membership.role,
    )
    membership.delete()


@transaction.atomic
def node_role_grant(*, actor: Any, user: User, role: str) -> NodeRole:
    authz.require(actor, "node.roles.manage")
    if role not in NodeRoleName.values:
        raise ValidationFailed("Choose a node role from the list.", field="role")
    node_role, created = NodeRole.objects.get_or_create(user=user, role=role)
    if role == NodeRoleName.NODE_ADMIN and not (user.is_staff and user.is_superuser):
        # The Django admin is the node administrators' tool over every table; these flags
        # open it to them. Nothing else reads them: the platform's rules go through authz.
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    if created:
        audit.record(actor=actor, action="node_role.grant", target=user, role=role)
    return node_role


@transaction.atomic
def node_admin_bootstrap(*, user: User) -> NodeRole:
    """Make someone a node administrator from the command line, where a node starts (and
    where a locked-out node recovers). There is no actor to check: shell access is the
    authority, and the audit log says so."""
    node_role, created = NodeRole.objects.get_or_create(user=user, role=NodeRoleName.NODE_ADMIN)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    authz.forget(user)
    if created:
        audit.record(
            actor=authz.Actor(user_id=None, label="command line"),
            action="node_role.grant",
            target=user,
            role=NodeRoleName.NODE_ADMIN,
        )
    return node_role


@transaction.atomic
def volunteer_register(
    *,
    user: User,
    postcode: str,
    full_name: str = "",
    preferred_name: str = "",
    phone: str = "",
    contact_channels: Sequence[str] = (ContactChannel.EMAIL,),
    lsoa_code: str | None = None,
) -> VolunteerProfile:
    """Create the volunteer profile for a person who has just signed up.

    The postcode places them; a node without postcode data places them by district. `lsoa_code`
    lets an import (or the demo) place someone directly when the neighbourhood is known.
    """
    errors: dict[str, list[str]] = {}
    placed = None
    if postcode.strip():
        try:
            placed = place_for_postcode(postcode)
        except ValueError as exc:
            errors["postcode"] = [str(exc)]
    elif lsoa_code is None:
        errors["postcode"] = ["Enter your postcode, like L36 9YU."]
    try:
        channels = check_contact_channels(contact_channels)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    if VolunteerProfile.objects.filter(user=user).exists():
        raise Conflict("You already have a volunteer profile.")
    lsoa = placed.lsoa if placed else None
    if lsoa_code is not None:
        from covenant.places.models import LSOA

        lsoa = LSOA.objects.filter(code=lsoa_code).first()
        if lsoa is None:
            raise ValidationFailed(f"'{lsoa_code}' is not a known LSOA code.", field="lsoa")
    user.full_name = full_name.strip()
    user.preferred_name = preferred_name.strip()
    user.save(update_fields=["full_name", "preferred_name"])
    profile = VolunteerProfile.objects.create(
        user=user,
        postcode=placed.postcode if placed else "",
        postcode_district=placed.district if placed else "",
        lsoa=lsoa,
        phone=phone.strip(),
        contact_channels=channels,
    )
    audit.record(actor=user, action="volunteer.register", target=profile)
    return profile


@transaction.atomic
def volunteer_profile_update(
    *,
    actor: Any,
    profile: VolunteerProfile,
    postcode: str | None = None,
    phone: str | None = None,
    contact_channels: Sequence[str] | None = None,
    full_name: str | None = None,
    preferred_name: str | None = None,
) -> VolunteerProfile:
    authz.require(actor, "volunteer.profile.update", profile)
    # Check everything before changing anything, so a refusal names every problem and leaves
    # the caller's profile object as stored.
    errors: dict[str, list[str]] = {}
    placed = channels = None
    if postcode is not None:
        try:
            placed = place_for_postcode(postcode)
        except ValueError as exc:
            errors["postcode"] = [str(exc)]
    if contact_channels is not None:
        try:
            channels = check_contact_channels(contact_channels)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    if placed is not None:
        profile.postcode, profile.postcode_district = placed.postcode, placed.district
        profile.lsoa = placed.lsoa
    if phone is not None:
        profile.phone = phone.strip()
    if channels is not None:
        profile.contact_channels = channels
    profile.save()
    if full_name is not None or preferred_name is not None:
        user = profile.user
        if full_name is not None:
            user.full_name = full_name.strip()
        if preferred_name is not None:
            user.preferred_name = preferred_name.strip()
        user.save(update_fields=["full_name", "preferred_name"])
    audit.record(actor=actor, action="volunteer.profile.update", target=profile)
    return profile


def person_data_export(*, actor: Any, user: User) -> dict[str, Any]:
    """Everything the node holds about a person, for their subject access request. Writes an
    audit entry, because an export is a disclosure."""
    authz.require(actor, "person.data.export", user)
    profile = VolunteerProfile.objects.filter(user=user).select_related("lsoa").first()
    data: dict[str, Any] = {
        "account": {
            "email": user.email,
            "full_name": user.full_name,
            "preferred_name": user.preferred_name,
            "joined": user.date_joined.isoformat(),
            "last_sign_in": user.last_login.isoformat() if user.last_login else None,
        },
        "volunteer_profile": None,
        "organisation_roles": [
            {"organisation": m.organisation.name, "role": m.role, "since": m.granted_at.isoformat()}
            for m in Membership.objects.filter(user=user).select_related("organisation")
        ],
        "node_roles": list(NodeRole.objects.filter(user=user).values_list("role", flat=True)),
    }
    if profile is not None:
        data["volunteer_profile"] = {
            "postcode": profile.postcode,
            "neighbourhood": profile.lsoa.name if profile.lsoa else None,
            "phone": profile.phone,
            "contact_channels": profile.contact_channels,
        }
    from .personal_data import sections

    for name, section in sections().items():
        data[name] = section(user)
    with transaction.atomic():
        audit.record(actor=actor, action="person.data.export", target=user)
    return data
