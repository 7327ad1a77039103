"""Sharing a passport with an organisation, and verifying what it is given (the write layer,
as `services` is for issuing).

The flow: an organisation's coordinator, verifier or administrator asks for a check for a
role (`share_request_create`): which credential types and which of their claims, with a
single-use nonce and the organisation's verifier id as the audience. The volunteer opens the
request, sees exactly what would be revealed and to whom, and either consents
(`share_consent`: the node builds a key-bound presentation with the volunteer's node-held
holder key revealing only the requested claims, and verifies it at once through
`presentation_verify`) or declines (`share_decline`). A volunteer with their own wallet
brings a presentation instead, which the organisation pastes into `presentation_verify`.

Verification is the full check (`sdjwt.verify`): signature against a key the trust registry
holds for that issuer and type (never a key from the token), `exp`/`nbf`/`iat` with
`MAX_SKEW_S` of clock skew, the status lists, and the key binding (`aud`, the request's nonce,
`iat` no older than `KB_MAX_AGE_S`, `sd_hash`). Then the answer must reveal exactly the claims
asked for (not fewer, and not more: an organisation never keeps more than the role needs), and
finally the nonce is consumed by one conditional UPDATE, so a replay, or two consents racing,
give one verified share and one refusal (`kb_replayed`).

What is kept: a verified share keeps its presentation sealed (`Share.presentations_store`),
so the organisation can see the claims until the volunteer withdraws; the clear columns hold
only claim names. A refused one keeps the reason and nothing of the presentation. Withdrawal
erases the sealed copy at once and e-mails the organisation to delete any copy it made.

Every look by the organisation at what was shared is logged with who looked
(`share_claims_view`), DBS checks flagged, so "who has seen my DBS check?" has an answer.
"""

from __future__ import annotations

import secrets
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.db import transaction

from covenant.core import audit, authz, clock
from covenant.core.errors import Conflict, PermissionDenied, ValidationFailed
from covenant.core.models import Organisation, User

from . import credential_status, jose, lifecycle, registry, sdjwt, selectors, well_known
from .models import (
    Credential,
    HolderKey,
    HolderKeyCustody,
    Share,
    ShareOutcome,
    ShareRequest,
    ShareRequestState,
)

REQUEST_LIFETIME: Final = timedelta(days=7)
MAX_SKEW_S: Final = 60
KB_MAX_AGE_S: Final = 300
PURPOSE_MAX: Final = 200
PRESENTATION_MAX: Final = 64_000
#: The only DBS claims an organisation may ask to see (data protection: the certificate
#: number, barred lists and Update Service status stay with the volunteer).
DBS_SHAREABLE: Final = ("level", "workforce", "outcome", "issue_date")

#: What each refusal means, in words an organisation's coordinator can act on.
REFUSAL_MESSAGES: Final[dict[str, str]] = {
    "malformed": "This is not a readable SD-JWT presentation. Ask the volunteer to share it again.",
    "unsupported_typ": "This is not an SD-JWT verifiable credential.",
    "unsupported_alg": "The credential is signed with an algorithm this node does not accept.",
    "unsupported_sd_alg": "The credential uses a digest algorithm this node does not accept.",
    "untrusted_issuer": "The issuer is not trusted on this node for this type of credential.",
    "bad_signature": "The issuer's signature does not verify: the credential has been altered.",
    "expired": "The credential has expired.",
    "not_yet_valid": "The credential is not valid yet.",
    "issued_in_future": "The credential says it was issued in the future.",
    "duplicate_disclosure": "The presentation repeats a claim disclosure.",
    "duplicate_digest": "The credential lists one digest twice.",
    "duplicate_claim": "The presentation discloses one claim twice.",
    "disclosure_not_referenced": "A disclosed claim is not part of the signed credential.",
    "reserved_claim_disclosed": "The presentation tries to disclose a protected claim.",
    "holder_key_missing": "The credential is not bound to its holder's key.",
    "holder_key_invalid": "The credential's holder key cannot be read.",
    "kb_missing": "The presentation has no key binding, so it could have been copied.",
    "kb_malformed": "The presentation's key binding cannot be read.",
    "kb_bad_signature": "The key binding is not signed by the credential's holder.",
    "kb_sd_hash_mismatch": "The key binding does not match the disclosed claims (altered).",
    "kb_wrong_audience": "The presentation was made for another organisation.",
    "kb_wrong_nonce": "The presentation answers a different request.",
    "kb_stale": "The presentation is too old; ask the volunteer to share it again.",
    "kb_issued_in_future": "The presentation says it was made in the future.",
    "kb_replayed": "This request has already been answered; its one-time code cannot be reused.",
    "revoked": "The issuer has revoked the credential.",
    "suspended": "The issuer has suspended the credential.",
    "status_unavailable": "The credential's status list could not be checked, so it is refused.",
    "wrong_type": "The presentation holds a credential type the request did not ask for.",
    "type_repeated": "The presentation holds two credentials of one type.",
    "type_missing": "The presentation lacks a credential type the request asked for.",
    "claims_missing": "The presentation does not reveal every claim the request asked for.",
    "claims_extra": "The presentation reveals more than the request asked for, so it is not kept.",
    "request_expired": "The request has expired. Make a new request.",
}


class Refused(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail

    @property
    def message(self) -> str:
        words = REFUSAL_MESSAGES.get(self.code, "The presentation was refused.")
        return f"{words} ({self.detail})" if self.detail else words


# --- asking ----------------------------------------------------------------------------------


def check_requirements(requirements: object) -> list[dict[str, Any]]:
    """`[{"vct", "claims": [...]}, ...]` checked against the type registry: known types, each
    once, claims the type defines, at least one; a DBS check only `DBS_SHAREABLE`."""
    if not isinstance(requirements, Sequence) or isinstance(requirements, str | bytes):
        raise ValidationFailed("Choose at least one credential type.", field="requirements")
    if not requirements:
        raise ValidationFailed("Choose at least one credential type.", field="requirements")
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in requirements:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("vct"), str):
            raise ValidationFailed(
                "Each requirement names a credential type (vct).", field="requirements"
            )
        credential_type = selectors.credential_type_by_vct(entry["vct"])
        if credential_type.vct in seen:
            raise ValidationFailed(
                f"{credential_type.name} is asked for twice; ask for it once.",
                field="requirements",
            )
        seen.add(credential_type.vct)
        claims = entry.get("claims")
        if not isinstance(claims, Sequence) or isinstance(claims, str) or not claims:
            raise ValidationFailed(
                f"Choose which details of the {registry.in_sentence(credential_type.name)} "
                "you need.",
                field="requirements",
            )
        names = [spec.name for spec in credential_type.claim_specs()]
        unknown = sorted({str(c) for c in claims} - set(names))
        if unknown:
            raise ValidationFailed(
                f"A {registry.in_sentence(credential_type.name)} has no detail "
                f"{', '.join(unknown)}; it has {', '.join(names)}.",
                field="requirements",
            )
        if credential_type.vct == registry.DBS_CHECK_VCT:
            over = sorted(set(claims) - set(DBS_SHAREABLE))
            if over:
                raise ValidationFailed(
                    "A DBS check may be shared only as its level, workforce, outcome and date; "
                    f"remove {', '.join(over)}.",
                    field="requirements",
                )
        clean.append({"vct": credential_type.vct, "claims": [n for n in names if n in claims]})
    return clean


@transaction.atomic
def share_request_create(
    *,
    actor: Any,
    organisation: Organisation,
    purpose: str,
    requirements: object,
    lifetime: timedelta = REQUEST_LIFETIME,
) -> ShareRequest:
    """An organisation asks for a check for a role. The nonce is 256 bits from `secrets`; the
    audience is the organisation's id, so a presentation made for it is no use elsewhere."""
    who = authz.require(actor, "passport.share.request", organisation)
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationFailed("Enter the role or task the check is for.", field="purpose")
    if len(purpose) > PURPOSE_MAX:
        raise ValidationFailed(
            f"The role must be {PURPOSE_MAX} characters or fewer.", field="purpose"
        )
    clean = check_requirements(requirements)
    now = clock.now()
    request = ShareRequest.objects.create(
        organisation=organisation,
        requested_by_id=who.user_id,
        purpose=purpose,
        requirements=clean,
        nonce=secrets.token_urlsafe(32),
        audience=well_known.issuer_id(organisation),
        created_at=now,
        expires_at=now + lifetime,
    )
    audit.record(
        actor=who,
        action="share_request.create",
        target=request,
        uid=str(request.uid),
        requirements=clean,
    )
    return request


def _expired(request: ShareRequest, now: datetime) -> bool:
    """Whether the request is past its time; an open one is marked expired as it is seen."""
    if request.state == ShareRequestState.EXPIRED:
        return True
    if request.state == ShareRequestState.OPEN and now >= request.expires_at:
        ShareRequest.objects.filter(pk=request.pk, state=ShareRequestState.OPEN).update(
            state=ShareRequestState.EXPIRED
        )
        request.state = ShareRequestState.EXPIRED
        return True
    return False


def _require_open(request: ShareRequest, now: datetime) -> None:
    if _expired(request, now):
        raise Conflict(REFUSAL_MESSAGES["request_expired"], code="request_expired")
    if request.state != ShareRequestState.OPEN:
        raise Conflict(
            "This request has already been answered, so nothing more can be shared with it.",
            code="request_closed",
        )


# --- verifying -------------------------------------------------------------------------------


def _fetch_status_list(url: str) -> str:
    """A status list's JWT: this node's own from its table (signed if need be), another's over
    https. Raises OSError when it cannot."""
    base = well_known.base_url()
    if url.startswith(f"{base}/"):
        found = selectors.status_list_at(url[len(base) :])
        if found is None:
            raise OSError(f"this node publishes no status list at {url}")
        from .services import status_list_publish

        return status_list_publish(status_list=found)
    if not url.startswith("https://"):
        raise OSError(f"status lists are fetched over https only, not {url}")
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (https only)
        body: bytes = response.read(1_000_000)
    return body.decode("ascii")


@dataclass(frozen=True)
class Checked:
    """A presentation that passed, with what the organisation needs to show."""

    presentation: str
    verified: sdjwt.Verified


def _check(request: ShareRequest, presentations: Sequence[str], now: datetime) -> list[Checked]:
    """Every presentation verified against the request; raises `Refused` with the first
    reason. Does not consume the nonce."""
    if not presentations:
        raise Refused("malformed", "nothing was given")
    document = selectors.trust_document()
    trusted = sdjwt.TrustedIssuers.from_document(document)
    status = credential_status.StatusLists(
        fetch=_fetch_status_list,
        issuer_key=credential_status.issuer_keys(document),
        now=now.timestamp(),
        max_skew_s=MAX_SKEW_S,
    )
    checked: list[Checked] = []
    for presentation in presentations:
        try:
            verified = sdjwt.verify(
                presentation,
                trusted=trusted,
                audience=request.audience,
                nonce=request.nonce,
                now=now.timestamp(),
                max_skew_s=MAX_SKEW_S,
                kb_max_age_s=KB_MAX_AGE_S,
                status_check=status,
            )
        except sdjwt.VerificationError as error:
            raise Refused(error.code) from None
        checked.append(Checked(presentation, verified))
    wanted = {r["vct"]: set(r["claims"]) for r in request.requirements}
    got: set[str] = set()
    for item in checked:
        vct = item.verified.vct
        if vct not in wanted:
            raise Refused("wrong_type", vct)
        if vct in got:
            raise Refused("type_repeated", vct)
        got.add(vct)
        missing = wanted[vct] - item.verified.disclosed
        if missing:
            raise Refused("claims_missing", ", ".join(sorted(missing)))
        extra = item.verified.disclosed - wanted[vct]
        if extra:
            raise Refused("claims_extra", ", ".join(sorted(extra)))
    if set(wanted) - got:
        raise Refused("type_missing", ", ".join(sorted(set(wanted) - got)))
    return checked


def _split(presentation: str) -> list[str]:
    """One or more compact presentations, one per line (or separated by spaces)."""
    return [p for p in presentation.split() if p]


def _holder_of(checked: Sequence[Checked]) -> User | None:
    """The volunteer whose registered key signed the key binding, if the node knows them."""
    jwk = checked[0].verified.holder_jwk
    if not jwk:
        return None
    try:
        kid = jose.thumbprint(jwk)
    except jose.JoseError:
        return None
    key = HolderKey.objects.select_related("holder").filter(kid=kid).first()
    return key.holder if key is not None else None


def _disclosed_summary(checked: Sequence[Checked]) -> list[dict[str, Any]]:
    summary = []
    for item in checked:
        credential_type = selectors.credential_type_by_vct(item.verified.vct)
        specs = credential_type.claim_specs()
        summary.append(
            {
                "vct": item.verified.vct,
                "type_name": credential_type.name,
                "issuer": item.verified.issuer,
                "issuer_name": selectors.issuer_name(item.verified.issuer),
                "claims": [s.name for s in specs if s.name in item.verified.disclosed],
                "labels": [s.label for s in specs if s.name in item.verified.disclosed],
            }
        )
    return summary


def _record(
    *,
    who: authz.Actor,
    request: ShareRequest,
    presentations: Sequence[str],
    volunteer: User | None,
    credentials: Sequence[Credential],
) -> Share:
    now = clock.now()
    try:
        if _expired(request, now):
            raise Refused("request_expired")
        checked = _check(request, presentations, now)
        # The nonce is spent only by a presentation that passed every check, and only once.
        consumed = ShareRequest.objects.filter(
            pk=request.pk, nonce_consumed=False, state=ShareRequestState.OPEN
        ).update(nonce_consumed=True, state=ShareRequestState.FULFILLED, decided_at=now)
        if consumed != 1:
            raise Refused("kb_replayed")
    except Refused as refusal:
        share = Share.objects.create(
            request=request,
            volunteer=volunteer,
            outcome=ShareOutcome.REFUSED,
            reason_code=refusal.code,
            reason=refusal.message[:500],
            verified_at=now,
            created_at=now,
        )
        share.credentials.set(credentials)
        audit.record(
            actor=who,
            action="share.refused",
            target=share,
            organisation_id=request.organisation_id,
            request=str(request.uid),
            reason_code=refusal.code,
        )
        return share
    request.refresh_from_db()
    share = Share(
        request=request,
        volunteer=volunteer or _holder_of(checked),
        outcome=ShareOutcome.VERIFIED,
        disclosed=_disclosed_summary(checked),
        verified_at=now,
        created_at=now,
    )
    share.presentations_store([item.presentation for item in checked])
    share.save()
    share.credentials.set(credentials)
    audit.record(
        actor=who,
        action="share.verified",
        target=share,
        organisation_id=request.organisation_id,
        request=str(request.uid),
        disclosed=[{"vct": d["vct"], "claims": d["claims"]} for d in share.disclosed],
    )
    return share


@transaction.atomic
def presentation_verify(*, actor: Any, request: ShareRequest, presentation: str) -> Share:
    """Verify a presentation a volunteer brought from their own wallet, against one of the
    organisation's requests (one presentation per requested type, one per line). The answer
    is a share: verified, or refused with its reason (recorded, without the presentation)."""
    who = authz.require(actor, "passport.share.verify", request)
    if len(presentation) > PRESENTATION_MAX:
        raise ValidationFailed("This is too long to be a presentation.", field="presentation")
    parts = _split(presentation)
    if not parts:
        raise ValidationFailed(
            "Paste the presentation from the volunteer's wallet.", field="presentation"
        )
    request = ShareRequest.objects.select_for_update().get(pk=request.pk)
    return _record(who=who, request=request, presentations=parts, volunteer=None, credentials=[])


@transaction.atomic
def share_consent(
    *, actor: Any, request: ShareRequest, credential_choices: Mapping[str, Credential]
) -> Share:
    """The volunteer consents: for each type asked for, the credential they chose is presented
    with their node-held key, revealing only the requested claims, addressed to the
    organisation with the request's nonce, then verified as any presentation is."""
    who = authz.require(actor, "passport.share.respond", request)
    request = ShareRequest.objects.select_for_update().get(pk=request.pk)
    now = clock.now()
    _require_open(request, now)
    if who.user_id is None:  # an API token is not a person, and consent is a person's
        raise PermissionDenied("Only the volunteer can consent to sharing their passport.")
    volunteer = User.objects.get(pk=who.user_id)
    qualifying = selectors.qualifying_credentials(volunteer, request, now=now)
    chosen: list[Credential] = []
    for requirement in request.requirements:
        vct = requirement["vct"]
        credential = credential_choices.get(vct)
        if credential is None or credential.pk not in {c.pk for c in qualifying[vct]}:
            name = selectors.credential_type_by_vct(vct).name
            raise ValidationFailed(
                f"Choose which {registry.in_sentence(name)} to share; you need a valid one.",
                field="credential",
            )
        chosen.append(credential)
    key = HolderKey.objects.filter(holder=volunteer, active=True).first()
    if key is None or key.custody != HolderKeyCustody.NODE:
        raise Conflict(
            "Your credentials are bound to a key in your own wallet app. Share from the wallet "
            "and give the organisation what it shows.",
            code="holder_key_in_wallet",
        )
    presentations: list[str] = []
    iat = int(now.timestamp())
    with key.unsealed() as private:
        for requirement, credential in zip(request.requirements, chosen, strict=True):
            try:
                presentations.append(
                    sdjwt.present(
                        credential.sd_jwt(),
                        disclose=list(requirement["claims"]),
                        holder_key=private,
                        aud=request.audience,
                        nonce=request.nonce,
                        iat=iat,
                    )
                )
            except sdjwt.PresentationError as error:
                raise Conflict(
                    f"Your {registry.in_sentence(credential.credential_type.name)} cannot be "
                    f"shared: {error.message}.",
                    code=error.code,
                ) from None
    audit.record(
        actor=who,
        action="share.consent",
        target=request,
        request=str(request.uid),
        credentials=[str(c.uid) for c in chosen],
    )
    return _record(
        who=who,
        request=request,
        presentations=presentations,
        volunteer=volunteer,
        credentials=chosen,
    )


@transaction.atomic
def share_decline(*, actor: Any, request: ShareRequest) -> ShareRequest:
    """The volunteer says no; the organisation sees the request was declined, nothing else."""
    who = authz.require(actor, "passport.share.respond", request)
    request = ShareRequest.objects.select_for_update().get(pk=request.pk)
    now = clock.now()
    _require_open(request, now)
    request.state = ShareRequestState.DECLINED
    request.decided_at = now
    request.save(update_fields=["state", "decided_at"])
    audit.record(actor=who, action="share.decline", target=request, request=str(request.uid))
    return request


@transaction.atomic
def share_withdraw(*, actor: Any, share: Share) -> Share:
    """The volunteer takes back a share: the sealed presentation is erased at once (the
    organisation's page then shows it withdrawn, with no claims), and the organisation is
    e-mailed, on commit, to delete any copy it made."""
    who = authz.require(actor, "passport.share.withdraw", share)
    share = Share.objects.select_for_update().select_related("request").get(pk=share.pk)
    if share.withdrawn_at is not None:
        raise Conflict("You have already withdrawn this share.", code="already_withdrawn")
    if share.outcome != ShareOutcome.VERIFIED:
        raise Conflict("Nothing was shared, so there is nothing to withdraw.", code="not_shared")
    share.withdrawn_at = clock.now()
    share.presentation_sealed = None
    share.save(update_fields=["withdrawn_at", "presentation_sealed"])
    audit.record(
        actor=who,
        action="share.withdraw",
        target=share,
        organisation_id=share.request.organisation_id,
        share=str(share.uid),
    )
    from .sharing_tasks import share_withdrawn_notify

    share_id = share.pk
    transaction.on_commit(lambda: share_withdrawn_notify.enqueue(share_id))
    return share


# --- looking at what was shared --------------------------------------------------------------


@dataclass(frozen=True)
class SharedCredential:
    type_name: str
    issuer_name: str
    claims: list[tuple[str, str]]  # (label, text), in the type's order


def _presented_claims(presentation: str) -> tuple[str, dict[str, Any]]:
    head = presentation[: presentation.rfind("~") + 1]
    holding = sdjwt.read_holding(head)
    values = {name: value for name, (_, value) in holding.disclosable.items()}
    return str(holding.payload.get("vct", "")), values


@transaction.atomic
def share_claims_view(*, actor: Any, share: Share) -> list[SharedCredential]:
    """What the organisation was shown, for its coordinators, verifiers and administrators;
    nothing once withdrawn. Every look is logged with who looked (DBS checks flagged)."""
    who = authz.require(actor, "passport.share.view", share)
    if share.outcome != ShareOutcome.VERIFIED or share.withdrawn_at is not None:
        return []
    if not share.presentation_sealed:  # erased under the retention rule
        return []
    shown: list[SharedCredential] = []
    summaries = {d["vct"]: d for d in share.disclosed}
    for presentation in share.presentations():
        vct, values = _presented_claims(presentation)
        credential_type = selectors.credential_type_by_vct(vct)
        summary = summaries.get(vct, {})
        shown.append(
            SharedCredential(
                type_name=credential_type.name,
                issuer_name=str(summary.get("issuer_name", "")),
                claims=[
                    (label, text)
                    for _, label, text in registry.claims_display(
                        credential_type.claim_specs(), values
                    )
                ],
            )
        )
    audit.record(
        actor=who,
        action="share.view",
        target=share,
        organisation_id=share.request.organisation_id,
        share=str(share.uid),
        vcts=sorted(summaries),
        dbs=registry.DBS_CHECK_VCT in summaries,
    )
    return shown


# --- retention -------------------------------------------------------------------------------


@transaction.atomic
def shares_retention_purge(*, actor: Any = None) -> int:
    """Erase the organisation's sealed copy of every share older than the passport's
    retention period (`lifecycle.RETENTION_DAYS`): the recruitment decision the share served
    has long been made. The share's row stays (who shared what, by name, with whom, when), so
    the volunteer's history is complete. Returns how many copies were erased.

    Meant for the daily retention run beside `services.credentials_retention_purge`;
    `actor=None` is the schedule."""
    from .services import RETENTION_ACTOR

    who = RETENTION_ACTOR if actor is None else actor
    if actor is not None:
        authz.require(actor, "passport.retention.run")
    cutoff = lifecycle.retention_cutoff(clock.now())
    erased = Share.objects.filter(presentation_sealed__isnull=False, created_at__lte=cutoff).update(
        presentation_sealed=None
    )
    if erased:
        audit.record(actor=who, action="share.retention.purge", shares=erased, cutoff=cutoff)
    return erased
