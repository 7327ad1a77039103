"""Passport services on the database: keys, trust, types, holder keys, status entries."""

from __future__ import annotations

import pytest

from covenant.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from covenant.core.models import AuditEntry, OrgRole, VerificationStatus
from covenant.core.tests.factories import OrganisationFactory, UserFactory
from covenant.passport import jose, selectors
from covenant.passport.models import (
    Credential,
    CredentialType,
    HolderKey,
    HolderKeyCustody,
    IssuerKey,
    StatusList,
    StatusPurpose,
    TrustedIssuer,
)
from covenant.passport.registry import IssuerPolicy
from covenant.passport.services import (
    holder_key_ensure,
    holder_key_register,
    issuer_key_retire,
    issuer_key_rotate,
    issuer_trust,
    issuer_untrust,
    status_entry_allocate,
    training_type_add,
)
from covenant.passport.status_list import StatusList as Bitstring

from .conftest import member

pytestmark = pytest.mark.django_db


def last_audit(action: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action).order_by("-seq").first()
    assert entry is not None, action
    return entry


# --- issuer keys -----------------------------------------------------------------------------


def test_rotation_makes_a_new_signing_key_and_keeps_the_old_published(charity) -> None:
    admin = member(charity, OrgRole.ADMIN)
    first = issuer_key_rotate(actor=admin, organisation=charity)
    assert first.active
    assert first.alg == "ES256"
    assert first.kid == jose.thumbprint(first.public_jwk)
    assert selectors.signing_key_of(charity) == first
    second = issuer_key_rotate(actor=admin, organisation=charity, alg="EdDSA")
    first.refresh_from_db()
    assert not first.active
    assert first.retired_at is None
    assert second.active
    assert second.alg == "EdDSA"
    assert selectors.signing_key_of(charity) == second
    assert list(selectors.issuer_keys_of(charity)) == [first, second]
    entry = last_audit("issuer_key.rotate")
    assert entry.actor_id == admin.pk
    assert entry.organisation_id == charity.pk
    assert entry.detail == {"kid": second.kid, "alg": "EdDSA", "previous_kid": first.kid}


def test_the_node_admin_may_rotate_any_organisations_keys(charity, node_admin) -> None:
    assert issuer_key_rotate(actor=node_admin, organisation=charity).organisation == charity


@pytest.mark.parametrize("role", [OrgRole.VERIFIER, OrgRole.COORDINATOR])
def test_other_roles_may_not_rotate(charity, role) -> None:
    with pytest.raises(PermissionDenied):
        issuer_key_rotate(actor=member(charity, role), organisation=charity)
    with pytest.raises(PermissionDenied):
        issuer_key_rotate(actor=member(OrganisationFactory.create()), organisation=charity)
    with pytest.raises(NotAuthenticated):
        issuer_key_rotate(actor=authz_anonymous(), organisation=charity)
    assert not IssuerKey.objects.exists()
    assert not AuditEntry.objects.filter(action="issuer_key.rotate").exists()


def authz_anonymous():
    from covenant.core.authz import ANONYMOUS

    return ANONYMOUS


def test_an_unverified_organisation_gets_no_keys(node_admin) -> None:
    pending = OrganisationFactory.create(verification_status=VerificationStatus.PENDING)
    with pytest.raises(Conflict, match="has not verified") as caught:
        issuer_key_rotate(actor=node_admin, organisation=pending)
    assert caught.value.code == "organisation_not_verified"


def test_an_unknown_algorithm_is_refused(charity, node_admin) -> None:
    with pytest.raises(ValidationFailed, match="ES256") as caught:
        issuer_key_rotate(actor=node_admin, organisation=charity, alg="RS256")
    assert caught.value.field == "alg"


def test_no_signing_key_is_a_clear_conflict(charity) -> None:
    with pytest.raises(Conflict, match="no signing key") as caught:
        selectors.signing_key_of(charity)
    assert caught.value.code == "no_signing_key"


def test_retiring_stops_publishing_but_never_the_signing_key(charity) -> None:
    admin = member(charity)
    old = issuer_key_rotate(actor=admin, organisation=charity)
    with pytest.raises(Conflict, match="Rotate to a new key first"):
        issuer_key_retire(actor=admin, key=old)
    new = issuer_key_rotate(actor=admin, organisation=charity)
    with pytest.raises(PermissionDenied):
        issuer_key_retire(actor=member(charity, OrgRole.VERIFIER), key=old)
    retired = issuer_key_retire(actor=admin, key=old)
    assert retired.retired_at is not None
    assert list(selectors.issuer_keys_of(charity)) == [new]
    assert issuer_key_retire(actor=admin, key=old).retired_at == retired.retired_at
    assert AuditEntry.objects.filter(action="issuer_key.retire").count() == 1


def test_the_command_line_rotates_without_an_actor(charity) -> None:
    key = issuer_key_rotate(actor=None, organisation=charity)
    entry = last_audit("issuer_key.rotate")
    assert entry.actor_id is None
    assert entry.actor_label == "command line"
    assert entry.target_id == str(key.pk)


# --- trust registry --------------------------------------------------------------------------


def external_jwks() -> dict[str, list[dict[str, str]]]:
    return {"keys": [jose.public_jwk(jose.generate_key("ES256"))]}


def test_trusting_a_local_organisation_for_dbs(dbs_type, charity, node_admin) -> None:
    verifier = member(charity, OrgRole.VERIFIER)
    assert not selectors.organisation_may_issue(charity, dbs_type)
    entry = issuer_trust(actor=node_admin, credential_type=dbs_type, organisation=charity)
    assert entry.is_local
    assert entry.name == charity.name
    assert list(entry.credential_types.all()) == [dbs_type]
    assert selectors.organisation_may_issue(charity, dbs_type)
    assert charity in selectors.organisations_trusted_for(dbs_type)
    audit_entry = last_audit("trusted_issuer.add")
    assert audit_entry.detail["vct"] == dbs_type.vct
    assert audit_entry.organisation_id == charity.pk
    # Trusting again changes nothing and writes nothing.
    assert issuer_trust(actor=node_admin, credential_type=dbs_type, organisation=charity) == entry
    assert AuditEntry.objects.filter(action="trusted_issuer.add").count() == 1
    del verifier


def test_only_the_node_admin_manages_trust(dbs_type, charity, cvs_staff) -> None:
    for actor in (cvs_staff, member(charity, OrgRole.ADMIN), UserFactory.create()):
        with pytest.raises(PermissionDenied):
            issuer_trust(actor=actor, credential_type=dbs_type, organisation=charity)
    assert not TrustedIssuer.objects.exists()


def test_an_unverified_organisation_cannot_be_trusted(dbs_type, node_admin) -> None:
    pending = OrganisationFactory.create(verification_status=VerificationStatus.PENDING)
    with pytest.raises(ValidationFailed, match="has not verified") as caught:
        issuer_trust(actor=node_admin, credential_type=dbs_type, organisation=pending)
    assert caught.value.field == "organisation"


def test_trusting_an_external_umbrella_body(dbs_type, builtin_types, node_admin) -> None:
    jwks = external_jwks()
    entry = issuer_trust(
        actor=node_admin,
        credential_type=dbs_type,
        issuer="https://umbrella.example.org/issuers/3/",
        name="Merseyside Umbrella Checks",
        jwks=jwks,
    )
    assert entry.issuer == "https://umbrella.example.org/issuers/3"
    assert entry.jwks["keys"][0]["kid"] == jose.thumbprint(jwks["keys"][0])
    assert entry.jwks["keys"][0]["alg"] == "ES256"
    assert list(selectors.external_issuers_trusted_for(dbs_type)) == [entry]
    # The same issuer for another type, with new keys: one entry, keys replaced and audited.
    newer = external_jwks()
    again = issuer_trust(
        actor=node_admin,
        credential_type=builtin_types["identity-check"],
        issuer="https://umbrella.example.org/issuers/3",
        jwks=newer,
    )
    assert again.pk == entry.pk
    assert again.jwks["keys"][0]["x"] == newer["keys"][0]["x"]
    assert set(again.credential_types.values_list("slug", flat=True)) == {
        "dbs-check",
        "identity-check",
    }
    assert last_audit("trusted_issuer.keys_update").detail["issuer"] == entry.issuer


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({}, "issuer", "not both"),
        ({"issuer": "http://umbrella.example.org"}, "issuer", "not an issuer id"),
        ({"issuer": "umbrella.example.org"}, "issuer", "not an issuer id"),
        ({"issuer": "https://u.example.org?x=1"}, "issuer", "not an issuer id"),
        ({"issuer": "https://u.example.org"}, "jwks", "public keys"),
        ({"issuer": "https://u.example.org", "jwks": {"keys": []}}, "jwks", "JWK Set"),
        ({"issuer": "https://u.example.org", "jwks": {"keys": ["x"]}}, "jwks", "not a JWK"),
        (
            {"issuer": "https://u.example.org", "jwks": {"keys": [{"kty": "RSA"}]}},
            "jwks",
            "unsupported JWK",
        ),
        ({"issuer": "http://127.0.0.1:8000/issuers/4"}, "issuer", "on this node"),
    ],
)
def test_bad_external_issuers_are_refused(dbs_type, node_admin, kwargs, field, message) -> None:
    with pytest.raises(ValidationFailed, match=message) as caught:
        issuer_trust(actor=node_admin, credential_type=dbs_type, name="X", **kwargs)
    assert field in caught.value.errors


def test_a_private_key_is_refused_as_leaked(dbs_type, node_admin) -> None:
    private = jose.private_jwk(jose.generate_key("ES256"))
    with pytest.raises(ValidationFailed, match="private key") as caught:
        issuer_trust(
            actor=node_admin,
            credential_type=dbs_type,
            issuer="https://u.example.org",
            name="U",
            jwks={"keys": [private]},
        )
    assert "leaked" in caught.value.message


def test_local_and_external_together_are_refused(dbs_type, charity, node_admin) -> None:
    with pytest.raises(ValidationFailed, match="not both"):
        issuer_trust(
            actor=node_admin,
            credential_type=dbs_type,
            organisation=charity,
            issuer="https://u.example.org",
        )


def test_untrusting_removes_the_type_then_the_issuer(dbs_type, builtin_types, charity, node_admin):
    midas = builtin_types["midas"]
    entry = issuer_trust(actor=node_admin, credential_type=dbs_type, organisation=charity)
    issuer_trust(actor=node_admin, credential_type=midas, organisation=charity)
    with pytest.raises(PermissionDenied):
        issuer_untrust(actor=member(charity), trusted_issuer=entry, credential_type=dbs_type)
    issuer_untrust(actor=node_admin, trusted_issuer=entry, credential_type=dbs_type)
    assert not selectors.organisation_may_issue(charity, dbs_type)
    assert selectors.organisation_may_issue(charity, midas)
    with pytest.raises(NotFound):
        issuer_untrust(actor=node_admin, trusted_issuer=entry, credential_type=dbs_type)
    issuer_untrust(actor=node_admin, trusted_issuer=entry, credential_type=midas)
    assert not TrustedIssuer.objects.exists()
    assert AuditEntry.objects.filter(action="trusted_issuer.remove").count() == 2


def test_who_may_issue_by_policy(builtin_types, dbs_type, cvs, charity) -> None:
    reference = builtin_types["reference"]
    pending = OrganisationFactory.create(verification_status=VerificationStatus.PENDING)
    assert selectors.organisation_may_issue(cvs, dbs_type)
    assert selectors.organisation_may_issue(charity, reference)
    assert not selectors.organisation_may_issue(charity, dbs_type)
    assert not selectors.organisation_may_issue(pending, reference)
    pending.runs_node = True
    assert not selectors.organisation_may_issue(pending, dbs_type), "verified first"
    assert list(selectors.organisations_trusted_for(dbs_type)) == [cvs]
    assert set(selectors.organisations_trusted_for(reference)) == {cvs, charity}


# --- credential types ------------------------------------------------------------------------


def test_the_cvs_adds_a_training_type(cvs_staff, settings) -> None:
    settings.COVENANT_BASE_URL = "https://knowsley.example.org"
    added = training_type_add(
        actor=cvs_staff, name="Dementia Friends", validity_days=730, renewal_window_days=30
    )
    assert added.slug == "dementia-friends"
    assert added.vct == "https://knowsley.example.org/vct/dementia-friends/1"
    assert not added.built_in
    assert added.issuer_policy == IssuerPolicy.VERIFIED_ORGANISATIONS
    assert [c.name for c in added.claim_specs()] == ["completed_on", "course", "provider"]
    assert added.claims_validate({"completed_on": "2024-01-02"}) == {"completed_on": "2024-01-02"}
    assert last_audit("credential_type.add").detail == {"vct": added.vct}
    with pytest.raises(Conflict):
        training_type_add(actor=cvs_staff, name="Dementia friends")


def test_a_training_type_with_its_own_claims(node_admin) -> None:
    added = training_type_add(
        actor=node_admin,
        name="Forklift",
        claims=[
            {"name": "completed_on", "label": "Completed", "type": "date"},
            {"name": "grade", "label": "Grade", "type": "choice", "values": ["pass", "merit"]},
        ],
    )
    assert added.validity_days is None
    assert added.renewal_window_days == 0
    with pytest.raises(ValidationFailed) as caught:
        added.claims_validate({"completed_on": "2024-01-01", "grade": "distinction"})
    assert list(caught.value.errors) == ["grade"]


def test_bad_training_types_are_refused_field_by_field(node_admin, charity) -> None:
    with pytest.raises(ValidationFailed) as caught:
        training_type_add(
            actor=node_admin,
            name="",
            slug="Not A Slug",
            claims=[{"name": "exp", "label": "x", "type": "date"}],
            validity_days=0,
            renewal_window_days=500,
        )
    assert set(caught.value.errors) == {
        "name",
        "slug",
        "claims",
        "validity_days",
        "renewal_window_days",
    }
    with pytest.raises(PermissionDenied):
        training_type_add(actor=member(charity), name="Forklift")
    assert not CredentialType.objects.filter(built_in=False).exists()


# --- holder keys -----------------------------------------------------------------------------


def test_a_volunteer_gets_one_node_held_key() -> None:
    volunteer = UserFactory.create()
    key = holder_key_ensure(actor=volunteer, holder=volunteer)
    assert key.custody == HolderKeyCustody.NODE
    assert key.active
    assert key.private_key_sealed is not None
    assert holder_key_ensure(actor=volunteer, holder=volunteer) == key
    signature = key.signer()(b"kb-jwt signing input")
    assert jose.verify_signature(
        "ES256", jose.import_public_jwk(key.public_jwk), signature, b"kb-jwt signing input"
    )
    assert AuditEntry.objects.filter(action="holder_key.create").count() == 1
    with pytest.raises(PermissionDenied):
        holder_key_ensure(actor=UserFactory.create(), holder=volunteer)


def test_a_wallet_key_replaces_the_node_key() -> None:
    volunteer = UserFactory.create()
    node_key = holder_key_ensure(actor=volunteer, holder=volunteer)
    wallet_private = jose.generate_key("EdDSA")
    public = jose.public_jwk(wallet_private, with_kid=False)
    wallet = holder_key_register(actor=volunteer, holder=volunteer, public_jwk=public)
    node_key.refresh_from_db()
    assert not node_key.active
    assert wallet.custody == HolderKeyCustody.WALLET
    assert wallet.alg == "EdDSA"
    assert wallet.private_key_sealed is None
    assert wallet.kid == jose.thumbprint(public)
    assert holder_key_register(actor=volunteer, holder=volunteer, public_jwk=public) == wallet
    assert HolderKey.objects.filter(holder=volunteer, active=True).get() == wallet
    with pytest.raises(Exception, match="own wallet"):
        wallet.signer()


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        ("not a key", "as a JWK"),
        ({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}, "cannot be used"),
        ({"kty": "RSA", "n": "x", "e": "AQAB"}, "cannot be used"),
    ],
)
def test_bad_wallet_keys_are_refused(jwk, message) -> None:
    volunteer = UserFactory.create()
    with pytest.raises(ValidationFailed, match=message) as caught:
        holder_key_register(actor=volunteer, holder=volunteer, public_jwk=jwk)
    assert caught.value.field == "public_jwk"


def test_a_private_wallet_key_is_refused() -> None:
    volunteer = UserFactory.create()
    with pytest.raises(ValidationFailed, match="private key"):
        holder_key_register(
            actor=volunteer,
            holder=volunteer,
            public_jwk=jose.private_jwk(jose.generate_key("ES256")),
        )
    assert not HolderKey.objects.exists()


# --- status lists ----------------------------------------------------------------------------


def test_status_entries_are_random_distinct_and_in_a_big_list(charity) -> None:
    entries = [
        status_entry_allocate(organisation=charity, purpose=StatusPurpose.REVOCATION)
        for _ in range(40)
    ]
    lists = {status_list.pk for status_list, _ in entries}
    assert len(lists) == 1
    status_list = StatusList.objects.get()
    assert status_list.size >= 131_072
    assert status_list.path == f"/status-lists/{charity.pk}/revocation/1"
    assert status_list.url == f"http://127.0.0.1:8000/status-lists/{charity.pk}/revocation/1"
    indexes = [index for _, index in entries]
    assert len(set(indexes)) == 40
    assert indexes != sorted(indexes), "random, not sequential"
    assert max(indexes) > 1000
    assert status_list.allocated == 40
    assert sorted(Bitstring(bytes(status_list.allocated_bits)).set_indexes()) == sorted(indexes)
    assert not any(Bitstring(bytes(status_list.bits)).set_indexes()), "all valid"


def test_each_purpose_and_organisation_has_its_own_list(charity, cvs) -> None:
    revocation, _ = status_entry_allocate(organisation=charity, purpose=StatusPurpose.REVOCATION)
    suspension, _ = status_entry_allocate(organisation=charity, purpose=StatusPurpose.SUSPENSION)
    other, _ = status_entry_allocate(organisation=cvs, purpose=StatusPurpose.REVOCATION)
    assert len({revocation.pk, suspension.pk, other.pk}) == 3
    with pytest.raises(ValidationFailed):
        status_entry_allocate(organisation=charity, purpose="refresh")  # type: ignore[arg-type]


def test_a_full_list_is_followed_by_a_new_one(charity) -> None:
    first, _ = status_entry_allocate(organisation=charity, purpose=StatusPurpose.REVOCATION)
    StatusList.objects.filter(pk=first.pk).update(allocated=first.size)
    second, index = status_entry_allocate(organisation=charity, purpose=StatusPurpose.REVOCATION)
    assert second.number == 2
    assert second.pk != first.pk
    assert second.path.endswith("/revocation/2")
    assert 0 <= index < second.size


def test_an_entry_is_never_given_twice_even_after_erasure(charity) -> None:
    """Taken entries are remembered in the list itself, not worked out from the credentials
    that use them: a credential erased with its holder may have left its revoked bit set, and
    a new credential given that entry would be born revoked."""
    status_list, _ = status_entry_allocate(organisation=charity, purpose=StatusPurpose.REVOCATION)
    everything_but_one = bytearray(b"\xff" * (status_list.size // 8))
    everything_but_one[12345 // 8] &= ~(0x80 >> (12345 % 8)) & 0xFF
    StatusList.objects.filter(pk=status_list.pk).update(
        allocated_bits=bytes(everything_but_one), allocated=status_list.size - 1
    )
    assert not Credential.objects.exists()
    same, index = status_entry_allocate(organisation=charity, purpose=StatusPurpose.REVOCATION)
    assert (same.pk, index) == (status_list.pk, 12345)
    following, _ = status_entry_allocate(organisation=charity, purpose=StatusPurpose.REVOCATION)
    assert following.number == 2
