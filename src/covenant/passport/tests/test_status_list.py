"""The W3C Bitstring Status List: bit order, encoding, every refusal, the documents and allocation.

Expected bytes are worked out by hand from the specification's rule (index 0 is the left-most
bit of the first byte), and encoded lists are read back with the standard library's own base64
and gzip, not with the module under test, so an error in the module cannot hide itself.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import struct
import time
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covenant.core.errors import CovenantError
from covenant.passport.status_list import (
    DEFAULT_SIZE,
    MALFORMED_VALUE_ERROR,
    MIN_ENTRIES,
    RANGE_ERROR,
    STATUS_LIST_LENGTH_ERROR,
    STATUS_VERIFICATION_ERROR,
    StatusList,
    StatusListError,
    StatusMessage,
    allocate_indexes,
    check_status,
    expand,
    parse_status_entry,
    parse_status_list_credential,
    status_list_credential,
    status_list_entry,
)

SCHEMAS = Path("/work/shared/data/schemas/w3c-vc")
LIST_URL = "https://covenant.example/passport/status/revocation/1"
ISSUER = "did:web:covenant.example"
NOW = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)

# Example 3 of the Recommendation (section 2.2): an empty list of 131,072 entries.
SPEC_EXAMPLE_ENCODED_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"

# A 16-entry list with indexes 0, 7 and 8 set is the two bytes 1000_0001 1000_0000 = 81 80.
# Built by hand as a GZIP member holding one *stored* (uncompressed) deflate block, so the
# expected value does not depend on how any zlib version compresses:
#   1f 8b 08 00 | 00 00 00 00 | 00 03          GZIP header: deflate, no flags, mtime 0, Unix
#   01 | 02 00 | fd ff | 81 80                 final stored block, LEN 2, NLEN ~2, the bits
#   d5 38 f9 8e | 02 00 00 00                  CRC-32 of 81 80, ISIZE 2 (little-endian)
HAND_BUILT_GZIP = bytes.fromhex("1f8b0800000000000003010200fdff8180d538f98e02000000")
HAND_BUILT_ENCODED_LIST = "uH4sIAAAAAAAAAwECAP3_gYDVOPmOAgAAAA"


def _stdlib_bits(encoded: str) -> bytes:
    """Decode an encodedList with the standard library alone."""
    assert encoded.startswith("u")
    assert "=" not in encoded
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _encoded(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _reason(excinfo: pytest.ExceptionInfo[StatusListError]) -> str:
    return excinfo.value.reason


# --- bit order -------------------------------------------------------------------------------


def test_hand_built_fixture_is_what_its_comment_says():
    data = b"\x81\x80"
    rebuilt = (
        bytes.fromhex("1f8b0800000000000003")
        + b"\x01"
        + struct.pack("<HH", 2, 0xFFFD)
        + data
        + struct.pack("<II", zlib.crc32(data), len(data))
    )
    assert rebuilt == HAND_BUILT_GZIP
    assert _encoded(HAND_BUILT_GZIP) == HAND_BUILT_ENCODED_LIST


def test_index_zero_is_the_most_significant_bit_of_the_first_byte():
    status_list = StatusList.new(16, min_entries=16)
    status_list.set(0, 1)
    assert status_list.to_bytes() == b"\x80\x00"
    status_list.set(7, 1)
    assert status_list.to_bytes() == b"\x81\x00"
    status_list.set(8, 1)
    assert status_list.to_bytes() == b"\x81\x80"
    assert _stdlib_bits(status_list.encode()) == b"\x81\x80"


def test_hand_built_encoded_list_decodes_to_indexes_0_7_and_8():
    decoded = StatusList.decode(HAND_BUILT_ENCODED_LIST, min_entries=16)
    assert decoded.size == 16
    assert [decoded.get(i) for i in range(16)] == [1, 0, 0, 0, 0, 0, 0, 1, 1] + [0] * 7
    assert decoded.set_indexes() == [0, 7, 8]
    built = StatusList.new(16, min_entries=16)
    for index in (0, 7, 8):
        built.set(index, 1)
    assert decoded == built
    assert StatusList.decode(built.encode(), min_entries=16) == decoded


def test_full_size_list_first_and_last_entries():
    status_list = StatusList.new()
    assert status_list.size == DEFAULT_SIZE == 131_072
    assert len(status_list.to_bytes()) == 16 * 1024
    status_list.set(0, 1)
    status_list.set(131_071, 1)
    bits = _stdlib_bits(status_list.encode())
    assert len(bits) == 16_384
    assert bits[0] == 0x80
    assert bits[-1] == 0x01
    assert bits[1:-1] == bytes(16_382)


def test_two_bit_entries_are_packed_most_significant_first():
    status_list = StatusList.new(8, status_size=2, min_entries=8)
    status_list.set(0, 3)  # 11
    status_list.set(3, 1)  # 01
    status_list.set(4, 2)  # 10
    # 11 00 00 01 | 10 00 00 00
    assert status_list.to_bytes() == bytes([0b1100_0001, 0b1000_0000])
    assert [status_list.get(i) for i in range(8)] == [3, 0, 0, 1, 2, 0, 0, 0]


def test_three_bit_entry_may_straddle_two_bytes():
    status_list = StatusList.new(8, status_size=3, min_entries=8)
    status_list.set(2, 0b101)  # bits 6, 7 and 8
    assert status_list.to_bytes() == bytes([0b0000_0010, 0b1000_0000, 0])
    assert status_list.get(2) == 0b101
    assert status_list.get(1) == 0
    assert status_list.get(3) == 0
    status_list.set(2, 0)
    assert status_list.to_bytes() == bytes(3)


def test_specification_example_is_an_empty_list_of_131072_entries():
    decoded = StatusList.decode(SPEC_EXAMPLE_ENCODED_LIST)
    assert decoded.size == 131_072
    assert decoded.set_indexes() == []
    assert decoded == StatusList.new()
    assert _stdlib_bits(StatusList.new().encode()) == _stdlib_bits(SPEC_EXAMPLE_ENCODED_LIST)


def test_encoding_is_deterministic_and_unpadded():
    first, second = StatusList.new(), StatusList.new()
    first.set(42, 1)
    second.set(42, 1)
    assert first.encode() == second.encode()
    assert re.fullmatch(r"u[A-Za-z0-9_-]+", first.encode())
    # GZIP header: modification time zero, so the document leaks no timestamp.
    raw = base64.urlsafe_b64decode(first.encode()[1:] + "==")
    assert raw[:2] == b"\x1f\x8b"
    assert raw[4:8] == b"\x00\x00\x00\x00"


def test_an_empty_default_list_compresses_to_a_few_dozen_bytes():
    assert len(StatusList.new().encode()) < 100


# --- round trips (hypothesis) ----------------------------------------------------------------


@st.composite
def _lists_and_writes(draw: st.DrawFn) -> tuple[int, int, dict[int, int]]:
    status_size = draw(st.sampled_from([1, 2, 3, 4, 5, 8]))
    size = 8 * draw(st.integers(min_value=1, max_value=64))
    writes = draw(
        st.dictionaries(
            st.integers(min_value=0, max_value=size - 1),
            st.integers(min_value=0, max_value=2**status_size - 1),
            max_size=64,
        )
    )
    return size, status_size, writes


@given(_lists_and_writes())
def test_set_then_get_returns_exactly_what_was_written(case):
    size, status_size, writes = case
    status_list = StatusList.new(size, status_size, min_entries=1)
    for index, value in writes.items():
        status_list.set(index, value)
    for index in range(size):
        assert status_list.get(index) == writes.get(index, 0)
    assert status_list.set_indexes() == sorted(i for i, v in writes.items() if v)


@given(_lists_and_writes())
def test_encode_decode_round_trip_any_status_size(case):
    size, status_size, writes = case
    status_list = StatusList.new(size, status_size, min_entries=1)
    for index, value in writes.items():
        status_list.set(index, value)
    decoded = StatusList.decode(status_list.encode(), status_size, min_entries=1)
    assert decoded == status_list
    assert [decoded.get(i) for i in range(size)] == [status_list.get(i) for i in range(size)]


@settings(max_examples=30, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=DEFAULT_SIZE - 1), max_size=300))
def test_full_size_round_trip_over_random_index_sets(revoked):
    status_list = StatusList.new()
    for index in revoked:
        status_list.set(index, 1)
    decoded = StatusList.decode(status_list.encode())
    assert decoded.set_indexes() == sorted(revoked)
    bits = _stdlib_bits(status_list.encode())
    for index in revoked:
        assert bits[index // 8] & (0x80 >> (index % 8))


@given(st.integers(min_value=0, max_value=DEFAULT_SIZE - 1))
def test_unsetting_restores_the_empty_list(index):
    status_list = StatusList.new()
    status_list.set(index, 1)
    assert status_list.get(index) == 1
    status_list.set(index, 0)
    assert status_list == StatusList.new()


def test_true_counts_as_one():
    status_list = StatusList.new()
    status_list.set(5, True)
    assert status_list.get(5) == 1


# --- decode refusals -------------------------------------------------------------------------


def _refused(encoded: object, **kwargs: object) -> StatusListError:
    with pytest.raises(StatusListError) as excinfo:
        StatusList.decode(encoded, **kwargs)  # type: ignore[arg-type]
    return excinfo.value


@pytest.mark.parametrize(
    ("encoded", "reason", "words"),
    [
        ("", "multibase", "starts with nothing"),
        (
            "H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
            "multibase",
            "'H'",
        ),
        ("zH4sIAAAAAAAAA", "multibase", "'z'"),
        ("u", "gzip", "empty"),
        (SPEC_EXAMPLE_ENCODED_LIST + "==", "base64url", "'='"),
        (SPEC_EXAMPLE_ENCODED_LIST.replace("-", "+"), "base64url", "'+'"),
        ("uH4sI/AAAAAAAA", "base64url", "'/'"),
        ("uH4sI AAAAAAAA", "base64url", "' '"),
        ("uH4sIé", "base64url", "'é'"),
        ("uH4sIA", "base64url", "truncated"),
    ],
)
def test_malformed_encodings_are_refused_with_the_reason(encoded, reason, words):
    error = _refused(encoded)
    assert error.reason == reason
    assert words in error.message
    assert error.spec_error == MALFORMED_VALUE_ERROR


def test_non_string_is_refused():
    error = _refused(b"uH4sI")
    assert error.reason == "multibase"
    assert "must be a string" in error.message


def test_non_canonical_base64url_is_refused():
    # 34 characters carry 25 bytes and 4 spare bits; the last character "A" (000000) has them
    # zero, "B" (000001) sets one, so both decode to the same bytes but only "A" is canonical.
    canonical = HAND_BUILT_ENCODED_LIST
    assert len(canonical[1:]) % 4 == 2
    assert canonical.endswith("A")
    altered = canonical[:-1] + "B"
    assert base64.urlsafe_b64decode(altered[1:] + "==") == base64.urlsafe_b64decode(
        canonical[1:] + "=="
    )
    error = _refused(altered, min_entries=16)
    assert error.reason == "base64url"
    assert "canonical" in error.message


def test_data_that_is_not_gzip_is_refused():
    error = _refused(_encoded(zlib.compress(bytes(16_384))))  # zlib wrapper, not GZIP
    assert error.reason == "gzip"
    assert "1f 8b" in error.message


def test_truncated_gzip_is_refused():
    raw = gzip.compress(bytes(16_384), mtime=0)
    error = _refused(_encoded(raw[:-6]))
    assert error.reason == "gzip"
    assert "truncated" in error.message or "corrupt" in error.message


def test_gzip_with_a_wrong_checksum_is_refused():
    raw = bytearray(gzip.compress(bytes(16_384), mtime=0))
    raw[-8] ^= 0xFF  # first byte of the CRC-32
    error = _refused(_encoded(bytes(raw)))
    assert error.reason == "gzip"
    assert "corrupt" in error.message


def test_stray_bytes_after_the_gzip_data_are_refused():
    raw = gzip.compress(bytes(16_384), mtime=0) + b"\x00\x01"
    error = _refused(_encoded(raw))
    assert error.reason == "gzip"
    assert "2 stray bytes" in error.message


def test_several_gzip_members_are_one_list_as_rfc_1952_allows():
    raw = gzip.compress(b"\x80" + bytes(8191), mtime=0) + gzip.compress(bytes(8192), mtime=0)
    decoded = StatusList.decode(_encoded(raw))
    assert decoded.size == 131_072
    assert decoded.set_indexes() == [0]


def test_a_list_shorter_than_131072_entries_is_refused():
    error = _refused(_encoded(gzip.compress(bytes(16_383), mtime=0)))
    assert error.reason == "too_short"
    assert error.spec_error == STATUS_LIST_LENGTH_ERROR
    assert "131064 entries" in error.message
    assert "at least 131072" in error.message


def test_two_bit_entries_need_131072_entries_not_16kb():
    # 16 KB of 2-bit entries is only 65,536 entries: below the validate algorithm's minimum.
    error = _refused(SPEC_EXAMPLE_ENCODED_LIST, status_size=2)
    assert error.reason == "too_short"
    assert StatusList.decode(_encoded(gzip.compress(bytes(32_768))), status_size=2).size == (
        131_072
    )


def test_a_list_that_is_not_whole_entries_is_refused():
    error = _refused(SPEC_EXAMPLE_ENCODED_LIST, status_size=3, min_entries=1)
    assert error.reason == "entry_size"
    assert "131072 bits" in error.message
    assert "3-bit entries" in error.message


def test_a_gzip_bomb_is_refused_before_it_is_inflated():
    bomb = _encoded(gzip.compress(bytes(4 * 1024 * 1024), mtime=0))
    error = _refused(bomb, max_bytes=1024 * 1024)
    assert error.reason == "too_long"
    assert "more than 1048576 bytes" in error.message


@pytest.mark.parametrize("status_size", [0, 9, -1])
def test_status_size_outside_1_to_8_is_refused(status_size):
    error = _refused(SPEC_EXAMPLE_ENCODED_LIST, status_size=status_size)
    assert error.reason == "status_size"


def test_status_list_error_is_a_covenant_error():
    error = _refused("x")
    assert isinstance(error, CovenantError)
    assert error.code == "status_list_invalid"
    assert error.status == 422


def test_expand_returns_the_raw_bitstring():
    assert expand(HAND_BUILT_ENCODED_LIST) == b"\x81\x80"


# --- range -----------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [-1, DEFAULT_SIZE, DEFAULT_SIZE + 7, 10**30])
def test_a_decoded_list_refuses_an_index_out_of_range(index):
    decoded = StatusList.decode(SPEC_EXAMPLE_ENCODED_LIST)
    with pytest.raises(StatusListError) as excinfo:
        decoded.get(index)
    assert _reason(excinfo) == "index_out_of_range"
    assert excinfo.value.spec_error == RANGE_ERROR
    assert "0 to 131071" in excinfo.value.message
    with pytest.raises(StatusListError):
        decoded.set(index, 1)


@pytest.mark.parametrize("index", ["3", 3.0, None, True])
def test_an_index_that_is_not_a_whole_number_is_refused(index):
    with pytest.raises(StatusListError) as excinfo:
        StatusList.new().get(index)
    assert _reason(excinfo) == "index_out_of_range"


@pytest.mark.parametrize(("status_size", "value"), [(1, 2), (1, -1), (2, 4), (8, 256)])
def test_a_value_too_wide_for_the_entry_is_refused(status_size, value):
    status_list = StatusList.new(DEFAULT_SIZE, status_size)
    with pytest.raises(StatusListError) as excinfo:
        status_list.set(0, value)
    assert _reason(excinfo) == "value_out_of_range"
    assert status_list.get(0) == 0


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"size": 0}, "list_size"),
        ({"size": 131_073}, "list_size"),
        ({"size": 131_073, "status_size": 4}, "list_size"),
        ({"size": 1024}, "too_short"),
        ({"size": 131_072, "status_size": 0}, "status_size"),
        ({"size": 2**28}, "too_long"),
    ],
)
def test_new_refuses_sizes_the_specification_does_not_allow(kwargs, reason):
    with pytest.raises(StatusListError) as excinfo:
        StatusList.new(**kwargs)
    assert _reason(excinfo) == reason


# --- speed -----------------------------------------------------------------------------------


def test_decoding_and_reading_are_fast():
    status_list = StatusList.new()
    for index in Random(7).sample(range(DEFAULT_SIZE), 1_000):
        status_list.set(index, 1)
    encoded = status_list.encode()
    started = time.perf_counter()
    for _ in range(50):
        decoded = StatusList.decode(encoded)
    decode_seconds = (time.perf_counter() - started) / 50
    started = time.perf_counter()
    for index in range(0, DEFAULT_SIZE, 13):
        decoded.get(index)
    get_seconds = (time.perf_counter() - started) / len(range(0, DEFAULT_SIZE, 13))
    # Generous bounds so a loaded machine does not fail the test: typical figures are about
    # 0.05 ms per decode and 0.4 microseconds per read.
    assert decode_seconds < 0.005
    assert get_seconds < 0.00005


# --- documents -------------------------------------------------------------------------------


def _context(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())["@context"]


VC_CONTEXT = _context("credentials-v2.jsonld")
STATUS_CONTEXT = _context("bitstring-status-list-v1.jsonld")
XSD_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def _terms(scoped: dict) -> set[str]:
    return {key for key in scoped if not key.startswith("@")}


def _revocation_list() -> StatusList:
    status_list = StatusList.new()
    status_list.set(94_567, 1)
    return status_list


def test_list_credential_uses_only_terms_the_contexts_define():
    credential = status_list_credential(
        url=LIST_URL,
        issuer=ISSUER,
        purpose="revocation",
        status_list=_revocation_list(),
        valid_from=NOW,
        valid_until=NOW + timedelta(days=1),
        ttl_ms=300_000,
    )
    top_terms = _terms(VC_CONTEXT) | _terms(VC_CONTEXT["VerifiableCredential"]["@context"])
    assert set(credential) - {"@context"} <= top_terms
    for context in (VC_CONTEXT, STATUS_CONTEXT):
        subject_terms = _terms(context["BitstringStatusList"]["@context"])
        assert set(credential["credentialSubject"]) <= subject_terms
    for type_name in credential["type"] + [credential["credentialSubject"]["type"]]:
        assert type_name in VC_CONTEXT
    assert "BitstringStatusListCredential" in STATUS_CONTEXT


def test_list_credential_has_the_exact_shape_and_values():
    status_list = _revocation_list()
    credential = status_list_credential(
        url=LIST_URL,
        issuer=ISSUER,
        purpose="revocation",
        status_list=status_list,
        valid_from=NOW,
        valid_until=NOW + timedelta(days=1),
    )
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER,
        "validFrom": "2026-03-01T09:30:15Z",
        "validUntil": "2026-03-02T09:30:15Z",
        "credentialSubject": {
            "id": LIST_URL + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": status_list.encode(),
        },
    }
    assert XSD_DATETIME.fullmatch(credential["validFrom"])
    assert _stdlib_bits(credential["credentialSubject"]["encodedList"]) == status_list.to_bytes()
    json.dumps(credential)  # plain JSON, nothing exotic


def test_list_credential_without_valid_until_or_ttl_omits_them():
    credential = status_list_credential(
        url=LIST_URL,
        issuer=ISSUER,
        purpose="suspension",
        status_list=StatusList.new(),
        valid_from=NOW.astimezone(timezone(timedelta(hours=1))),
    )
    assert "validUntil" not in credential
    assert "ttl" not in credential["credentialSubject"]
    assert credential["validFrom"] == "2026-03-01T09:30:15Z"  # normalised to UTC
    assert credential["credentialSubject"]["statusPurpose"] == "suspension"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"valid_from": datetime(2026, 3, 1)}, "datetime"),  # naive on purpose
        ({"valid_until": NOW - timedelta(seconds=1)}, "datetime"),
        ({"purpose": "expired"}, "purpose"),
        ({"ttl_ms": 0}, "ttl"),
    ],
)
def test_list_credential_refuses_bad_arguments(kwargs, reason):
    arguments = {
        "url": LIST_URL,
        "issuer": ISSUER,
        "purpose": "revocation",
        "status_list": StatusList.new(),
        "valid_from": NOW,
        **kwargs,
    }
    with pytest.raises(StatusListError) as excinfo:
        status_list_credential(**arguments)
    assert _reason(excinfo) == reason


def test_status_entry_has_the_exact_shape_and_context_terms():
    entry = status_list_entry(list_url=LIST_URL, index=94_567, purpose="revocation")
    assert entry == {
        "id": LIST_URL + "#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }
    assert isinstance(entry["statusListIndex"], str)
    for context in (VC_CONTEXT, STATUS_CONTEXT):
        assert set(entry) <= _terms(context["BitstringStatusListEntry"]["@context"])


MESSAGES = [
    StatusMessage(0, "valid"),
    StatusMessage(1, "suspended"),
    StatusMessage(2, "revoked"),
    StatusMessage(3, "undefined"),
]


def test_message_entry_carries_size_and_messages_where_the_context_defines_them():
    entry = status_list_entry(
        list_url=LIST_URL,
        index=7,
        purpose="message",
        status_size=2,
        messages=MESSAGES,
        reference="https://covenant.example/passport/status-codes",
    )
    assert entry["statusSize"] == 2
    assert entry["statusMessage"] == [
        {"status": "0x0", "message": "valid"},
        {"status": "0x1", "message": "suspended"},
        {"status": "0x2", "message": "revoked"},
        {"status": "0x3", "message": "undefined"},
    ]
    entry_context = STATUS_CONTEXT["BitstringStatusListEntry"]["@context"]
    assert set(entry) <= _terms(entry_context)
    message_terms = _terms(entry_context["statusMessage"]["@context"])
    assert all(set(item) <= message_terms for item in entry["statusMessage"])


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"status_size": 2}, "status_message"),
        ({"purpose": "message"}, "status_message"),
        ({"status_size": 2, "messages": MESSAGES[:3]}, "status_message"),
        ({"status_size": 2, "messages": list(reversed(MESSAGES))}, "status_message"),
        ({"index": -1}, "index_out_of_range"),
        ({"entry_id": LIST_URL}, "entry"),
        ({"purpose": "Revocation"}, "purpose"),
        ({"status_size": 9}, "status_size"),
    ],
)
def test_status_entry_refuses_bad_arguments(kwargs, reason):
    arguments = {"list_url": LIST_URL, "index": 1, "purpose": "revocation", **kwargs}
    with pytest.raises(StatusListError) as excinfo:
        status_list_entry(**arguments)
    assert _reason(excinfo) == reason


# --- reading a published list ----------------------------------------------------------------


def _published(status_list: StatusList, purpose: str = "revocation", **kwargs: object) -> dict:
    return status_list_credential(
        url=LIST_URL,
        issuer=ISSUER,
        purpose=purpose,
        status_list=status_list,
        valid_from=NOW,
        **kwargs,  # type: ignore[arg-type]
    )


def test_verifier_sees_revoked_and_valid_entries():
    published = parse_status_list_credential(_published(_revocation_list(), ttl_ms=60_000))
    assert published.id == LIST_URL
    assert published.issuer == ISSUER
    assert published.purposes == ("revocation",)
    assert published.valid_from == "2026-03-01T09:30:15Z"
    assert published.ttl_ms == 60_000
    revoked = parse_status_entry(
        status_list_entry(list_url=LIST_URL, index=94_567, purpose="revocation")
    )
    fine = parse_status_entry(
        status_list_entry(list_url=LIST_URL, index=94_566, purpose="revocation")
    )
    assert check_status(revoked, published).valid is False
    assert check_status(revoked, published).status == 1
    result = check_status(fine, published)
    assert (result.valid, result.status, result.purpose, result.message) == (
        True,
        0,
        "revocation",
        None,
    )


def test_verifier_reads_a_two_bit_message_list():
    status_list = StatusList.new(DEFAULT_SIZE, status_size=2)
    status_list.set(7, 2)
    published = parse_status_list_credential(_published(status_list, "message"), status_size=2)
    entry = parse_status_entry(
        status_list_entry(
            list_url=LIST_URL, index=7, purpose="message", status_size=2, messages=MESSAGES
        )
    )
    assert entry.status_size == 2
    result = check_status(entry, published)
    assert (result.status, result.valid, result.message) == (2, False, "revoked")


def test_verifier_refuses_a_list_for_another_purpose():
    published = parse_status_list_credential(_published(_revocation_list(), "suspension"))
    entry = parse_status_entry(status_list_entry(list_url=LIST_URL, index=1, purpose="revocation"))
    with pytest.raises(StatusListError) as excinfo:
        check_status(entry, published)
    assert _reason(excinfo) == "purpose_mismatch"
    assert excinfo.value.spec_error == STATUS_VERIFICATION_ERROR


def test_verifier_refuses_a_different_list_than_the_entry_names():
    published = parse_status_list_credential(_published(_revocation_list()))
    entry = parse_status_entry(
        status_list_entry(list_url=LIST_URL + "0", index=1, purpose="revocation")
    )
    with pytest.raises(StatusListError) as excinfo:
        check_status(entry, published)
    assert _reason(excinfo) == "list_mismatch"


def test_verifier_refuses_an_entry_read_with_the_wrong_status_size():
    published = parse_status_list_credential(
        _published(StatusList.new(DEFAULT_SIZE, 2)), status_size=2
    )
    entry = parse_status_entry(status_list_entry(list_url=LIST_URL, index=1, purpose="revocation"))
    with pytest.raises(StatusListError) as excinfo:
        check_status(entry, published)
    assert _reason(excinfo) == "status_size_mismatch"


def test_verifier_refuses_an_index_beyond_the_list():
    published = parse_status_list_credential(_published(StatusList.new()))
    entry = parse_status_entry(
        status_list_entry(list_url=LIST_URL, index=DEFAULT_SIZE, purpose="revocation")
    )
    with pytest.raises(StatusListError) as excinfo:
        check_status(entry, published)
    assert excinfo.value.spec_error == RANGE_ERROR


def _entry(**changes: object) -> dict:
    entry = status_list_entry(list_url=LIST_URL, index=12, purpose="revocation")
    entry.update(changes)
    return {key: value for key, value in entry.items() if value is not None}


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("not an object", "must be an object"),
        (_entry(type="StatusList2021Entry"), "type must be"),
        (_entry(statusPurpose=None), "statusPurpose must be a non-empty string"),
        (_entry(statusListIndex=12), "base-10 string"),
        (_entry(statusListIndex="-1"), "base-10 string"),
        (_entry(statusListIndex="1e3"), "base-10 string"),
        (_entry(statusListIndex=""), "base-10 string"),
        (_entry(statusListIndex="١٢"), "base-10 string"),  # Arabic-Indic digits
        (_entry(statusListCredential=None), "statusListCredential must be"),
        (_entry(statusSize=0), "statusSize must be"),
        (_entry(statusSize="2"), "statusSize must be"),
        (_entry(statusSize=2), "needs statusMessage"),
        (_entry(statusMessage="valid"), "must be an array"),
        (_entry(statusMessage=[{"status": 0, "message": "x"}]), "hex string"),
        (
            _entry(statusMessage=[{"status": "0x0", "message": "a"}]),
            "exactly 2 messages",
        ),
        (_entry(id=LIST_URL), "must not be the status list"),
    ],
)
def test_malformed_status_entries_are_refused(entry, words):
    with pytest.raises(StatusListError) as excinfo:
        parse_status_entry(entry)
    assert words in excinfo.value.message
    assert excinfo.value.spec_error == MALFORMED_VALUE_ERROR


def _credential(**changes: object) -> dict:
    credential = _published(StatusList.new())
    subject = dict(credential["credentialSubject"])
    for key in list(changes):
        if key.startswith("subject_"):
            subject[key.removeprefix("subject_")] = changes.pop(key)
    credential["credentialSubject"] = subject
    credential.update(changes)
    return credential


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ([], "JSON object"),
        (_credential(type=["VerifiableCredential"]), "must include"),
        (_credential(issuer=""), "name its issuer"),
        (_credential(credentialSubject=[{}]), "one credentialSubject"),
        (_credential(subject_type="StatusList2021"), "credentialSubject.type"),
        (_credential(subject_statusPurpose=[]), "one or more strings"),
        (_credential(subject_statusPurpose=5), "one or more strings"),
        (_credential(subject_encodedList="uAAAA"), "GZIP"),
        (_credential(subject_ttl=-1), "ttl"),
    ],
)
def test_malformed_list_credentials_are_refused(document, words):
    with pytest.raises(StatusListError) as excinfo:
        parse_status_list_credential(document)
    assert words in excinfo.value.message


def test_list_credential_missing_its_encoded_list_is_refused():
    credential = _credential()
    del credential["credentialSubject"]["encodedList"]
    with pytest.raises(StatusListError, match="encodedList is missing"):
        parse_status_list_credential(credential)


def test_list_credential_may_serve_several_purposes_and_name_issuer_as_object():
    credential = _credential(
        issuer={"id": ISSUER, "name": "Covenant CVS"},
        subject_statusPurpose=["revocation", "suspension"],
    )
    published = parse_status_list_credential(credential)
    assert published.issuer == ISSUER
    assert published.purposes == ("revocation", "suspension")


# --- allocation ------------------------------------------------------------------------------


@given(
    size=st.sampled_from([8, 16, 64, 256]),
    data=st.data(),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_allocation_never_repeats_and_never_returns_a_used_index(size, data, seed):
    used = data.draw(st.sets(st.integers(min_value=0, max_value=size - 1)))
    count = data.draw(st.integers(min_value=0, max_value=size - len(used)))
    chosen = allocate_indexes(size=size, used=used, count=count, rng=Random(seed))
    assert len(chosen) == count
    assert len(set(chosen)) == count
    assert not set(chosen) & used
    assert all(0 <= index < size for index in chosen)


def test_allocation_is_reproducible_with_a_seed_and_spread_over_the_list():
    first = allocate_indexes(size=DEFAULT_SIZE, used=set(), count=20, rng=Random(3))
    second = allocate_indexes(size=DEFAULT_SIZE, used=set(), count=20, rng=Random(3))
    assert first == second
    assert first != sorted(first)  # not handed out in order
    assert max(first) - min(first) > DEFAULT_SIZE // 4


def test_allocation_with_the_system_generator_fills_a_list_exactly():
    size = 64
    used: set[int] = set()
    for _ in range(size):
        (index,) = allocate_indexes(size=size, used=used)
        assert index not in used
        used.add(index)
    assert used == set(range(size))
    with pytest.raises(StatusListError) as excinfo:
        allocate_indexes(size=size, used=used)
    assert _reason(excinfo) == "list_full"
    assert "0 free entries" in excinfo.value.message


def test_allocation_ignores_used_indexes_outside_the_list_and_accepts_any_collection():
    chosen = allocate_indexes(size=8, used=[0, 1, 2, 99, -5], count=5, rng=Random(1))
    assert sorted(chosen) == [3, 4, 5, 6, 7]


def test_allocation_refuses_more_than_the_free_entries():
    with pytest.raises(StatusListError) as excinfo:
        allocate_indexes(size=8, used={1, 2}, count=7)
    assert _reason(excinfo) == "list_full"
    assert "6 free entries, fewer than the 7 needed" in excinfo.value.message


def test_allocation_refuses_a_negative_count():
    with pytest.raises(StatusListError):
        allocate_indexes(size=8, used=set(), count=-1)


def test_minimum_is_the_specification_minimum():
    assert MIN_ENTRIES == 131_072
