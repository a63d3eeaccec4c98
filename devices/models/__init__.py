"""Models of the devices app, one module per concern.

- inventory: device models (catalogue), service profiles, CPEs
- actions: device actions, batches, per-device leases (the action engine)
- monitoring: latest polled state, history samples, alerts

Import models from ``devices.models``; the split is an implementation detail.
"""

from .inventory import (
    AddressProfile,
    Cpe,
    DeviceModel,
    LineProfile,
    Profile,
    ServiceProfile,
    TvProfile,
    VoipProfile,
    WifiProfile,
)
from .monitoring import Alert, AlertKind, AlertSeverity, DeviceSample, DeviceState

__all__ = [
    "AddressProfile",
    "Alert",
    "AlertKind",
    "AlertSeverity",
    "Cpe",
    "DeviceModel",
    "DeviceSample",
    "DeviceState",
    "LineProfile",
    "Profile",
    "ServiceProfile",
    "TvProfile",
    "VoipProfile",
    "WifiProfile",
]
