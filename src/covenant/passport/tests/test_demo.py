"""The demo node's passports: believable, real (they verify against the published keys and
status lists), and the named volunteer holds a valid credential of every built-in type."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.test import Client

from covenant.core import audit, clock
from covenant.core.models import AuditEntry, User
from covenant.passport import registry, sdjwt, selectors
from covenant.passport.lifecycle import Standing
from covenant.passport.models import Credential, CredentialState, HolderKey

from . import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("demo", "--places", "area", "--volunteers", "200")
    assert callbacks == []
    assert mailoutbox == []


def test_the_named_volunteer_holds_every_built_in_type_valid(demo, client: Client) -> None:
    volunteer = User.objects.get(email="volunteer@example.org")
    passport = selectors.passport_of(volunteer, now=clock.now())
    held = {item.credential.credential_type.vct: item.standing for item in passport.credentials}
    assert set(held) == {spec.vct for spec in registry.BUILT_IN_TYPES}
    assert set(held.values()) == {Standing.VALID}
    assert len(passport.forecast) == 8  # all but identity, reference and volunteering record
    issues = AuditEntry.objects.filter(action="credential.issue", detail__holder_id=volunteer.pk)
    assert issues.count() == len(registry.BUILT_IN_TYPES), "through the real service"
    dbs = next(
        item.credential
        for item in passport.credentials
        if item.credential.credential_type.vct == registry.DBS_CHECK_VCT
    )
    verified = helpers.verify(client, dbs)
    assert verified.status == "valid"
    assert verified.claims["level"] == "enhanced"


def test_every_demo_volunteer_has_a_believable_passport(demo) -> None:
    volunteers = User.objects.filter(email__startswith="volunteer0")
    holders = set(Credential.objects.values_list("holder_id", flat=True))
    with_passport = sum(1 for pk in volunteers.values_list("pk", flat=True) if pk in holders)
    assert with_passport >= 0.95 * volunteers.count()
    kinds = Counter(Credential.objects.values_list("credential_type__slug", flat=True))
    assert kinds["identity-check"] > kinds[registry.DBS_CHECK_SLUG] > kinds["midas"] > 0
    assert kinds["driving-licence-check"] == kinds["midas"], "drivers have both"
    # Drivers' MiDAS comes from the transport operator, trusted for it in the registry.
    midas = Credential.objects.filter(
        credential_type__slug="midas", holder__in=volunteers
    ).select_related("organisation", "credential_type")
    assert {c.organisation.kind for c in midas} == {"community_transport"}
    assert all(selectors.organisation_may_issue(c.organisation, c.credential_type) for c in midas)
    standings = Counter(
        selectors.held(c, now=clock.now()).standing
        for c in Credential.objects.select_related("credential_type")
    )
    assert standings[Standing.VALID] > 0.8 * sum(standings.values())
    for standing in (Standing.EXPIRING_SOON, Standing.EXPIRED, Standing.REVOKED):
        assert standings[standing] > 0, standing
    # Every holder's credentials are bound to that holder's own key.
    for credential in Credential.objects.order_by("?")[:20]:
        key = HolderKey.objects.get(holder=credential.holder, active=True)
        assert sdjwt.read_holding(credential.sd_jwt()).payload["cnf"]["jwk"] == key.public_jwk
    assert audit.chain_verify().ok


def test_bulk_credentials_verify_and_revoked_ones_are_refused(demo, client: Client) -> None:
    bulk = (
        Credential.objects.filter(
            holder__email__startswith="volunteer0",
            state=CredentialState.ACTIVE,
            credential_type__vct=registry.DBS_CHECK_VCT,
            expires_at__gt=clock.now(),
        )
        .select_related("credential_type", "organisation")
        .first()
    )
    assert bulk is not None
    verified = helpers.verify(client, bulk)
    assert verified.status == "valid"
    assert set(verified.disclosed) <= set(registry.DBS_CHECK_CLAIMS)

    revoked = (
        Credential.objects.filter(state=CredentialState.REVOKED, expires_at__gt=clock.now())
        .select_related("credential_type", "organisation")
        .first()
    )
    assert revoked is not None
    with pytest.raises(sdjwt.VerificationError) as caught:
        helpers.verify(client, revoked, nonce="r")
    assert caught.value.code == "revoked"
