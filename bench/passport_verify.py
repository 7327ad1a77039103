"""Time full verification of volunteer-passport presentations (SD-JWT VC + key binding).

    python bench/passport_verify.py [--quick]

Builds 5,000 distinct ES256 presentations (``--quick``: 200): each from its own holder key,
with its own claims, nonce and status-list index, revealing four of nine personal claims (a
DBS share: level, workforce, outcome, issue date) from a credential with two decoy digests.
Then, on one core, it times three paths over the same presentations:

- ``ours``: ``covenant.passport.sdjwt.verify`` in full: strict parsing, trust resolution,
  the issuer signature, ``exp``/``nbf``/``iat``, every disclosure digest, the key binding
  (holder signature, ``sd_hash``, audience, nonce, freshness, single use) and the status:
  the credential's ``status`` claim (a W3C ``BitstringStatusListEntry``) parsed and read,
  with ``covenant.passport.status_list``, in a decoded 131,072-entry revocation list held
  in memory;
- ``reference``: the IETF reference implementation (PyPI ``sd-jwt``, on jwcrypto) verifying
  the same presentations (issuer signature, key binding, disclosures; it checks no times,
  status or nonce reuse, so it does less work than ours);
- ``raw``: the two signature checks alone (issuer JWS, then KB-JWS) with ``cryptography``:
  signatures already in DER and holder keys already loaded (afresh for each run, as a
  verifier meets them), no parsing at all. The ceiling.

Times are CPU seconds of this process, pinned to one core. The paths take turns on chunks of
250 presentations over five rounds and each chunk counts its best time per path, so a noisy
neighbour slows one turn, not one path. Targets: ``ours_over_reference`` >= 3 and
``ours_over_raw`` >= 0.7. The reference needs two signature checks too, so 3x it would be
faster than ``raw`` whenever the reference costs less than three times ``raw`` (it does, on
this machine: see the figures). The answer is checked: every
presentation must verify in every path and ours must return exactly the disclosed claims, or
the benchmark exits non-zero.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature  # noqa: E402
from jwcrypto.jwk import JWK  # noqa: E402
from sd_jwt.verifier import SDJWTVerifier  # noqa: E402

from covenant.passport import jose, sdjwt, status_list  # noqa: E402

ISSUER = "https://cvs.example.org"
VCT = "https://cvs.example.org/credentials/dbs-check"
AUDIENCE = "https://charity.example.org"
STATUS_URI = "https://cvs.example.org/status/1"
STATUS_ENTRIES = 131_072
SHARED = ("level", "workforce", "outcome", "issue_date")
STRUCTURAL = frozenset({"iss", "vct", "iat", "exp", "cnf", "status"})
# CPU time of this process: on a shared machine, time spent waiting for the core is not ours.
CLOCK = time.process_time
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z; every time in the run is relative to it


def build(n: int) -> tuple[list[tuple[str, str, dict[str, Any]]], ec.EllipticCurvePrivateKey]:
    """n distinct presentations: (presentation, nonce, the claims it must reveal)."""
    issuer_key = jose.generate_key("ES256")
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    kid = jose.public_jwk(issuer_key)["kid"]
    levels = ("basic", "standard", "enhanced")
    workforces = ("adult", "child", "adult and child")
    out = []
    for i in range(n):
        holder = jose.generate_key("ES256")
        claims = {
            "given_name": f"Volunteer{i}",
            "family_name": f"Surname{i % 977}",
            "birthdate": f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}",
            "level": levels[i % 3],
            "workforce": workforces[i % 3],
            "barred_lists_checked": i % 2 == 0,
            "outcome": "no information disclosed" if i % 7 else "information disclosed",
            "certificate_number": f"{i:012d}",
            "issue_date": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
        }
        credential = sdjwt.issue(
            issuer_key=issuer_key,
            kid=kid,
            iss=ISSUER,
            vct=VCT,
            claims=claims,
            holder_jwk=jose.public_jwk(holder),
            iat=NOW - 86_400,
            exp=NOW + 3 * 365 * 86_400,
            status=status_list.status_list_entry(
                list_url=STATUS_URI, index=2 * i + 1, purpose=status_list.REVOCATION
            ),
            decoys=2,
        )
        nonce = f"nonce-{i}-{os.urandom(8).hex()}"
        presentation = sdjwt.present(
            credential,
            disclose=set(SHARED),
            holder_key=holder,
            aud=AUDIENCE,
            nonce=nonce,
            iat=NOW - 5,
        )
        out.append((presentation, nonce, {name: claims[name] for name in SHARED}))
    return out, issuer_key


def published_list() -> status_list.PublishedStatusList:
    """The issuer's revocation list as a verifier holds it: fetched once, decoded once.

    Even indices are revoked and the credentials use odd ones, so every lookup reads a real
    131,072-entry list in which half the entries are set.
    """
    bits = status_list.StatusList.new(STATUS_ENTRIES)
    for index in range(0, STATUS_ENTRIES, 2):
        bits.set(index, 1)
    document = status_list.status_list_credential(
        url=STATUS_URI,
        issuer=ISSUER,
        purpose=status_list.REVOCATION,
        status_list=bits,
        valid_from=datetime.fromtimestamp(NOW - 3600, UTC),
    )
    return status_list.parse_status_list_credential(json.loads(json.dumps(document)))


def make_status_check(
    published: status_list.PublishedStatusList,
) -> Callable[[Mapping[str, Any]], str]:
    """The verifier's status step: parse the credential's entry, read it in the held list."""

    def status_check(status: Mapping[str, Any]) -> str:
        try:
            entry = status_list.parse_status_entry(status)
            result = status_list.check_status(entry, published)
        except status_list.StatusListError as exc:
            raise sdjwt.StatusUnavailable(str(exc)) from None
        return "valid" if result.valid else "revoked"

    return status_check


Item = tuple[str, str, dict[str, Any]]  # presentation, nonce, the claims it reveals
Verifier = Callable[[str, str], Any]  # (presentation, nonce) -> result, raising if refused


def make_ours(
    trust: sdjwt.TrustedIssuers, status_check: Callable[[Mapping[str, Any]], str]
) -> Verifier:
    """Our full verification; a new verifier has seen no nonce yet."""
    used: set[str] = set()

    def nonce_seen(nonce: str) -> bool:
        if nonce in used:
            return True
        used.add(nonce)
        return False

    def verify(presentation: str, nonce: str) -> sdjwt.Verified:
        return sdjwt.verify(
            presentation,
            trusted=trust,
            audience=AUDIENCE,
            nonce=nonce,
            now=NOW,
            nonce_seen=nonce_seen,
            status_check=status_check,
        )

    return verify


def make_reference(issuer_jwk: JWK) -> Verifier:
    """The reference library's verification (signatures, key binding, disclosures)."""

    # The reference holder signs its KB-JWT with the wall clock and never checks times, so
    # our fixed NOW does not matter to it.
    def issuer_key(iss: str, header: Mapping[str, Any]) -> JWK:
        if iss != ISSUER:
            raise ValueError(f"untrusted issuer {iss}")
        return issuer_jwk

    def verify(presentation: str, nonce: str) -> dict[str, Any]:
        verifier = SDJWTVerifier(presentation, issuer_key, AUDIENCE, nonce)
        payload: dict[str, Any] = verifier.get_verified_payload()
        return payload

    return verify


def check_answers(items: list[Item], ours_verify: Verifier, reference_verify: Verifier) -> None:
    """Every presentation verifies in both, revealing exactly what was shared; exit if not."""
    for presentation, nonce, expected in items:
        result = ours_verify(presentation, nonce)
        if {k: result.claims[k] for k in result.disclosed} != expected or result.status != "valid":
            raise SystemExit(f"ours: wrong result {result.claims} (expected {expected})")
        payload = reference_verify(presentation, nonce)
        if {k: payload[k] for k in payload.keys() - STRUCTURAL} != expected:
            raise SystemExit(f"reference: wrong result {payload} (expected {expected})")


def timed(make: Callable[[], Verifier], items: list[Item]) -> float:
    """CPU seconds to verify ``items`` with a fresh verifier, keeping no results.

    The answers were checked before timing (verification is deterministic and refuses by
    raising), and keeping results would make the collector walk a growing list of them.
    """
    verify = make()
    start = CLOCK()
    for presentation, nonce, _ in items:
        verify(presentation, nonce)
    return CLOCK() - start


RawCheck = tuple[ec.EllipticCurvePublicKey, bytes, bytes, bytes, bytes, bytes]


def raw_checks(
    items: list[tuple[str, str, dict[str, Any]]], issuer_key: ec.EllipticCurvePrivateKey
) -> list[RawCheck]:
    """Everything the two signature checks need, parsed beforehand: (issuer key, issuer DER
    signature, issuer signing input, holder key point, KB DER signature, KB signing input)."""

    def der(signature_b64: str) -> bytes:
        raw = jose.b64url_decode(signature_b64)
        return encode_dss_signature(
            int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        )

    checks = []
    for presentation, _, _ in items:
        jwt, kb = presentation.split("~")[0], presentation.split("~")[-1]
        jwk = json.loads(jose.b64url_decode(jwt.split(".")[1]))["cnf"]["jwk"]
        point = b"\x04" + jose.b64url_decode(jwk["x"]) + jose.b64url_decode(jwk["y"])
        checks.append(
            (
                issuer_key.public_key(),
                der(jwt.rsplit(".", 1)[1]),
                jwt.rsplit(".", 1)[0].encode("ascii"),
                point,
                der(kb.rsplit(".", 1)[1]),
                kb.rsplit(".", 1)[0].encode("ascii"),
            )
        )
    return checks


def run_raw(checks: list[RawCheck]) -> float:
    # Holder keys are loaded before the clock starts, but afresh for every run: OpenSSL
    # caches work in a key object the first time it verifies, and a verifier meets each
    # holder key new, as ours does.
    curve = ec.SECP256R1()
    holders = [ec.EllipticCurvePublicKey.from_encoded_point(curve, c[3]) for c in checks]
    ecdsa = ec.ECDSA(hashes.SHA256())
    start = CLOCK()
    for (issuer, issuer_sig, issuer_input, _, kb_sig, kb_input), holder in zip(
        checks, holders, strict=True
    ):
        issuer.verify(issuer_sig, issuer_input, ecdsa)  # raises InvalidSignature if wrong
        holder.verify(kb_sig, kb_input, ecdsa)
    return CLOCK() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 presentations, two rounds")
    args = parser.parse_args()
    n, rounds, chunk = (200, 2, 100) if args.quick else (5_000, 5, 250)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    build_start = time.perf_counter()
    items, issuer_key = build(n)
    if len({p for p, _, _ in items}) != n:
        raise SystemExit("presentations are not distinct")
    print(f"built {n} presentations in {time.perf_counter() - build_start:.1f} s", flush=True)

    issuer_jwk = jose.public_jwk(issuer_key)
    trust = sdjwt.TrustedIssuers()
    trust.add(ISSUER, {issuer_jwk["kid"]: issuer_key.public_key()}, [VCT])
    reference_key = JWK(**issuer_jwk)
    status_check = make_status_check(published_list())
    checks = raw_checks(items, issuer_key)
    # What was built stays alive all run: keep the collector from walking it again and again.
    gc.collect()
    gc.freeze()

    # The three paths take turns on each chunk of presentations, and each chunk keeps its
    # best time per path over the rounds, so the paths see the same machine at the same time.
    chunks = [slice(start, start + chunk) for start in range(0, n, chunk)]
    check_answers(items, make_ours(trust, status_check), make_reference(reference_key))
    revoked = status_list.status_list_entry(
        list_url=STATUS_URI, index=0, purpose=status_list.REVOCATION
    )
    if status_check(revoked) != "revoked":
        raise SystemExit("the status check does not read the list: index 0 is revoked")
    paths: dict[str, Callable[[slice], float]] = {
        "ours": lambda part: timed(lambda: make_ours(trust, status_check), items[part]),
        "reference": lambda part: timed(lambda: make_reference(reference_key), items[part]),
        "raw": lambda part: run_raw(checks[part]),
    }
    best = {path: [float("inf")] * len(chunks) for path in paths}
    for round_number in range(1, rounds + 1):
        spent = dict.fromkeys(paths, 0.0)
        for position, part in enumerate(chunks):
            for path, run in paths.items():
                seconds = run(part)
                spent[path] += seconds
                best[path][position] = min(best[path][position], seconds)
        print(
            f"round {round_number}: "
            + ", ".join(f"{path} {n / s:,.0f}/s" for path, s in spent.items()),
            flush=True,
        )

    ours, reference, raw = (n / sum(best[path]) for path in ("ours", "reference", "raw"))
    result = {
        "benchmark": "passport_verify",
        "figures": {
            "presentations": n,
            "ours_per_s": round(ours, 1),
            "reference_per_s": round(reference, 1),
            "raw_two_signature_per_s": round(raw, 1),
            "ours_us": round(1e6 / ours, 1),
            "reference_us": round(1e6 / reference, 1),
            "raw_two_signature_us": round(1e6 / raw, 1),
        },
        "ratios": {
            "ours_over_reference": round(ours / reference, 2),
            "ours_over_raw": round(ours / raw, 3),
        },
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
