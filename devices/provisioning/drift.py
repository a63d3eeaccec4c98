"""Drift: a desired configuration against the running one read back from the device, field by field.

Each vendor's registry row names the comparer that brings both sides to one
flat shape (``devices.vendors``); secrets (portal.secrets) never leave as
plain text in the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portal.secrets import is_secret, mask

from ..drivers.base import DeviceConfig
from ..vendors import VENDORS


@dataclass(frozen=True)
class DriftItem:
    section: str
    field: str
    desired: Any
    running: Any

    def as_dict(self) -> dict[str, Any]:
        secret = is_secret(self.field)
        return {
            "section": self.section,
            "field": self.field,
            "desired": mask(self.desired) if secret else self.desired,
            "running": mask(self.running) if secret else self.running,
        }


def as_strings(path: str, values: Mapping[str, Any], *, shape: str) -> dict[str, Any]:
    """The plain comparer: every value as text (None as empty), for devices that answer what they were sent."""
    return {k: "" if v is None else str(v) for k, v in values.items()}


def comparable(family: str, path: str, values: Mapping[str, Any], *, shape: str) -> dict[str, Any]:
    row = VENDORS.get(family)
    if row is None:
        return as_strings(path, values, shape=shape)
    return row.comparable(path, values, shape=shape)


def drift(family: str, desired: DeviceConfig, running: DeviceConfig) -> list[DriftItem]:
    """Fields whose running value differs from the desired one (a missing section: every field)."""
    have = {s.path: s.values for s in running.sections}
    items: list[DriftItem] = []
    for section in desired.sections:
        want = comparable(family, section.path, section.values, shape="update")
        got_raw = have.get(section.path)
        got = comparable(family, section.path, got_raw, shape="running") if got_raw is not None else {}
        for name, value in want.items():
            seen = got.get(name)
            if got_raw is None or not _same(value, seen):
                items.append(DriftItem(section.path, name, value, seen))
    return items


def _same(desired: Any, running: Any) -> bool:
    if desired == running:
        return True
    # Routers answer numbers and booleans where a form sent strings, and back.
    return str(desired).lower() == str(running).lower()


def drift_report(family: str, desired: DeviceConfig, running: DeviceConfig) -> dict[str, Any]:
    """The drift as the action result and the API answer it: counts and the differing fields (secrets masked)."""
    items = drift(family, desired, running)
    fields = sum(len(comparable(family, s.path, s.values, shape="update")) for s in desired.sections)
    return {
        "in_sync": not items,
        "sections": len(desired.sections),
        "fields": fields,
        "differences": [item.as_dict() for item in items],
    }
