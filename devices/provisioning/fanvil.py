"""Fanvil IP phone provisioning: one SIP account per POTS line (``sip/N``), deregistered on unprovision."""

from __future__ import annotations

from ..choices import ActionKind
from ..drivers.base import ConfigSection
from . import ProvisioningInput
from .drift import as_strings

# A phone reads back what it was sent: compare as text.
comparable = as_strings


def problems(inp: ProvisioningInput) -> list[str]:
    found: list[str] = []
    if inp.voip is None:
        found.append("the CPE has no VoIP profile")
    if not inp.pots:
        found.append("the CPE has no POTS lines to register")
    return found


def render(inp: ProvisioningInput, kind: str) -> list[ConfigSection]:
    full = kind == ActionKind.REPROVISION
    off = kind == ActionKind.UNPROVISION
    by_order = {line.order: line for line in inp.pots}
    numbers = sorted(by_order)
    if full or off:
        numbers = sorted(set(numbers) | set(range(1, inp.pots_ports + 1)))
    sections = []
    for n in numbers:
        line = by_order.get(n)
        if line is None or off or inp.voip is None:
            sections.append(ConfigSection(f"sip/{n}", {"EnableReg": "0"}))
            continue
        account = line.username or line.cli
        sections.append(
            ConfigSection(
                f"sip/{n}",
                {
                    "EnableReg": "1",
                    "RegisterAddr": inp.voip.sip_server,
                    "RegisterPort": str(inp.voip.sip_port),
                    "PhoneNumber": account,
                    "RegisterUser": line.username or account,
                    "RegisterPswd": line.password,
                    "DisplayName": (line.label or line.cli or account)[:64],
                },
            )
        )
    return sections
