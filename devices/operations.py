"""What each device action means for each vendor, and which ones a device cannot do (pure).

Krill's action set (reboot, factory, reconfig, reprovision, unprovision,
diagnostic) maps onto the driver interface here, one table for every
vendor. :func:`refusal` answers *before* anything is queued whether an
action can run on a CPE and, if not, why in words an operator understands
(the model cannot, provisioning is disabled on the record, the record lacks
what the action needs). Nothing here touches the database or the network:
callers pass plain values, so the table is unit-tested without fixtures.

Vendor notes (see the driver modules):

- Peplink documents no reboot; the driver resets the cellular modem
  (``cmd.cellularModule.reset``). There is no documented factory reset, so
  ``factory`` is refused for Peplink up front.
- Fanvil phones have no pending/running split: a write takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import ActionKind
from .drivers.base import CAP_APPLY, CAP_FACTORY_RESET, CAP_READ_CONFIG, CAP_REBOOT


@dataclass(frozen=True)
class Operation:
    """How one action kind runs: what the driver must support and whether it changes the device."""

    kind: str
    needs: frozenset[str]
    mutating: bool  # takes the device lease: two mutating actions on one CPE never overlap
    renders_config: bool  # writes a rendered configuration (devices.provisioning)
    respects_disable_provision: bool
    respects_disable_reconfig: bool
    description: str


OPERATIONS: dict[str, Operation] = {
    ActionKind.REBOOT: Operation(
        ActionKind.REBOOT, frozenset({CAP_REBOOT}), True, False, False, False, "restart the device"
    ),
    ActionKind.FACTORY: Operation(
        ActionKind.FACTORY,
        frozenset({CAP_FACTORY_RESET}),
        True,
        False,
        True,
        False,
        "restore factory defaults (the device loses its configuration)",
    ),
    ActionKind.RECONFIG: Operation(
        ActionKind.RECONFIG,
        frozenset({CAP_APPLY}),
        True,
        True,
        True,
        True,
        "push the subscriber's current services (WANs, VoIP, Wi-Fi) and read them back",
    ),
    ActionKind.REPROVISION: Operation(
        ActionKind.REPROVISION,
        frozenset({CAP_APPLY}),
        True,
        True,
        True,
        False,
        "write the whole configuration from scratch, apply it and read it back",
    ),
    ActionKind.UNPROVISION: Operation(
        ActionKind.UNPROVISION,
        frozenset({CAP_APPLY}),
        True,
        True,
        True,
        False,
        "take the subscriber's services off the device",
    ),
    ActionKind.DIAGNOSTIC: Operation(
        ActionKind.DIAGNOSTIC,
        frozenset(),
        False,
        False,
        False,
        False,
        "collect info, status, signal, clients and the running configuration (with drift)",
    ),
}

CAPABILITY_WORDS = {
    CAP_REBOOT: "reboot through its API",
    CAP_FACTORY_RESET: "factory-reset through its API",
    CAP_APPLY: "be configured through its API",
    CAP_READ_CONFIG: "read its configuration back",
}


def operation(kind: str) -> Operation:
    try:
        return OPERATIONS[kind]
    except KeyError:
        raise ValueError(f"unknown action {kind!r} (known: {', '.join(OPERATIONS)})") from None


def refusal(
    kind: str,
    *,
    family: str,
    model: str,
    capabilities: frozenset[str],
    disable_provision: bool = False,
    disable_reconfig: bool = False,
) -> str | None:
    """Why ``kind`` cannot run on this CPE, or None when it can be queued."""
    op = operation(kind)
    missing = sorted(op.needs - capabilities)
    if missing:
        words = " or ".join(CAPABILITY_WORDS.get(c, c) for c in missing)
        return f"{model or family} ({family}) cannot {words}; {kind} is not available for this model."
    if op.respects_disable_provision and disable_provision:
        return f"Provisioning is disabled on this CPE (disable_provision); {kind} is refused."
    if op.respects_disable_reconfig and disable_reconfig:
        return f"Reconfiguration is disabled on this CPE (disable_reconfig); {kind} is refused."
    return None
