"""W3C Bitstring Status List v1.0: the published list that says a credential is revoked.

Plain Python, no Django. An issuer keeps one list per purpose (revocation, suspension), gives
each new credential a random free index in it, flips that entry to revoke or suspend, and
publishes the list as a `BitstringStatusListCredential`. A verifier fetches the list once,
decodes it once, and then reads thousands of entries from it, so decoding is one base64 and one
zlib pass over a few hundred bytes and reading an entry is a shift and a mask on a `bytearray`.

Choices, with the specification's reasons (https://www.w3.org/TR/vc-bitstring-status-list/):

- Index 0 is the left-most (most significant) bit of the first byte; entry `i` of a list whose
  entries are `s` bits wide occupies bits `i*s .. i*s+s-1`, most significant first (section 2.2
  and 7.1).
- A list has at least 131,072 entries (the validate algorithm's `minimumNumberOfEntries`), which
  is also the 16 KB minimum for one-bit entries. A smaller bound is only for an ecosystem that
  sets one, and for tests: pass `min_entries`.
- `encodedList` is multibase base64url without padding (prefix "u") of the GZIP bytes. We write
  GZIP with modification time 0, so the same list always encodes to the same string and the
  published document does not reveal when it was last changed beyond its own `validFrom`.
- Decoding refuses, with a specific `StatusListError`, a missing prefix, bad base64url, anything
  that is not exactly GZIP, a list that is too short, one too large to be honest (a GZIP bomb),
  and one whose length is not a whole number of entries.
- `statusSize` and `statusMessage` belong to the `BitstringStatusListEntry` (the credential that
  points into the list), because that is where the JSON-LD context defines them; the list
  credential's subject carries only the terms its context defines (`id`, `type`,
  `statusPurpose`, `encodedList`, `ttl`). The specification's prose also mentions
  `credentialSubject.statusMessages`, which no context defines, so we do not write it.
- Indexes are allocated at random (section 2.1: "Implementations SHOULD assign indexes
  randomly"), so an index reveals neither when a credential was issued nor how many there are.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import secrets
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random
from typing import Any, Final

from covenant.core.errors import CovenantError

DEFAULT_SIZE: Final = 131_072
MIN_ENTRIES: Final = 131_072
# Eight bits give 256 status messages, more than any purpose here needs; a cap keeps a hostile
# entry from asking for a 2**64-element message table.
MAX_STATUS_SIZE: Final = 8
# 16 MiB uncompressed (134 million one-bit entries): far beyond any honest list, small enough
# that a verifier cannot be made to inflate a GZIP bomb.
MAX_BITSTRING_BYTES: Final = 16 * 1024 * 1024

MULTIBASE_BASE64URL: Final = "u"
GZIP_MAGIC: Final = b"\x1f\x8b"

REVOCATION: Final = "revocation"
SUSPENSION: Final = "suspension"
MESSAGE: Final = "message"
REFRESH: Final = "refresh"
PURPOSES: Final = (REVOCATION, SUSPENSION, MESSAGE, REFRESH)

VC_CONTEXT_V2: Final = "https://www.w3.org/ns/credentials/v2"
LIST_CREDENTIAL_TYPE: Final = "BitstringStatusListCredential"
LIST_TYPE: Final = "BitstringStatusList"
ENTRY_TYPE: Final = "BitstringStatusListEntry"

# The specification's error names (section 3.5 and VC Data Model 2.0), so a verifier can
# report them in a problem document.
MALFORMED_VALUE_ERROR: Final = "MALFORMED_VALUE_ERROR"
STATUS_LIST_LENGTH_ERROR: Final = "STATUS_LIST_LENGTH_ERROR"
STATUS_VERIFICATION_ERROR: Final = "STATUS_VERIFICATION_ERROR"
RANGE_ERROR: Final = "RANGE_ERROR"

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_DECIMAL = re.compile(r"[0-9]{1,19}")
_SPEC_ERRORS: Final = {
    "too_short": STATUS_LIST_LENGTH_ERROR,
    "index_out_of_range": RANGE_ERROR,
    "purpose_mismatch": STATUS_VERIFICATION_ERROR,
    "status_size_mismatch": STATUS_VERIFICATION_ERROR,
    "list_mismatch": STATUS_VERIFICATION_ERROR,
}


class StatusListError(CovenantError):
    """A status list or entry that cannot be built, read or trusted, with the exact reason.

    `reason` is a stable short name for tests and callers that branch on the cause;
    `spec_error` is the specification's name for the same failure.
    """

    code = "status_list_invalid"
    status = 422
    title = "The credential status list could not be used"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.spec_error = _SPEC_ERRORS.get(reason, MALFORMED_VALUE_ERROR)


def _check_status_size(status_size: int) -> None:
    if isinstance(status_size, bool) or not isinstance(status_size, int):
        raise StatusListError(
            f"statusSize must be a whole number of bits, not {status_size!r}",
            reason="status_size",
        )
    if not 1 <= status_size <= MAX_STATUS_SIZE:
        raise StatusListError(
            f"statusSize must be between 1 and {MAX_STATUS_SIZE} bits, not {status_size}",
            reason="status_size",
        )


class StatusList:
    """A bitstring of fixed-width status entries, addressed by index from the left."""

    __slots__ = ("_bits", "_mask", "_size", "_status_size")

    def __init__(
        self, bits: bytes | bytearray, status_size: int = 1, *, min_entries: int = MIN_ENTRIES
    ) -> None:
        """Wrap raw bitstring bytes (as stored or as decompressed); checks the length rules."""
        _check_status_size(status_size)
        total_bits = len(bits) * 8
        if total_bits % status_size:
            raise StatusListError(
                f"the list has {total_bits} bits, which is not a whole number of "
                f"{status_size}-bit entries",
                reason="entry_size",
            )
        size = total_bits // status_size
        if size < min_entries:
            raise StatusListError(
                f"the list has {size} entries; at least {min_entries} are required so that "
                "one credential's status cannot be singled out",
                reason="too_short",
            )
        self._bits = bytearray(bits)
        self._status_size = status_size
        self._size = size
        self._mask = (1 << status_size) - 1

    @classmethod
    def new(
        cls, size: int = DEFAULT_SIZE, status_size: int = 1, *, min_entries: int = MIN_ENTRIES
    ) -> StatusList:
        """An all-zero list (every credential valid) of `size` entries."""
        _check_status_size(status_size)
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise StatusListError(
                f"the list size must be a positive number of entries, not {size!r}",
                reason="list_size",
            )
        if (size * status_size) % 8:
            raise StatusListError(
                f"{size} entries of {status_size} bits do not fill whole bytes; choose a size "
                f"that is a multiple of {8 // math.gcd(status_size, 8)}",
                reason="list_size",
            )
        if size * status_size // 8 > MAX_BITSTRING_BYTES:
            raise StatusListError(
                f"{size} entries of {status_size} bits exceed the {MAX_BITSTRING_BYTES}-byte "
                "limit verifiers accept",
                reason="too_long",
            )
        return cls(bytes(size * status_size // 8), status_size, min_entries=min_entries)

    @classmethod
    def decode(
        cls,
        encoded: str,
        status_size: int = 1,
        *,
        min_entries: int = MIN_ENTRIES,
        max_bytes: int = MAX_BITSTRING_BYTES,
    ) -> StatusList:
        """Read a published `encodedList`, refusing anything the specification does not allow."""
        _check_status_size(status_size)
        return cls(expand(encoded, max_bytes=max_bytes), status_size, min_entries=min_entries)

    @property
    def size(self) -> int:
        """How many entries the list holds (not bytes, not bits)."""
        return self._size

    @property
    def status_size(self) -> int:
        return self._status_size

    def __len__(self) -> int:
        return self._size

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusList):
            return NotImplemented
        return self._status_size == other._status_size and self._bits == other._bits

    __hash__ = None  # type: ignore[assignment]  # mutable: equal lists may not stay equal

    def __repr__(self) -> str:
        return f"StatusList(size={self._size}, status_size={self._status_size})"

    def _check_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int):
            raise StatusListError(
                f"a status list index must be a whole number, not {index!r}",
                reason="index_out_of_range",
            )
        if not 0 <= index < self._size:
            raise StatusListError(
                f"index {index} is outside this status list, which has entries 0 to "
                f"{self._size - 1}",
                reason="index_out_of_range",
            )

    def get(self, index: int) -> int:
        """The status value of entry `index`: 0 means valid, anything else is set."""
        self._check_index(index)
        if self._status_size == 1:
            return (self._bits[index >> 3] >> (7 - (index & 7))) & 1
        start = index * self._status_size
        end = start + self._status_size
        first, last = start >> 3, (end - 1) >> 3
        chunk = int.from_bytes(self._bits[first : last + 1], "big")
        return (chunk >> ((last + 1) * 8 - end)) & self._mask

    def set(self, index: int, value: int) -> None:
        """Set entry `index` to `value` (0 or 1 for one-bit entries; `True` counts as 1)."""
        self._check_index(index)
        if not isinstance(value, int) or not 0 <= value <= self._mask:
            raise StatusListError(
                f"a {self._status_size}-bit status must be between 0 and {self._mask}, "
                f"not {value!r}",
                reason="value_out_of_range",
            )
        value = int(value)
        if self._status_size == 1:
            bit = 0x80 >> (index & 7)
            if value:
                self._bits[index >> 3] |= bit
            else:
                self._bits[index >> 3] &= ~bit & 0xFF
            return
        start = index * self._status_size
        end = start + self._status_size
        first, last = start >> 3, (end - 1) >> 3
        width = last + 1 - first
        shift = (last + 1) * 8 - end
        chunk = int.from_bytes(self._bits[first : last + 1], "big")
        chunk = (chunk & ~(self._mask << shift)) | (value << shift)
        self._bits[first : last + 1] = chunk.to_bytes(width, "big")

    def set_indexes(self) -> list[int]:
        """Every index whose status is not 0, in order (for reports and tests, not hot paths)."""
        found: list[int] = []
        checked_to = -1
        for byte_index, byte in enumerate(self._bits):
            if not byte:
                continue
            first = max(byte_index * 8 // self._status_size, checked_to + 1)
            last = min(((byte_index + 1) * 8 - 1) // self._status_size, self._size - 1)
            found.extend(index for index in range(first, last + 1) if self.get(index))
            checked_to = last
        return found

    def to_bytes(self) -> bytes:
        """The uncompressed bitstring, for storing in a database column."""
        return bytes(self._bits)

    def encode(self) -> str:
        """The `encodedList` value: "u" + base64url (no padding) of the GZIP-compressed bits."""
        compressed = zlib.compress(self._bits, level=9, wbits=31)  # wbits 31: GZIP, mtime 0
        text = base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")
        return MULTIBASE_BASE64URL + text


def expand(encoded: str, *, max_bytes: int = MAX_BITSTRING_BYTES) -> bytes:
    """The Bitstring Expansion Algorithm: multibase-decode, then GZIP-decompress.

    Every way the value can be wrong gets its own message, because a verifier that refuses a
    credential has to be able to say why.
    """
    if not isinstance(encoded, str):
        raise StatusListError(
            f"encodedList must be a string, not {type(encoded).__name__}", reason="multibase"
        )
    if not encoded.startswith(MULTIBASE_BASE64URL):
        shown = repr(encoded[:1]) if encoded else "nothing"
        raise StatusListError(
            f'encodedList must start with the multibase prefix "u" (base64url, no padding); '
            f"it starts with {shown}",
            reason="multibase",
        )
    text = encoded[1:]
    if not text:
        raise StatusListError("encodedList is empty after its multibase prefix", reason="gzip")
    if _BASE64URL.fullmatch(text) is None:
        bad = next(ch for ch in text if not (ch.isascii() and (ch.isalnum() or ch in "-_")))
        raise StatusListError(
            f"encodedList is not base64url without padding: it contains {bad!r}",
            reason="base64url",
        )
    if len(text) % 4 == 1:
        raise StatusListError(
            f"encodedList is not valid base64url: {len(text)} characters cannot encode whole "
            "bytes (it may have been truncated)",
            reason="base64url",
        )
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:  # pragma: no cover - the checks above cover it
        raise StatusListError(
            f"encodedList is not valid base64url: {error}", reason="base64url"
        ) from error
    if base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii") != text:
        raise StatusListError(
            "encodedList is not canonical base64url: its last character has bits set that "
            "encode nothing (it may have been altered)",
            reason="base64url",
        )
    return _gunzip(compressed, max_bytes=max_bytes)


def _gunzip(data: bytes, *, max_bytes: int) -> bytes:
    """Decompress one or more GZIP members (RFC 1952 allows several) and nothing else."""
    if not data.startswith(GZIP_MAGIC):
        raise StatusListError(
            "encodedList does not hold GZIP data (the bytes do not start with 1f 8b)",
            reason="gzip",
        )
    out = bytearray()
    rest = data
    while rest:
        if not rest.startswith(GZIP_MAGIC):
            raise StatusListError(
                f"encodedList has {len(rest)} stray bytes after its GZIP data", reason="gzip"
            )
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(rest, max_bytes + 1 - len(out))
        except zlib.error as error:
            raise StatusListError(
                f"encodedList's GZIP data is corrupt ({error})", reason="gzip"
            ) from error
        if len(out) > max_bytes:
            raise StatusListError(
                f"the status list expands to more than {max_bytes} bytes, more than any "
                "status list needs; refusing to read it",
                reason="too_long",
            )
        if not inflater.eof:
            raise StatusListError(
                "encodedList's GZIP data ends early (it has been truncated)", reason="gzip"
            )
        rest = inflater.unused_data
    return bytes(out)


# --- allocation ------------------------------------------------------------------------------


def allocate_indexes(
    *,
    size: int,
    used: Collection[int],
    count: int = 1,
    rng: Random | None = None,
) -> list[int]:
    """`count` distinct free indexes in a list of `size` entries, chosen uniformly at random.

    `used` holds the indexes already given to credentials (any out of range are ignored). The
    default generator is the operating system's, so nobody can predict the next index; tests
    pass `random.Random(seed)`. Raises `StatusListError` (reason "list_full") when the list
    has fewer than `count` free entries, so the caller can open a new list.
    """
    if count < 0:
        raise StatusListError(f"cannot allocate {count} indexes", reason="allocation")
    generator: Random = rng if rng is not None else secrets.SystemRandom()
    taken = used if isinstance(used, (set, frozenset)) else set(used)
    occupied = sum(1 for index in taken if 0 <= index < size)
    free = size - occupied
    if count > free:
        raise StatusListError(
            f"the status list has {free} free entries, fewer than the {count} needed; "
            "start a new list",
            reason="list_full",
        )
    if count == 0:
        return []
    if occupied + count <= size // 2:
        # Sparse list: rejection sampling needs fewer than two draws per index on average.
        chosen: dict[int, None] = {}
        while len(chosen) < count:
            candidate = generator.randrange(size)
            if candidate not in taken and candidate not in chosen:
                chosen[candidate] = None
        return list(chosen)
    # Dense list: draw from the free indexes themselves so the loop cannot run long.
    available = [index for index in range(size) if index not in taken]
    return generator.sample(available, count)


# --- documents -------------------------------------------------------------------------------


def _xsd_datetime(moment: datetime, field: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise StatusListError(f"{field} must be an aware datetime (UTC)", reason="datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_list_credential(
    *,
    url: str,
    issuer: str,
    purpose: str,
    status_list: StatusList,
    valid_from: datetime,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """The unsigned `BitstringStatusListCredential` (VC Data Model 2.0) to publish at `url`.

    The caller secures it (for example as a signed JWT) and serves it; `validUntil` and
    `ttl_ms` tell verifiers how long they may cache it.
    """
    if purpose not in PURPOSES:
        raise StatusListError(
            f"statusPurpose must be one of {', '.join(PURPOSES)}, not {purpose!r}",
            reason="purpose",
        )
    body: dict[str, Any] = {
        "@context": [VC_CONTEXT_V2],
        "id": url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": _xsd_datetime(valid_from, "validFrom"),
    }
    if valid_until is not None:
        if valid_until <= valid_from:
            raise StatusListError("validUntil must be after validFrom", reason="datetime")
        body["validUntil"] = _xsd_datetime(valid_until, "validUntil")
    subject: dict[str, Any] = {
        "id": f"{url}#list",
        "type": LIST_TYPE,
        "statusPurpose": purpose,
        "encodedList": status_list.encode(),
    }
    if ttl_ms is not None:
        if isinstance(ttl_ms, bool) or not isinstance(ttl_ms, int) or ttl_ms <= 0:
            raise StatusListError("ttl must be a positive number of milliseconds", reason="ttl")
        subject["ttl"] = ttl_ms
    body["credentialSubject"] = subject
    return body


@dataclass(frozen=True)
class StatusMessage:
    """What one status value means in a `message` list (for developers, not end users)."""

    status: int
    message: str

    def as_json(self) -> dict[str, str]:
        return {"status": f"0x{self.status:x}", "message": self.message}


def _check_messages(
    purpose: str, status_size: int, messages: Sequence[StatusMessage] | None
) -> tuple[StatusMessage, ...]:
    if messages is None:
        if status_size > 1 or purpose == MESSAGE:
            raise StatusListError(
                f"a {status_size}-bit or message-purpose status entry needs statusMessage "
                f"with {2**status_size} messages",
                reason="status_message",
            )
        return ()
    if len(messages) != 2**status_size:
        raise StatusListError(
            f"statusMessage must list exactly {2**status_size} messages for a "
            f"{status_size}-bit status, not {len(messages)}",
            reason="status_message",
        )
    if [m.status for m in messages] != list(range(2**status_size)):
        raise StatusListError(
            "statusMessage must give the status values 0x0, 0x1, ... in order, once each",
            reason="status_message",
        )
    return tuple(messages)


def status_list_entry(
    *,
    list_url: str,
    index: int,
    purpose: str,
    status_size: int = 1,
    messages: Sequence[StatusMessage] | None = None,
    reference: str | None = None,
    entry_id: str | None = None,
) -> dict[str, Any]:
    """The `credentialStatus` value (a `BitstringStatusListEntry`) for a new credential.

    `entry_id` defaults to `<list_url>#<index>`, as the specification's examples do; it must
    not be the list URL itself.
    """
    if purpose not in PURPOSES:
        raise StatusListError(
            f"statusPurpose must be one of {', '.join(PURPOSES)}, not {purpose!r}",
            reason="purpose",
        )
    _check_status_size(status_size)
    checked = _check_messages(purpose, status_size, messages)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise StatusListError(
            f"statusListIndex must be a whole number from 0, not {index!r}",
            reason="index_out_of_range",
        )
    identifier = entry_id if entry_id is not None else f"{list_url}#{index}"
    if identifier == list_url:
        raise StatusListError(
            "the status entry's id must not be the status list's URL", reason="entry"
        )
    entry: dict[str, Any] = {
        "id": identifier,
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
    if status_size != 1:
        entry["statusSize"] = status_size
    if checked:
        entry["statusMessage"] = [m.as_json() for m in checked]
    if reference is not None:
        entry["statusReference"] = reference
    return entry


# --- reading what others published -----------------------------------------------------------


@dataclass(frozen=True)
class StatusEntry:
    """A parsed `BitstringStatusListEntry` from a credential a verifier received."""

    list_url: str
    index: int
    purpose: str
    status_size: int = 1
    messages: tuple[StatusMessage, ...] = ()
    id: str | None = None


@dataclass(frozen=True)
class PublishedStatusList:
    """A parsed `BitstringStatusListCredential`, decoded once and then read many times.

    Checking its proof, and its `validFrom`/`validUntil` against the clock, is the caller's
    job: those depend on how the node secured and cached it.
    """

    id: str | None
    issuer: str
    purposes: tuple[str, ...]
    status_list: StatusList
    valid_from: str | None = None
    valid_until: str | None = None
    ttl_ms: int | None = None


@dataclass(frozen=True)
class StatusResult:
    """The Validate Algorithm's result map: `valid` is true only when the status is 0."""

    status: int
    purpose: str
    valid: bool
    message: str | None = None


def _malformed(message: str) -> StatusListError:
    return StatusListError(message, reason="malformed")


def _string(document: Mapping[str, Any], key: str, where: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise _malformed(f"{where}.{key} must be a non-empty string")
    return value


def parse_status_entry(entry: object) -> StatusEntry:
    """Check a credential's `credentialStatus` value and return it typed."""
    if not isinstance(entry, Mapping):
        raise _malformed("credentialStatus must be an object")
    if entry.get("type") != ENTRY_TYPE:
        raise _malformed(f"credentialStatus.type must be {ENTRY_TYPE!r}")
    purpose = _string(entry, "statusPurpose", "credentialStatus")
    raw_index = entry.get("statusListIndex")
    if not isinstance(raw_index, str) or _DECIMAL.fullmatch(raw_index) is None:
        raise _malformed(
            "credentialStatus.statusListIndex must be a whole number written as a base-10 "
            f"string, not {raw_index!r}"
        )
    list_url = _string(entry, "statusListCredential", "credentialStatus")
    status_size = entry.get("statusSize", 1)
    if isinstance(status_size, bool) or not isinstance(status_size, int) or status_size < 1:
        raise _malformed(
            f"credentialStatus.statusSize must be a whole number above 0, not {status_size!r}"
        )
    _check_status_size(status_size)
    messages: list[StatusMessage] | None = None
    if "statusMessage" in entry:
        raw_messages = entry["statusMessage"]
        if not isinstance(raw_messages, list):
            raise _malformed("credentialStatus.statusMessage must be an array")
        messages = []
        for item in raw_messages:
            if not isinstance(item, Mapping):
                raise _malformed("each credentialStatus.statusMessage item must be an object")
            status, text = item.get("status"), item.get("message")
            if not isinstance(status, str) or re.fullmatch(r"0x[0-9a-fA-F]+", status) is None:
                raise _malformed(
                    f'statusMessage status must be a hex string such as "0x1", not {status!r}'
                )
            if not isinstance(text, str):
                raise _malformed("statusMessage message must be a string")
            messages.append(StatusMessage(int(status, 16), text))
    checked = _check_messages(purpose, status_size, messages)
    identifier = entry.get("id")
    if identifier is not None and not isinstance(identifier, str):
        raise _malformed("credentialStatus.id must be a string")
    if identifier == list_url:
        raise _malformed("credentialStatus.id must not be the status list's URL")
    return StatusEntry(
        list_url=list_url,
        index=int(raw_index),
        purpose=purpose,
        status_size=status_size,
        messages=checked,
        id=identifier,
    )


def parse_status_list_credential(
    document: object,
    *,
    status_size: int = 1,
    min_entries: int = MIN_ENTRIES,
    max_bytes: int = MAX_BITSTRING_BYTES,
) -> PublishedStatusList:
    """Check a fetched (and already proof-checked) list credential and decode its list."""
    if not isinstance(document, Mapping):
        raise _malformed("the status list credential must be a JSON object")
    types = document.get("type")
    if not isinstance(types, list) or LIST_CREDENTIAL_TYPE not in types:
        raise _malformed(f"the status list credential's type must include {LIST_CREDENTIAL_TYPE!r}")
    issuer_value = document.get("issuer")
    if isinstance(issuer_value, Mapping):
        issuer_value = issuer_value.get("id")
    if not isinstance(issuer_value, str) or not issuer_value:
        raise _malformed("the status list credential must name its issuer")
    subject = document.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise _malformed("the status list credential must have one credentialSubject object")
    if subject.get("type") != LIST_TYPE:
        raise _malformed(f"credentialSubject.type must be {LIST_TYPE!r}")
    raw_purposes = subject.get("statusPurpose")
    purposes = (raw_purposes,) if isinstance(raw_purposes, str) else raw_purposes
    if (
        not isinstance(purposes, (list, tuple))
        or not purposes
        or not all(isinstance(p, str) and p for p in purposes)
    ):
        raise _malformed("credentialSubject.statusPurpose must be one or more strings")
    if "encodedList" not in subject:
        raise _malformed("credentialSubject.encodedList is missing")
    status_list = StatusList.decode(
        subject["encodedList"], status_size, min_entries=min_entries, max_bytes=max_bytes
    )
    ttl = subject.get("ttl")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0):
        raise _malformed("credentialSubject.ttl must be a whole number of milliseconds")
    identifier = document.get("id")
    valid_from, valid_until = document.get("validFrom"), document.get("validUntil")
    return PublishedStatusList(
        id=identifier if isinstance(identifier, str) else None,
        issuer=issuer_value,
        purposes=tuple(purposes),
        status_list=status_list,
        valid_from=valid_from if isinstance(valid_from, str) else None,
        valid_until=valid_until if isinstance(valid_until, str) else None,
        ttl_ms=ttl,
    )


def check_status(entry: StatusEntry, published: PublishedStatusList) -> StatusResult:
    """Steps 5 and 9 to 14 of the Validate Algorithm: the entry's status in a decoded list."""
    if published.id is not None and published.id != entry.list_url:
        raise StatusListError(
            f"the status list fetched is {published.id!r}, not the {entry.list_url!r} the "
            "credential points to",
            reason="list_mismatch",
        )
    if entry.purpose not in published.purposes:
        raise StatusListError(
            f"the credential's status purpose {entry.purpose!r} is not one the list serves "
            f"({', '.join(published.purposes)})",
            reason="purpose_mismatch",
        )
    if entry.status_size != published.status_list.status_size:
        raise StatusListError(
            f"the credential's status entries are {entry.status_size} bits wide but the list "
            f"was read with {published.status_list.status_size}",
            reason="status_size_mismatch",
        )
    status = published.status_list.get(entry.index)
    message = entry.messages[status].message if entry.messages else None
    return StatusResult(status=status, purpose=entry.purpose, valid=status == 0, message=message)
