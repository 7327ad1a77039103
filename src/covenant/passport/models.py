"""Passport tables: credential types, issuer keys, the trust registry, credentials, holder keys
and status lists.

Secrets (private keys, issued SD-JWTs) are stored only sealed by `keystore`; the columns that
hold them end in `_sealed` and never appear in the admin, the API or a log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager

from django.conf import settings
from django.db import models
from django.db.models import Q

from covenant.core.models import Organisation

from . import jose, keystore, registry
from .status_list import DEFAULT_SIZE, MIN_ENTRIES

ISSUER_KEY_PURPOSE = "issuer-key"
HOLDER_KEY_PURPOSE = "holder-key"
CREDENTIAL_PURPOSE = "credential"
EVIDENCE_NOTE_PURPOSE = "evidence-note"


class Algorithm(models.TextChoices):
    ES256 = "ES256", "ES256 (ECDSA on P-256)"
    EDDSA = "EdDSA", "EdDSA (Ed25519)"


class CredentialType(models.Model):
    """A kind of credential: its claims, who may issue it, how long it lasts."""

    vct = models.CharField(
        "type identifier (vct)",
        max_length=200,
        unique=True,
        help_text="The SD-JWT VC type; stable for ever once credentials of it exist.",
    )
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    category = models.CharField(
        max_length=20,
        choices=[(c.value, registry.CATEGORY_LABELS[c]) for c in registry.Category],
    )
    claims = models.JSONField(help_text="The claims definition: a list of claim objects.")
    validity_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long a credential lasts from issue; empty: no expiry."
    )
    renewal_window_days = models.PositiveIntegerField(
        default=0, help_text="How many days before expiry the holder is told to renew."
    )
    issuer_policy = models.CharField(
        max_length=30,
        choices=[(p.value, registry.ISSUER_POLICY_LABELS[p]) for p in registry.IssuerPolicy],
    )
    built_in = models.BooleanField(
        default=False, help_text="Defined by the platform (not editable on a node)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name

    def claim_specs(self) -> tuple[registry.ClaimSpec, ...]:
        return registry.claims_definition_parse(self.claims)

    def claims_validate(self, claims: dict[str, object]) -> dict[str, object]:
        """This type's check of a credential's claims (see `registry.claims_validate`)."""
        return registry.claims_validate(
            claims, self.claim_specs(), vct=self.vct, type_name=f"a {self.name}"
        )


class IssuerKey(models.Model):
    """An organisation's signing key. The newest active key signs; older ones stay published
    (so credentials they signed still verify) until someone retires them."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="issuer_keys"
    )
    kid = models.CharField(
        "key id", max_length=64, unique=True, help_text="The RFC 7638 thumbprint of the key."
    )
    alg = models.CharField(max_length=10, choices=Algorithm.choices, default=Algorithm.ES256)
    public_jwk = models.JSONField()
    private_key_sealed = models.BinaryField(editable=False)
    active = models.BooleanField(default=True, help_text="The organisation's signing key.")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="No longer published; what it signed no longer verifies."
    )

    class Meta:
        ordering = ["organisation_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(active=True),
                name="passport_one_signing_key_per_organisation",
            ),
            models.CheckConstraint(
                condition=Q(active=False) | Q(retired_at__isnull=True),
                name="passport_signing_key_not_retired",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alg} key {self.kid[:12]}… of {self.organisation}"

    def signer(self) -> Callable[[bytes], bytes]:
        """A function that signs bytes with this key (the key is opened inside each call)."""
        return keystore.signer(
            bytes(self.private_key_sealed), purpose=ISSUER_KEY_PURPOSE, kid=self.kid
        )

    def unsealed(self) -> AbstractContextManager[jose.PrivateKey]:
        """The private key for one signing call: `with key.unsealed() as k: sdjwt.issue(...)`."""
        return keystore.unsealed_key(
            bytes(self.private_key_sealed), purpose=ISSUER_KEY_PURPOSE, kid=self.kid
        )

    def published_jwk(self) -> dict[str, str]:
        """The JWK as the JWKS and the DID document publish it."""
        return {**self.public_jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}


class TrustedIssuer(models.Model):
    """An issuer the node trusts for some credential types: one of the node's organisations,
    or an issuer elsewhere (another node, a DBS umbrella body) named by its issuer id with its
    published keys."""

    organisation = models.OneToOneField(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="trusted_issuer",
    )
    issuer = models.URLField(
        "issuer id",
        max_length=300,
        blank=True,
        help_text="For an issuer on another node: its `iss` (an https URL).",
    )
    name = models.CharField(max_length=200)
    jwks = models.JSONField(
        default=dict, blank=True, help_text="An external issuer's public keys (a JWK Set)."
    )
    credential_types = models.ManyToManyField(CredentialType, related_name="trusted_issuers")
    note = models.TextField(blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organisation__isnull=False) & Q(issuer=""))
                | (Q(organisation__isnull=True) & ~Q(issuer="")),
                name="passport_trusted_issuer_local_or_external",
            ),
            models.UniqueConstraint(
                fields=["issuer"], condition=~Q(issuer=""), name="passport_trusted_issuer_once"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_local(self) -> bool:
        return self.organisation_id is not None


class CredentialState(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"


class StatusPurpose(models.TextChoices):
    REVOCATION = "revocation", "Revocation"
    SUSPENSION = "suspension", "Suspension"


class ChangeReason(models.TextChoices):
    """Why an issuer revoked or suspended a credential. A fixed list, not free text: the holder
    reads it, and free text about a DBS check could carry what the check found."""

    ISSUED_IN_ERROR = "issued_in_error", "It was issued in error"
    SUPERSEDED = "superseded", "A newer credential replaces it"
    NO_LONGER_ACCURATE = "no_longer_accurate", "What it says is no longer accurate"
    UNDER_REVIEW = "under_review", "The issuer is reviewing it"
    HOLDER_REQUEST = "holder_request", "The volunteer asked for it"


REVOCATION_REASONS = (
    ChangeReason.ISSUED_IN_ERROR,
    ChangeReason.SUPERSEDED,
    ChangeReason.NO_LONGER_ACCURATE,
    ChangeReason.HOLDER_REQUEST,
)
SUSPENSION_REASONS = (ChangeReason.UNDER_REVIEW, ChangeReason.HOLDER_REQUEST)


class StatusList(models.Model):
    """One published W3C Bitstring Status List of an issuing organisation.

    The bits are kept uncompressed (16 KiB for the minimum list) so flipping an entry is one
    small update; the published document compresses them. Entries are handed out at random
    (the specification's advice), so an index says nothing about when a credential was issued."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="status_lists"
    )
    purpose = models.CharField(max_length=10, choices=StatusPurpose.choices)
    number = models.PositiveIntegerField(help_text="1 for the organisation's first list, ...")
    size = models.PositiveIntegerField(default=DEFAULT_SIZE, help_text="Entries in the list.")
    bits = models.BinaryField(help_text="The published status bits, uncompressed.")
    allocated_bits = models.BinaryField(
        help_text="Which entries have ever been given to a credential. An entry is never given "
        "twice, even after its credential is erased, because its status bit may still be set."
    )
    allocated = models.PositiveIntegerField(default=0, help_text="Entries given to credentials.")
    path = models.CharField(
        max_length=200, unique=True, help_text="Where the node publishes it (URL path)."
    )
    version = models.PositiveIntegerField(
        default=0, help_text="Counts the changes to the status bits (not to allocations)."
    )
    changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a status bit last changed (the list's validFrom)."
    )
    # The signed document as last published, re-signed when the bits or the signing key change
    # and well before it expires; `published_version` is the `version` it was signed from.
    published_jwt = models.TextField(blank=True, editable=False)
    published_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    published_kid = models.CharField(max_length=64, blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation_id", "purpose", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "purpose", "number"], name="passport_status_list_once"
            ),
            models.CheckConstraint(
                condition=Q(size__gte=MIN_ENTRIES), name="passport_status_list_min_size"
            ),
            models.CheckConstraint(
                condition=Q(allocated__lte=models.F("size")),
                name="passport_status_list_not_overfull",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} list {self.number} of {self.organisation}"

    @property
    def url(self) -> str:
        return f"{settings.COVENANT_BASE_URL}{self.path}"


class Credential(models.Model):
    """A credential the node issued to a volunteer. Its claims live only inside the sealed
    SD-JWT, so a database reader learns that a check exists, not what it says. Only its
    validity dates are in the clear, because standing, renewal and retention are computed
    from them; they start on the date of the check (for a DBS check, its certificate's date,
    an allow-listed field).

    Retention (`lifecycle`): the verifier's note about the evidence is erased 180 days after
    issue; the sealed SD-JWT is erased 180 days after the credential was revoked or expired,
    leaving only the record that it existed (`content_purged_at` says when)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credentials"
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="issued_credentials",
        help_text="The issuing organisation.",
    )
    credential_type = models.ForeignKey(
        CredentialType, on_delete=models.PROTECT, related_name="credentials"
    )
    issuer_key = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField()
    valid_from = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its validity started: the date of the check or training it records.",
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=CredentialState.choices, default=CredentialState.ACTIVE
    )
    state_reason = models.CharField(max_length=300, blank=True, choices=ChangeReason.choices)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    revocation_list = models.ForeignKey(
        StatusList, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_index = models.PositiveIntegerField(null=True, blank=True)
    suspension_list = models.ForeignKey(
        StatusList, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    suspension_index = models.PositiveIntegerField(null=True, blank=True)
    sd_jwt_sealed = models.BinaryField(editable=False)
    content_purged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the issued SD-JWT was erased under retention."
    )
    evidence_note_sealed = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["holder", "state"]),
            models.Index(fields=["organisation", "issued_at"]),
            models.Index(fields=["expires_at"], name="passport_credential_expiry"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["revocation_list", "revocation_index"],
                name="passport_revocation_entry_once",
            ),
            models.UniqueConstraint(
                fields=["suspension_list", "suspension_index"],
                name="passport_suspension_entry_once",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("issued_at")),
                name="passport_credential_expires_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credential_type} for {self.holder} from {self.organisation}"

    @property
    def context(self) -> str:
        return f"{CREDENTIAL_PURPOSE}:{self.uid}"

    @property
    def evidence_context(self) -> str:
        return f"{EVIDENCE_NOTE_PURPOSE}:{self.uid}"

    @property
    def has_content(self) -> bool:
        """False once retention erased the issued SD-JWT."""
        return self.content_purged_at is None and bool(self.sd_jwt_sealed)

    def sd_jwt(self) -> str:
        """The issued SD-JWT (compact form), opened from its sealed copy."""
        return keystore.open_sealed(bytes(self.sd_jwt_sealed), context=self.context).decode("ascii")

    def sd_jwt_store(self, compact: str) -> None:
        """Seal and keep the issued SD-JWT (the caller saves the row)."""
        self.sd_jwt_sealed = keystore.seal(compact.encode("ascii"), context=self.context)

    def evidence_note(self) -> str:
        """The issuing verifier's note about the evidence ("" if none, or erased)."""
        if not self.evidence_note_sealed:
            return ""
        sealed = bytes(self.evidence_note_sealed)
        return keystore.open_sealed(sealed, context=self.evidence_context).decode("utf-8")

    def evidence_note_store(self, note: str) -> None:
        """Seal and keep the note (the caller saves the row); an empty note keeps nothing."""
        self.evidence_note_sealed = (
            keystore.seal(note.encode("utf-8"), context=self.evidence_context) if note else None
        )


class HolderKeyCustody(models.TextChoices):
    NODE = "node", "Held by the node for the volunteer"
    WALLET = "wallet", "In the volunteer's own wallet"


class HolderKey(models.Model):
    """The key a volunteer's credentials are bound to (`cnf`). A volunteer with a wallet app
    brings its public key; one without has the node hold a key for them (sealed), used only
    when they consent to a presentation."""

    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="holder_keys"
    )
    custody = models.CharField(max_length=10, choices=HolderKeyCustody.choices)
    kid = models.CharField("key id", max_length=64)
    alg = models.CharField(max_length=10, choices=Algorithm.choices, default=Algorithm.ES256)
    public_jwk = models.JSONField()
    private_key_sealed = models.BinaryField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["holder_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["holder", "kid"], name="passport_holder_key_once"),
            models.UniqueConstraint(
                fields=["holder"],
                condition=Q(active=True),
                name="passport_one_active_holder_key",
            ),
            models.CheckConstraint(
                condition=(Q(custody="node") & Q(private_key_sealed__isnull=False))
                | (Q(custody="wallet") & Q(private_key_sealed__isnull=True)),
                name="passport_holder_key_private_only_in_node_custody",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_custody_display()} key {self.kid[:12]}… of {self.holder}"

    def _sealed(self) -> bytes:
        if self.private_key_sealed is None:
            raise keystore.KeystoreError(
                "This key is in the volunteer's own wallet; the node cannot sign with it."
            )
        return bytes(self.private_key_sealed)

    def signer(self) -> Callable[[bytes], bytes]:
        """A function that signs bytes with the node-held key (opened inside each call)."""
        return keystore.signer(self._sealed(), purpose=HOLDER_KEY_PURPOSE, kid=self.kid)

    def unsealed(self) -> AbstractContextManager[jose.PrivateKey]:
        """The node-held private key for one signing call (a key-bound presentation the
        volunteer consented to)."""
        return keystore.unsealed_key(self._sealed(), purpose=HOLDER_KEY_PURPOSE, kid=self.kid)


# --- sharing ---------------------------------------------------------------------------------

SHARE_PURPOSE = "share"


class ShareRequestState(models.TextChoices):
    OPEN = "open", "Waiting for the volunteer"
    FULFILLED = "fulfilled", "Shared"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


class ShareRequest(models.Model):
    """An organisation asking a volunteer for a check, for one role: which credential types
    and which of their claims it needs (`requirements`, a list of `{"vct", "claims"}`), with
    a single-use nonce and the audience the presentation must be addressed to.

    The nonce is unique, and consuming it is one conditional UPDATE (`nonce_consumed` from
    False to True), so two consents racing on one request cannot both succeed."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="share_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    purpose = models.CharField(max_length=200, help_text="The role or task the check is for.")
    requirements = models.JSONField(
        help_text='What is asked for: [{"vct": ..., "claims": [claim name, ...]}, ...].'
    )
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    nonce_consumed = models.BooleanField(default=False)
    audience = models.CharField(max_length=300, help_text="The organisation's verifier id.")
    state = models.CharField(
        max_length=10, choices=ShareRequestState.choices, default=ShareRequestState.OPEN
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="passport_share_request_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=~Q(state="fulfilled") | Q(nonce_consumed=True),
                name="passport_share_request_fulfilled_consumes_nonce",
            ),
        ]

    def __str__(self) -> str:
        return f"Request from {self.organisation} for {self.purpose}"

    def vcts(self) -> list[str]:
        return [str(r["vct"]) for r in self.requirements]


class ShareOutcome(models.TextChoices):
    VERIFIED = "verified", "Verified"
    REFUSED = "refused", "Refused"


class Share(models.Model):
    """One answer to a share request: a presentation the organisation received and what
    verifying it found.

    A verified share keeps the presentation sealed (`presentation_sealed`, one or more
    compact SD-JWT+KB joined by newlines), so the organisation can show the claims it was
    given until the volunteer withdraws; only claim *names* are in the clear. A refused one
    keeps only the reason, never the presentation. At most one verified share per request."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(ShareRequest, on_delete=models.CASCADE, related_name="shares")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shares",
        help_text="Empty for a presentation from a wallet whose holder the node does not know.",
    )
    credentials = models.ManyToManyField(Credential, blank=True, related_name="shares")
    presentation_sealed = models.BinaryField(null=True, blank=True, editable=False)
    outcome = models.CharField(max_length=10, choices=ShareOutcome.choices)
    reason_code = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    disclosed = models.JSONField(
        default=list,
        blank=True,
        help_text='What was revealed, by name only: [{"vct", "issuer", "claims": [...]}].',
    )
    verified_at = models.DateTimeField()
    created_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    org_told_to_delete_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(outcome="verified"),
                name="passport_one_verified_share_per_request",
            ),
            models.CheckConstraint(
                condition=Q(outcome="verified") | Q(presentation_sealed__isnull=True),
                name="passport_refused_share_keeps_no_presentation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} share for {self.request}"

    @property
    def organisation_id(self) -> int:
        """The organisation that received it (authz reads this)."""
        return int(self.request.organisation_id)

    @property
    def context(self) -> str:
        return f"{SHARE_PURPOSE}:{self.uid}"

    def presentations(self) -> list[str]:
        """The stored presentations, unsealed ([] once withdrawn or for a refusal)."""
        if not self.presentation_sealed:
            return []
        text = keystore.open_sealed(bytes(self.presentation_sealed), context=self.context)
        return [p for p in text.decode("ascii").split("\n") if p]

    def presentations_store(self, presentations: list[str]) -> None:
        """Seal and keep the presentations (the caller saves the row)."""
        joined = "\n".join(presentations).encode("ascii")
        self.presentation_sealed = keystore.seal(joined, context=self.context)
