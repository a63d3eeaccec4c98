"""Models of the devices app, one module per concern.

- inventory: device models (catalogue), service profiles, CPEs
- actions: device actions, batches, per-device leases (the action engine)
- monitoring: latest polled state, history samples, alerts

Import models from ``devices.models``; the split is an implementation detail.
"""

from .actions import ActionBatch, DeviceAction, DeviceActionStep, DeviceLease
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
    "ActionBatch",
    "AddressProfile",
    "Alert",
    "AlertKind",
    "AlertSeverity",
    "Cpe",
    "DeviceAction",
    "DeviceActionStep",
    "DeviceLease",
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
