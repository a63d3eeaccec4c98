"""Device drivers, one pure async package per vendor family; ``driver_class(family)`` picks one.

Which class serves a family is the vendor registry's (``devices.vendors``) to say.
"""

from __future__ import annotations

from devices.vendors import vendor

from .base import DeviceDriver


def driver_class(family: str) -> type[DeviceDriver]:
    """The driver class of ``family``; LookupError for a family the registry does not know."""
    return vendor(family).driver
