"""Every write to passport tables: issuer keys, the trust registry, credential types, holder
keys, status lists, and credentials (issue, revoke, suspend, reinstate, retention); and the
reads that must leave a trace (seeing or downloading a DBS check).

Each service checks its input, asks `authz.require`, writes in one transaction and records the
action in the audit log. `actor=None` means the command line (shell access is the authority,
and the audit entry says "command line").

Audit entries about credentials name the credential, its type and the claim *names*, never a
claim's value: a DBS check is criminal-offence data, and the audit log is kept for years and
read by people who have no business seeing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Model, Q
from django.utils.text import slugify

from covenant.core import audit, authz, clock
from covenant.core.errors import Conflict, NotFound, ValidationFailed
from covenant.core.models import Organisation, OrgRole, User, VerificationStatus

from . import (
    credential_status,
    issuance,
    jose,
    keystore,
    lifecycle,
    registry,
    sdjwt,
    selectors,
    well_known,
)
from .models import (
    HOLDER_KEY_PURPOSE,
    ISSUER_KEY_PURPOSE,
    REVOCATION_REASONS,
    SUSPENSION_REASONS,
    Algorithm,
    ChangeReason,
    Credential,
    CredentialState,
    CredentialType,
    HolderKey,
    HolderKeyCustody,
    IssuerKey,
    StatusList,
    StatusPurpose,
    TrustedIssuer,
)
from .status_list import DEFAULT_SIZE, StatusListError, allocate_indexes
from .status_list import StatusList as Bitstring

COMMAND_LINE = authz.Actor(user_id=None, label="command line")


def _who(actor: Any) -> Any:
    return COMMAND_LINE if actor is None else actor


def _check_alg(alg: str) -> jose.Algorithm:
    if alg not in Algorithm.values:
        raise ValidationFailed(
            f"'{alg}' is not a signing algorithm this node uses. Choose ES256 (the default) "
            "or EdDSA.",
            field="alg",
        )
    return cast(jose.Algorithm, alg)


# --- issuer keys -----------------------------------------------------------------------------


@transaction.atomic
def issuer_key_rotate(
    *, actor: Any, organisation: Organisation, alg: str = Algorithm.ES256
) -> IssuerKey:
    """Give an organisation a new signing key; its previous key stops signing but stays
    published, so every credential it signed still verifies until someone retires it.

    Locks the organisation's row, so two rotations at once cannot leave two signing keys.
    The new private key is sealed before it reaches the database and is never returned.
    """
    if actor is not None:
        authz.require(actor, "passport.keys.rotate", organisation)
    checked_alg = _check_alg(alg)
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if locked.verification_status != VerificationStatus.VERIFIED:
        raise Conflict(
            f"The CVS has not verified {locked} yet, so it cannot hold signing keys. Ask the "
            "CVS to verify it first.",
            code="organisation_not_verified",
        )
    previous = IssuerKey.objects.filter(organisation=locked, active=True).first()
    if previous is not None:
        previous.active = False
        previous.save(update_fields=["active"])
    pair = keystore.key_pair_generate(checked_alg, purpose=ISSUER_KEY_PURPOSE)
    key = IssuerKey.objects.create(
        organisation=locked,
        kid=pair.kid,
        alg=pair.alg,
        public_jwk=pair.public_jwk,
        private_key_sealed=pair.sealed_private,
        active=True,
    )
    audit.record(
        actor=_who(actor),
        action="issuer_key.rotate",
        target=key,
        kid=key.kid,
        alg=key.alg,
        previous_kid=previous.kid if previous is not None else None,
    )
    return key


@transaction.atomic
def issuer_key_retire(*, actor: Any, key: IssuerKey) -> IssuerKey:
    """Stop publishing an old key. Credentials it signed stop verifying, which is the point
    when a key may have leaked; the signing key itself cannot be retired (rotate first)."""
    if actor is not None:
        authz.require(actor, "passport.keys.retire", key)
    locked = IssuerKey.objects.select_for_update().get(pk=key.pk)
    if locked.active:
        raise Conflict(
            "This is the organisation's signing key. Rotate to a new key first, then retire "
            "this one.",
            code="signing_key",
        )
    if locked.retired_at is not None:
        return locked
    locked.retired_at = clock.now()
    locked.save(update_fields=["retired_at"])
    audit.record(actor=_who(actor), action="issuer_key.retire", target=locked, kid=locked.kid)
    return locked


# --- the trust registry ----------------------------------------------------------------------


def _local_hosts() -> tuple[str, ...]:
    return ("localhost", "127.0.0.1", "::1")


def check_issuer_id(issuer: str) -> str:
    """An external issuer's id: the https URL it puts in `iss` (plain http only for a node on
    this machine, as in development)."""
    cleaned = issuer.strip().rstrip("/")
    parts = urlsplit(cleaned)
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in _local_hosts()
    )
    if not secure or not parts.hostname or parts.query or parts.fragment or parts.username:
        raise ValidationFailed(
            f"'{issuer.strip()}' is not an issuer id. Give the https address the issuer puts "
            "in its credentials' iss claim, like https://node.example.org/issuers/7.",
            field="issuer",
        )
    if len(cleaned) > 300:
        raise ValidationFailed("The issuer id must be 300 characters or fewer.", field="issuer")
    return cleaned


def check_jwks(jwks: object) -> dict[str, list[dict[str, str]]]:
    """An external issuer's published keys as a JWK Set of public P-256 or Ed25519 keys, each
    named by its thumbprint. A private key is refused loudly: it should never have been sent."""
    keys = jwks["keys"] if isinstance(jwks, Mapping) and "keys" in jwks else jwks
    if not isinstance(keys, list) or not keys:
        raise ValidationFailed(
            'Give the issuer\'s public keys as a JWK Set: {"keys": [ ... ]}.', field="jwks"
        )
    clean: list[dict[str, str]] = []
    for number, jwk in enumerate(keys, start=1):
        if not isinstance(jwk, Mapping):
            raise ValidationFailed(f"Key {number} is not a JWK (a JSON object).", field="jwks")
        if "d" in jwk:
            raise ValidationFailed(
                f"Key {number} is a private key. Only public keys are trusted; the issuer "
                "should treat that key as leaked and replace it.",
                field="jwks",
            )
        try:
            public = jose.import_public_jwk(jwk)
        except jose.JoseError as error:
            raise ValidationFailed(f"Key {number}: {error}.", field="jwks") from None
        published = jose.public_jwk(public, with_kid=False)
        kid = jwk.get("kid")
        published["kid"] = kid if isinstance(kid, str) and kid else jose.thumbprint(published)
        published["alg"] = jose.key_alg(public)
        clean.append(published)
    kids = [k["kid"] for k in clean]
    if len(set(kids)) != len(kids):
        raise ValidationFailed("Two keys have the same kid.", field="jwks")
    return {"keys": clean}


@transaction.atomic
def issuer_trust(
    *,
    actor: Any,
    credential_type: CredentialType,
    organisation: Organisation | None = None,
    issuer: str = "",
    name: str = "",
    jwks: object = None,
    note: str = "",
) -> TrustedIssuer:
    """Trust an issuer for a credential type: one of the node's organisations, or an issuer
    elsewhere named by its issuer id with its public keys (given the first time, and replaced
    whenever given again). Trusting twice changes nothing."""
    if actor is not None:
        authz.require(actor, "passport.trust.manage", credential_type)
    if (organisation is None) == (not issuer.strip()):
        raise ValidationFailed(
            "Choose one of the node's organisations, or give an external issuer's id, not both.",
            field="issuer",
        )
    if organisation is not None:
        if organisation.verification_status != VerificationStatus.VERIFIED:
            raise ValidationFailed(
                f"The CVS has not verified {organisation}; verify it before trusting it to "
                "issue credentials.",
                field="organisation",
            )
        entry, created = TrustedIssuer.objects.get_or_create(
            organisation=organisation, defaults={"name": organisation.name, "note": note}
        )
    else:
        issuer_id = check_issuer_id(issuer)
        local_prefix = f"{settings.COVENANT_BASE_URL}/issuers/"
        if issuer_id.startswith(local_prefix):
            raise ValidationFailed(
                "That issuer is on this node: choose the organisation instead.", field="issuer"
            )
        existing = TrustedIssuer.objects.select_for_update().filter(issuer=issuer_id).first()
        keys = check_jwks(jwks) if jwks is not None else None
        if existing is None:
            if keys is None:
                raise ValidationFailed(
                    "Give the issuer's public keys (its JWK Set) so verifiers can check its "
                    "signatures without calling it.",
                    field="jwks",
                )
            if not name.strip():
                raise ValidationFailed(
                    "Give the issuer's name, as verifiers will see it.", field="name"
                )
            entry = TrustedIssuer.objects.create(
                issuer=issuer_id, name=name.strip()[:200], jwks=keys, note=note
            )
            created = True
        else:
            entry, created = existing, False
            if keys is not None and keys != entry.jwks:
                entry.jwks = keys
                entry.save(update_fields=["jwks", "updated_at"])
                audit.record(
                    actor=_who(actor),
                    action="trusted_issuer.keys_update",
                    target=entry,
                    issuer=entry.issuer,
                    kids=[k["kid"] for k in keys["keys"]],
                )
    if entry.credential_types.filter(pk=credential_type.pk).exists():
        return entry
    entry.credential_types.add(credential_type)
    audit.record(
        actor=_who(actor),
        action="trusted_issuer.add",
        target=entry,
        organisation_id=entry.organisation_id,
        vct=credential_type.vct,
        issuer=entry.issuer or None,
        new_issuer=created,
    )
    return entry


@transaction.atomic
def issuer_untrust(
    *, actor: Any, trusted_issuer: TrustedIssuer, credential_type: CredentialType
) -> None:
    """Stop trusting an issuer for a type. An issuer trusted for nothing is removed."""
    if actor is not None:
        authz.require(actor, "passport.trust.manage", credential_type)
    entry = TrustedIssuer.objects.select_for_update().filter(pk=trusted_issuer.pk).first()
    if entry is None or not entry.credential_types.filter(pk=credential_type.pk).exists():
        raise NotFound(
            f"{trusted_issuer} is not trusted for {credential_type.name}.", field="credential_type"
        )
    entry.credential_types.remove(credential_type)
    audit.record(
        actor=_who(actor),
        action="trusted_issuer.remove",
        target=entry,
        organisation_id=entry.organisation_id,
        vct=credential_type.vct,
        issuer=entry.issuer or None,
    )
    if not entry.credential_types.exists():
        entry.delete()


# --- credential types ------------------------------------------------------------------------


def credential_types_builtin_sync(*, model: type[Model] | None = None) -> list[str]:
    """Write the built-in types from `registry` (creating or updating by vct) and return the
    vcts that changed. Migrations call it with their historical model; it is idempotent."""
    table: Any = model if model is not None else CredentialType
    changed: list[str] = []
    for row in registry.builtin_type_rows():
        values = dict(row)
        vct = values.pop("vct")
        current = table.objects.filter(vct=vct).first()
        if current is None:
            table.objects.create(vct=vct, **values)
            changed.append(vct)
            continue
        if any(getattr(current, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(current, name, value)
            current.save()
            changed.append(vct)
    return changed


MAX_VALIDITY_DAYS = 3650


@transaction.atomic
def training_type_add(
    *,
    actor: Any,
    name: str,
    slug: str = "",
    description: str = "",
    claims: object = None,
    validity_days: int | None = None,
    renewal_window_days: int = 60,
) -> CredentialType:
    """Add a training type of the node's own (forklift safety, dementia awareness, ...). It
    gets the standard training claims unless a definition is given, and is open to every
    verified organisation to issue."""
    if actor is not None:
        authz.require(actor, "passport.types.manage")
    errors: dict[str, list[str]] = {}
    clean_name = " ".join(name.split())
    if not clean_name or len(clean_name) > 100:
        errors.setdefault("name", []).append("Enter the training's name (at most 100 characters).")
    try:
        clean_slug = registry.slug_check(slug or slugify(clean_name))
    except ValidationFailed as error:
        errors.setdefault("slug", []).append(error.message)
        clean_slug = ""
    specs: tuple[registry.ClaimSpec, ...] = registry.TRAINING_CLAIMS
    if claims is not None:
        try:
            specs = registry.claims_definition_parse(claims)
        except ValidationFailed as error:
            errors.setdefault("claims", []).append(error.message)
    if validity_days is not None and not 1 <= validity_days <= MAX_VALIDITY_DAYS:
        errors.setdefault("validity_days", []).append(
            f"Give the validity in days, from 1 to {MAX_VALIDITY_DAYS}, or leave it empty if "
            "the training does not expire."
        )
    if not 0 <= renewal_window_days <= 365 or (
        validity_days is not None and renewal_window_days >= validity_days
    ):
        errors.setdefault("renewal_window_days", []).append(
            "The renewal reminder must be 0 to 365 days before expiry, and shorter than the "
            "validity."
        )
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    vct = registry.node_type_vct(settings.COVENANT_BASE_URL, clean_slug)
    if CredentialType.objects.filter(slug=clean_slug).exists() or (
        CredentialType.objects.filter(vct=vct).exists()
    ):
        raise Conflict(
            f"There is already a credential type called '{clean_slug}'. Choose another name.",
            field="slug",
        )
    credential_type = CredentialType.objects.create(
        vct=vct,
        slug=clean_slug,
        name=clean_name,
        description=description.strip(),
        category=registry.Category.TRAINING,
        claims=[spec.as_json() for spec in specs],
        validity_days=validity_days,
        renewal_window_days=0 if validity_days is None else renewal_window_days,
        issuer_policy=registry.IssuerPolicy.VERIFIED_ORGANISATIONS,
        built_in=False,
    )
    audit.record(actor=_who(actor), action="credential_type.add", target=credential_type, vct=vct)
    return credential_type


# --- holder keys -----------------------------------------------------------------------------


@transaction.atomic
def holder_key_ensure(*, actor: Any, holder: User) -> HolderKey:
    """The volunteer's active holder key, made (and held by the node, sealed) if they have
    none, so a volunteer without a wallet app can still make key-bound presentations."""
    authz.require(actor, "passport.holder_key.manage", holder)
    return _holder_key_of(holder, actor=actor)


def _holder_key_of(holder: User, *, actor: Any) -> HolderKey:
    """The holder's active key, made (node-held, sealed) if they have none. No permission
    check: callers have made theirs (the holder themself, or a verifier issuing to them, whose
    credential needs a key to bind to). Locks the holder's row so two at once make one key."""
    User.objects.select_for_update().filter(pk=holder.pk).first()
    current = HolderKey.objects.filter(holder=holder, active=True).first()
    if current is not None:
        return current
    pair = keystore.key_pair_generate("ES256", purpose=HOLDER_KEY_PURPOSE)
    key = HolderKey.objects.create(
        holder=holder,
        custody=HolderKeyCustody.NODE,
        kid=pair.kid,
        alg=pair.alg,
        public_jwk=pair.public_jwk,
        private_key_sealed=pair.sealed_private,
    )
    audit.record(actor=actor, action="holder_key.create", target=key, kid=key.kid)
    return key


@transaction.atomic
def holder_key_register(*, actor: Any, holder: User, public_jwk: object) -> HolderKey:
    """Bind the volunteer's future credentials to a key from their own wallet app. The node
    keeps only the public key; a previous key stops being used for new credentials."""
    authz.require(actor, "passport.holder_key.manage", holder)
    if not isinstance(public_jwk, Mapping):
        raise ValidationFailed("Give the wallet's public key as a JWK.", field="public_jwk")
    if "d" in public_jwk:
        raise ValidationFailed(
            "That is a private key. Never share it: your wallet keeps it. Give the public key "
            "only, and replace this key in your wallet.",
            field="public_jwk",
        )
    try:
        public = jose.import_public_jwk(public_jwk)
    except jose.JoseError as error:
        raise ValidationFailed(f"That key cannot be used: {error}.", field="public_jwk") from None
    jwk = jose.public_jwk(public)
    kid = jwk.pop("kid")
    User.objects.select_for_update().filter(pk=holder.pk).first()
    existing = HolderKey.objects.filter(holder=holder, kid=kid).first()
    if existing is not None and existing.active:
        return existing
    HolderKey.objects.filter(holder=holder, active=True).update(active=False)
    if existing is not None:
        existing.active = True
        existing.save(update_fields=["active"])
        key = existing
    else:
        key = HolderKey.objects.create(
            holder=holder,
            custody=HolderKeyCustody.WALLET,
            kid=kid,
            alg=jose.key_alg(public),
            public_jwk=jwk,
            private_key_sealed=None,
        )
    audit.record(actor=actor, action="holder_key.register", target=key, kid=kid)
    return key


# --- status lists ----------------------------------------------------------------------------


def status_list_path(organisation: Organisation, purpose: str, number: int) -> str:
    return f"/status-lists/{organisation.pk}/{purpose}/{number}"


def status_entry_allocate(
    *, organisation: Organisation, purpose: StatusPurpose
) -> tuple[StatusList, int]:
    """A fresh entry in the organisation's status list for `purpose`, for a credential being
    issued. Call inside the issuing transaction: it locks the list row, so two issues at once
    cannot take the same entry, and a rolled-back issue gives its entry back.

    The entry is chosen at random among those never given out (the specification's privacy
    advice); a full list is followed by a new one.
    """
    if purpose not in StatusPurpose.values:
        raise ValidationFailed(f"'{purpose}' is not a status purpose.", field="purpose")
    status_list = (
        StatusList.objects.select_for_update()
        .filter(organisation=organisation, purpose=purpose)
        .order_by("-number")
        .first()
    )
    if status_list is None or status_list.allocated >= status_list.size:
        number = 1 if status_list is None else status_list.number + 1
        empty = Bitstring.new(DEFAULT_SIZE)
        status_list = StatusList.objects.create(
            organisation=organisation,
            purpose=purpose,
            number=number,
            size=empty.size,
            bits=empty.to_bytes(),
            allocated_bits=empty.to_bytes(),
            path=status_list_path(organisation, purpose, number),
        )
    taken = Bitstring(bytes(status_list.allocated_bits))
    try:
        [index] = allocate_indexes(size=status_list.size, used=set(taken.set_indexes()))
    except StatusListError:  # pragma: no cover - `allocated` says the list has room
        raise Conflict("The status list is full; try again.", code="status_list_full") from None
    taken.set(index, 1)
    status_list.allocated_bits = taken.to_bytes()
    status_list.allocated += 1
    status_list.save(update_fields=["allocated_bits", "allocated", "updated_at"])
    return status_list, index


def status_entries_allocate(
    *, organisation: Organisation, purpose: StatusPurpose, count: int
) -> list[tuple[StatusList, int]]:
    """`count` fresh entries at once, for loading credentials in bulk (the demo): the same
    random choice as `status_entry_allocate`, filling the current list and opening new ones
    as needed, one update per list. Call inside the loading transaction."""
    found: list[tuple[StatusList, int]] = []
    while len(found) < count:
        status_list, first = status_entry_allocate(organisation=organisation, purpose=purpose)
        found.append((status_list, first))
        status_list.refresh_from_db(fields=["allocated_bits", "allocated"])
        taken = Bitstring(bytes(status_list.allocated_bits))
        wanted = min(count - len(found), status_list.size - status_list.allocated)
        indexes = allocate_indexes(
            size=status_list.size, used=set(taken.set_indexes()), count=wanted
        )
        for index in indexes:
            taken.set(index, 1)
        status_list.allocated_bits = taken.to_bytes()
        status_list.allocated += len(indexes)
        status_list.save(update_fields=["allocated_bits", "allocated", "updated_at"])
        found.extend((status_list, index) for index in indexes)
    return found


# --- key-encryption key rotation -------------------------------------------------------------


@transaction.atomic
def sealed_secrets_rewrap(*, actor: Any) -> int:
    """Re-seal every private key and issued credential still sealed under a retired
    key-encryption key, under the current one; return how many were re-sealed.

    The second half of a KEK rotation: after it, the retired KEK can be dropped from
    COVENANT_KEY_ENCRYPTION_KEYS_RETIRED. One transaction, so a failure (a blob that does not
    open) leaves everything as it was and names the record.
    """
    if actor is not None:
        authz.require(actor, "passport.kek.rewrap")
    ring = keystore.keyring()
    count = 0
    for issuer_key in IssuerKey.objects.select_for_update().only("pk", "kid", "private_key_sealed"):
        sealed = bytes(issuer_key.private_key_sealed)
        if ring.needs_rewrap(sealed):
            context = keystore.key_context(ISSUER_KEY_PURPOSE, issuer_key.kid)
            issuer_key.private_key_sealed = ring.rewrap(sealed, context=context)
            issuer_key.save(update_fields=["private_key_sealed"])
            count += 1
    holder_keys = HolderKey.objects.select_for_update().filter(private_key_sealed__isnull=False)
    for holder_key in holder_keys.only("pk", "kid", "private_key_sealed"):
        sealed = bytes(holder_key.private_key_sealed or b"")
        if ring.needs_rewrap(sealed):
            context = keystore.key_context(HOLDER_KEY_PURPOSE, holder_key.kid)
            holder_key.private_key_sealed = ring.rewrap(sealed, context=context)
            holder_key.save(update_fields=["private_key_sealed"])
            count += 1
    credentials = Credential.objects.select_for_update().only(
        "pk", "uid", "sd_jwt_sealed", "evidence_note_sealed"
    )
    for credential in credentials:
        changed: list[str] = []
        sealed = bytes(credential.sd_jwt_sealed)
        # An erased credential (retention) has nothing left to re-seal.
        if sealed and ring.needs_rewrap(sealed):
            credential.sd_jwt_sealed = ring.rewrap(sealed, context=credential.context)
            changed.append("sd_jwt_sealed")
        note = bytes(credential.evidence_note_sealed or b"")
        if note and ring.needs_rewrap(note):
            credential.evidence_note_sealed = ring.rewrap(note, context=credential.evidence_context)
            changed.append("evidence_note_sealed")
        if changed:
            credential.save(update_fields=changed)
            count += len(changed)
    audit.record(
        actor=_who(actor), action="passport.kek.rewrap", rewrapped=count, kek=ring.current_id
    )
    return count


# --- issuing ---------------------------------------------------------------------------------

EVIDENCE_NOTE_MAX = 500


def _issuing_organisation(
    actor: Any, credential_type: CredentialType, organisation: Organisation | None
) -> Organisation:
    """The organisation the actor issues for: the one given, or else the only one where they
    are a verifier and which may issue the type."""
    if organisation is not None:
        return organisation
    ids = authz.as_actor(actor).organisations_with(OrgRole.VERIFIER)
    candidates = [
        org
        for org in Organisation.objects.filter(pk__in=ids).order_by("name")
        if selectors.organisation_may_issue(org, credential_type)
    ]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        authz.require(actor, "passport.credential.issue", None)  # raises, with the usual words
    raise ValidationFailed(
        f"You are a verifier for {len(candidates)} organisations that may issue "
        f"{registry.with_article(credential_type.name)}. Choose which one issues it.",
        field="organisation",
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _long_date(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def _validity(
    credential_type: CredentialType,
    claims: Mapping[str, Any],
    valid_from: date | datetime | None,
    issued_at: datetime,
) -> tuple[datetime, datetime | None]:
    """When the credential's validity starts and ends; refuses one that has already ended."""
    field_name = "valid_from"
    if valid_from is None:
        claim = registry.validity_start_claim(credential_type.vct, credential_type.claim_specs())
        start = (
            _midnight(date.fromisoformat(claims[claim]))
            if claim is not None and claim in claims
            else issued_at
        )
        field_name = claim or field_name
    elif isinstance(valid_from, datetime):
        if valid_from.tzinfo is None or valid_from.utcoffset() is None:
            raise ValidationFailed(
                "Give the start of validity as an aware time (UTC).", field="valid_from"
            )
        start = valid_from
    else:
        start = _midnight(valid_from)
    if start > issued_at:
        raise ValidationFailed(
            "A credential's validity cannot start in the future.", field=field_name
        )
    if start.year < 1900:
        raise ValidationFailed("A credential's validity must start after 1900.", field=field_name)
    expires_at = lifecycle.validity_end(start, credential_type.validity_days)
    if expires_at is not None and expires_at <= issued_at:
        raise ValidationFailed(
            f"This {registry.in_sentence(credential_type.name)} ran out on "
            f"{_long_date(expires_at)}: it lasts {credential_type.validity_days} days. Check "
            "the date, or record a newer one.",
            field=field_name,
        )
    return start, expires_at


def _dbs_allow_list(credential_type: CredentialType, claims: Mapping[str, Any]) -> None:
    """A DBS check carries only the allow-listed fields, whatever its stored definition says
    (a node cannot widen it by editing the type)."""
    if credential_type.vct != registry.DBS_CHECK_VCT:
        return
    extra = sorted(set(claims) - set(registry.DBS_CHECK_CLAIMS))
    if extra:
        raise ValidationFailed(
            f"A DBS check records only {', '.join(registry.DBS_CHECK_CLAIMS)}; "
            f"'{extra[0]}' is not allowed, because it would keep criminal-offence data the "
            "node must not hold.",
            errors={name: ["A DBS check must not record this."] for name in extra},
        )


def check_evidence_note(note: str) -> str:
    cleaned = "\n".join(line.rstrip() for line in note.strip().splitlines())
    if len(cleaned) > EVIDENCE_NOTE_MAX:
        raise ValidationFailed(
            f"Keep the note to {EVIDENCE_NOTE_MAX} characters: say how you checked, not what "
            "the documents say.",
            field="evidence_note",
        )
    if "\x00" in cleaned:
        raise ValidationFailed(
            "The note contains a character that is not allowed.", field="evidence_note"
        )
    return cleaned


@transaction.atomic
def credential_issue(
    *,
    actor: Any,
    holder: User,
    credential_type: CredentialType,
    claims: Mapping[str, object],
    evidence_note: str = "",
    valid_from: date | datetime | None = None,
    organisation: Organisation | None = None,
    notify: bool = True,
) -> Credential:
    """Issue a credential to a volunteer after a verifier checked the evidence.

    The organisation is the one given, or the actor's only organisation (as verifier) that may
    issue the type. The claims are checked by the type's definition (a DBS check also against
    its allow-list); every one becomes a selectively disclosable claim of an SD-JWT VC signed
    with the organisation's signing key, bound to the volunteer's holder key (made, and held
    by the node, if they have none), with random entries in the organisation's revocation and
    suspension lists. Validity runs from `valid_from`, else from the date the type's claims
    say the check or training happened, else from now.

    The issued SD-JWT and the evidence note are stored sealed; the audit entry names the
    type and the claim names, never a claim's value (a DBS check is criminal-offence data).
    The volunteer is e-mailed once the issue commits (`notify=False` for bulk loads).
    """
    issuer = _issuing_organisation(actor, credential_type, organisation)
    draft = Credential(holder=holder, organisation=issuer, credential_type=credential_type)
    who = authz.require(actor, "passport.credential.issue", draft)
    if not holder.is_active:
        raise ValidationFailed(
            "This volunteer's account is closed, so nothing can be added to their passport.",
            field="holder",
        )
    clean = credential_type.claims_validate(dict(claims))
    _dbs_allow_list(credential_type, clean)
    note = check_evidence_note(evidence_note)
    issued_at = clock.now()
    start, expires_at = _validity(credential_type, clean, valid_from, issued_at)
    signing_key = selectors.signing_key_of(issuer)
    holder_key = _holder_key_of(holder, actor=who)
    revocation_list, revocation_index = status_entry_allocate(
        organisation=issuer, purpose=StatusPurpose.REVOCATION
    )
    suspension_list, suspension_index = status_entry_allocate(
        organisation=issuer, purpose=StatusPurpose.SUSPENSION
    )
    credential = Credential(
        holder=holder,
        organisation=issuer,
        credential_type=credential_type,
        issuer_key=signing_key,
        issued_by_id=who.user_id,
        issued_at=issued_at,
        valid_from=start,
        expires_at=expires_at,
        revocation_list=revocation_list,
        revocation_index=revocation_index,
        suspension_list=suspension_list,
        suspension_index=suspension_index,
    )
    with signing_key.unsealed() as key:
        compact = issuance.credential_sd_jwt(
            issuer_key=key,
            kid=signing_key.kid,
            iss=well_known.issuer_id(issuer),
            vct=credential_type.vct,
            claims=clean,
            holder_jwk=holder_key.public_jwk,
            issued_at=issued_at,
            expires_at=expires_at,
            revocation=issuance.StatusSlot(revocation_list.url, revocation_index),
            suspension=issuance.StatusSlot(suspension_list.url, suspension_index),
        )
    credential.sd_jwt_store(compact)
    credential.evidence_note_store(note)
    credential.save()
    audit.record(
        actor=who,
        action="credential.issue",
        target=credential,
        uid=str(credential.uid),
        vct=credential_type.vct,
        holder_id=holder.pk,
        kid=signing_key.kid,
        holder_kid=holder_key.kid,
        claims=sorted(clean),
        evidence_noted=bool(note),
    )
    if notify:
        from .tasks import credential_added_notify

        credential_id = credential.pk
        transaction.on_commit(lambda: credential_added_notify.enqueue(credential_id))
    return credential


# --- revoking, suspending, reinstating -------------------------------------------------------


def _check_reason(reason: str, allowed: tuple[ChangeReason, ...], what: str) -> ChangeReason:
    if reason not in [choice.value for choice in allowed]:
        labels = "; ".join(choice.label for choice in allowed)
        raise ValidationFailed(f"Choose why you are {what} it: {labels}.", field="reason")
    return ChangeReason(reason)


def _status_bit_set(status_list_id: int | None, index: int | None, value: int) -> None:
    """Flip one entry of a published list, in the caller's transaction; the list's version
    moves on, so the next fetch is signed afresh from the new bits."""
    if status_list_id is None or index is None:  # pragma: no cover - every credential has both
        raise Conflict("This credential has no status-list entry.", code="no_status_entry")
    locked = StatusList.objects.select_for_update().get(pk=status_list_id)
    bits = Bitstring(bytes(locked.bits))
    if bits.get(index) == value:
        return
    bits.set(index, value)
    locked.bits = bits.to_bytes()
    locked.version += 1
    locked.changed_at = clock.now()
    locked.save(update_fields=["bits", "version", "changed_at", "updated_at"])


def _lock(credential: Credential) -> Credential:
    return (
        Credential.objects.select_for_update()
        .select_related("credential_type", "organisation")
        .get(pk=credential.pk)
    )


def _state_change_notify(credential: Credential) -> None:
    from .tasks import credential_state_notify

    credential_id = credential.pk
    transaction.on_commit(lambda: credential_state_notify.enqueue(credential_id))


@transaction.atomic
def credential_revoke(*, actor: Any, credential: Credential, reason: str) -> Credential:
    """Revoke a credential this actor's organisation issued, for good.

    The revocation list entry flips in the same transaction, so a verifier that fetches the
    list after this returns sees the revocation. A suspended credential can be revoked (its
    suspension entry is cleared: revoked says it all). The holder is e-mailed.
    """
    who = authz.require(actor, "passport.credential.revoke", credential)
    why = _check_reason(reason, REVOCATION_REASONS, "revoking")
    locked = _lock(credential)
    if locked.state == CredentialState.REVOKED:
        raise Conflict("This credential is already revoked.", code="already_revoked")
    _status_bit_set(locked.revocation_list_id, locked.revocation_index, 1)
    if locked.state == CredentialState.SUSPENDED:
        _status_bit_set(locked.suspension_list_id, locked.suspension_index, 0)
    previous = locked.state
    locked.state = CredentialState.REVOKED
    locked.state_reason = why.value
    locked.state_changed_at = clock.now()
    locked.save(update_fields=["state", "state_reason", "state_changed_at"])
    audit.record(
        actor=who,
        action="credential.revoke",
        target=locked,
        uid=str(locked.uid),
        vct=locked.credential_type.vct,
        reason=why.value,
        previous_state=previous,
    )
    _state_change_notify(locked)
    return locked


@transaction.atomic
def credential_suspend(*, actor: Any, credential: Credential, reason: str) -> Credential:
    """Pause a credential (while the issuer looks into something); `credential_reinstate`
    lifts it. The suspension entry flips in the same transaction."""
    who = authz.require(actor, "passport.credential.suspend", credential)
    why = _check_reason(reason, SUSPENSION_REASONS, "suspending")
    locked = _lock(credential)
    if locked.state != CredentialState.ACTIVE:
        raise Conflict(
            f"Only an active credential can be suspended; this one is {locked.state}.",
            code="not_active",
        )
    _status_bit_set(locked.suspension_list_id, locked.suspension_index, 1)
    locked.state = CredentialState.SUSPENDED
    locked.state_reason = why.value
    locked.state_changed_at = clock.now()
    locked.save(update_fields=["state", "state_reason", "state_changed_at"])
    audit.record(
        actor=who,
        action="credential.suspend",
        target=locked,
        uid=str(locked.uid),
        vct=locked.credential_type.vct,
        reason=why.value,
    )
    _state_change_notify(locked)
    return locked


@transaction.atomic
def credential_reinstate(*, actor: Any, credential: Credential) -> Credential:
    """Lift a suspension: the credential is active again and its suspension entry clears."""
    who = authz.require(actor, "passport.credential.suspend", credential)
    locked = _lock(credential)
    if locked.state != CredentialState.SUSPENDED:
        raise Conflict(
            f"Only a suspended credential can be reinstated; this one is {locked.state}.",
            code="not_suspended",
        )
    _status_bit_set(locked.suspension_list_id, locked.suspension_index, 0)
    locked.state = CredentialState.ACTIVE
    locked.state_reason = ""
    locked.state_changed_at = clock.now()
    locked.save(update_fields=["state", "state_reason", "state_changed_at"])
    audit.record(
        actor=who,
        action="credential.reinstate",
        target=locked,
        uid=str(locked.uid),
        vct=locked.credential_type.vct,
    )
    _state_change_notify(locked)
    return locked


# --- looking at a credential -----------------------------------------------------------------


def _sensitive(credential: Credential) -> bool:
    """Whose views are logged: DBS checks (criminal-offence data), by anyone, the holder too,
    so the log answers "who has seen this?" completely."""
    return credential.credential_type.category == registry.Category.DBS


@dataclass(frozen=True)
class ClaimShown:
    name: str
    label: str
    value: str


@transaction.atomic
def credential_claims_view(*, actor: Any, credential: Credential) -> list[ClaimShown]:
    """The credential's claims as a person reads them, for its holder or its issuer's
    verifiers. A DBS check's claims shown to anyone are logged (who, which credential)."""
    who = authz.require(actor, "passport.credential.view", credential)
    if not credential.has_content:
        return []
    holding = sdjwt.read_holding(credential.sd_jwt())
    values = {name: value for name, (_, value) in holding.disclosable.items()}
    shown = [
        ClaimShown(name, label, text)
        for name, label, text in registry.claims_display(
            credential.credential_type.claim_specs(), values
        )
    ]
    if _sensitive(credential):
        audit.record(
            actor=who,
            action="credential.view",
            target=credential,
            uid=str(credential.uid),
            vct=credential.credential_type.vct,
            by_holder=who.user_id == credential.holder_id,
        )
    return shown


@transaction.atomic
def credential_download(*, actor: Any, credential: Credential) -> str:
    """The issued credential in standard form (compact SD-JWT) for the holder's own wallet.
    Downloading a DBS check is logged, as viewing it is."""
    who = authz.require(actor, "passport.credential.download", credential)
    if not credential.has_content:
        raise Conflict(
            "This credential's details were deleted under the retention rule, so there is "
            "nothing to download.",
            code="content_purged",
        )
    compact = credential.sd_jwt()
    if _sensitive(credential):
        audit.record(
            actor=who,
            action="credential.download",
            target=credential,
            uid=str(credential.uid),
            vct=credential.credential_type.vct,
        )
    return compact


# --- publishing status lists -----------------------------------------------------------------

STATUS_LIST_RESIGN_AFTER = timedelta(hours=1)
STATUS_LIST_LIFETIME = timedelta(hours=24)


def status_list_publish(*, status_list: StatusList) -> str:
    """The list as a signed JWT, ready to serve. Signed afresh only when its bits changed,
    the organisation's signing key changed, or the last signature is an hour old (it is good
    for a day), so every fetch in between gets the same bytes (and the same ETag).

    Anyone may fetch a list, so there is no permission check and no audit entry. The new
    signature is saved only if the bits have not changed meanwhile; a stale one is never kept.
    """
    now = clock.now()
    key = selectors.signing_key_of(status_list.organisation)
    fresh = (
        status_list.published_jwt
        and status_list.published_version == status_list.version
        and status_list.published_kid == key.kid
        and status_list.published_at is not None
        and now - status_list.published_at < STATUS_LIST_RESIGN_AFTER
    )
    if fresh:
        return status_list.published_jwt
    expires_at = now + STATUS_LIST_LIFETIME
    document = well_known.status_list_document(status_list, valid_until=expires_at)
    with key.unsealed() as private:
        token = credential_status.status_list_jwt(
            key=private,
            kid=key.kid,
            document=document,
            issued_at=int(now.timestamp()),
            expires_at=int(expires_at.timestamp()),
        )
    StatusList.objects.filter(pk=status_list.pk, version=status_list.version).update(
        published_jwt=token,
        published_version=status_list.version,
        published_kid=key.kid,
        published_at=now,
    )
    return token


# --- retention -------------------------------------------------------------------------------

RETENTION_ACTOR = authz.Actor(user_id=None, label="retention schedule")


@dataclass(frozen=True)
class RetentionReport:
    evidence_notes: int
    credentials: int


@transaction.atomic
def credentials_retention_purge(*, actor: Any = None) -> RetentionReport:
    """Erase what the node may no longer keep (see `lifecycle`): evidence notes 180 days after
    issue, and the issued SD-JWT of credentials revoked or expired more than 180 days ago. The
    credential's row stays (it says a credential existed and what became of it, and its
    status-list entries are never given out again). Run daily; `actor=None` is the schedule."""
    who = RETENTION_ACTOR if actor is None else actor
    if actor is not None:
        authz.require(actor, "passport.retention.run")
    now = clock.now()
    cutoff = lifecycle.retention_cutoff(now)
    notes = Credential.objects.filter(
        evidence_note_sealed__isnull=False, issued_at__lte=cutoff
    ).update(evidence_note_sealed=None)
    contents = (
        Credential.objects.filter(content_purged_at__isnull=True)
        .filter(
            Q(state=CredentialState.REVOKED, state_changed_at__lte=cutoff)
            | Q(expires_at__lte=cutoff)
        )
        .update(sd_jwt_sealed=b"", content_purged_at=now)
    )
    if notes or contents:
        audit.record(
            actor=who,
            action="passport.retention.purge",
            evidence_notes=notes,
            credentials=contents,
            cutoff=cutoff,
        )
    return RetentionReport(evidence_notes=notes, credentials=contents)
