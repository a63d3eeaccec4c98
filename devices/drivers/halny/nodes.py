"""HALNy ONT node tree, pure: model table, node names, apply rules, value spelling, factory credentials.

What the driver, the provisioning renderer and the simulator share about the
REST API v2's shape (seed ``halny-ont-rest-api-v2-triple-play.txt``), with no
I/O; the assumptions are listed in :mod:`devices.drivers.halny`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.drivers.base import DeviceEndpoint

HALNY_API_PORT = 48626
API_PREFIX = "/api/v2/"
API_USER = "apiuser"

# How many instances of each numbered node an ONT has. The seed shows wan/1..3,
# ssid/1 and port forwarding rule 0; these sizes are what the portal assumes
# (HALNy web UI: 8 WAN connections, 4 SSIDs per band, a 32-entry NAT table).
WAN_COUNT = 8
SSIDS_PER_BAND = 4
PORT_FORWARDING_RULES = 32  # numbered from 0, as in the seed


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HalnyModel:
    """What the configuration tree of one ONT model looks like.

    ``lan_2g5`` names the LAN port that runs at 2.5 Gbit/s (``"lan1"``…), or
    None when all ports are gigabit; port binding refers to it by that name.
    """

    name: str
    lan_ports: int
    lan_2g5: str | None
    pots_lines: int
    wifi5: bool
    wifi24: bool = True

    @property
    def lan_names(self) -> list[str]:
        return [f"lan{i}" for i in range(1, self.lan_ports + 1)]


def _model(name: str, lan_ports: int, lan_2g5: str | None, pots: int, wifi5: bool, wifi24: bool = True) -> HalnyModel:
    return HalnyModel(name, lan_ports, lan_2g5, pots, wifi5, wifi24)


HALNY_MODELS: dict[str, HalnyModel] = {
    m.name: m
    for m in (
        # 2.5G LAN mapping from the seed: HL-1B → LAN1, HL-2BV → LAN2, HL-4BX3V-F → LAN4.
        _model("HL-1B", 1, "lan1", 0, wifi5=False, wifi24=False),
        _model("HL-2BV", 2, "lan2", 1, wifi5=False, wifi24=False),
        _model("HL-4BX3V-F", 4, "lan4", 1, wifi5=True),
        _model("HL-4G2", 4, None, 0, wifi5=True),
        _model("HL-4GMV", 4, None, 1, wifi5=True),
        _model("HL-4GMV2", 4, None, 1, wifi5=True),
        _model("HL-4GMV3", 4, None, 1, wifi5=True),
        _model("HL-4GMV4", 4, None, 1, wifi5=True),
        _model("HL-4GQV", 4, None, 1, wifi5=True),
        _model("HL-4GQVS", 4, None, 1, wifi5=True),
        _model("HL-4GQVS2", 4, None, 1, wifi5=True),
        _model("HL-4GXV", 4, None, 1, wifi5=True),
        _model("HL-4GXV-F", 4, None, 1, wifi5=True),
        _model("HL-4GX3VR", 4, None, 1, wifi5=True),
    )
}


def halny_model(name: str) -> HalnyModel:
    """The model entry for ``name`` (case-insensitive).

    An unknown name (a new hardware revision, or "" when the model is not
    known yet) gets the common shape of the family — four gigabit LAN ports,
    one POTS line, dual-band Wi-Fi — which is what the seed's triple-play
    example configures, under the name given.
    """
    key = name.strip().upper()
    if key in HALNY_MODELS:
        return HALNY_MODELS[key]
    # Revisions add suffixes ("HL-4GMV5", "HL-4GXV-F2"): use the longest known prefix.
    for known in sorted(HALNY_MODELS, key=len, reverse=True):
        if key.startswith(known):
            base = HALNY_MODELS[known]
            return HalnyModel(key, base.lan_ports, base.lan_2g5, base.pots_lines, base.wifi5, base.wifi24)
    return HalnyModel(key or "HL-UNKNOWN", 4, None, 1, wifi5=True, wifi24=True)


def config_nodes(model: HalnyModel | str) -> list[str]:
    """Every configuration node the ONT model has, in provisioning order."""
    m = halny_model(model) if isinstance(model, str) else model
    nodes: list[str] = []
    for n in range(1, WAN_COUNT + 1):
        nodes += [f"wan/{n}", f"wan/{n}/port_bind"]
    if m.pots_lines:
        nodes.append("voip")
        nodes += [f"voip/line/{n}" for n in range(1, m.pots_lines + 1)]
    nodes.append("lan")
    for band, present in (("wlan24", m.wifi24), ("wlan5", m.wifi5)):
        if present:
            nodes.append(band)
            nodes += [f"{band}/ssid/{n}" for n in range(1, SSIDS_PER_BAND + 1)]
    nodes += ["management/web", "management/passwords"]
    nodes += [f"nat_config/port_forwarding_rule/{n}" for n in range(PORT_FORWARDING_RULES)]
    return nodes


# ---------------------------------------------------------------------------
# Pure helpers
# ---------------------------------------------------------------------------

_HEX = re.compile(r"[^0-9A-Fa-f]")


def default_credentials(mac: str) -> tuple[str, str]:
    """Factory API credentials: ``apiuser`` / ``<last 4 MAC hex digits>APIpass``.

    Accepts any common MAC spelling (colons, dashes, dots, none; any case).
    """
    digits = _HEX.sub("", mac)
    if len(digits) != 12 or len(mac.strip()) not in (12, 14, 17):
        raise ValueError(f"not a MAC address: {mac!r}")
    return API_USER, f"{digits[-4:].upper()}APIpass"


def halny_endpoint(address: str, *, mac: str = "", port: int = HALNY_API_PORT, **kwargs: Any) -> DeviceEndpoint:
    """An endpoint for an ONT, with factory credentials derived from ``mac``.

    Explicit ``username``/``password`` in ``kwargs`` win over the MAC.
    """
    if mac and not (kwargs.get("username") or kwargs.get("password")):
        kwargs["username"], kwargs["password"] = default_credentials(mac)
    return DeviceEndpoint(address=address, port=port, **kwargs)


def to_halny_value(value: Any) -> str:
    """One value as the ONT wants it: strings only, booleans as yes/no."""
    # bool first: it is a subclass of int.
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return ""
    raise TypeError(f"cannot send a {type(value).__name__} to a HALNy ONT: {value!r}")


def to_halny_values(values: Mapping[str, Any]) -> dict[str, str]:
    """A node's fields as the ONT wants them (see :func:`to_halny_value`)."""
    out: dict[str, str] = {}
    for key, value in values.items():
        if not isinstance(key, str):
            raise TypeError(f"field names are strings, got {key!r}")
        try:
            out[key] = to_halny_value(value)
        except TypeError as exc:
            raise TypeError(f"field {key!r}: {exc}") from None
    return out


def normalise_path(path: str) -> str:
    """``"/api/v2/wan/1/"`` → ``"wan/1"``: nodes are named relative to /api/v2/."""
    p = path.strip().strip("/")
    prefix = API_PREFIX.strip("/") + "/"
    if p.startswith(prefix):
        p = p[len(prefix) :]
    return p


# Node pattern → apply node template; {n} is the node's own number where the
# apply node carries it (wan/{n}/apply).
_APPLY_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"wan/(?P<n>[1-9]\d*)(?:/port_bind)?"), "wan/{n}/apply"),
    (re.compile(r"voip(?:/line/[1-9]\d*)?"), "voip/apply"),
    (re.compile(r"lan"), "lan/apply"),
    (re.compile(r"wlan24(?:/ssid/[1-9]\d*)?"), "wlan24/apply"),
    (re.compile(r"wlan5(?:/ssid/[1-9]\d*)?"), "wlan5/apply"),
    (re.compile(r"management/web"), "management/web/apply"),
    (re.compile(r"management/passwords"), "management/passwords/apply"),
    (re.compile(r"nat_config/port_forwarding_rule/(?:0|[1-9]\d*)"), "nat_config/port_forwarding_rule/apply"),
]


def apply_node_for(path: str) -> str:
    """The apply node that makes a write to configuration node ``path`` running.

    Raises ValueError for a path that is not a documented configuration node
    (including apply nodes themselves).
    """
    node = normalise_path(path)
    for pattern, template in _APPLY_RULES:
        match = pattern.fullmatch(node)
        if match:
            return template.format(**match.groupdict())
    raise ValueError(f"not a HALNy configuration node: {path!r}")


_APPLY_NODE = re.compile(
    r"wan/[1-9]\d*/apply|voip/apply|lan/apply|wlan24/apply|wlan5/apply|management/web/apply"
    r"|management/passwords/apply|nat_config/port_forwarding_rule/apply"
)


def is_apply_node(path: str) -> bool:
    """True for the documented apply nodes (``wan/1/apply``, ``voip/apply``, ...)."""
    return _APPLY_NODE.fullmatch(normalise_path(path)) is not None
