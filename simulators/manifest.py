"""The fleet manifest: which simulated devices exist and how to reach them.

A *manifest* is a list of :class:`~simulators.base.SimDevice` (one per
device: vendor, model, serial, MAC, credentials, its own 127.x.y.z address
and ports). It is generated deterministically from a seed, or read from
JSON, and written back to JSON once the fleet is up, carrying what a
consumer needs to reach each device: the driver registry key
(``extra["driver"]``), the ports, and for TLS sites the certificate and its
SHA-256 fingerprint (so a driver can pin it).

The portal's demo data (``devices/demo.py``) is built from this module, so
it imports nothing but the standard library and :mod:`simulators.base`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import string
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulators.base import Faults, SimDevice

MANIFEST_VERSION = 1
DEFAULT_BASE_ADDRESS = "127.1.0.1"
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MANIFEST_PATH = REPO_ROOT / "var" / "fleet" / "manifest.json"

# ---------------------------------------------------------------------------
# Manifest generation
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ports:
    """Where each vendor listens (the same port on every device's own address)."""

    halny: int = 48626  # the port HALNy documents for REST API v2
    peplink_http: int = 8080
    peplink_https: int = 8443
    fanvil_http: int = 8081


@dataclass(frozen=True)
class VendorProfile:
    weight: float
    models: tuple[tuple[str, tuple[str, ...]], ...]  # (model, firmware versions it ships with)
    ouis: tuple[str, ...]


# Firmware lines follow the HALNy REST API v2 support matrix (V3.2.42+ for the
# HL-4G* family, V4.0.7+ for HL-1B/2BV, V5.0.9+ for HL-4BX3V-F).
# OUIs: Peplink's 00:1A:DD and Fanvil's 0C:38:3E / 00:A8:59 are registered to
# those vendors; the HALNy prefixes are stand-ins in the same style.
VENDORS: dict[str, VendorProfile] = {
    "halny": VendorProfile(
        weight=0.60,
        models=(
            ("HL-4GMV", ("V3.2.42", "V3.2.45", "V3.2.51")),
            ("HL-4GQV", ("V3.2.45", "V3.2.51")),
            ("HL-2BV", ("V4.0.7", "V4.0.9")),
            ("HL-1B", ("V4.0.7", "V4.0.12")),
            ("HL-4BX3V-F", ("V5.0.9", "V5.0.11")),
        ),
        ouis=("E0:67:B3", "D8:A0:1D"),
    ),
    "peplink": VendorProfile(
        weight=0.25,
        models=(
            ("MAX BR1", ("8.3.0 build 5372", "8.4.0 build 5488")),
            ("MAX BR1 Pro 5G", ("8.4.0 build 5488", "8.4.1 build 5650")),
            ("Balance 20X", ("8.3.0 build 5372", "8.4.1 build 5650")),
        ),
        ouis=("00:1A:DD",),
    ),
    "fanvil": VendorProfile(
        weight=0.15,
        models=(
            ("X6", ("2.4.12.6", "2.4.14.2")),
            ("X4U", ("2.12.20.8", "2.12.22.1")),
            ("X3SG", ("2.12.1.5", "2.12.3.2")),
        ),
        ouis=("0C:38:3E", "00:A8:59"),
    ),
}

_HOST_LOOPBACK = ipaddress.IPv4Network("127.0.0.0/16")
_LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")


def is_usable_address(address: str | ipaddress.IPv4Address) -> bool:
    """Whether a simulated device may take this loopback address.

    127.0.0.0/16 stays with the host's own services (127.0.0.1, systemd's
    127.0.0.53, Debian's 127.0.1.1 hostname entry); addresses ending in .0 or
    .255 are skipped because they read as network/broadcast addresses to
    anyone looking at a /24.
    """
    ip = ipaddress.IPv4Address(address)
    if ip not in _LOOPBACK or ip in _HOST_LOOPBACK:
        return False
    return ip.packed[3] not in (0, 255)


def iter_addresses(start: str = DEFAULT_BASE_ADDRESS) -> Iterator[str]:
    """Usable loopback addresses from ``start`` upwards, in order."""
    ip = ipaddress.IPv4Address(start)
    if ip not in _LOOPBACK:
        raise ValueError(f"{start} is not a loopback (127.0.0.0/8) address")
    last = int(_LOOPBACK.broadcast_address)
    n = int(ip)
    while n < last:
        if is_usable_address(ipaddress.IPv4Address(n)):
            yield str(ipaddress.IPv4Address(n))
        n += 1


def _apportion(count: int, mix: Mapping[str, float]) -> dict[str, int]:
    """Split ``count`` by weight (largest remainder), at least one per vendor when possible."""
    vendors = [v for v, w in mix.items() if w > 0]
    total = sum(mix[v] for v in vendors)
    exact = {v: count * mix[v] / total for v in vendors}
    counts = {v: int(exact[v]) for v in vendors}
    for v in sorted(vendors, key=lambda v: exact[v] - counts[v], reverse=True)[: count - sum(counts.values())]:
        counts[v] += 1
    if count >= len(vendors):
        # A small fleet still shows every vendor: take from the largest share.
        for v in vendors:
            if counts[v] == 0:
                donor = max(counts, key=counts.__getitem__)
                counts[donor] -= 1
                counts[v] = 1
    return counts


def _mac(rng: random.Random, oui: str) -> str:
    return oui.upper() + "".join(f":{rng.randrange(256):02X}" for _ in range(3))


def _password(rng: random.Random, length: int = 12) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(rng.choice(alphabet) for _ in range(length))


def _serial(vendor: str, mac: str, rng: random.Random) -> str:
    if vendor == "halny":
        return "HALN" + "".join(rng.choice("0123456789ABCDEF") for _ in range(8))
    if vendor == "peplink":
        chars = string.ascii_uppercase.replace("O", "").replace("I", "") + string.digits
        return (
            "1824-" + "".join(rng.choice(chars) for _ in range(4)) + "-" + "".join(rng.choice(chars) for _ in range(4))
        )
    # Fanvil phones report their MAC, undelimited, as the serial number.
    return mac.replace(":", "").upper()


def _lively(rng: random.Random, vendor: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(faults, extra) that make a demo fleet look like a real one: a few bad apples."""
    roll = rng.random()
    if roll < 0.010:
        return {"refuse": True}, {"lively": "offline"}
    if roll < 0.015:
        return {"http_status": 503}, {"lively": "flaky_5xx"}
    if roll < 0.020:
        return {"timeout": True}, {"lively": "hung"}
    if roll < 0.025:
        return {"auth_failure": True}, {"lively": "bad_credentials"}
    if roll < 0.055:
        return {"latency_ms": rng.choice((300, 800, 1500, 2500))}, {"lively": "slow"}
    if roll < 0.105 and vendor == "halny":  # the HALNy simulator honours extra["signal"]; Peplink has no knob yet
        return {}, {"lively": "weak_signal", "signal": "weak"}
    return {}, {}


def generate_manifest(
    count: int,
    seed: int = 0,
    mix: Mapping[str, float] | None = None,
    *,
    lively: bool = False,
    base_address: str = DEFAULT_BASE_ADDRESS,
    ports: Ports | None = None,
) -> list[SimDevice]:
    """A deterministic fleet of ``count`` devices: same (count, seed, ...) -> same manifest.

    ``mix`` maps vendor -> weight (default 60% HALNy ONTs, 25% Peplink
    routers, 15% Fanvil phones). ``lively=True`` gives a few percent of the
    devices a fault or weak signal for a demo; otherwise every device is
    healthy.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    mix = dict(mix or {vendor: profile.weight for vendor, profile in VENDORS.items()})
    unknown = set(mix) - set(VENDORS)
    if unknown:
        raise ValueError(f"unknown vendor(s) in mix: {', '.join(sorted(unknown))}")
    ports = ports or Ports()
    rng = random.Random(f"noc-fleet:{seed}:{count}")
    vendors = [v for v, n in _apportion(count, mix).items() for _ in range(n)] if count else []
    rng.shuffle(vendors)

    addresses = iter_addresses(base_address)
    seen_macs: set[str] = set()
    seen_serials: set[str] = set()
    devices: list[SimDevice] = []
    for vendor in vendors:
        profile = VENDORS[vendor]
        model, firmwares = rng.choice(profile.models)
        mac = _mac(rng, rng.choice(profile.ouis))
        while mac in seen_macs:
            mac = _mac(rng, rng.choice(profile.ouis))
        serial = _serial(vendor, mac, rng)
        while serial in seen_serials:
            serial = _serial(vendor, mac, rng)
        seen_macs.add(mac)
        seen_serials.add(serial)
        address = next(addresses)
        extra: dict[str, Any] = {"driver": vendor}
        faults = Faults()
        if vendor == "halny":
            # HALNy's documented default: apiuser / <last 4 MAC hex digits>APIpass.
            creds = ("apiuser", mac.replace(":", "")[-4:] + "APIpass")
            port, https_port = ports.halny, None
        elif vendor == "peplink":
            creds = ("admin", _password(rng))
            port, https_port = ports.peplink_http, ports.peplink_https
        else:
            creds = ("admin", _password(rng))
            port, https_port = ports.fanvil_http, None
        device_seed = rng.getrandbits(32)
        if lively:
            fault_values, lively_extra = _lively(rng, vendor)
            faults.update(fault_values)
            extra.update(lively_extra)
        devices.append(
            SimDevice(
                vendor=vendor,
                model=model,
                serial=serial,
                mac=mac,
                address=address,
                port=port,
                username=creds[0],
                password=creds[1],
                https_port=https_port,
                firmware=rng.choice(firmwares),
                seed=device_seed,
                faults=faults,
                extra=extra,
            )
        )
    return devices


# ---------------------------------------------------------------------------
# Manifest files
# ---------------------------------------------------------------------------


def manifest_document(devices: Iterable[SimDevice], **meta: Any) -> dict[str, Any]:
    return {"version": MANIFEST_VERSION, **meta, "devices": [d.to_dict() for d in devices]}


def write_manifest(path: str | os.PathLike[str], devices: Iterable[SimDevice], **meta: Any) -> Path:
    """Write the manifest as JSON (atomically: readers never see half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest_document(devices, **meta), indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_manifest_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "devices" not in data:
        raise ValueError(f"{path}: not a fleet manifest (no 'devices')")
    version = data.get("version")
    if version != MANIFEST_VERSION:
        raise ValueError(f"{path}: manifest version {version!r} is not supported (expected {MANIFEST_VERSION})")
    return data


def load_manifest(path: str | os.PathLike[str]) -> list[SimDevice]:
    return [SimDevice.from_dict(d) for d in read_manifest_document(path)["devices"]]


def summarize(devices: Sequence[SimDevice]) -> str:
    counts = Counter(d.vendor for d in devices)
    parts = ", ".join(f"{vendor} {counts[vendor]}" for vendor in sorted(counts, key=lambda v: -counts[v]))
    return f"{len(devices)} devices ({parts})" if devices else "0 devices"
