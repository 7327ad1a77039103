"""SD-JWT VC: issuing, presenting and verifying, and every reason a presentation is refused.

Pure tests, no database. Forged credentials are signed with the trusted issuer's real key, so
each refusal below is reached by the check it names rather than by a broken signature.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covenant.passport import jose, sdjwt
from covenant.passport.sdjwt import PresentationError, StatusUnavailable, VerificationError

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
ISS = "https://cvs.example.org"
VCT = "https://cvs.example.org/credentials/dbs-check"
AUD = "https://charity.example.org"
NONCE = "n-0S6_WzA2Mj"
CLAIMS = {
    "given_name": "Aisha",
    "family_name": "Okonkwo-Secret",
    "level": "enhanced",
    "workforce": "adult",
    "outcome": "no information disclosed",
    "certificate_number": "001234567890",
    "issue_date": "2025-03-14",
    "address": {"street": "12 Hidden Lane", "postcode": "L36 9XX"},
}
DBS_SHARE = {"level", "workforce", "outcome", "issue_date"}
STATUS = {"status_list": {"idx": 42, "uri": "https://cvs.example.org/status/1"}}

# Keys are slow-ish to make and these tests never mutate them: one set per module.
ISSUER_KEYS = {alg: jose.generate_key(alg) for alg in ("ES256", "EdDSA")}
HOLDER_KEYS = {alg: jose.generate_key(alg) for alg in ("ES256", "EdDSA")}
OTHER_KEY = jose.generate_key("ES256")


@pytest.fixture(params=[True, False], ids=["flat-path", "general-path"])
def both_paths(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run a test through verify()'s flat fast path and through its general resolver."""
    monkeypatch.setattr(sdjwt, "_FAST_PATH", request.param)
    return bool(request.param)


@dataclass
class World:
    """One issuer trusted for one type, one holder, and helpers to make and check tokens."""

    issuer_alg: str = "ES256"
    holder_alg: str = "ES256"
    trust: sdjwt.TrustedIssuers = field(default_factory=sdjwt.TrustedIssuers)

    def __post_init__(self) -> None:
        self.issuer_key = ISSUER_KEYS[self.issuer_alg]
        self.kid = jose.public_jwk(self.issuer_key)["kid"]
        self.holder_key = HOLDER_KEYS[self.holder_alg]
        self.trust.add(ISS, {self.kid: self.issuer_key.public_key()}, [VCT])

    def credential(self, **overrides: Any) -> str:
        args: dict[str, Any] = {
            "issuer_key": self.issuer_key,
            "kid": self.kid,
            "iss": ISS,
            "vct": VCT,
            "claims": CLAIMS,
            "holder_jwk": jose.public_jwk(self.holder_key),
            "iat": NOW - 86_400,
            "exp": NOW + 365 * 86_400,
            "status": STATUS,
        }
        args.update(overrides)
        return sdjwt.issue(**args)

    def presentation(
        self, credential: str | None = None, disclose: Any = frozenset(DBS_SHARE), **kb: Any
    ) -> str:
        args = {"holder_key": self.holder_key, "aud": AUD, "nonce": NONCE, "iat": NOW - 5}
        args.update(kb)
        return sdjwt.present(credential or self.credential(), disclose=disclose, **args)

    def verify(self, presentation: str, **overrides: Any) -> sdjwt.Verified:
        args: dict[str, Any] = {
            "trusted": self.trust,
            "audience": AUD,
            "nonce": NONCE,
            "now": NOW,
            "status_check": lambda status: "valid",
        }
        args.update(overrides)
        return sdjwt.verify(presentation, **args)

    def forge(
        self,
        payload_edit: Callable[[dict[str, Any]], None] = lambda p: None,
        *,
        header: dict[str, Any] | None = None,
        extra_disclosures: list[list[Any]] | None = None,
        credential: str | None = None,
        key: jose.PrivateKey | None = None,
    ) -> tuple[str, list[str]]:
        """Re-sign a credential's payload after ``payload_edit``: (jwt, its disclosures).

        Extra disclosures are added to the payload's ``_sd`` (object properties) unless the
        edit places them itself.
        """
        jwt, *disclosures = (credential or self.credential()).split("~")[:-1]
        payload = _b64json(jwt.split(".")[1])
        for item in extra_disclosures or []:
            encoded = _b64(json.dumps(item).encode())
            disclosures.append(encoded)
            if len(item) == 3:
                payload["_sd"].append(_digest(encoded))
        payload_edit(payload)
        full_header = {"alg": jose.key_alg(key or self.issuer_key), "typ": "dc+sd-jwt"}
        full_header["kid"] = self.kid
        full_header.update(header or {})
        signing_input = f"{_b64(_json(full_header))}.{_b64(_json(payload))}"
        signature = jose.sign(key or self.issuer_key, signing_input.encode())
        return f"{signing_input}.{_b64(signature)}", disclosures

    def bind(self, jwt: str, disclosures: list[str], **kb: Any) -> str:
        """A presentation of exactly these parts, with a key-binding JWT made for them."""
        head = "~".join([jwt, *disclosures, ""])
        claims = {"iat": NOW - 5, "aud": AUD, "nonce": NONCE, "sd_hash": _digest(head)}
        key = kb.pop("key", self.holder_key)
        header = {"alg": jose.key_alg(key), "typ": "kb+jwt", **kb.pop("header", {})}
        claims.update(kb)
        claims = {k: v for k, v in claims.items() if v is not _DROP}
        signing_input = f"{_b64(_json(header))}.{_b64(_json(claims))}"
        return f"{head}{signing_input}.{_b64(jose.sign(key, signing_input.encode()))}"


_DROP = object()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _digest(disclosure: str) -> str:
    import hashlib

    return _b64(hashlib.sha256(disclosure.encode()).digest())


def _decoded_everything(presentation: str) -> str:
    """Every part of a presentation, base64url-decoded where it decodes, as one text."""
    texts = []
    for part in presentation.replace("~", ".").split("."):
        try:
            texts.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("latin-1"))
        except ValueError:
            texts.append(part)
    return "\n".join(texts)


def _refused(code: str, call: Callable[[], Any]) -> VerificationError:
    with pytest.raises(VerificationError) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    assert caught.value.code in sdjwt.CODES
    assert len(caught.value.message) > 15
    return caught.value


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issuer_alg", "holder_alg"),
    [("ES256", "ES256"), ("EdDSA", "EdDSA"), ("ES256", "EdDSA"), ("EdDSA", "ES256")],
)
def test_round_trip(issuer_alg: str, holder_alg: str, both_paths: bool) -> None:
    world = World(issuer_alg, holder_alg)
    verified = world.verify(world.presentation())
    assert verified.issuer == ISS
    assert verified.vct == VCT
    assert verified.kid == world.kid
    assert verified.alg == issuer_alg
    assert verified.disclosed == DBS_SHARE
    assert {k: verified.claims[k] for k in DBS_SHARE} == {k: CLAIMS[k] for k in DBS_SHARE}
    assert verified.claims["status"] == STATUS
    assert verified.claims["cnf"]["jwk"] == jose.public_jwk(world.holder_key)
    assert verified.holder_jwk == jose.public_jwk(world.holder_key)
    assert (verified.issued_at, verified.expires_at, verified.not_before) == (
        NOW - 86_400,
        NOW + 365 * 86_400,
        None,
    )
    assert verified.key_binding == sdjwt.KeyBinding(audience=AUD, nonce=NONCE, issued_at=NOW - 5)
    assert verified.status == "valid"
    assert "_sd" not in verified.claims
    assert "_sd_alg" not in verified.claims


def test_the_credential_is_an_sd_jwt_vc() -> None:
    world = World()
    credential = world.credential(nbf=NOW - 60, decoys=3)
    jwt, *disclosures, last = credential.split("~")
    assert last == ""
    header, payload = _b64json(jwt.split(".")[0]), _b64json(jwt.split(".")[1])
    assert header == {"alg": "ES256", "typ": "dc+sd-jwt", "kid": world.kid}
    assert payload["_sd_alg"] == "sha-256"
    assert payload["vct"] == VCT
    assert payload["iss"] == ISS
    assert payload["nbf"] == NOW - 60
    assert payload["cnf"] == {"jwk": jose.public_jwk(world.holder_key)}
    assert len(disclosures) == len(CLAIMS)
    assert len(payload["_sd"]) == len(CLAIMS) + 3
    assert payload["_sd"] == sorted(payload["_sd"])
    assert {_digest(d) for d in disclosures} < set(payload["_sd"])
    # No personal claim is in the signed payload; each is a [salt, name, value] disclosure.
    assert not set(CLAIMS) & payload.keys()
    decoded = [_b64json(d) for d in disclosures]
    assert {d[1]: d[2] for d in decoded} == CLAIMS
    assert all(len(base64.urlsafe_b64decode(d[0] + "==")) == 16 for d in decoded)


def test_presentation_reveals_only_the_chosen_claims() -> None:
    world = World()
    presentation = world.presentation(disclose={"level", "outcome"})
    everything = _decoded_everything(presentation)
    for name, value in CLAIMS.items():
        shown = name in {"level", "outcome"}
        leaves = list(value.values()) if isinstance(value, dict) else [value]
        assert all((leaf in everything) is shown for leaf in leaves), name
        assert (name in everything) is shown, name
    verified = world.verify(presentation)
    assert verified.disclosed == {"level", "outcome"}
    assert not (set(CLAIMS) - {"level", "outcome"}) & verified.claims.keys()


def test_present_all_none_and_objects(both_paths: bool) -> None:
    world = World()
    everything = world.verify(world.presentation(disclose="all"))
    assert {k: everything.claims[k] for k in CLAIMS} == CLAIMS
    assert everything.disclosed == set(CLAIMS)
    nothing = world.verify(world.presentation(disclose=set()))
    assert nothing.disclosed == frozenset()
    assert not set(CLAIMS) & nothing.claims.keys()
    address = world.verify(world.presentation(disclose="address"))
    assert address.claims["address"] == CLAIMS["address"]
    assert address.disclosed == {"address"}


def test_always_visible_claims_are_plain(both_paths: bool) -> None:
    world = World()
    credential = world.credential(always_visible={"level"}, decoys=2)
    payload = _b64json(credential.split(".")[1])
    assert payload["level"] == "enhanced"
    verified = world.verify(world.presentation(credential, disclose={"outcome"}))
    assert verified.claims["level"] == "enhanced"
    assert verified.disclosed == {"outcome"}


def test_claims_with_awkward_text_round_trip(both_paths: bool) -> None:
    world = World()
    claims = {"note": 'said "_sd" and "..." \\ ok', "name": "Zoë Ångström 日本", "n": 1.5}
    credential = world.credential(claims=claims, always_visible={"n"})
    verified = world.verify(world.presentation(credential, disclose="all"))
    assert {k: verified.claims[k] for k in claims} == claims


def test_status_is_reported() -> None:
    world = World()
    assert world.verify(world.presentation(), status_check=None).status == "unchecked"
    no_status = world.presentation(world.credential(status=None))
    asked: list[Any] = []
    verified = world.verify(no_status, status_check=asked.append)
    assert verified.status == "none"
    assert asked == []
    world.verify(world.presentation(), status_check=lambda s: asked.append(s) or "valid")
    assert asked == [STATUS]


def test_key_binding_can_be_optional_but_is_checked_when_present() -> None:
    world = World()
    credential = world.credential()
    without = credential  # an issued SD-JWT is a presentation of everything, unbound
    verified = world.verify(without, require_key_binding=False)
    assert verified.key_binding is None
    assert verified.disclosed == set(CLAIMS)
    _refused(
        "kb_wrong_nonce",
        lambda: world.verify(world.presentation(credential), nonce="x", require_key_binding=False),
    )


def test_nonce_seen_is_asked_once_after_the_key_binding_checks_out() -> None:
    world = World()
    used: list[str] = []

    def nonce_seen(nonce: str) -> bool:
        seen = nonce in used
        used.append(nonce)
        return seen

    presentation = world.presentation()
    _refused(
        "kb_wrong_audience", lambda: world.verify(presentation, audience="x", nonce_seen=nonce_seen)
    )
    assert used == []
    world.verify(presentation, nonce_seen=nonce_seen)
    assert used == [NONCE]


def test_clock_skew_bounds() -> None:
    world = World()
    presentation = world.presentation(world.credential(exp=NOW, nbf=NOW + 30), iat=NOW)
    world.verify(presentation, now=NOW + 59)  # exp and nbf both within 60 s of skew
    world.verify(presentation, now=NOW - 30)
    _refused("expired", lambda: world.verify(presentation, now=NOW + 60))
    _refused("not_yet_valid", lambda: world.verify(presentation, now=NOW - 31))
    world.verify(presentation, now=NOW + 10, max_skew_s=20)
    _refused("expired", lambda: world.verify(presentation, now=NOW + 20, max_skew_s=20))


# --- every refusal -------------------------------------------------------------------------

Case = Callable[[World], tuple[str, dict[str, Any]]]
CASES: dict[str, tuple[str, Case]] = {}


def case(name: str, code: str) -> Callable[[Case], Case]:
    def register(build: Case) -> Case:
        CASES[name] = (code, build)
        return build

    return register


@case("not ascii", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation().replace("~", "~é", 1), {}


@case("no tilde", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation().split("~")[0], {}


@case("two-part jwt", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, rest = w.presentation().split("~", 1)
    return jwt.rsplit(".", 1)[0] + "~" + rest, {}


@case("padding", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, rest = w.presentation().split("~", 1)
    return jwt + "=~" + rest, {}


@case("empty disclosure", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge()
    return w.bind(jwt, [*disclosures[:2], ""]), {}


@case("disclosure not an array", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    bogus = _b64(b'{"salt": "x"}')
    jwt, _ = w.forge(lambda p: p["_sd"].append(_digest(bogus)))
    return w.bind(jwt, [bogus]), {}


@case("disclosure with four members", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(extra_disclosures=[["salt", "a", 1, 2]])
    return w.bind(jwt, disclosures[-1:]), {}


@case("array-element disclosure in _sd", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    element = _b64(_json(["salt", "value"]))
    jwt, _ = w.forge(lambda p: p["_sd"].append(_digest(element)))
    return w.bind(jwt, [element]), {}


@case("_sd not a list", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, _ = w.forge(lambda p: p.update(_sd="abc"))
    return w.bind(jwt, []), {}


@case("payload not an object", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    header = _b64(_json({"alg": "ES256", "typ": "dc+sd-jwt", "kid": w.kid}))
    signing_input = f"{header}.{_b64(b'[1, 2]')}"
    return signing_input + "." + _b64(jose.sign(w.issuer_key, signing_input.encode())) + "~", {
        "require_key_binding": False
    }


@case("no iss", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.pop("iss"))
    return w.bind(jwt, disclosures[:1]), {}


@case("exp a string", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.update(exp=str(p["exp"])))
    return w.bind(jwt, disclosures[:1]), {}


@case("exp NaN (would never expire)", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.update(exp=float("nan")))
    return w.bind(jwt, disclosures[:1]), {}


@case("alg a list", "unsupported_alg")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(header={"alg": ["ES256"]})
    return w.bind(jwt, disclosures[:1]), {}


@case("status not an object", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.update(status="revoked?"))
    return w.bind(jwt, disclosures[:1]), {}


@case("critical header", "malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(header={"crit": ["b64"], "b64": False})
    return w.bind(jwt, disclosures[:1]), {}


@case("typ vc+sd-jwt", "unsupported_typ")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(header={"typ": "vc+sd-jwt"})
    return w.bind(jwt, disclosures[:1]), {}


@case("typ JWT", "unsupported_typ")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(header={"typ": "JWT"})
    return w.bind(jwt, disclosures[:1]), {}


@case("alg none", "unsupported_alg")
def _(w: World) -> tuple[str, dict[str, Any]]:
    header = _b64(_json({"alg": "none", "typ": "dc+sd-jwt", "kid": w.kid}))
    jwt = w.credential().split("~")[0]
    return f"{header}.{jwt.split('.')[1]}.AAAA~", {"require_key_binding": False}


@case("alg HS256", "unsupported_alg")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(header={"alg": "HS256"})
    return w.bind(jwt, disclosures[:1]), {}


@case("kb alg none", "unsupported_alg")
def _(w: World) -> tuple[str, dict[str, Any]]:
    head = w.presentation().rsplit("~", 1)[0] + "~"
    kb = _b64(_json({"alg": "none", "typ": "kb+jwt"})) + "." + _b64(_json({"iat": NOW})) + ".AAAA"
    return head + kb, {}


@case("_sd_alg sha-512", "unsupported_sd_alg")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.update(_sd_alg="sha-512"))
    return w.bind(jwt, disclosures[:1]), {}


@case("unknown issuer", "untrusted_issuer")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.update(iss="https://evil.example"))
    return w.bind(jwt, disclosures[:1]), {}


@case("issuer not trusted for this type", "untrusted_issuer")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.update(vct="https://cvs.example.org/credentials/id"))
    return w.bind(jwt, disclosures[:1]), {}


@case("unknown kid", "untrusted_issuer")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(header={"kid": "someone-elses-key"})
    return w.bind(jwt, disclosures[:1]), {}


@case("key from the token itself is ignored", "untrusted_issuer")
def _(w: World) -> tuple[str, dict[str, Any]]:
    attacker = jose.public_jwk(OTHER_KEY)
    jwt, disclosures = w.forge(
        lambda p: p.update(iss="https://evil.example"),
        header={"jwk": attacker, "kid": attacker["kid"]},
        key=OTHER_KEY,
    )
    return w.bind(jwt, disclosures[:1]), {}


@case("signed by another key", "bad_signature")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(key=OTHER_KEY)
    return w.bind(jwt, disclosures[:1]), {}


@case("payload changed after signing", "bad_signature")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge()
    header, _, signature = jwt.split(".")
    other, _ = w.forge(lambda p: p.update(exp=p["exp"] + 1))
    return w.bind(f"{header}.{other.split('.')[1]}.{signature}", disclosures[:1]), {}


@case("EdDSA header over an ES256 key", "bad_signature")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(header={"alg": "EdDSA"})
    return w.bind(jwt, disclosures[:1]), {}


@case("expired", "expired")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation(w.credential(exp=NOW - 61)), {}


@case("not yet valid", "not_yet_valid")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation(w.credential(nbf=NOW + 61)), {}


@case("issued in the future", "issued_in_future")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation(w.credential(iat=NOW + 61)), {}


@case("disclosed iat in the future", "issued_in_future")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.pop("iat"), extra_disclosures=[["s", "iat", NOW + 3600]])
    return w.bind(jwt, disclosures[-1:]), {}


@case("disclosure presented twice", "duplicate_disclosure")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge()
    return w.bind(jwt, [disclosures[0], disclosures[1], disclosures[0]]), {}


@case("digest twice in _sd", "duplicate_digest")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p["_sd"].append(p["_sd"][0]))
    return w.bind(jwt, disclosures[:1]), {}


@case("digest in _sd and in a nested array", "duplicate_digest")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, _ = w.forge(lambda p: p.update(list=[{"...": p["_sd"][0]}]))
    return w.bind(jwt, []), {}


@case("disclosed claim also visible", "duplicate_claim")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.update(level="basic"))
    level = next(d for d in disclosures if _b64json(d)[1] == "level")
    return w.bind(jwt, [level]), {}


@case("two disclosures of one name", "duplicate_claim")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(extra_disclosures=[["s1", "level", "basic"]])
    level = next(d for d in disclosures if _b64json(d)[1:] == ["level", "enhanced"])
    return w.bind(jwt, [level, disclosures[-1]]), {}


@case("disclosure from another credential", "disclosure_not_referenced")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge()
    stranger = w.credential().split("~")[1]
    return w.bind(jwt, [disclosures[0], stranger]), {}


@case("discloses exp", "reserved_claim_disclosed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.pop("exp"), extra_disclosures=[["s", "exp", NOW + 9]])
    return w.bind(jwt, disclosures[-1:]), {}


@case("discloses status", "reserved_claim_disclosed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.pop("status"), extra_disclosures=[["s", "status", {}]])
    return w.bind(jwt, disclosures[-1:]), {}


@case("discloses _sd", "reserved_claim_disclosed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(extra_disclosures=[["s", "_sd", []]])
    return w.bind(jwt, disclosures[-1:]), {}


@case("no cnf but a KB-JWT", "holder_key_missing")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.pop("cnf"))
    return w.bind(jwt, disclosures[:1]), {}


@case("cnf.jwk off the curve", "holder_key_invalid")
def _(w: World) -> tuple[str, dict[str, Any]]:
    def edit(payload: dict[str, Any]) -> None:
        payload["cnf"]["jwk"]["y"] = payload["cnf"]["jwk"]["x"]

    jwt, disclosures = w.forge(edit)
    return w.bind(jwt, disclosures[:1]), {}


@case("cnf.jwk a string", "holder_key_invalid")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(lambda p: p.update(cnf={"jwk": "key"}))
    return w.bind(jwt, disclosures[:1]), {}


@case("cnf.jwk an RSA key", "holder_key_invalid")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge(
        lambda p: p.update(cnf={"jwk": {"kty": "RSA", "n": "x", "e": "AQAB"}})
    )
    return w.bind(jwt, disclosures[:1]), {}


@case("no KB-JWT", "kb_missing")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation().rsplit("~", 1)[0] + "~", {}


@case("KB typ JWT", "kb_malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge()
    return w.bind(jwt, disclosures[:1], header={"typ": "JWT"}), {}


@case("KB without sd_hash", "kb_malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge()
    return w.bind(jwt, disclosures[:1], sd_hash=_DROP), {}


@case("KB iat a string", "kb_malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge()
    return w.bind(jwt, disclosures[:1], iat=str(NOW)), {}


@case("KB iat infinite (never stale)", "kb_malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge()
    return w.bind(jwt, disclosures[:1], iat=float("inf")), {}


@case("KB two parts", "kb_malformed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation().rsplit(".", 1)[0], {}


@case("KB signed by another key", "kb_bad_signature")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge()
    return w.bind(jwt, disclosures[:1], key=OTHER_KEY), {}


@case("KB signature from another presentation", "kb_bad_signature")
def _(w: World) -> tuple[str, dict[str, Any]]:
    mine = w.presentation()
    theirs = w.presentation(nonce="other")
    return mine.rsplit(".", 1)[0] + "." + theirs.rsplit(".", 1)[1], {}


@case("KB for other disclosures", "kb_sd_hash_mismatch")
def _(w: World) -> tuple[str, dict[str, Any]]:
    credential = w.credential()
    fewer = w.presentation(credential, disclose={"level"})
    more = w.presentation(credential, disclose={"level", "outcome"})
    return more.rsplit("~", 1)[0] + "~" + fewer.rsplit("~", 1)[1], {}


@case("KB disclosure dropped", "kb_sd_hash_mismatch")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, *disclosures, kb = w.presentation().split("~")
    return "~".join([jwt, *disclosures[1:], kb]), {}


@case("wrong audience", "kb_wrong_audience")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation(), {"audience": "https://another-charity.example.org"}


@case("audience as a list", "kb_wrong_audience")
def _(w: World) -> tuple[str, dict[str, Any]]:
    jwt, disclosures = w.forge()
    return w.bind(jwt, disclosures[:1], aud=[AUD, "https://other.example"]), {}


@case("wrong nonce", "kb_wrong_nonce")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation(), {"nonce": "another-request"}


@case("stale", "kb_stale")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation(iat=NOW - 361), {}


@case("KB from the future", "kb_issued_in_future")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation(iat=NOW + 61), {}


@case("replayed", "kb_replayed")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation(), {"nonce_seen": lambda nonce: True}


@case("revoked", "revoked")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation(), {"status_check": lambda status: "revoked"}


@case("suspended", "suspended")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation(), {"status_check": lambda status: "suspended"}


def _unavailable(status: Any) -> str:
    raise StatusUnavailable("the list at https://cvs.example.org/status/1 was never fetched")


@case("status list unavailable", "status_unavailable")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation(), {"status_check": _unavailable}


@case("status unknown", "status_unavailable")
def _(w: World) -> tuple[str, dict[str, Any]]:
    return w.presentation(), {"status_check": lambda status: "0x3"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused(name: str, both_paths: bool) -> None:
    code, build = CASES[name]
    world = World()
    presentation, overrides = build(world)
    _refused(code, lambda: world.verify(presentation, **overrides))


def test_every_code_has_a_case() -> None:
    assert {code for code, _ in CASES.values()} == sdjwt.CODES


def test_status_unavailable_says_why() -> None:
    world = World()
    error = _refused(
        "status_unavailable",
        lambda: world.verify(world.presentation(), status_check=_unavailable),
    )
    assert "never fetched" in error.message


def test_other_exceptions_from_status_check_are_bugs_not_refusals() -> None:
    world = World()

    def broken(status: Any) -> str:
        raise KeyError("idx")

    with pytest.raises(KeyError):
        world.verify(world.presentation(), status_check=broken)


# --- tampering and fuzzing -----------------------------------------------------------------

_WORLD = World()
_VALID = _WORLD.presentation(_WORLD.credential(decoys=2))
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
_CHARACTERS = st.one_of(st.sampled_from(_ALPHABET), st.sampled_from("=+/ é\n\x00"), st.characters())


def test_the_presentation_the_tampering_tests_change_is_valid() -> None:
    assert _WORLD.verify(_VALID).disclosed == DBS_SHARE


@settings(max_examples=400, deadline=None)
@given(position=st.integers(0, len(_VALID) - 1), character=_CHARACTERS)
def test_any_single_character_change_is_refused(position: int, character: str) -> None:
    if _VALID[position] == character:
        return
    changed = _VALID[:position] + character + _VALID[position + 1 :]
    with pytest.raises(VerificationError):
        _WORLD.verify(changed)


@settings(max_examples=200, deadline=None)
@given(position=st.integers(0, len(_VALID)), character=_CHARACTERS)
def test_any_single_character_insertion_is_refused(position: int, character: str) -> None:
    changed = _VALID[:position] + character + _VALID[position:]
    with pytest.raises(VerificationError):
        _WORLD.verify(changed)


@settings(max_examples=200, deadline=None)
@given(position=st.integers(0, len(_VALID) - 1))
def test_any_single_character_deletion_is_refused(position: int) -> None:
    changed = _VALID[:position] + _VALID[position + 1 :]
    with pytest.raises(VerificationError):
        _WORLD.verify(changed)


def test_every_position_changed_to_a_neighbour_is_refused() -> None:
    """Exhaustive over positions: each character moved one step along the alphabet."""
    _WORLD.verify(_VALID)
    for position, original in enumerate(_VALID):
        replacement = _ALPHABET[(_ALPHABET.index(original) + 1) % len(_ALPHABET)]
        with pytest.raises(VerificationError):
            _WORLD.verify(_VALID[:position] + replacement + _VALID[position + 1 :])


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text_is_refused_cleanly(text: str) -> None:
    with pytest.raises(VerificationError):
        _WORLD.verify(text)


_PARTS = _VALID.split("~")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(range(len(_PARTS))), max_size=len(_PARTS) + 2))
def test_reassembled_parts_verify_only_as_issued(order: list[int]) -> None:
    """Dropping, repeating or reordering parts: refused, except the original itself."""
    candidate = "~".join(_PARTS[i] for i in order)
    if candidate == _VALID:
        _WORLD.verify(candidate)
        return
    with pytest.raises(VerificationError):
        _WORLD.verify(candidate)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(
    claims=st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda n: n not in sdjwt.NEVER_DISCLOSED | {"iat"}),
        _JSON,
        max_size=5,
    ),
    data=st.data(),
)
def test_both_paths_agree_on_any_claims(claims: dict[str, Any], data: st.DataObject) -> None:
    chosen = data.draw(st.sets(st.sampled_from(sorted(claims))) if claims else st.just(set()))
    world = _WORLD
    presentation = world.presentation(world.credential(claims=claims, decoys=1), disclose=chosen)
    results = []
    for fast in (True, False):
        sdjwt._FAST_PATH = fast
        try:
            results.append(world.verify(presentation))
        finally:
            sdjwt._FAST_PATH = True
    assert results[0] == results[1]
    assert {k: results[0].claims[k] for k in chosen} == {k: claims[k] for k in chosen}
    assert results[0].disclosed == chosen


# --- issuing and presenting refusals -------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"claims": {"exp": 1}}, "set by issue"),
        ({"claims": {"cnf": {}}}, "set by issue"),
        ({"always_visible": {"nickname"}}, "not given"),
        ({"decoys": -1}, "negative"),
        ({"holder_jwk": jose.private_jwk(HOLDER_KEYS["ES256"])}, "private"),
        ({"holder_jwk": {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}}, "unsupported"),
    ],
)
def test_issue_refuses_wrong_arguments(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        World().credential(**overrides)


def test_present_refuses_what_it_cannot_do() -> None:
    world = World()
    credential = world.credential()
    with pytest.raises(PresentationError) as missing:
        world.presentation(credential, disclose={"level", "shoe_size"})
    assert missing.value.code == "claim_not_held"
    assert "shoe_size" in missing.value.message
    with pytest.raises(PresentationError) as wrong_key:
        world.presentation(credential, holder_key=OTHER_KEY)
    assert wrong_key.value.code == "holder_key_mismatch"
    with pytest.raises(PresentationError) as bound:
        world.presentation(world.presentation(credential))
    assert bound.value.code == "malformed"
    with pytest.raises(PresentationError) as corrupt:
        world.presentation("abc.def.ghi~!!!~")
    assert corrupt.value.code == "malformed"
    unbound, _ = world.forge(lambda p: p.pop("cnf"))
    with pytest.raises(PresentationError) as no_cnf:
        world.presentation(unbound + "~")
    assert no_cnf.value.code == "holder_key_missing"


def test_presentation_keeps_issuance_order_whatever_the_choice_order() -> None:
    world = World()
    credential = world.credential()
    a = world.presentation(credential, disclose=["outcome", "level"])
    b = world.presentation(credential, disclose=["level", "outcome"])
    assert a.rsplit("~", 1)[0] == b.rsplit("~", 1)[0]


def test_read_holding_shows_what_can_be_revealed() -> None:
    holding = sdjwt.read_holding(World().credential(always_visible={"level"}))
    assert {name: value for name, (_, value) in holding.disclosable.items()} == {
        k: v for k, v in CLAIMS.items() if k != "level"
    }
    assert holding.payload["level"] == "enhanced"


# --- trust documents -----------------------------------------------------------------------


def test_trust_document_round_trip() -> None:
    es, ed = ISSUER_KEYS["ES256"], ISSUER_KEYS["EdDSA"]
    document = {
        "issuers": [
            {
                "id": ISS,
                "keys": [jose.public_jwk(es), jose.public_jwk(ed)],
                "credential_types": [VCT],
            },
            {
                "id": "https://umbrella.example",
                "keys": [jose.public_jwk(ed, with_kid=False)],
                "credential_types": [],
            },
        ]
    }
    trust = sdjwt.TrustedIssuers.from_document(json.loads(json.dumps(document)))
    es_kid, ed_kid = jose.public_jwk(es)["kid"], jose.public_jwk(ed)["kid"]
    assert jose.public_jwk(trust(ISS, es_kid, VCT)) == jose.public_jwk(es)
    assert jose.public_jwk(trust(ISS, ed_kid, VCT)) == jose.public_jwk(ed)
    assert trust(ISS, None, VCT) is None  # two keys: a kid is needed
    assert trust(ISS, es_kid, "https://other/type") is None
    assert trust("https://umbrella.example", ed_kid, VCT) is None
    single = sdjwt.TrustedIssuers()
    single.add(ISS, {es_kid: es.public_key()}, [VCT])
    assert single(ISS, None, VCT) is not None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "issuers"),
        ({"issuers": [{"keys": [], "credential_types": []}]}, "issuer 1: needs an 'id'"),
        ({"issuers": [{"id": ISS}]}, "issuer 1: needs 'keys'"),
        ({"issuers": [{"id": ISS, "keys": [], "credential_types": [3]}]}, "string"),
        (
            {"issuers": [{"id": ISS, "keys": [{"kty": "RSA"}], "credential_types": []}]},
            "unsupported",
        ),
    ],
)
def test_trust_document_errors_say_which_entry(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sdjwt.TrustedIssuers.from_document(document)


# --- JOSE helpers --------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_jwk_round_trips_and_thumbprint_matches_joserfc(alg: jose.Algorithm) -> None:
    from joserfc.jwk import ECKey, OKPKey

    key = jose.generate_key(alg)
    public = jose.public_jwk(key)
    imported = jose.import_public_jwk(public)
    assert jose.public_jwk(imported) == public
    assert jose.key_alg(imported) == alg
    private = jose.import_private_jwk(jose.private_jwk(key))
    assert jose.public_jwk(private) == public
    key_type = ECKey if alg == "ES256" else OKPKey
    assert public["kid"] == key_type.import_key(public).thumbprint()
    pem = jose.private_key_pem(key, password=b"correct horse")
    assert b"ENCRYPTED" in pem
    assert jose.public_jwk(jose.load_private_key_pem(pem, password=b"correct horse")) == public
    with pytest.raises(jose.JoseError):
        jose.load_private_key_pem(pem, password=b"wrong")


def test_rfc8037_ed25519_thumbprint() -> None:
    """The example key of RFC 8037 §A.3 and its published thumbprint."""
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert jose.thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_rfc8037_ed25519_signature() -> None:
    """RFC 8037 §A.4: the same key signs 'Example of Ed25519 signing' to the published JWS."""
    d = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
    key = jose.import_private_jwk(
        {"kty": "OKP", "crv": "Ed25519", "d": d, "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    )
    signing_input = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
    expected = (
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
    )
    assert jose.b64url_encode(jose.sign(key, signing_input)) == expected
    assert jose.verify_signature(
        "EdDSA", key.public_key(), jose.b64url_decode(expected), signing_input
    )
    assert jose.verify_signature(
        "Ed25519", key.public_key(), jose.b64url_decode(expected), signing_input
    )
    assert not jose.verify_signature(
        "ES256", key.public_key(), jose.b64url_decode(expected), signing_input
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("QQ==", "alphabet"),
        ("QQ=", "alphabet"),
        ("Q+", "alphabet"),
        ("Q/", "alphabet"),
        ("QR", "trailing bits"),
        ("QUF", "trailing bits"),
        ("QUFB Q", "alphabet"),
        ("QUFBQ", "length"),
        ("QUFBé", "ASCII"),
    ],
)
def test_base64url_is_strict(text: str, reason: str) -> None:
    with pytest.raises(jose.JoseError, match=reason):
        jose.b64url_decode(text)


@given(st.binary(max_size=70))
def test_base64url_round_trips(data: bytes) -> None:
    assert jose.b64url_decode(jose.b64url_encode(data)) == data


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "crv": "P-256", "x": "AA"},
        {"kty": "EC", "crv": "P-256", "x": 1, "y": 2},
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        {"kty": "oct", "k": "AAAA"},
        ["not", "a", "jwk"],
    ],
)
def test_bad_jwks_are_refused(jwk: Any) -> None:
    with pytest.raises(jose.JoseError):
        jose.import_public_jwk(jwk)


def test_private_jwk_must_match_its_public_part() -> None:
    mixed = jose.private_jwk(ISSUER_KEYS["ES256"]) | {"d": jose.private_jwk(OTHER_KEY)["d"]}
    with pytest.raises(jose.JoseError, match="does not match"):
        jose.import_private_jwk(mixed)


@given(st.binary(min_size=64, max_size=64), st.integers(0, 40), st.integers(0, 40))
def test_der_signature_matches_cryptography(raw: bytes, r_zeros: int, s_zeros: int) -> None:
    """The fast r||s to DER conversion equals cryptography's, leading zeros and high bits too."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    r = bytes(min(r_zeros, 32)) + raw[min(r_zeros, 32) : 32]
    s = bytes(min(s_zeros, 32)) + raw[32 + min(s_zeros, 32) :]
    expected = encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
    assert jose._der_signature(r + s) == expected


_ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(["ES256", "EdDSA", "dc+sd-jwt", "kb+jwt", AUD, NONCE, ISS, VCT]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
_MEMBERS = st.sampled_from(
    [
        "alg",
        "typ",
        "kid",
        "crit",
        "iss",
        "vct",
        "iat",
        "nbf",
        "exp",
        "cnf",
        "status",
        "_sd",
        "_sd_alg",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    header=st.dictionaries(_MEMBERS, _ANY_JSON, max_size=3),
    payload=st.dictionaries(_MEMBERS, _ANY_JSON, max_size=3),
    kb_header=st.dictionaries(_MEMBERS, _ANY_JSON, max_size=2),
    kb_claims=st.dictionaries(
        st.sampled_from(["iat", "aud", "nonce", "sd_hash"]), _ANY_JSON, max_size=2
    ),
)
def test_signed_nonsense_is_refused_cleanly(
    header: dict[str, Any],
    payload: dict[str, Any],
    kb_header: dict[str, Any],
    kb_claims: dict[str, Any],
) -> None:
    """Whatever a trusted issuer or the holder signs, verify() answers or refuses: no crash."""
    jwt, disclosures = _WORLD.forge(lambda p: p.update(payload), header=header)
    presentation = _WORLD.bind(jwt, disclosures[:2], header=kb_header, **kb_claims)
    assert _outcome(presentation) in sdjwt.CODES | {"verified"}


def _outcome(presentation: str) -> str:
    try:
        _WORLD.verify(presentation)
    except VerificationError as refused:
        return refused.code
    return "verified"


def test_inlined_base64url_rules_match_jose() -> None:
    """verify() inlines jose's canonical-last-character rule; the two copies must agree."""
    assert sdjwt._CANONICAL_LAST == jose._CANONICAL_LAST
    assert sdjwt._PADDING == jose._PADDING
