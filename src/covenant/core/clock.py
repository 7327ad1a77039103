"""The one place the platform asks the time, so tests can move it with time-machine."""

from datetime import UTC, date, datetime


def now() -> datetime:
    return datetime.now(tz=UTC)


def today() -> date:
    return now().date()
