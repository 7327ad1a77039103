"""Secrets at rest: issuers' and holders' private keys, and issued credentials, sealed with
AES-256-GCM under a key-encryption key (KEK) the database never holds.

Why it looks like this:

- A database dump, a backup or a read replica must not be enough to sign credentials in an
  organisation's name, nor to read a volunteer's DBS check. So private keys and issued SD-JWTs
  are stored only as sealed blobs; the KEK lives in the environment
  (`COVENANT_KEY_ENCRYPTION_KEY`, 32 random bytes in base64). Production settings refuse to
  start without it. In development and tests, where there is nothing to protect, the KEK is
  derived from `SECRET_KEY` with HKDF so that a fresh checkout works with no set-up.
- Every blob names the KEK that sealed it (an 8-byte id derived from the KEK, which says
  nothing about the KEK itself), so the KEK can rotate: put the new one in
  `COVENANT_KEY_ENCRYPTION_KEY`, the old one in `COVENANT_KEY_ENCRYPTION_KEYS_RETIRED`, and old
  blobs still open (and `Keyring.rewrap` moves them to the new KEK).
- Each blob is bound to what it belongs to (a `context` such as ``"issuer-key:<kid>"``, passed
  to GCM as associated data), so a sealed key copied onto another row does not open there.
- A decrypted private key never leaves this module except inside a signing call: callers get
  `signer(...)` (a function that signs bytes) or the `unsealed_key(...)` context manager, which
  is only for handing the key straight to a signing routine.

Blob layout: ``version (1 byte) | KEK id (8 bytes) | nonce (12 bytes) | ciphertext and tag``;
the associated data is ``version | KEK id | context``, so the header cannot be altered either.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from covenant.core.errors import CovenantError

from . import jose

VERSION: Final = 1
_VERSION_BYTE: Final = bytes([VERSION])
KEK_ID_BYTES: Final = 8
NONCE_BYTES: Final = 12
KEK_BYTES: Final = 32
_HEADER_BYTES: Final = 1 + KEK_ID_BYTES + NONCE_BYTES
_TAG_BYTES: Final = 16
_KEK_ID_LABEL: Final = b"covenant key-encryption key id v1"
_DEV_KEK_INFO: Final = b"covenant passport key-encryption key v1 (development only)"


class KeystoreError(CovenantError):
    """A sealed secret could not be opened. Never the user's doing: the node's configuration
    or its stored data is wrong, and the message says which."""

    code = "keystore_error"
    status = 500
    title = "A stored secret could not be opened"


class SealedDataDamaged(KeystoreError):
    code = "sealed_data_damaged"


class KeyEncryptionKeyUnknown(KeystoreError):
    code = "key_encryption_key_unknown"


class KeyEncryptionKeyInvalid(KeystoreError):
    code = "key_encryption_key_invalid"


def kek_id(kek: bytes) -> bytes:
    """The KEK's public name: an HMAC of a fixed label, so it identifies without revealing."""
    return hmac.new(kek, _KEK_ID_LABEL, hashlib.sha256).digest()[:KEK_ID_BYTES]


def kek_parse(text: str, *, setting: str = "COVENANT_KEY_ENCRYPTION_KEY") -> bytes:
    """32 bytes from their base64 spelling (standard or URL-safe, padded or not)."""
    cleaned = text.strip()
    try:
        raw = base64.b64decode(
            cleaned.replace("-", "+").replace("_", "/") + "=" * (-len(cleaned) % 4),
            validate=True,
        )
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEK_BYTES:
        raise KeyEncryptionKeyInvalid(
            f"{setting} must be {KEK_BYTES} random bytes in base64 (44 characters). Make one "
            'with: python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"'
        )
    return raw


def kek_derive_from_secret(secret_key: str) -> bytes:
    """The development KEK: HKDF-SHA256 of SECRET_KEY. Production never uses this."""
    return HKDF(algorithm=hashes.SHA256(), length=KEK_BYTES, salt=None, info=_DEV_KEK_INFO).derive(
        secret_key.encode("utf-8")
    )


@dataclass(frozen=True)
class Keyring:
    """The KEK that seals new blobs, and the retired ones that may still open old blobs."""

    current: bytes
    retired: Sequence[bytes] = ()
    _by_id: dict[bytes, bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for kek in (self.current, *self.retired):
            if len(kek) != KEK_BYTES:
                raise KeyEncryptionKeyInvalid(
                    f"A key-encryption key must be {KEK_BYTES} bytes, not {len(kek)}."
                )
        by_id = {kek_id(kek): kek for kek in self.retired}
        by_id[kek_id(self.current)] = self.current
        object.__setattr__(self, "_by_id", by_id)

    @property
    def current_id(self) -> str:
        return kek_id(self.current).hex()

    def seal(self, plaintext: bytes, *, context: str) -> bytes:
        """Encrypt `plaintext` under the current KEK, bound to `context`."""
        header = _VERSION_BYTE + kek_id(self.current)
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = AESGCM(self.current).encrypt(nonce, plaintext, _aad(header, context))
        return header + nonce + ciphertext

    def open(self, sealed: bytes, *, context: str) -> bytes:
        """Decrypt a blob `seal` made for the same `context`, or say exactly why not."""
        blob = bytes(sealed)
        if len(blob) < _HEADER_BYTES + _TAG_BYTES:
            raise SealedDataDamaged(
                f"The sealed {_describe(context)} is {len(blob)} bytes long, too short to be "
                "a sealed secret: it was cut short or overwritten. Restore it from a backup."
            )
        if blob[0] != VERSION:
            raise SealedDataDamaged(
                f"The sealed {_describe(context)} has format version {blob[0]}, but this node "
                f"writes and reads version {VERSION}: it was changed or damaged. Restore it "
                "from a backup."
            )
        header, nonce, ciphertext = (
            blob[: 1 + KEK_ID_BYTES],
            blob[1 + KEK_ID_BYTES : _HEADER_BYTES],
            blob[_HEADER_BYTES:],
        )
        wanted = header[1:]
        kek = self._by_id.get(wanted)
        if kek is None:
            raise KeyEncryptionKeyUnknown(
                f"The sealed {_describe(context)} was encrypted with key-encryption key "
                f"{wanted.hex()}, which this node does not have (its current one is "
                f"{self.current_id}). Set COVENANT_KEY_ENCRYPTION_KEY to that key, or add it "
                "to COVENANT_KEY_ENCRYPTION_KEYS_RETIRED."
            )
        try:
            return AESGCM(kek).decrypt(nonce, ciphertext, _aad(header, context))
        except InvalidTag:
            raise SealedDataDamaged(
                f"The sealed {_describe(context)} failed its integrity check: it was changed "
                "or damaged after it was written, or copied from another record. It cannot "
                "be used; restore it from a backup (or, for a key, rotate to a new one)."
            ) from None

    def needs_rewrap(self, sealed: bytes) -> bool:
        """True when the blob was sealed under a retired KEK."""
        return bytes(sealed[1 : 1 + KEK_ID_BYTES]) != kek_id(self.current)

    def rewrap(self, sealed: bytes, *, context: str) -> bytes:
        """The same secret sealed under the current KEK (to finish a KEK rotation)."""
        return self.seal(self.open(sealed, context=context), context=context)


def _aad(header: bytes, context: str) -> bytes:
    return header + context.encode("utf-8")


def _describe(context: str) -> str:
    kind, _, name = context.partition(":")
    return f"{kind.replace('-', ' ')} {name}".strip() if name else kind.replace("-", " ")


_cache: dict[tuple[str, str, str], Keyring] = {}


def keyring() -> Keyring:
    """The node's keyring from settings, built once per distinct configuration (so tests
    that override the settings get the keyring they asked for)."""
    from django.conf import settings

    current = str(getattr(settings, "COVENANT_KEY_ENCRYPTION_KEY", "") or "")
    retired = str(getattr(settings, "COVENANT_KEY_ENCRYPTION_KEYS_RETIRED", "") or "")
    cache_key = (current, retired, "" if current else str(settings.SECRET_KEY))
    found = _cache.get(cache_key)
    if found is not None:
        return found
    kek = kek_parse(current) if current else kek_derive_from_secret(str(settings.SECRET_KEY))
    old = tuple(
        kek_parse(part, setting="COVENANT_KEY_ENCRYPTION_KEYS_RETIRED")
        for part in retired.split(",")
        if part.strip()
    )
    ring = Keyring(current=kek, retired=old)
    _cache[cache_key] = ring
    return ring


def seal(plaintext: bytes, *, context: str) -> bytes:
    return keyring().seal(plaintext, context=context)


def open_sealed(sealed: bytes, *, context: str) -> bytes:
    return keyring().open(sealed, context=context)


# --- private keys ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SealedKeyPair:
    """A new key as the database stores it: public JWK (with its thumbprint as kid) in the
    clear, private key sealed."""

    kid: str
    alg: jose.Algorithm
    public_jwk: dict[str, str]
    sealed_private: bytes


def key_context(purpose: str, kid: str) -> str:
    """What a sealed private key is bound to: its purpose and its own thumbprint."""
    return f"{purpose}:{kid}"


def key_pair_generate(alg: jose.Algorithm, *, purpose: str) -> SealedKeyPair:
    """Make a key pair and seal its private half at once; the plaintext is dropped here."""
    private = jose.generate_key(alg)
    public = jose.public_jwk(private)
    kid = public["kid"]
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    sealed = seal(der, context=key_context(purpose, kid))
    return SealedKeyPair(
        kid=kid, alg=jose.key_alg(private), public_jwk=public, sealed_private=sealed
    )


def _load_private(sealed: bytes, *, purpose: str, kid: str) -> jose.PrivateKey:
    der = open_sealed(sealed, context=key_context(purpose, kid))
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise SealedDataDamaged(f"The sealed {purpose} {kid} is not a P-256 or Ed25519 key.")
    if jose.thumbprint(jose.public_jwk(key, with_kid=False)) != kid:
        raise SealedDataDamaged(
            f"The sealed {purpose} {kid} opens to a different key than its name says."
        )
    return key


@contextmanager
def unsealed_key(sealed: bytes, *, purpose: str, kid: str) -> Iterator[jose.PrivateKey]:
    """The private key, for the length of one signing call (`with ... as key: sign(key, ...)`).

    Hand it straight to the signing routine and keep no reference: this is the one way a
    decrypted private key leaves the keystore."""
    key = _load_private(sealed, purpose=purpose, kid=kid)
    try:
        yield key
    finally:
        del key


def signer(sealed: bytes, *, purpose: str, kid: str) -> Callable[[bytes], bytes]:
    """A function that signs bytes (JWS form) with the sealed key, opening it on each call so
    no decrypted key outlives the call."""

    def sign(signing_input: bytes) -> bytes:
        with unsealed_key(sealed, purpose=purpose, kid=kid) as key:
            return jose.sign(key, signing_input)

    return sign
