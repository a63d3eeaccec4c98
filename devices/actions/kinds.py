"""One record per device action kind: everything the portal needs to know about reboot, factory, ….

Krill's action set (reboot, factory, reconfig, reprovision, unprovision,
diagnostic) is :class:`~devices.choices.ActionKind` (the database values and
labels). :data:`KINDS` holds, for each, the rest: the path segment Krill uses
in a CPE's ``_links``, what the driver must support, whether it changes the
device, which roles may run it, how dangerous it looks in the UI and the
coroutine that does the work. The role map (``portal.roles``), the Krill
links and their API routes (``devices.api.actions``), the permission checks,
the action selects (``devices.forms``), the buttons and the engine all read
this table; nothing else lists the kinds.

:func:`refusal` answers *before* anything is queued whether an action can
run on a CPE and, if not, why in words an operator understands (the model
cannot, provisioning is disabled on the record, the record lacks what the
action needs). It touches neither the database nor the network: callers pass
plain values, so it is unit-tested without fixtures.

Vendor notes (see the driver modules):

- Peplink documents no reboot; the driver resets the cellular modem
  (``cmd.cellularModule.reset``). There is no documented factory reset, so
  ``factory`` is refused for Peplink up front.
- Fanvil phones have no pending/running split: a write takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.choices import Role
from portal.roles import register_device_action

from ..choices import ActionKind
from ..drivers.base import CAP_APPLY, CAP_FACTORY_RESET, CAP_READ_CONFIG, CAP_REBOOT
from .work import Work, diagnostic, factory_reset, reboot, write_config

# Support helps a subscriber on the phone: safe, reversible actions only
# (never a factory reset or taking services off a device).
SUPPORT_TOO = frozenset({Role.ADMIN, Role.NOC, Role.SUPPORT})
NOC_ONLY = frozenset({Role.ADMIN, Role.NOC})


@dataclass(frozen=True, kw_only=True)
class ActionKindSpec:
    """How one action kind is named, allowed, shown and run."""

    kind: ActionKind
    krill_link: str  # the path segment in a CPE's _links.actions (/api/v2/cpes/<id>/<krill_link>)
    description: str
    api_summary: str  # the summary of the action link in the API schema
    work: Work
    roles: frozenset[str]  # who may run it (permission devices.action.<kind>)
    needs: frozenset[str] = frozenset()  # driver capabilities
    mutating: bool = True  # takes the device lease: two mutating actions on one CPE never overlap
    renders_config: bool = False  # writes a rendered configuration (devices.provisioning)
    respects_disable_provision: bool = False
    respects_disable_reconfig: bool = False
    danger: bool = False  # cannot be undone: shown in red, the confirmation says so
    confirm: bool = True  # the UI asks before running it

    @property
    def label(self) -> str:
        return self.kind.label

    @property
    def permission(self) -> str:
        return f"devices.action.{self.kind}"


KINDS: dict[str, ActionKindSpec] = {
    spec.kind: spec
    for spec in (
        ActionKindSpec(
            kind=ActionKind.REBOOT,
            krill_link="reboot",
            description="restart the device",
            api_summary="Reboot the CPE",
            work=reboot,
            roles=SUPPORT_TOO,
            needs=frozenset({CAP_REBOOT}),
        ),
        ActionKindSpec(
            kind=ActionKind.FACTORY,
            krill_link="factory",
            description="restore factory defaults (the device loses its configuration)",
            api_summary="Factory-reset the CPE",
            work=factory_reset,
            roles=NOC_ONLY,
            needs=frozenset({CAP_FACTORY_RESET}),
            respects_disable_provision=True,
            danger=True,
        ),
        ActionKindSpec(
            kind=ActionKind.RECONFIG,
            krill_link="reconfig",
            description="push the subscriber's current services (WANs, VoIP, Wi-Fi) and read them back",
            api_summary="Push the subscriber's services",
            work=write_config,
            roles=SUPPORT_TOO,
            needs=frozenset({CAP_APPLY}),
            renders_config=True,
            respects_disable_provision=True,
            respects_disable_reconfig=True,
        ),
        ActionKindSpec(
            kind=ActionKind.REPROVISION,
            krill_link="reprovision",
            description="write the whole configuration from scratch, apply it and read it back",
            api_summary="Provision the CPE from scratch",
            work=write_config,
            roles=NOC_ONLY,
            needs=frozenset({CAP_APPLY}),
            renders_config=True,
            respects_disable_provision=True,
        ),
        ActionKindSpec(
            kind=ActionKind.UNPROVISION,
            krill_link="unprovision",
            description="take the subscriber's services off the device",
            api_summary="Take services off",
            work=write_config,
            roles=NOC_ONLY,
            needs=frozenset({CAP_APPLY}),
            renders_config=True,
            respects_disable_provision=True,
            danger=True,
        ),
        ActionKindSpec(
            kind=ActionKind.DIAGNOSTIC,
            krill_link="cwmp_diagnostic",
            description="collect info, status, signal, clients and the running configuration (with drift)",
            api_summary="Diagnostic: info, status, signal, clients, config read-back and drift",
            work=diagnostic,
            roles=SUPPORT_TOO,
            mutating=False,
            confirm=False,
        ),
    )
}

CAPABILITY_WORDS = {
    CAP_REBOOT: "reboot through its API",
    CAP_FACTORY_RESET: "factory-reset through its API",
    CAP_APPLY: "be configured through its API",
    CAP_READ_CONFIG: "read its configuration back",
}


def kind_spec(kind: str) -> ActionKindSpec:
    """The record of ``kind``; an unknown kind is a programming error (ValueError), not a refusal."""
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown action {kind!r} (known: {', '.join(KINDS)})") from None


def register_permissions() -> None:
    """Tell the role map which roles may run each kind (devices' AppConfig.ready; portal never imports devices)."""
    for spec in KINDS.values():
        register_device_action(spec.kind.value, spec.roles)


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
    spec = kind_spec(kind)
    missing = sorted(spec.needs - capabilities)
    if missing:
        words = " or ".join(CAPABILITY_WORDS.get(c, c) for c in missing)
        return f"{model or family} ({family}) cannot {words}; {kind} is not available for this model."
    if spec.respects_disable_provision and disable_provision:
        return f"Provisioning is disabled on this CPE (disable_provision); {kind} is refused."
    if spec.respects_disable_reconfig and disable_reconfig:
        return f"Reconfiguration is disabled on this CPE (disable_reconfig); {kind} is refused."
    return None
