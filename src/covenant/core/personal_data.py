"""What each app holds about a person, for subject access (export) requests.

Core cannot import the apps built on it, so each app registers a function that returns its
section of the export; `person_data_export` gathers them. An app holding personal data that
registers nothing is a gap in the export: register in the app's `ready()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Section = Callable[[Any], Any]
_SECTIONS: dict[str, Section] = {}


def register(name: str, section: Section) -> None:
    if name in _SECTIONS:
        raise ValueError(f"A personal-data section {name!r} is already registered.")
    _SECTIONS[name] = section


def sections() -> dict[str, Section]:
    return dict(_SECTIONS)
