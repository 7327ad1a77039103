"""A tqdm progress bar on stderr for the places imports (see `services.Progress`)."""

from __future__ import annotations

from typing import Any, TextIO

from django.core.management.base import OutputWrapper
from tqdm import tqdm


def underlying(stream: Any) -> TextIO:
    """The real stream under Django's OutputWrapper, which would end every write with a
    newline and so break tqdm's redrawing of one line. A command called from another command
    may be wrapped twice."""
    while isinstance(stream, OutputWrapper):
        stream = stream._out
    return stream  # type: ignore[no-any-return]


class Bar:
    """One bar per stage ("Reading" in bytes, "Writing" in rows)."""

    def __init__(self, stream: Any) -> None:
        self.stream = underlying(stream)
        self.bar: tqdm[Any] | None = None

    def stage(self, label: str, total: int, unit: str) -> None:
        self.close()
        self.bar = tqdm(
            total=total,
            desc=label,
            unit=unit,
            unit_scale=unit == "B",
            file=self.stream,
            leave=False,
            mininterval=0.5,
        )

    def advance(self, amount: int) -> None:
        if self.bar is not None and amount:
            self.bar.update(amount)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
