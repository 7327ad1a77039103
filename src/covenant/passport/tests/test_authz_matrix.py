"""The permission matrix for the passport's rules: every actor kind x every action x every
target, denials included. The pattern (and the actor kinds) are core's
(`covenant/core/tests/test_authz_matrix.py`): `EXPECTED` is the specification, a rule that
changes fails here until the table changes, and a new rule fails
`test_matrix_covers_every_passport_rule` until it is added.

Targets are unsaved objects with fixed ids, so most of the matrix needs no database. Issuing
asks the trust registry about types kept for trusted issuers, so that action's cells run with
a database (empty but for the one target that is trusted through the registry).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from covenant.core import authz
from covenant.core.errors import NotAuthenticated, PermissionDenied
from covenant.core.models import (
    Organisation,
    OrgRole,
    User,
    VerificationStatus,
)
from covenant.core.tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from covenant.core.tests.test_authz_matrix import (
    ANON,
    ANOTHER_ORG,
    CVS,
    KINDS,
    ME,
    NOBODY,
    NODE_ADMINS,
    OTHER,
    PEOPLE,
    SAME,
    SCOPED,
    SOMEONE_ELSE,
    TARGET_ORG,
    VOLUNTEER,
    _rule_actions_registered_by,
    make_actor,
)
from covenant.passport import rules as passport_rules
from covenant.passport.models import (
    Credential,
    CredentialType,
    HolderKey,
    HolderKeyCustody,
    IssuerKey,
    Share,
    ShareRequest,
    TrustedIssuer,
)
from covenant.passport.registry import IssuerPolicy

ADMIN_SAME = frozenset({SAME[OrgRole.ADMIN]})
VERIFIER_SAME = frozenset({SAME[OrgRole.VERIFIER]})
HOLDER = PEOPLE  # every signed-in person is user ME, so "own" targets belong to all of them

# Targets ---------------------------------------------------------------------------------------
NONE = "none"
ORG = "organisation"
KEY = "issuer-key"
TYPE = "credential-type"
CRED_OWN = "credential:own"  # issued by TARGET_ORG to ME
CRED_OTHER = "credential:other"  # issued by TARGET_ORG to someone else
ISSUE_OPEN = "issue:open-type"  # a type any verified organisation may issue
ISSUE_OPEN_UNVERIFIED = "issue:open-type,unverified-org"
ISSUE_TO_SELF = "issue:open-type,to-the-verifier-themself"
ISSUE_KEPT = "issue:kept-type"  # a type for the CVS and trusted issuers; ordinary organisation
ISSUE_KEPT_BY_NODE = "issue:kept-type,by-cvs"
ISSUE_KEPT_TRUSTED = "issue:kept-type,trusted-org"
ISSUE_KEPT_TRUSTED_UNVERIFIED = "issue:kept-type,trusted-but-unverified"
USER_SELF = "user:self"
USER_OTHER = "user:other"
HOLDER_KEY_OWN = "holder-key:own"
HOLDER_KEY_OTHER = "holder-key:other"
SHARE_REQUEST = "share-request"  # asked by TARGET_ORG
SHARE_OWN = "share:own"  # ME shared with TARGET_ORG
SHARE_OTHER = "share:other"  # someone else shared with TARGET_ORG
SHARES = (SHARE_REQUEST, SHARE_OWN, SHARE_OTHER)
TARGETS = [
    NONE,
    ORG,
    KEY,
    TYPE,
    CRED_OWN,
    CRED_OTHER,
    ISSUE_OPEN,
    ISSUE_OPEN_UNVERIFIED,
    ISSUE_TO_SELF,
    ISSUE_KEPT,
    ISSUE_KEPT_BY_NODE,
    ISSUE_KEPT_TRUSTED,
    ISSUE_KEPT_TRUSTED_UNVERIFIED,
    USER_SELF,
    USER_OTHER,
    HOLDER_KEY_OWN,
    HOLDER_KEY_OTHER,
    *SHARES,
]
CREDENTIALS = (CRED_OWN, CRED_OTHER)
ISSUES = (
    ISSUE_OPEN,
    ISSUE_OPEN_UNVERIFIED,
    ISSUE_KEPT,
    ISSUE_KEPT_BY_NODE,
    ISSUE_KEPT_TRUSTED,
    ISSUE_KEPT_TRUSTED_UNVERIFIED,
)
ORG_OWNED = (ORG, KEY, *CREDENTIALS, *ISSUES, ISSUE_TO_SELF, *SHARES)
REST = "*"

# The specification -----------------------------------------------------------------------------
# A token holds every role in its organisation, so a token scoped to an action may do what a
# verifier or an administrator of that organisation may; never what needs a person (holding).
ORG_KEYS = ADMIN_SAME | NODE_ADMINS | SCOPED
ISSUER_STAFF = VERIFIER_SAME | SCOPED
SHARE_STAFF = (
    frozenset({SAME[OrgRole.COORDINATOR], SAME[OrgRole.VERIFIER], SAME[OrgRole.ADMIN]}) | SCOPED
)
EXPECTED: dict[str, dict[str, frozenset[str]]] = {
    # Asked of an organisation or its key; as every org-role rule, it answers for anything
    # the organisation owns.
    "passport.keys.rotate": {**dict.fromkeys(ORG_OWNED, ORG_KEYS), REST: NODE_ADMINS},
    "passport.keys.retire": {**dict.fromkeys(ORG_OWNED, ORG_KEYS), REST: NODE_ADMINS},
    "passport.trust.manage": {REST: NODE_ADMINS},
    "passport.kek.rewrap": {REST: NODE_ADMINS},
    "passport.retention.run": {REST: NODE_ADMINS},
    "passport.types.manage": {REST: CVS},
    "passport.credential.issue": {
        ISSUE_OPEN: ISSUER_STAFF,
        ISSUE_KEPT_BY_NODE: ISSUER_STAFF,
        ISSUE_KEPT_TRUSTED: ISSUER_STAFF,
        # A person never issues to themself, whatever their role (a token is not a person).
        ISSUE_TO_SELF: SCOPED,
        # An issued credential answers as the issue that made it.
        CRED_OTHER: ISSUER_STAFF,
        CRED_OWN: SCOPED,
        REST: NOBODY,  # unverified issuers, kept types, and anything that is not a credential
    },
    "passport.credential.view": {
        CRED_OWN: HOLDER | ISSUER_STAFF,
        CRED_OTHER: ISSUER_STAFF,
        # Anything of the organisation's is readable by its verifiers by this rule; the
        # services only ever ask it about credentials.
        **dict.fromkeys((ORG, KEY, *ISSUES, *SHARES), ISSUER_STAFF),
        ISSUE_TO_SELF: HOLDER | ISSUER_STAFF,
        USER_SELF: HOLDER,
        HOLDER_KEY_OWN: HOLDER,
        REST: NOBODY,
    },
    # Only the holder downloads their credential in full.
    "passport.credential.download": {
        CRED_OWN: HOLDER,
        ISSUE_TO_SELF: HOLDER,
        USER_SELF: HOLDER,
        HOLDER_KEY_OWN: HOLDER,
        REST: NOBODY,
    },
    # Verifiers and administrators of the issuing organisation revoke what it issued ...
    "passport.credential.revoke": {
        **dict.fromkeys(
            (ORG, KEY, *CREDENTIALS, *ISSUES, ISSUE_TO_SELF, *SHARES), ISSUER_STAFF | ADMIN_SAME
        ),
        REST: NOBODY,
    },
    # ... and suspend or reinstate it, but never a credential of their own.
    "passport.credential.suspend": {
        **dict.fromkeys((ORG, KEY, CRED_OTHER, *ISSUES, *SHARES), ISSUER_STAFF | ADMIN_SAME),
        CRED_OWN: SCOPED,
        ISSUE_TO_SELF: SCOPED,
        REST: NOBODY,
    },
    "passport.holder_key.manage": {
        USER_SELF: HOLDER,
        HOLDER_KEY_OWN: HOLDER,
        CRED_OWN: HOLDER,
        ISSUE_TO_SELF: HOLDER,
        REST: NOBODY,
    },
    # An organisation's coordinators, verifiers and administrators ask for checks and see
    # what was shared with it (an org-role rule: it answers for anything the organisation owns).
    **{
        key: {**dict.fromkeys(ORG_OWNED, SHARE_STAFF), REST: NOBODY}
        for key in ("passport.share.request", "passport.share.view", "passport.share.verify")
    },
    # Anyone signed in answers a request sent to them by link; only the sharer withdraws.
    "passport.share.respond": {REST: PEOPLE},
    "passport.share.withdraw": {SHARE_OWN: HOLDER, REST: NOBODY},
}


def expected_allowed(action: str, target: str) -> frozenset[str]:
    table = EXPECTED[action]
    return table.get(target, table[REST])


def _organisation(*, verified: bool = True, runs_node: bool = False) -> Organisation:
    return Organisation(
        pk=TARGET_ORG,
        name="Target",
        verification_status=VerificationStatus.VERIFIED if verified else VerificationStatus.PENDING,
        runs_node=runs_node,
    )


def _type(policy: IssuerPolicy, pk: int = 1) -> CredentialType:
    return CredentialType(pk=pk, vct=f"urn:test:{policy}", name="Test type", issuer_policy=policy)


def _trusted_issue(*, verified: bool) -> Credential:
    """A kept type issued by an ordinary organisation the registry trusts for it (saved rows,
    because the rule asks the registry)."""
    organisation = OrganisationFactory.create(
        pk=TARGET_ORG,
        verification_status=VerificationStatus.VERIFIED if verified else VerificationStatus.PENDING,
    )
    kept = CredentialType.objects.create(
        vct="urn:test:kept",
        slug="test-kept",
        name="Kept",
        category="dbs",
        claims=[{"name": "a", "label": "A", "type": "string"}],
        issuer_policy=IssuerPolicy.NODE_AND_REGISTRY,
    )
    TrustedIssuer.objects.create(organisation=organisation, name="Target").credential_types.add(
        kept
    )
    return Credential(organisation=organisation, credential_type=kept, holder_id=SOMEONE_ELSE)


def make_target(target: str) -> Any:
    open_type = _type(IssuerPolicy.VERIFIED_ORGANISATIONS)
    kept_type = _type(IssuerPolicy.NODE_AND_REGISTRY, pk=2)
    if target == NONE:
        return None
    if target == ORG:
        return _organisation()
    if target == KEY:
        return IssuerKey(pk=ME, organisation_id=TARGET_ORG, kid="k")
    if target == TYPE:
        return kept_type
    if target in CREDENTIALS:
        holder = ME if target == CRED_OWN else SOMEONE_ELSE
        # pk ME on the other's credential, so a rule comparing pk with user id would show.
        return Credential(
            pk=SOMEONE_ELSE if target == CRED_OWN else ME,
            holder_id=holder,
            organisation=_organisation(),
            credential_type=open_type,
        )
    if target == ISSUE_OPEN:
        return Credential(
            organisation=_organisation(), credential_type=open_type, holder_id=SOMEONE_ELSE
        )
    if target == ISSUE_TO_SELF:
        return Credential(organisation=_organisation(), credential_type=open_type, holder_id=ME)
    if target == ISSUE_OPEN_UNVERIFIED:
        return Credential(
            organisation=_organisation(verified=False),
            credential_type=open_type,
            holder_id=SOMEONE_ELSE,
        )
    if target == ISSUE_KEPT:
        return Credential(
            organisation=_organisation(), credential_type=kept_type, holder_id=SOMEONE_ELSE
        )
    if target == ISSUE_KEPT_BY_NODE:
        return Credential(
            organisation=_organisation(runs_node=True),
            credential_type=kept_type,
            holder_id=SOMEONE_ELSE,
        )
    if target == ISSUE_KEPT_TRUSTED:
        return _trusted_issue(verified=True)
    if target == ISSUE_KEPT_TRUSTED_UNVERIFIED:
        return _trusted_issue(verified=False)
    if target == USER_SELF:
        return User(pk=ME, email="me@example.org")
    if target == USER_OTHER:
        return User(pk=SOMEONE_ELSE, email="someone@example.org")
    if target in (HOLDER_KEY_OWN, HOLDER_KEY_OTHER):
        holder = ME if target == HOLDER_KEY_OWN else SOMEONE_ELSE
        return HolderKey(
            pk=SOMEONE_ELSE if holder == ME else ME,
            holder_id=holder,
            custody=HolderKeyCustody.WALLET,
        )
    if target in SHARES:
        request = ShareRequest(pk=ME, organisation_id=TARGET_ORG)
        if target == SHARE_REQUEST:
            return request
        # pk ME on the other's share, so a rule comparing pk with user id would show.
        volunteer = ME if target == SHARE_OWN else SOMEONE_ELSE
        return Share(
            pk=SOMEONE_ELSE if volunteer == ME else ME, request=request, volunteer_id=volunteer
        )
    raise AssertionError(target)


def _needs_db(action: str, target: str) -> bool:
    return action == "passport.credential.issue" or target in (
        ISSUE_KEPT_TRUSTED,
        ISSUE_KEPT_TRUSTED_UNVERIFIED,
    )


def matrix() -> Iterator[Any]:
    for action in EXPECTED:
        for target in TARGETS:
            marks = [pytest.mark.django_db] if _needs_db(action, target) else []
            for kind in KINDS:
                yield pytest.param(action, target, kind, marks=marks)


@pytest.mark.parametrize(("action", "target", "kind"), list(matrix()))
def test_matrix(action: str, target: str, kind: str) -> None:
    actor = make_actor(kind, action)
    obj = make_target(target)
    allowed = kind in expected_allowed(action, target)
    assert authz.allows(actor, action, obj) is allowed
    if allowed:
        assert authz.require(actor, action, obj) is actor
    else:
        error = NotAuthenticated if kind == ANON else PermissionDenied
        with pytest.raises(error):
            authz.require(actor, action, obj)


def test_matrix_covers_every_passport_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _rule_actions_registered_by(passport_rules, monkeypatch) == set(EXPECTED)


def test_every_action_names_only_known_targets() -> None:
    for action, table in EXPECTED.items():
        assert REST in table, action
        assert set(table) - {REST} <= set(TARGETS), action


def test_the_other_organisation_is_really_other() -> None:
    # The matrix's "@other" actors hold their roles in ANOTHER_ORG, never the target's.
    actor = make_actor(OTHER[OrgRole.VERIFIER], "passport.credential.view")
    assert set(actor.org_roles) == {ANOTHER_ORG}
    assert VOLUNTEER in HOLDER


# The same answers with roles and registry from the database ------------------------------------


@pytest.mark.django_db
def test_issuing_with_roles_and_trust_from_the_database(dbs_type, builtin_types, cvs, charity):
    reference = builtin_types["reference"]
    cvs_verifier = MembershipFactory.create(organisation=cvs, role=OrgRole.VERIFIER).user
    charity_verifier = MembershipFactory.create(organisation=charity, role=OrgRole.VERIFIER).user
    charity_admin = MembershipFactory.create(organisation=charity, role=OrgRole.ADMIN).user

    def may(user: User, organisation: Organisation, credential_type: CredentialType) -> bool:
        target = Credential(organisation=organisation, credential_type=credential_type)
        return authz.allows(user, "passport.credential.issue", target)

    assert may(cvs_verifier, cvs, dbs_type)
    assert may(charity_verifier, charity, reference)
    assert not may(charity_verifier, charity, dbs_type), "DBS is kept for trusted issuers"
    assert not may(charity_admin, charity, reference), "administrators are not verifiers"
    assert not may(charity_verifier, cvs, reference), "only for their own organisation"
    self_issue = Credential(
        organisation=charity, credential_type=reference, holder=charity_verifier
    )
    assert not authz.allows(charity_verifier, "passport.credential.issue", self_issue)
    TrustedIssuer.objects.create(organisation=charity, name=charity.name).credential_types.add(
        dbs_type
    )
    assert may(charity_verifier, charity, dbs_type)


@pytest.mark.django_db
def test_credential_view_with_ids_from_the_database(builtin_types, charity):
    holder, stranger = UserFactory.create(), UserFactory.create()
    verifier = MembershipFactory.create(organisation=charity, role=OrgRole.VERIFIER).user
    other_verifier = MembershipFactory.create(
        organisation=OrganisationFactory.create(), role=OrgRole.VERIFIER
    ).user
    credential = Credential(
        holder=holder, organisation=charity, credential_type=builtin_types["reference"]
    )
    assert authz.allows(holder, "passport.credential.view", credential)
    assert authz.allows(verifier, "passport.credential.view", credential)
    assert not authz.allows(stranger, "passport.credential.view", credential)
    assert not authz.allows(other_verifier, "passport.credential.view", credential)
