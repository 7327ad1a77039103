"""Believable passports for the demo node: called by `core.demo.build_demo`.

What it makes:

- signing keys for the CVS, the community transport operator and a handful of voluntary
  organisations, and the transport operator trusted in the registry as a MiDAS trainer;
- `volunteer@example.org` gets a valid credential of every built-in type, issued by the CVS's
  verifier through the real service (permission check, audit entry and all);
- every other demo volunteer gets a few credentials by plausible rules: most have an identity
  check and a reference, about a third a DBS check, some safeguarding, first aid or food
  hygiene training, a few a volunteering record, and drivers a driving licence check and
  MiDAS. Dates are spread over each type's validity, so some credentials are expiring soon
  and a few have expired; a few are revoked or suspended, their status-list bits set.

The bulk credentials are real: each is an SD-JWT VC built by `issuance.credential_sd_jwt`
(as the service builds them), signed with its organisation's key, bound to the volunteer's
own node-held holder key, with random status-list entries, sealed. What the bulk path skips
is the per-credential overhead that does not change the result: one permission check, key
unsealing and audit entry per credential (it opens each organisation's key once and writes
one audit entry for the lot), so 2,000 volunteers take seconds, not minutes.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from covenant.core import audit, clock
from covenant.core.authz import Actor
from covenant.core.models import Organisation, OrganisationKind, User, VerificationStatus

from . import issuance, keystore, lifecycle, registry, services, well_known
from .models import (
    HOLDER_KEY_PURPOSE,
    REVOCATION_REASONS,
    SUSPENSION_REASONS,
    Credential,
    CredentialState,
    CredentialType,
    HolderKey,
    HolderKeyCustody,
    IssuerKey,
    StatusList,
    StatusPurpose,
)
from .status_list import StatusList as Bitstring

Progress = Callable[[Iterable[int], int], Iterable[int]]

PROVIDERS = [
    "St John Ambulance",
    "British Red Cross",
    "Knowsley Safeguarding Partnership",
    "Community Transport Association",
    "Local authority training team",
    "Highfield Qualifications centre",
]
ROLES = [
    "Food bank volunteer",
    "Befriender",
    "Community driver",
    "Café volunteer",
    "Youth club helper",
    "Warehouse volunteer",
    "Advice line volunteer",
    "Gardening volunteer",
]


@dataclass(frozen=True)
class DemoPassports:
    credentials: int
    holders: int
    by_standing: dict[str, int]


@dataclass
class _Planned:
    holder: User
    credential_type: CredentialType
    organisation: Organisation
    claims: dict[str, Any]
    issued_at: datetime
    valid_from: datetime
    expires_at: datetime | None
    state: str = CredentialState.ACTIVE
    reason: str = ""
    changed_at: datetime | None = None
    slots: dict[str, tuple[StatusList, int]] = field(default_factory=dict)


def _ago(days: int) -> str:
    return (clock.today() - timedelta(days=days)).isoformat()


def _midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.min, tzinfo=UTC)


def _certificate(rng: random.Random) -> str:
    return f"{rng.randrange(10**12):012d}"


def named_volunteer_claims(holder: User, organisation_name: str) -> dict[str, dict[str, Any]]:
    """volunteer@example.org's passport: one current credential of every built-in type."""
    return {
        "identity-check": {
            "full_name": holder.full_name,
            "age_over_18": True,
            "method": "documents_in_person",
            "checked_on": _ago(120),
        },
        registry.DBS_CHECK_SLUG: {
            "level": "enhanced",
            "workforce": "child_and_adult",
            "barred_lists_checked": ["adults", "children"],
            "outcome": "clear",
            "certificate_number": "001938475610",
            "issue_date": _ago(200),
            "update_service_subscribed": True,
        },
        "reference": {
            "relationship": "volunteering",
            "years_known": 3,
            "role": "Food bank volunteer",
            "received_on": _ago(100),
        },
        "safeguarding-adults": {
            "level": "2",
            "completed_on": _ago(150),
            "course": "Safeguarding adults at risk",
            "provider": "Knowsley Safeguarding Partnership",
        },
        "safeguarding-children": {
            "level": "1",
            "completed_on": _ago(160),
            "provider": "Knowsley Safeguarding Partnership",
        },
        "first-aid": {
            "qualification": "emergency_first_aid_at_work",
            "completed_on": _ago(300),
            "provider": "St John Ambulance",
        },
        "food-hygiene": {"level": "2", "completed_on": _ago(400), "course": "Food Safety Level 2"},
        "manual-handling": {"completed_on": _ago(90), "provider": "British Red Cross"},
        "midas": {
            "module": "standard",
            "certificate_number": "MD4471920",
            "completed_on": _ago(250),
            "provider": "Community Transport Association",
        },
        "driving-licence-check": {
            "categories": ["B", "BE", "D1"],
            "restriction_codes": ["101"],
            "test_passed_on": "1994-05-12",
            "licence_held_since": "1993-11-01",
            "checked_on": _ago(30),
        },
        "volunteering-record": {
            "organisation": organisation_name,
            "role": "Warehouse volunteer",
            "hours": 124,
            "period_start": _ago(700),
        },
    }


def _claims(
    slug: str, rng: random.Random, holder: User, done: str, organisation: Organisation
) -> dict[str, Any]:
    """Plausible claims of a type for a bulk volunteer, the check done on `done`."""
    if slug == "identity-check":
        return {
            "full_name": holder.full_name,
            "age_over_18": True,
            "method": rng.choice(["documents_in_person"] * 4 + ["digital_identity", "vouched"]),
            "checked_on": done,
        }
    if slug == registry.DBS_CHECK_SLUG:
        level = rng.choices(["enhanced", "standard", "basic"], weights=[7, 2, 1])[0]
        claims: dict[str, Any] = {"level": level}
        if level == "enhanced":
            claims["workforce"] = rng.choice(["adult", "child", "child_and_adult"])
            lists = {"adult": ["adults"], "child": ["children"]}.get(
                claims["workforce"], ["adults", "children"]
            )
            if rng.random() < 0.8:
                claims["barred_lists_checked"] = lists
        claims["outcome"] = "clear" if rng.random() < 0.93 else "information_considered"
        claims["certificate_number"] = _certificate(rng)
        claims["issue_date"] = done
        claims["update_service_subscribed"] = rng.random() < 0.45
        return claims
    if slug == "reference":
        return {
            "relationship": rng.choice(
                ["employer", "volunteering", "education", "professional", "personal"]
            ),
            "years_known": rng.randint(1, 25),
            "received_on": done,
        }
    if slug in ("safeguarding-adults", "safeguarding-children"):
        return {
            "level": rng.choice(["1", "1", "2", "2", "3"]),
            "completed_on": done,
            "provider": rng.choice(PROVIDERS[:3]),
        }
    if slug == "first-aid":
        return {
            "qualification": rng.choice(
                ["emergency_first_aid_at_work", "first_aid_at_work", "basic_first_aid"]
            ),
            "completed_on": done,
            "provider": rng.choice(PROVIDERS[:2]),
        }
    if slug == "food-hygiene":
        return {"level": rng.choice(["1", "2", "2", "3"]), "completed_on": done}
    if slug == "manual-handling":
        return {"completed_on": done}
    if slug == "midas":
        return {
            "module": rng.choice(["standard", "standard", "accessible"]),
            "certificate_number": f"MD{rng.randrange(10**7):07d}",
            "completed_on": done,
            "provider": "Community Transport Association",
        }
    if slug == "driving-licence-check":
        passed = date(rng.randint(1975, 2015), rng.randint(1, 12), rng.randint(1, 28))
        categories = ["B", "BE"] + (["C1", "D1"] if passed.year < 1997 else [])
        claims = {
            "categories": categories,
            "test_passed_on": passed.isoformat(),
            "licence_held_since": (passed - timedelta(days=rng.randint(60, 700))).isoformat(),
            "checked_on": done,
        }
        if passed.year < 1997:
            claims["restriction_codes"] = ["101"]
        return claims
    if slug == "volunteering-record":
        start = date.fromisoformat(done) - timedelta(days=rng.randint(90, 1500))
        claims = {
            "organisation": organisation.name,
            "role": rng.choice(ROLES),
            "hours": rng.randint(10, 600),
            "period_start": start.isoformat(),
        }
        if rng.random() < 0.5:
            claims["period_end"] = done
        return claims
    raise ValueError(f"no demo claims for {slug}")


# Who gets what: (type slug, share of volunteers, who issues: "cvs", "transport" or "any").
PLAN: Sequence[tuple[str, float, str]] = (
    ("identity-check", 0.85, "cvs"),
    ("reference", 0.7, "any"),
    (registry.DBS_CHECK_SLUG, 0.35, "cvs"),
    ("safeguarding-adults", 0.2, "any"),
    ("safeguarding-children", 0.12, "any"),
    ("first-aid", 0.15, "any"),
    ("food-hygiene", 0.1, "any"),
    ("manual-handling", 0.08, "any"),
    ("volunteering-record", 0.25, "any"),
)
DRIVERS = 0.08  # a driving licence check and MiDAS, from the transport operator
REVOKED = 0.012
SUSPENDED = 0.004


def _done_on(rng: random.Random, credential_type: CredentialType) -> str:
    """When the check or course happened: spread over the type's validity, with a few
    already lapsed (about 4%) and the rest as likely to be near their end as not."""
    validity = credential_type.validity_days
    if validity is None:
        return _ago(rng.randint(1, 1500))
    return _ago(rng.randint(1, int(validity * 1.04)))


_SPECS: dict[tuple[int, str], tuple[registry.ClaimSpec, ...]] = {}


def _specs(credential_type: CredentialType) -> tuple[registry.ClaimSpec, ...]:
    """A type's parsed claims definition, parsed once per load rather than per credential."""
    key = (credential_type.pk, str(credential_type.claims))
    if key not in _SPECS:
        _SPECS[key] = credential_type.claim_specs()
    return _SPECS[key]


def _plan_for(
    rng: random.Random,
    holder: User,
    types: dict[str, CredentialType],
    cvs: Organisation,
    transport: Organisation,
    issuers: Sequence[Organisation],
    now: datetime,
) -> list[_Planned]:
    chosen: list[tuple[str, Organisation]] = []
    for slug, share, who in PLAN:
        if rng.random() < share:
            organisation = cvs if who == "cvs" else rng.choice(issuers)
            chosen.append((slug, organisation))
    if rng.random() < DRIVERS:
        chosen += [("driving-licence-check", transport), ("midas", transport)]
    planned = []
    for slug, organisation in chosen:
        credential_type = types[slug]
        specs = _specs(credential_type)
        done = _done_on(rng, credential_type)
        claims = registry.claims_validate(
            _claims(slug, rng, holder, done, organisation),
            specs,
            vct=credential_type.vct,
            type_name=credential_type.name,
        )
        start_claim = registry.validity_start_claim(credential_type.vct, specs)
        checked = _midnight(done)
        issued_at = min(
            now - timedelta(minutes=5),
            checked + timedelta(days=rng.randint(0, 14), seconds=rng.randint(3600, 80000)),
        )
        valid_from = checked if start_claim is not None else issued_at
        item = _Planned(
            holder=holder,
            credential_type=credential_type,
            organisation=organisation,
            claims=claims,
            issued_at=issued_at,
            valid_from=valid_from,
            expires_at=lifecycle.validity_end(valid_from, credential_type.validity_days),
        )
        roll = rng.random()
        if roll < REVOKED + SUSPENDED:
            revoked = roll < REVOKED
            item.state = CredentialState.REVOKED if revoked else CredentialState.SUSPENDED
            item.reason = rng.choice(REVOCATION_REASONS if revoked else SUSPENSION_REASONS).value
            item.changed_at = min(now, issued_at + timedelta(days=rng.randint(1, 300)))
        planned.append(item)
    return planned


def _holder_keys(holders: Sequence[User]) -> dict[int, HolderKey]:
    keys = []
    for holder in holders:
        pair = keystore.key_pair_generate("ES256", purpose=HOLDER_KEY_PURPOSE)
        keys.append(
            HolderKey(
                holder=holder,
                custody=HolderKeyCustody.NODE,
                kid=pair.kid,
                alg=pair.alg,
                public_jwk=pair.public_jwk,
                private_key_sealed=pair.sealed_private,
            )
        )
    HolderKey.objects.bulk_create(keys, batch_size=500)
    return {key.holder_id: key for key in keys}


def _allocate(planned: Sequence[_Planned]) -> None:
    by_organisation: dict[int, list[_Planned]] = defaultdict(list)
    for item in planned:
        by_organisation[item.organisation.pk].append(item)
    for items in by_organisation.values():
        for purpose in (StatusPurpose.REVOCATION, StatusPurpose.SUSPENSION):
            slots = services.status_entries_allocate(
                organisation=items[0].organisation, purpose=purpose, count=len(items)
            )
            for item, slot in zip(items, slots, strict=True):
                item.slots[purpose] = slot


def _sign(planned: Sequence[_Planned], holder_keys: dict[int, HolderKey]) -> list[Credential]:
    by_organisation: dict[int, list[_Planned]] = defaultdict(list)
    for item in planned:
        by_organisation[item.organisation.pk].append(item)
    made: list[Credential] = []
    for items in by_organisation.values():
        organisation = items[0].organisation
        signing_key: IssuerKey = IssuerKey.objects.get(organisation=organisation, active=True)
        iss = well_known.issuer_id(organisation)
        with signing_key.unsealed() as key:
            for item in items:
                revocation_list, revocation_index = item.slots[StatusPurpose.REVOCATION]
                suspension_list, suspension_index = item.slots[StatusPurpose.SUSPENSION]
                holder_key = holder_keys[item.holder.pk]
                credential = Credential(
                    holder=item.holder,
                    organisation=organisation,
                    credential_type=item.credential_type,
                    issuer_key=signing_key,
                    issued_at=item.issued_at,
                    valid_from=item.valid_from,
                    expires_at=item.expires_at,
                    state=item.state,
                    state_reason=item.reason,
                    state_changed_at=item.changed_at,
                    revocation_list=revocation_list,
                    revocation_index=revocation_index,
                    suspension_list=suspension_list,
                    suspension_index=suspension_index,
                )
                credential.sd_jwt_store(
                    issuance.credential_sd_jwt(
                        issuer_key=key,
                        kid=signing_key.kid,
                        iss=iss,
                        vct=item.credential_type.vct,
                        claims=item.claims,
                        holder_jwk=holder_key.public_jwk,
                        issued_at=item.issued_at,
                        expires_at=item.expires_at,
                        revocation=issuance.StatusSlot(revocation_list.url, revocation_index),
                        suspension=issuance.StatusSlot(suspension_list.url, suspension_index),
                    )
                )
                made.append(credential)
    return made


def _set_status_bits(credentials: Sequence[Credential], now: datetime) -> None:
    """Revoked and suspended demo credentials get their bits, one update per list."""
    flips: dict[int, list[int]] = defaultdict(list)
    for credential in credentials:
        if credential.state == CredentialState.REVOKED:
            flips[credential.revocation_list_id or 0].append(credential.revocation_index or 0)
        elif credential.state == CredentialState.SUSPENDED:
            flips[credential.suspension_list_id or 0].append(credential.suspension_index or 0)
    for status_list in StatusList.objects.select_for_update().filter(pk__in=flips):
        bits = Bitstring(bytes(status_list.bits))
        for index in flips[status_list.pk]:
            bits.set(index, 1)
        status_list.bits = bits.to_bytes()
        status_list.version += 1
        status_list.changed_at = now
        status_list.save(update_fields=["bits", "version", "changed_at", "updated_at"])


def demo_issuers(first: Organisation, count: int = 8) -> list[Organisation]:
    """The voluntary organisations that issue references and training in the demo: `first`
    (the pantry whose staff are demo accounts) and others the CVS verified."""
    others = Organisation.objects.filter(
        verification_status=VerificationStatus.VERIFIED,
        kind__in=[
            OrganisationKind.CHARITY,
            OrganisationKind.CIO,
            OrganisationKind.FAITH_GROUP,
            OrganisationKind.SOCIAL_ENTERPRISE,
            OrganisationKind.COMMUNITY_GROUP,
        ],
        runs_node=False,
    ).exclude(pk=first.pk)
    return [first, *others.order_by("name")[: count - 1]]


def build_passports(
    *,
    node_admin: User,
    cvs: Organisation,
    transport: Organisation,
    issuers: Sequence[Organisation],
    cvs_verifier: User,
    named_volunteer: User,
    volunteers: Sequence[User],
    seed: int = 2020,
    progress: Progress | None = None,
) -> DemoPassports:
    """Give the demo node's organisations keys and its volunteers passports (see above).
    Runs inside the demo's transaction."""
    rng = random.Random(seed)
    now = clock.now()
    # The caller's objects may predate their verification; issuing asks about it.
    for organisation in (cvs, transport, *issuers):
        organisation.refresh_from_db()
    for organisation in {
        cvs.pk: cvs,
        transport.pk: transport,
        **{o.pk: o for o in issuers},
    }.values():
        services.issuer_key_rotate(actor=node_admin, organisation=organisation)
    types = {t.slug: t for t in CredentialType.objects.filter(built_in=True)}
    services.issuer_trust(
        actor=node_admin,
        credential_type=types["midas"],
        organisation=transport,
        note="Registered MiDAS trainer (Community Transport Association).",
    )

    # The named volunteer, through the real service, one credential of every type.
    for slug, claims in named_volunteer_claims(named_volunteer, issuers[0].name).items():
        services.credential_issue(
            actor=cvs_verifier,
            holder=named_volunteer,
            credential_type=types[slug],
            claims=claims,
            evidence_note="Demo: saw the original documents in person.",
            organisation=cvs,
            notify=False,
        )

    planned: list[_Planned] = []
    for holder in volunteers:
        planned.extend(_plan_for(rng, holder, types, cvs, transport, issuers, now))
    holders = list({item.holder.pk: item.holder for item in planned}.values())
    holder_keys = _holder_keys(holders)
    _allocate(planned)
    batch = 1000
    steps: Iterable[int] = range(0, len(planned), batch)
    if progress is not None:
        steps = progress(steps, (len(planned) + batch - 1) // batch)
    made: list[Credential] = []
    for start in steps:
        chunk = _sign(planned[start : start + batch], holder_keys)
        Credential.objects.bulk_create(chunk, batch_size=500)
        made.extend(chunk)
    _set_status_bits(made, now)

    standings = Counter(
        lifecycle.standing(
            state=c.state,
            expires_at=c.expires_at,
            renewal_window_days=c.credential_type.renewal_window_days,
            now=now,
        ).value
        for c in made
    )
    audit.record(
        actor=Actor(user_id=None, label="demo"),
        action="demo.passports",
        credentials=len(made),
        holders=len(holders),
        by_standing=dict(sorted(standings.items())),
    )
    return DemoPassports(len(made) + len(types), len(holders) + 1, dict(standings))
