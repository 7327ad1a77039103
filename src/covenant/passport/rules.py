"""Permission rules for the passport.

Read with the matrix in `tests/test_authz_matrix.py`, which pins every allow and every deny.
Who may do what, and why:

- Keys: an organisation's administrators rotate and retire its signing keys; the node
  administrator may too (to recover an organisation that lost its administrator, or to act on
  a compromise).
- Trust: only the node administrator changes which issuers the node trusts for which types,
  because every verifier on the node relies on it; and only they re-seal secrets after the
  key-encryption key changes, or run the retention purge by hand (it also runs on schedule).
- Types: the CVS (staff and node administrator) adds the node's own training types.
- Credentials: a verifier of an organisation issues its credentials, only of types the
  organisation may issue (`selectors.organisation_may_issue`), never to themself. Its
  verifiers and administrators revoke, suspend and reinstate what it issued (an administrator
  may need to act when the verifier who issued has left); nobody suspends or reinstates their
  own credential, so a suspension cannot be lifted by the person it is about. A credential
  is seen by its holder and by verifiers of the organisation that issued it; nobody else,
  not even the CVS, sees it without the holder sharing it. Only the holder downloads it.
- Holder keys belong to the volunteer alone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from covenant.core.authz import Actor, Rule, any_of, node_role, org_role, rule
from covenant.core.models import NodeRoleName, OrgRole

CVS = (NodeRoleName.CVS_STAFF, NodeRoleName.NODE_ADMIN)
NODE_ADMIN = (NodeRoleName.NODE_ADMIN,)


def all_of(*checks: Rule) -> Rule:
    def combined(actor: Actor, obj: Any) -> bool:
        return all(c(actor, obj) for c in checks)

    return combined


def _holder(actor: Actor, obj: Any) -> bool:
    """The actor is the volunteer the object belongs to: a credential or key of theirs (one
    with a `holder_id`), or their own account."""
    if actor.user_id is None or obj is None:
        return False
    if hasattr(obj, "holder_id"):
        return bool(obj.holder_id == actor.user_id)
    meta = getattr(obj, "_meta", None)
    return meta is not None and meta.label == settings.AUTH_USER_MODEL and obj.pk == actor.user_id


def _not_holder(actor: Actor, obj: Any) -> bool:
    """Nobody vouches for themself: a verifier's own credentials come from someone else."""
    return not _holder(actor, obj)


def _may_issue_type(actor: Actor, obj: Any) -> bool:
    """The issuing organisation may issue the credential's type (asked of a credential about to
    be issued, which names both)."""
    from .models import Credential
    from .selectors import organisation_may_issue

    if not isinstance(obj, Credential) or obj.organisation_id is None:
        return False
    if obj.credential_type_id is None:
        return False
    return organisation_may_issue(obj.organisation, obj.credential_type)


_VERIFIER = org_role(OrgRole.VERIFIER)
_ISSUER_STAFF = org_role(OrgRole.VERIFIER, OrgRole.ADMIN)

rule("passport.keys.rotate")(any_of(org_role(OrgRole.ADMIN), node_role(*NODE_ADMIN)))
rule("passport.keys.retire")(any_of(org_role(OrgRole.ADMIN), node_role(*NODE_ADMIN)))
rule("passport.trust.manage")(node_role(*NODE_ADMIN))
rule("passport.kek.rewrap")(node_role(*NODE_ADMIN))
rule("passport.retention.run")(node_role(*NODE_ADMIN))
rule("passport.types.manage")(node_role(*CVS))
rule("passport.credential.issue")(all_of(_VERIFIER, _not_holder, _may_issue_type))
rule("passport.credential.view")(any_of(_holder, _VERIFIER))
rule("passport.credential.download")(_holder)
rule("passport.credential.revoke")(_ISSUER_STAFF)
rule("passport.credential.suspend")(all_of(_ISSUER_STAFF, _not_holder))
rule("passport.holder_key.manage")(_holder)


# --- sharing ----------------------------------------------------------------------------------
# An organisation's coordinators, verifiers and administrators ask volunteers for checks and
# see what was shared with it (a share request or a share names the organisation). Any
# signed-in person may answer a request addressed by link (consent is theirs to give, and only
# their own credentials can be presented); only the volunteer who shared withdraws.

_SHARE_STAFF = org_role(OrgRole.COORDINATOR, OrgRole.VERIFIER, OrgRole.ADMIN)


def _signed_in(actor: Actor, obj: Any) -> bool:
    return actor.user_id is not None


def _sharer(actor: Actor, obj: Any) -> bool:
    """The volunteer who made the share."""
    return actor.user_id is not None and getattr(obj, "volunteer_id", None) == actor.user_id


rule("passport.share.request")(_SHARE_STAFF)
rule("passport.share.view")(_SHARE_STAFF)
rule("passport.share.verify")(_SHARE_STAFF)
rule("passport.share.respond")(_signed_in)
rule("passport.share.withdraw")(_sharer)
