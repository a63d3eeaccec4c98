"""Device drivers, one module per vendor family; ``driver_class(family)`` picks one."""

from __future__ import annotations

import importlib

from .base import DeviceDriver

# Vendor family (devices.DeviceModel.family) → driver class, imported lazily.
DRIVERS: dict[str, str] = {
    "halny": "devices.drivers.halny.HalnyDriver",
    "peplink": "devices.drivers.peplink.PeplinkDriver",
    "fanvil": "devices.drivers.fanvil.FanvilDriver",
}


def driver_class(family: str) -> type[DeviceDriver]:
    try:
        dotted = DRIVERS[family]
    except KeyError:
        raise LookupError(f"no driver for vendor family {family!r}") from None
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)
