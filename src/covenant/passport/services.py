"""Every write to passport tables: issuer keys, the trust registry, credential types, holder
keys and status-list entries.

Each service checks its input, asks `authz.require`, writes in one transaction and records the
action in the audit log. `actor=None` means the command line (shell access is the authority,
and the audit entry says "command line").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils.text import slugify

from covenant.core import audit, authz, clock
from covenant.core.errors import Conflict, NotFound, ValidationFailed
from covenant.core.models import Organisation, User, VerificationStatus

from . import jose, keystore, registry
from .models import (
    HOLDER_KEY_PURPOSE,
    ISSUER_KEY_PURPOSE,
    Algorithm,
    Credential,
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
    for credential in Credential.objects.select_for_update().only("pk", "uid", "sd_jwt_sealed"):
        sealed = bytes(credential.sd_jwt_sealed)
        if ring.needs_rewrap(sealed):
            credential.sd_jwt_sealed = ring.rewrap(sealed, context=credential.context)
            credential.save(update_fields=["sd_jwt_sealed"])
            count += 1
    audit.record(
        actor=_who(actor), action="passport.kek.rewrap", rewrapped=count, kek=ring.current_id
    )
    return count
