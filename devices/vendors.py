"""The vendor registry: one row per device family, the one place that knows what a family is made of.

A row names the family's driver, its provisioning module (renderer, problem
check, drift comparer), how the portal reaches it by default (port, scheme,
factory credentials) and the few ways pages and the demo treat it
differently. Code elsewhere asks the row (``vendor(cpe.model.family)``)
instead of comparing family strings, so adding a vendor is one driver
package, one provisioning module and one row here.

Rows name code by dotted path (``"package.module:attribute"``), imported on
first use: the drivers and the provisioning modules import this registry's
neighbours, and resolving late keeps the import graph one way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from .choices import DeviceFamily, ManagementScheme

if TYPE_CHECKING:
    from .drivers.base import ConfigSection, DeviceDriver
    from .provisioning import ProvisioningInput


@cache
def _resolve(dotted: str) -> Any:
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name) if name else importlib.import_module(module)


@dataclass(frozen=True)
class Vendor:
    """One device family: its code (dotted paths) and its defaults."""

    family: str
    driver_path: str
    # A module of devices.provisioning defining render(inp, kind) -> list[ConfigSection],
    # problems(inp) -> list[str] (for the kinds that render) and the drift comparer
    # comparable(section path, values, *, shape) -> flat fields.
    provisioning_path: str
    default_port: int  # the vendor's documented management port
    default_scheme: str = ManagementScheme.HTTP
    # (MAC) -> (username, password) when the device ships with MAC-derived API credentials.
    factory_credentials_path: str = ""
    shows_wan: bool = False  # the device page shows WAN details even before a poll reports them
    phone: bool = False  # an IP phone: a voice service profile and one SIP account in the demo

    @property
    def label(self) -> str:
        return DeviceFamily(self.family).label

    @property
    def driver(self) -> type[DeviceDriver]:
        return _resolve(self.driver_path)

    @property
    def capabilities(self) -> frozenset[str]:
        """The operations the family supports (``CAP_*`` of devices.drivers.base), as its driver declares."""
        return self.driver.capabilities

    def render(self, inp: ProvisioningInput, kind: str) -> list[ConfigSection]:
        return _resolve(self.provisioning_path).render(inp, kind)

    def problems(self, inp: ProvisioningInput) -> list[str]:
        return _resolve(self.provisioning_path).problems(inp)

    def comparable(self, path: str, values: Mapping[str, Any], *, shape: str) -> dict[str, Any]:
        return _resolve(self.provisioning_path).comparable(path, values, shape=shape)

    @property
    def factory_credentials(self) -> Callable[[str], tuple[str, str]] | None:
        return _resolve(self.factory_credentials_path) if self.factory_credentials_path else None


VENDORS: dict[str, Vendor] = {
    row.family: row
    for row in (
        Vendor(
            family=DeviceFamily.HALNY,
            driver_path="devices.drivers.halny:HalnyDriver",
            provisioning_path="devices.provisioning.halny",
            default_port=48626,
            factory_credentials_path="devices.drivers.halny:default_credentials",
        ),
        Vendor(
            family=DeviceFamily.PEPLINK,
            driver_path="devices.drivers.peplink:PeplinkDriver",
            provisioning_path="devices.provisioning.peplink",
            default_port=443,
            # The device page shows a router's WAN panel even before a poll has reported a WAN.
            shows_wan=True,
        ),
        Vendor(
            family=DeviceFamily.FANVIL,
            driver_path="devices.drivers.fanvil:FanvilDriver",
            provisioning_path="devices.provisioning.fanvil",
            default_port=80,
            phone=True,
        ),
    )
}


def vendor(family: str) -> Vendor:
    """The registry row of ``family``; LookupError names a family the portal does not know."""
    try:
        return VENDORS[family]
    except KeyError:
        raise LookupError(f"no driver for vendor family {family!r} (known: {', '.join(VENDORS)})") from None
