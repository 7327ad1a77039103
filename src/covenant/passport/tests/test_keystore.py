"""The keystore: sealed secrets open only with the right key-encryption key, for the record
they belong to, and say exactly why when they do not."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from django.db import connection

from covenant.passport import jose, keystore
from covenant.passport.keystore import (
    KeyEncryptionKeyInvalid,
    KeyEncryptionKeyUnknown,
    Keyring,
    SealedDataDamaged,
)
from covenant.passport.models import Credential, HolderKey, IssuerKey
from covenant.passport.services import holder_key_ensure, issuer_key_rotate

from .conftest import member

SECRET = b"a private key, or a credential with a DBS certificate number 001234567890"


@pytest.fixture
def ring() -> Keyring:
    return Keyring(current=os.urandom(32))


def test_round_trip(ring: Keyring) -> None:
    sealed = ring.seal(SECRET, context="issuer-key:abc")
    assert SECRET not in sealed
    assert ring.open(sealed, context="issuer-key:abc") == SECRET


def test_each_seal_is_different(ring: Keyring) -> None:
    # A fresh nonce every time: equal secrets do not give equal blobs.
    assert ring.seal(SECRET, context="c") != ring.seal(SECRET, context="c")


def test_blob_layout_names_the_kek(ring: Keyring) -> None:
    sealed = ring.seal(SECRET, context="c")
    assert sealed[0] == keystore.VERSION
    assert sealed[1:9].hex() == ring.current_id
    assert len(sealed) == 1 + 8 + 12 + len(SECRET) + 16


@pytest.mark.parametrize(
    "position", [21, 30, -1, -16], ids=["first-ciphertext", "ciphertext", "tag-end", "tag-start"]
)
def test_a_flipped_byte_is_refused_as_damaged(ring: Keyring, position: int) -> None:
    sealed = bytearray(ring.seal(SECRET, context="issuer-key:abc"))
    sealed[position] ^= 0x01
    with pytest.raises(SealedDataDamaged, match="failed its integrity check") as caught:
        ring.open(bytes(sealed), context="issuer-key:abc")
    assert "issuer key abc" in str(caught.value)
    assert caught.value.code == "sealed_data_damaged"


def test_a_flipped_nonce_byte_is_refused(ring: Keyring) -> None:
    sealed = bytearray(ring.seal(SECRET, context="c"))
    sealed[12] ^= 0x80
    with pytest.raises(SealedDataDamaged):
        ring.open(bytes(sealed), context="c")


def test_a_changed_version_is_refused(ring: Keyring) -> None:
    sealed = bytearray(ring.seal(SECRET, context="c"))
    sealed[0] = 7
    with pytest.raises(SealedDataDamaged, match="format version 7"):
        ring.open(bytes(sealed), context="c")


def test_a_truncated_blob_is_refused(ring: Keyring) -> None:
    sealed = ring.seal(SECRET, context="c")
    with pytest.raises(SealedDataDamaged, match="too short"):
        ring.open(sealed[:20], context="c")
    with pytest.raises(SealedDataDamaged, match="integrity"):
        ring.open(sealed[:-1], context="c")


def test_a_changed_kek_id_names_the_missing_kek(ring: Keyring) -> None:
    sealed = bytearray(ring.seal(SECRET, context="c"))
    sealed[3] ^= 0xFF
    with pytest.raises(KeyEncryptionKeyUnknown, match=bytes(sealed[1:9]).hex()):
        ring.open(bytes(sealed), context="c")


def test_a_blob_does_not_open_for_another_record(ring: Keyring) -> None:
    sealed = ring.seal(SECRET, context="issuer-key:one")
    with pytest.raises(SealedDataDamaged, match="copied from another record"):
        ring.open(sealed, context="issuer-key:two")


def test_the_wrong_kek_is_a_clear_error(ring: Keyring) -> None:
    sealed = ring.seal(SECRET, context="c")
    other = Keyring(current=os.urandom(32))
    with pytest.raises(KeyEncryptionKeyUnknown) as caught:
        other.open(sealed, context="c")
    message = str(caught.value)
    assert ring.current_id in message
    assert other.current_id in message
    assert "COVENANT_KEY_ENCRYPTION_KEY" in message


def test_a_retired_kek_still_opens_and_rewrap_moves_to_the_current(ring: Keyring) -> None:
    sealed = ring.seal(SECRET, context="c")
    rotated = Keyring(current=os.urandom(32), retired=[ring.current])
    assert rotated.needs_rewrap(sealed)
    assert rotated.open(sealed, context="c") == SECRET
    rewrapped = rotated.rewrap(sealed, context="c")
    assert not rotated.needs_rewrap(rewrapped)
    assert Keyring(current=rotated.current).open(rewrapped, context="c") == SECRET
    with pytest.raises(KeyEncryptionKeyUnknown):
        Keyring(current=rotated.current).open(sealed, context="c")


def test_kek_parse_accepts_base64_of_32_bytes_only() -> None:
    raw = os.urandom(32)
    assert keystore.kek_parse(base64.b64encode(raw).decode()) == raw
    assert keystore.kek_parse(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    for bad in ("", "not base64 at all!", base64.b64encode(os.urandom(16)).decode()):
        with pytest.raises(KeyEncryptionKeyInvalid, match="32 random bytes in base64"):
            keystore.kek_parse(bad)
    with pytest.raises(KeyEncryptionKeyInvalid):
        Keyring(current=os.urandom(31))


def test_keyring_follows_settings(settings: pytest.FixtureRequest) -> None:
    derived = keystore.keyring()
    assert derived.current == keystore.kek_derive_from_secret(settings.SECRET_KEY)
    settings.SECRET_KEY = "another-secret-" + "z" * 50
    assert keystore.keyring().current != derived.current
    explicit = os.urandom(32)
    settings.COVENANT_KEY_ENCRYPTION_KEY = base64.b64encode(explicit).decode()
    assert keystore.keyring().current == explicit
    settings.COVENANT_KEY_ENCRYPTION_KEYS_RETIRED = base64.b64encode(derived.current).decode()
    sealed = derived.seal(SECRET, context="c")
    assert keystore.open_sealed(sealed, context="c") == SECRET
    settings.COVENANT_KEY_ENCRYPTION_KEY = "short"
    with pytest.raises(KeyEncryptionKeyInvalid):
        keystore.keyring()


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_generated_key_signs_and_names_itself(alg: jose.Algorithm) -> None:
    pair = keystore.key_pair_generate(alg, purpose="issuer-key")
    assert pair.alg == alg
    assert pair.kid == jose.thumbprint(pair.public_jwk)
    assert "d" not in pair.public_jwk
    sign = keystore.signer(pair.sealed_private, purpose="issuer-key", kid=pair.kid)
    signature = sign(b"header.payload")
    public = jose.import_public_jwk(pair.public_jwk)
    assert jose.verify_signature(alg, public, signature, b"header.payload")
    assert not jose.verify_signature(alg, public, signature, b"header.payload2")


def test_a_sealed_key_under_another_name_is_refused() -> None:
    pair = keystore.key_pair_generate("ES256", purpose="issuer-key")
    other = keystore.key_pair_generate("ES256", purpose="issuer-key")
    with pytest.raises(SealedDataDamaged):
        keystore.signer(pair.sealed_private, purpose="issuer-key", kid=other.kid)(b"x")
    with pytest.raises(SealedDataDamaged):  # the same key sealed for holders is not an issuer's
        keystore.signer(pair.sealed_private, purpose="holder-key", kid=pair.kid)(b"x")


# --- what the database holds -----------------------------------------------------------------


def _raw_row(table: str, pk: int) -> bytes:
    """Every column of a row as the database returns it, joined into bytes."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        row = cursor.fetchone()
    assert row is not None
    parts: list[bytes] = []
    for value in row:
        if isinstance(value, bytes | bytearray | memoryview):
            parts.append(bytes(value))
        else:
            parts.append(str(value).encode("utf-8"))
    return b"\x00".join(parts)


def _private_forms(key: jose.PrivateKey) -> list[bytes]:
    """Every plain spelling of a private key someone might find in a dump."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    d = jose.private_jwk(key)["d"]
    raw_d = jose.b64url_decode(d)
    pem_body = b"".join(pem.splitlines()[1:-1])
    return [der, pem, pem_body[:40], pem_body[-40:], d.encode(), raw_d, raw_d.hex().encode()]


@pytest.mark.django_db
@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_issuer_private_key_is_not_in_its_row(alg: str, charity, node_admin) -> None:
    key = issuer_key_rotate(actor=node_admin, organisation=charity, alg=alg)
    row = _raw_row(IssuerKey._meta.db_table, key.pk)
    assert key.public_jwk["x"].encode() in row  # the search does see the row's contents
    with IssuerKey.objects.get(pk=key.pk).unsealed() as private:
        forms = _private_forms(private)
    for form in forms:
        assert form not in row


@pytest.mark.django_db
def test_holder_private_key_is_not_in_its_row(charity) -> None:
    volunteer = member(charity)
    key = holder_key_ensure(actor=volunteer, holder=volunteer)
    row = _raw_row(HolderKey._meta.db_table, key.pk)
    assert key.kid.encode() in row
    with HolderKey.objects.get(pk=key.pk).unsealed() as private:
        forms = _private_forms(private)
    for form in forms:
        assert form not in row


@pytest.mark.django_db
def test_issued_sd_jwt_is_not_in_its_row(builtin_types, charity, node_admin) -> None:
    from covenant.core import clock
    from covenant.passport import sdjwt

    key = issuer_key_rotate(actor=node_admin, organisation=charity)
    volunteer = member(charity)
    holder = holder_key_ensure(actor=volunteer, holder=volunteer)
    now = int(clock.now().timestamp())
    with key.unsealed() as private:
        compact = sdjwt.issue(
            issuer_key=private,
            kid=key.kid,
            iss="http://127.0.0.1:8000/issuers/1",
            vct=builtin_types["reference"].vct,
            claims={"relationship": "employer", "received_on": "2024-05-01"},
            holder_jwk=holder.public_jwk,
            iat=now,
            exp=now + 3600,
        )
    credential = Credential(
        holder=volunteer,
        organisation=charity,
        credential_type=builtin_types["reference"],
        issuer_key=key,
        issued_at=clock.now(),
    )
    credential.sd_jwt_store(compact)
    credential.save()
    row = _raw_row(Credential._meta.db_table, credential.pk)
    jwt, *disclosures = compact.split("~")
    assert str(credential.uid).replace("-", "").encode() in row.replace(b"-", b"")
    for part in [compact, jwt.split(".")[1], *[d for d in disclosures if d]]:
        assert part.encode() not in row
    assert b"employer" not in row
    assert Credential.objects.get(pk=credential.pk).sd_jwt() == compact


@pytest.mark.django_db
def test_a_tampered_key_row_fails_clearly(charity, node_admin) -> None:
    key = issuer_key_rotate(actor=node_admin, organisation=charity)
    sealed = bytearray(bytes(key.private_key_sealed))
    sealed[-5] ^= 0x01
    IssuerKey.objects.filter(pk=key.pk).update(private_key_sealed=bytes(sealed))
    stored = IssuerKey.objects.get(pk=key.pk)
    with pytest.raises(SealedDataDamaged, match=f"issuer key {key.kid}"):
        stored.signer()(b"data")
