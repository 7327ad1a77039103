"""The standing of a credential, the renewal forecast and the retention clock: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from covenant.passport import lifecycle
from covenant.passport.lifecycle import Held, Standing

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)
windows = st.integers(min_value=0, max_value=365)
states = st.sampled_from(["active", "suspended", "revoked"])


def standing(state="active", expires_in_days=None, window=30, now=NOW) -> Standing:
    expires = None if expires_in_days is None else now + timedelta(days=expires_in_days)
    return lifecycle.standing(state=state, expires_at=expires, renewal_window_days=window, now=now)


@pytest.mark.parametrize(
    ("state", "days", "window", "expected"),
    [
        ("active", None, 0, Standing.VALID),
        ("active", 400, 30, Standing.VALID),
        ("active", 31, 30, Standing.VALID),
        ("active", 30, 30, Standing.EXPIRING_SOON),
        ("active", 1, 30, Standing.EXPIRING_SOON),
        ("active", 1, 0, Standing.VALID),
        ("active", 0, 30, Standing.EXPIRED),
        ("active", -5, 30, Standing.EXPIRED),
        ("suspended", 400, 30, Standing.SUSPENDED),
        ("suspended", -5, 30, Standing.SUSPENDED),
        ("revoked", 400, 30, Standing.REVOKED),
        ("revoked", None, 0, Standing.REVOKED),
    ],
)
def test_standing_examples(state, days, window, expected) -> None:
    assert standing(state, days, window) is expected


def test_the_edges_are_exact() -> None:
    expires = NOW + timedelta(days=30)
    just_before = expires - timedelta(days=30, microseconds=1)
    assert (
        lifecycle.standing(
            state="active", expires_at=expires, renewal_window_days=30, now=just_before
        )
        is Standing.VALID
    )
    assert (
        lifecycle.standing(
            state="active",
            expires_at=expires,
            renewal_window_days=30,
            now=expires - timedelta(days=30),
        )
        is Standing.EXPIRING_SOON
    )
    assert (
        lifecycle.standing(state="active", expires_at=expires, renewal_window_days=30, now=expires)
        is Standing.EXPIRED
    )


@given(state=states, expires=st.none() | moments, window=windows, now=moments)
def test_standing_properties(state, expires, window, now) -> None:
    result = lifecycle.standing(
        state=state, expires_at=expires, renewal_window_days=window, now=now
    )
    # The issuer's word always wins over the clock.
    if state == "revoked":
        assert result is Standing.REVOKED
    elif state == "suspended":
        assert result is Standing.SUSPENDED
    elif expires is None:
        assert result is Standing.VALID
    elif now >= expires:
        assert result is Standing.EXPIRED
    else:
        assert (result is Standing.EXPIRING_SOON) == (
            now >= expires - timedelta(days=window) and window > 0
        )
    # Moving time forward never makes an active credential better.
    if state == "active":
        order = [Standing.VALID, Standing.EXPIRING_SOON, Standing.EXPIRED]
        later = lifecycle.standing(
            state=state, expires_at=expires, renewal_window_days=window, now=now + timedelta(days=1)
        )
        assert order.index(later) >= order.index(result)


def test_standing_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="unknown"):
        standing("lost")
    with pytest.raises(ValueError, match="aware"):
        lifecycle.standing(
            state="active", expires_at=None, renewal_window_days=0, now=datetime(2026, 1, 1)
        )
    with pytest.raises(ValueError, match="negative"):
        standing(window=-1)


def held(key, name, days, state="active", window=30) -> Held:
    expires = None if days is None else NOW + timedelta(days=days)
    return Held(key=key, name=name, state=state, expires_at=expires, renewal_window_days=window)


def test_the_forecast_lists_what_runs_out_soonest_first() -> None:
    forecast = lifecycle.renewal_forecast(
        [
            held(1, "DBS check", 400, window=90),
            held(2, "Identity check", None),
            held(3, "First aid training", 20, window=60),
            held(4, "Food hygiene training", -3),
            held(5, "MiDAS", 10, state="revoked"),
            held(6, "Manual handling", 200, state="suspended"),
        ],
        now=NOW,
    )
    assert [item.key for item in forecast] == [4, 3, 6, 1]
    expired, first_aid, manual, dbs = forecast
    assert expired.standing is Standing.EXPIRED
    assert expired.days_left == -3
    assert first_aid.standing is Standing.EXPIRING_SOON
    assert first_aid.days_left == 20
    assert first_aid.renew_from == NOW + timedelta(days=20 - 60)
    assert manual.standing is Standing.SUSPENDED
    assert dbs.standing is Standing.VALID
    assert dbs.days_left == 400
    assert dbs.renew_from == dbs.expires_at - timedelta(days=90)


@given(
    st.lists(
        st.tuples(st.none() | st.integers(-1000, 4000), states, windows),
        max_size=20,
    )
)
def test_forecast_properties(rows) -> None:
    items = [
        held(i, f"Type {i % 3}", days, state, window)
        for i, (days, state, window) in enumerate(rows)
    ]
    forecast = lifecycle.renewal_forecast(items, now=NOW)
    keys = {i.key for i in items if i.expires_at is not None and i.state != "revoked"}
    assert {f.key for f in forecast} == keys
    assert [f.expires_at for f in forecast] == sorted(f.expires_at for f in forecast)
    for item in forecast:
        assert item.renew_from <= item.expires_at
        if item.standing is not Standing.SUSPENDED:
            assert (item.expires_at <= NOW) == (item.standing is Standing.EXPIRED)
        assert item.days_left == (item.expires_at - NOW).days


def test_validity_end() -> None:
    assert lifecycle.validity_end(NOW, None) is None
    assert lifecycle.validity_end(NOW, 1095) == NOW + timedelta(days=1095)
    with pytest.raises(ValueError, match="at least one day"):
        lifecycle.validity_end(NOW, 0)


@given(
    state=states,
    changed=st.none() | moments,
    expires=st.none() | moments,
    now=moments,
)
def test_content_purge_rule(state, changed, expires, now) -> None:
    due = lifecycle.content_purge_due(
        state=state, state_changed_at=changed, expires_at=expires, now=now
    )
    six_months_ago = now - timedelta(days=180)
    revoked_long_ago = state == "revoked" and changed is not None and changed <= six_months_ago
    expired_long_ago = expires is not None and expires <= six_months_ago
    assert due == (revoked_long_ago or expired_long_ago)
    # Never later than six months after the event, whatever the month lengths.
    assert lifecycle.RETENTION_DAYS <= 181


def test_evidence_purge_rule() -> None:
    assert not lifecycle.evidence_purge_due(issued_at=NOW - timedelta(days=179), now=NOW)
    assert lifecycle.evidence_purge_due(issued_at=NOW - timedelta(days=180), now=NOW)
