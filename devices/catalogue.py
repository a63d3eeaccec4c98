"""The hardware catalogue: every model the simulated fleet (and the demo) ships.

Keyed by the model name the devices report (simulators.manifest.VENDORS),
so a manifest entry maps onto a DeviceModel by name.
"""

from __future__ import annotations

from .choices import DeviceFamily, Tech

# name: (family, tech, avatar, is_router, tr069, LAN ports, POTS/SIP lines, Wi-Fi)
CATALOGUE: dict[str, tuple[str, str, str, bool, bool, int, int, bool]] = {
    "HL-4GMV": (DeviceFamily.HALNY, Tech.GPON, "HL-4GMV", True, True, 4, 1, True),
    "HL-4GQV": (DeviceFamily.HALNY, Tech.GPON, "HL-4GQV", True, True, 4, 1, True),
    "HL-2BV": (DeviceFamily.HALNY, Tech.GPON, "HL-2BV", True, True, 2, 1, False),
    "HL-1B": (DeviceFamily.HALNY, Tech.GPON, "HL-1B", False, True, 1, 0, False),
    "HL-4BX3V-F": (DeviceFamily.HALNY, Tech.GPON, "HL-4BX3V-F", True, True, 4, 2, True),
    "MAX BR1": (DeviceFamily.PEPLINK, Tech.LTE, "MAX-BR1", True, False, 1, 0, True),
    "MAX BR1 Pro 5G": (DeviceFamily.PEPLINK, Tech.LTE, "MAX-BR1-PRO-5G", True, False, 2, 0, True),
    "Balance 20X": (DeviceFamily.PEPLINK, Tech.ETHERNET, "BALANCE-20X", True, False, 4, 0, True),
    "X6": (DeviceFamily.FANVIL, Tech.VOIP, "FANVIL-X6", False, True, 2, 6, False),
    "X4U": (DeviceFamily.FANVIL, Tech.VOIP, "FANVIL-X4U", False, True, 2, 12, False),
    "X3SG": (DeviceFamily.FANVIL, Tech.VOIP, "FANVIL-X3SG", False, True, 2, 2, False),
}
