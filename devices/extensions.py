"""What apps beside devices add to its API and provisioning: registries filled in their ``AppConfig.ready()``.

devices never imports its sibling ``network`` (tests/test_dependencies.py
keeps it so: a CPE must work without IPAM installed). Where a CPE needs IPAM's
data, IPAM registers it here, as apps register dashboard tiles and
subscriber-page panels:

- :func:`register_cpe_field`: a portal extension of the Krill CPE record
  (answered only when named in ``attrs=``), with the loader that fetches
  what it shows for a whole page of CPEs in one query.
- :func:`register_static_wan`: where a CPE's static WAN address comes from
  when it is provisioned (:class:`StaticWan`, or None: none allocated).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rest_framework.serializers import Field

    from .models import Cpe


@dataclass(frozen=True)
class CpeField:
    """A read-only field of the CPE record.

    ``field``: builds the serializer field (``source="*"``: it gets the CPE).
    ``prefetch``: called with the CPEs about to be answered (a page, or one)
    before any is serialised; loads what the field reads in one query.
    ``permission``: what the caller's role needs to ask for it.
    """

    name: str
    field: Callable[[], Field]
    prefetch: Callable[[Sequence[Cpe]], None]
    permission: str | None = None


_CPE_FIELDS: dict[str, CpeField] = {}


def register_cpe_field(
    name: str, field_factory: Callable[[], Field], prefetch: Callable[[Sequence[Cpe]], None], permission: str = ""
) -> None:
    """Add the portal extension ``name`` to the Krill CPE record (once: a second registration is ignored)."""
    _CPE_FIELDS.setdefault(name, CpeField(name, field_factory, prefetch, permission or None))


def cpe_fields() -> dict[str, CpeField]:
    return dict(_CPE_FIELDS)


@dataclass(frozen=True)
class StaticWan:
    """The address a static internet WAN is configured with (IPv4: the WANs the renderers write are)."""

    address: str
    prefix_length: int
    gateway: str = ""
    source: str = ""  # where it came from, for messages ("IPAM allocation 203.0.113.10 in pool Public")

    @property
    def netmask(self) -> str:
        return str(ipaddress.IPv4Network(f"0.0.0.0/{self.prefix_length}").netmask)


StaticWanSource = Callable[["Cpe"], StaticWan | None]
_STATIC_WAN: list[StaticWanSource] = []


def register_static_wan(source: StaticWanSource) -> None:
    """Provide a CPE's static WAN address; the first source with an answer wins."""
    if source not in _STATIC_WAN:
        _STATIC_WAN.append(source)


def static_wan(cpe: Cpe) -> StaticWan | None:
    for source in _STATIC_WAN:
        found = source(cpe)
        if found is not None:
            return found
    return None
