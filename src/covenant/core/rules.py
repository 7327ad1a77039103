"""Permission rules for organisations, people, roles and the audit log.

Read with the matrix in `tests/test_authz_matrix.py`, which pins every allow and every deny.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .authz import Actor, any_of, node_role, org_role, organisation_id_of, rule
from .models import NodeRoleName, OrgRole, VerificationStatus

CVS = (NodeRoleName.CVS_STAFF, NodeRoleName.NODE_ADMIN)
NODE_ADMIN = (NodeRoleName.NODE_ADMIN,)


def _signed_in(actor: Actor, obj: Any) -> bool:
    return actor.user_id is not None


def _self(actor: Actor, obj: Any) -> bool:
    """The actor's own account, or a record of theirs (one with a `user_id`). Any other object's
    pk is not a user id: organisation 5 is not user 5."""
    if actor.user_id is None or obj is None:
        return False
    if hasattr(obj, "user_id"):
        return bool(obj.user_id == actor.user_id)
    meta = getattr(obj, "_meta", None)
    return meta is not None and meta.label == settings.AUTH_USER_MODEL and obj.pk == actor.user_id


def _verified(actor: Actor, obj: Any) -> bool:
    return getattr(obj, "verification_status", None) == VerificationStatus.VERIFIED


def _member_of(actor: Actor, obj: Any) -> bool:
    return actor.has_org_role(organisation_id_of(obj))


# Organisations -------------------------------------------------------------------------------
# The public directory shows verified organisations to everyone; an unverified one is seen by
# its own people and by the CVS that will check it.
rule("organisation.view")(any_of(_verified, _member_of, node_role(*CVS)))
rule("organisation.register")(_signed_in)
rule("organisation.update")(any_of(org_role(OrgRole.ADMIN), node_role(*NODE_ADMIN)))
rule("organisation.verify")(node_role(*CVS))
rule("organisation.verification_queue.view")(node_role(*CVS))
rule("organisation.members.view")(any_of(org_role(OrgRole.ADMIN), node_role(*CVS)))
rule("organisation.members.manage")(any_of(org_role(OrgRole.ADMIN), node_role(*NODE_ADMIN)))
rule("organisation.tokens.manage")(org_role(OrgRole.ADMIN))

# People ---------------------------------------------------------------------------------------
# A volunteer's profile is theirs; CVS staff may read it (each read is audited) to support them.
rule("volunteer.profile.view")(any_of(_self, node_role(*CVS)))
rule("volunteer.profile.update")(_self)
rule("person.data.export")(_self)
rule("node.roles.manage")(node_role(*NODE_ADMIN))

# Node -----------------------------------------------------------------------------------------
rule("audit.view")(node_role(*NODE_ADMIN))
rule("places.import")(node_role(*NODE_ADMIN))
rule("node.dashboard.view")(node_role(*CVS))
