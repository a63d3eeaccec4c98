"""The simulated fleet: thousands of vendor devices on loopback, one process.

A *manifest* is a list of :class:`SimDevice` (one per device: vendor, model,
serial, MAC, credentials, its own 127.x.y.z address and ports). It is
generated deterministically from a seed, or read from JSON, and written back
to JSON once the fleet is up, carrying what a consumer needs to reach each
device: the driver registry key, the ports, and for TLS sites the
certificate and its SHA-256 fingerprint (so a driver can pin it).

:class:`Fleet` binds every device's sites on one asyncio loop and serves a
small control API (aiohttp, on 127.0.0.1) through which tests, demos and the
portal's end-to-end tests change a device's faults while it runs.
:class:`FleetThread` runs a Fleet in a background thread for pytest fixtures
and benchmarks.

Vendor simulators and drivers are looked up lazily by dotted path
(``SIMULATORS`` / ``DRIVERS``), so this module imports and generates
manifests even where a vendor module is missing.

Run it: ``python -m devices.simulators.fleet --devices 2000`` (or the
``simulate_fleet`` management command, a thin wrapper over :func:`main`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import importlib
import ipaddress
import json
import os
import random
import resource
import signal
import ssl
import string
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from devices.simulators.base import (
    Faults,
    RunningDevice,
    SimDevice,
    Simulator,
    self_signed_certificate,
    server_ssl_context,
)

if TYPE_CHECKING:
    from devices.drivers.base import DeviceDriver

MANIFEST_VERSION = 1
DEFAULT_BASE_ADDRESS = "127.1.0.1"
DEFAULT_CONTROL_HOST = "127.0.0.1"
DEFAULT_CONTROL_PORT = 7999
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MANIFEST_PATH = REPO_ROOT / "var" / "fleet" / "manifest.json"

# ---------------------------------------------------------------------------
# Registries (dotted paths: a vendor module may land later than this one)
# ---------------------------------------------------------------------------

SIMULATORS: dict[str, str] = {
    "halny": "devices.simulators.halny:HalnySimulator",
    "peplink": "devices.simulators.peplink:PeplinkSimulator",
    "fanvil": "devices.simulators.fanvil:FanvilSimulator",
}

DRIVERS: dict[str, str] = {
    "halny": "devices.drivers.halny:HalnyDriver",
    "peplink": "devices.drivers.peplink:PeplinkDriver",
    "fanvil": "devices.drivers.fanvil:FanvilDriver",
}


def import_dotted(path: str) -> Any:
    """``"package.module:Name"`` (or ``"package.module.Name"``) -> the object."""
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def _resolve(registry: Mapping[str, str | type], key: str) -> Any:
    try:
        target = registry[key]
    except KeyError:
        raise LookupError(f"no entry for vendor {key!r} (known: {', '.join(sorted(registry))})") from None
    return import_dotted(target) if isinstance(target, str) else target


def simulator_class(vendor: str, registry: Mapping[str, str | type] | None = None) -> type[Simulator]:
    return _resolve(registry or SIMULATORS, vendor)


def driver_class(key: str, registry: Mapping[str, str | type] | None = None) -> type[DeviceDriver]:
    return _resolve(registry or DRIVERS, key)


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


# ---------------------------------------------------------------------------
# Driver for a manifest entry
# ---------------------------------------------------------------------------

_ENDPOINT_FIELDS: frozenset[str] = frozenset()


def driver_for(
    device: SimDevice,
    *,
    tls: bool = False,
    registry: Mapping[str, str | type] | None = None,
    **kw: Any,
) -> DeviceDriver:
    """The vendor driver for a manifest entry, with a :class:`DeviceEndpoint` for it.

    Plain HTTP on ``device.port`` by default. ``tls=True`` uses the HTTPS
    port and pins the certificate fingerprint the fleet recorded
    (``extra["tls_fingerprint_sha256"]``). Keyword arguments that are
    ``DeviceEndpoint`` fields (``timeout``, ``verify_tls``, ...) go to the
    endpoint; the rest go to the driver's constructor.
    """
    from devices.drivers.base import DeviceEndpoint

    global _ENDPOINT_FIELDS
    if not _ENDPOINT_FIELDS:
        _ENDPOINT_FIELDS = frozenset(f.name for f in fields(DeviceEndpoint))
    endpoint_kw = {k: v for k, v in kw.items() if k in _ENDPOINT_FIELDS}
    driver_kw = {k: v for k, v in kw.items() if k not in _ENDPOINT_FIELDS}
    endpoint_kw.setdefault("address", device.address)
    endpoint_kw.setdefault("username", device.username)
    endpoint_kw.setdefault("password", device.password)
    if tls:
        if not device.https_port:
            raise ValueError(f"{device.serial} ({device.vendor}) has no HTTPS port")
        endpoint_kw.setdefault("port", device.https_port)
        endpoint_kw.setdefault("scheme", "https")
        fingerprint = device.extra.get("tls_fingerprint_sha256")
        if fingerprint:
            endpoint_kw.setdefault("fingerprint_sha256", fingerprint)
        elif "verify_tls" not in endpoint_kw and "ca_pem" not in endpoint_kw:
            raise ValueError(f"{device.serial}: no recorded certificate fingerprint (is the fleet started?)")
    else:
        endpoint_kw.setdefault("port", device.port)
        endpoint_kw.setdefault("scheme", "http")
    cls = driver_class(device.extra.get("driver", device.vendor), registry)
    driver_kw.setdefault("model", device.model)
    return cls(DeviceEndpoint(**endpoint_kw), **driver_kw)


# ---------------------------------------------------------------------------
# Running the fleet
# ---------------------------------------------------------------------------


def raise_nofile_limit() -> int:
    """Raise this process's open-file soft limit to the hard limit; return the new soft limit.

    Every listening socket, accepted connection and TLS temp file costs a
    descriptor; the usual soft default (1024) runs out at a few hundred
    devices.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard
    if hard == resource.RLIM_INFINITY:
        # Linux refuses an infinite NOFILE; fs.nr_open is the real ceiling.
        try:
            target = int(Path("/proc/sys/fs/nr_open").read_text())
        except (OSError, ValueError):
            target = 1 << 20
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


class FleetStartError(RuntimeError):
    pass


FAULT_TYPES: dict[str, tuple[type, ...]] = {
    "latency_ms": (int,),
    "timeout": (bool,),
    "refuse": (bool,),
    "drop": (bool,),
    "http_status": (int, type(None)),
    "auth_failure": (bool,),
    "malformed": (bool,),
    "rebooting_for_s": (int, float),
}


def validate_faults(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check fault names and types (control API input); raise ValueError with the reason."""
    clean: dict[str, Any] = {}
    for key, value in values.items():
        allowed = FAULT_TYPES.get(key)
        if allowed is None:
            raise ValueError(f"unknown fault {key!r} (known: {', '.join(FAULT_TYPES)})")
        # bool is an int subclass: refuse True as a latency and 1 as a flag.
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
            raise ValueError(f"fault {key!r} must be {names}, not {value!r}")
        if key in ("latency_ms", "rebooting_for_s") and value < 0:
            raise ValueError(f"fault {key!r} must be >= 0")
        if key == "http_status" and value is not None and not 100 <= value <= 599:
            raise ValueError("fault 'http_status' must be an HTTP status code (100-599) or null")
        clean[key] = value
    return clean


class Fleet:
    """Every manifest device bound on its own loopback address, on one event loop.

    ``control_port``: port of the control API on ``control_host`` (0 picks a
    free one, None serves none). ``simulators`` overrides the vendor ->
    Simulator registry (dotted paths or classes), e.g. for tests.
    """

    def __init__(
        self,
        devices: Iterable[SimDevice],
        *,
        control_host: str = DEFAULT_CONTROL_HOST,
        control_port: int | None = DEFAULT_CONTROL_PORT,
        chunk_size: int = 250,
        simulators: Mapping[str, str | type] | None = None,
        stop_timeout: float = 5.0,
    ) -> None:
        self.devices: list[SimDevice] = list(devices)
        self.control_host = control_host
        self.control_port = control_port
        self.chunk_size = max(1, chunk_size)
        self.simulators = dict(simulators) if simulators else dict(SIMULATORS)
        self.stop_timeout = stop_timeout
        self.running: dict[str, RunningDevice] = {}
        self._by_address: dict[str, RunningDevice] = {}
        self._control: web.AppRunner | None = None
        self.control_url: str | None = None
        self.started_in_s: float | None = None
        self.started_at: datetime.datetime | None = None
        self._lock: asyncio.Lock | None = None

    # -- lookup --------------------------------------------------------------
    def get(self, serial: str) -> RunningDevice:
        try:
            return self.running[serial]
        except KeyError:
            raise KeyError(f"no device with serial {serial!r}") from None

    def device(self, serial: str) -> SimDevice:
        return self.get(serial).device

    def at(self, address: str) -> RunningDevice:
        try:
            return self._by_address[address]
        except KeyError:
            raise KeyError(f"no device at {address}") from None

    def summary(self) -> str:
        text = summarize(self.devices)
        if self.started_in_s is not None and self.started_at is not None:
            text += f", started in {self.started_in_s:.1f}s at {self.started_at:%Y-%m-%d %H:%M:%S}Z"
        if self.control_url:
            text += f"; control API {self.control_url}/devices"
        return text

    def sockets_needed(self) -> int:
        return sum(2 if d.https_port else 1 for d in self.devices)

    # -- start / stop ----------------------------------------------------------
    async def start(self) -> None:
        t0 = time.perf_counter()
        self._lock = asyncio.Lock()
        limit = raise_nofile_limit()
        # Headroom for accepted connections, the control API, temp files.
        needed = self.sockets_needed() + 256
        if limit != resource.RLIM_INFINITY and needed > limit:
            raise FleetStartError(
                f"{len(self.devices)} devices need ~{needed} file descriptors; RLIMIT_NOFILE allows {limit}"
            )
        serials = Counter(d.serial for d in self.devices)
        addresses = Counter(d.address for d in self.devices)
        dupes = [s for s, n in serials.items() if n > 1] + [a for a, n in addresses.items() if n > 1]
        if dupes:
            raise FleetStartError(f"duplicate serials/addresses in manifest: {', '.join(dupes[:5])}")

        for device in self.devices:
            simulator = simulator_class(device.vendor, self.simulators)(device)
            running = RunningDevice(simulator)
            self.running[device.serial] = running
            self._by_address[device.address] = running

        try:
            await self._prepare_tls()
            failures: list[str] = []
            items = list(self.running.values())
            for i in range(0, len(items), self.chunk_size):
                chunk = items[i : i + self.chunk_size]
                results = await asyncio.gather(*(self._bind(r, initial=True) for r in chunk), return_exceptions=True)
                for running, result in zip(chunk, results, strict=True):
                    if isinstance(result, BaseException):
                        failures.append(f"{running.device.serial}@{running.device.address}: {result}")
            if failures:
                raise FleetStartError(f"{len(failures)} device(s) failed to start, e.g. " + "; ".join(failures[:3]))
            if self.control_port is not None:
                await self._start_control()
        except BaseException:
            await self.stop()
            raise
        self.started_in_s = time.perf_counter() - t0
        self.started_at = datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0)

    async def _prepare_tls(self) -> None:
        """Make every TLS device's certificate up front, in worker threads.

        RunningDevice would create it lazily inside start(), one at a time on
        the event loop; key generation and signing release the GIL, so a
        small pool keeps both cores busy during a big start.
        """
        todo = [r for r in self.running.values() if any(tls for _, tls in r.simulator.listen_ports())]
        if not todo:
            return
        loop = asyncio.get_running_loop()

        def make(device: SimDevice) -> tuple[bytes, ssl.SSLContext]:
            cert_pem, key_pem = self_signed_certificate(device.serial, device.address)
            return cert_pem, server_ssl_context(cert_pem, key_pem)

        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            results = await asyncio.gather(*(loop.run_in_executor(pool, make, r.device) for r in todo))
        for running, (cert_pem, context) in zip(todo, results, strict=True):
            running.cert_pem, running.ssl_context = cert_pem, context
            self._record_certificate(running)

    @staticmethod
    def _record_certificate(running: RunningDevice) -> None:
        if running.cert_pem is None:
            return
        import hashlib

        pem = running.cert_pem.decode("ascii")
        running.device.extra["tls_cert_pem"] = pem
        running.device.extra["tls_fingerprint_sha256"] = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()

    async def _bind(self, running: RunningDevice, *, initial: bool = False) -> None:
        if initial and running.device.faults.refuse:
            # Listed as offline from the start: state exists, nothing listens.
            return
        if running.sites:
            return
        try:
            await running.start()
        except BaseException:
            await running.unbind()
            raise
        self._record_certificate(running)

    async def stop(self) -> None:
        if self._control is not None:
            await self._control.cleanup()
            self._control = None
            self.control_url = None
        items = list(self.running.values())

        async def stop_one(running: RunningDevice) -> None:
            # A request parked by the "timeout" fault would hold cleanup for
            # the runner's whole shutdown timeout; bound it.
            with contextlib.suppress(asyncio.TimeoutError, OSError, RuntimeError):
                await asyncio.wait_for(running.stop(), self.stop_timeout)

        for i in range(0, len(items), self.chunk_size):
            await asyncio.gather(*(stop_one(r) for r in items[i : i + self.chunk_size]))
        self.running.clear()
        self._by_address.clear()

    # -- faults at run time ----------------------------------------------------
    async def set_faults(self, serial: str, **values: Any) -> dict[str, Any]:
        """Change a device's faults; ``refuse`` unbinds/rebinds its sites. Returns the device."""
        running = self.get(serial)
        values = validate_faults(values)
        assert self._lock is not None, "fleet not started"
        async with self._lock:
            running.device.faults.update(values)
            if "refuse" in values:
                if values["refuse"]:
                    await running.unbind()
                else:
                    await self._bind(running)
        return running.device.to_dict()

    async def reset_faults(self, serial: str) -> dict[str, Any]:
        defaults = Faults().to_dict()
        return await self.set_faults(serial, **defaults)

    # -- control API -------------------------------------------------------------
    def make_control_app(self) -> web.Application:
        app = web.Application()
        routes = web.RouteTableDef()

        def device_or_404(request: web.Request) -> SimDevice:
            try:
                return self.device(request.match_info["serial"])
            except KeyError:
                raise web.HTTPNotFound(
                    text=json.dumps({"error": f"no device with serial {request.match_info['serial']!r}"}),
                    content_type="application/json",
                ) from None

        @routes.get("/")
        async def index(request: web.Request) -> web.Response:
            return web.json_response({"version": MANIFEST_VERSION, "summary": self.summary()})

        @routes.get("/devices")
        async def list_devices(request: web.Request) -> web.Response:
            devices = self.devices
            vendor = request.query.get("vendor")
            if vendor:
                devices = [d for d in devices if d.vendor == vendor]
            return web.json_response(manifest_document(devices, summary=self.summary()))

        @routes.get("/devices/{serial}")
        async def get_device(request: web.Request) -> web.Response:
            return web.json_response(device_or_404(request).to_dict())

        async def change_faults(request: web.Request) -> web.Response:
            device = device_or_404(request)
            try:
                body = await request.json()
            except ValueError:
                return web.json_response({"error": "body must be a JSON object"}, status=400)
            if not isinstance(body, dict):
                return web.json_response({"error": "body must be a JSON object"}, status=400)
            try:
                data = await self.set_faults(device.serial, **body)
            except ValueError as exc:
                return web.json_response({"error": str(exc)}, status=400)
            except OSError as exc:  # rebinding failed (address taken meanwhile)
                return web.json_response({"error": f"could not rebind: {exc}"}, status=409)
            return web.json_response(data)

        @routes.delete("/devices/{serial}/faults")
        async def clear_faults(request: web.Request) -> web.Response:
            device = device_or_404(request)
            return web.json_response(await self.reset_faults(device.serial))

        routes.patch("/devices/{serial}/faults")(change_faults)
        routes.post("/devices/{serial}/faults")(change_faults)
        app.add_routes(routes)
        return app

    async def _start_control(self) -> None:
        import socket

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.control_host, self.control_port or 0))
        except OSError:
            sock.close()
            raise
        port = sock.getsockname()[1]
        runner = web.AppRunner(self.make_control_app(), access_log=None, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._control = runner
        self.control_port = port
        self.control_url = f"http://{self.control_host}:{port}"


class FleetThread:
    """A :class:`Fleet` on its own event loop in a daemon thread (fixtures, benchmarks).

    ``start()`` returns once every device listens (or raises what the fleet
    raised); ``stop()`` unbinds everything and ends the thread.
    """

    def __init__(self, devices: Iterable[SimDevice], **fleet_kwargs: Any) -> None:
        self.fleet = Fleet(devices, **fleet_kwargs)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def devices(self) -> list[SimDevice]:
        return self.fleet.devices

    @property
    def control_url(self) -> str | None:
        return self.fleet.control_url

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.fleet.start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            # Handlers parked by the "timeout" fault are still pending; cancel
            # them so closing the loop does not report destroyed tasks.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def start(self, timeout: float = 300.0) -> FleetThread:
        if self._thread is not None:
            raise RuntimeError("already started")
        self._thread = threading.Thread(target=self._run, name="sim-fleet", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"fleet did not start within {timeout}s")
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def call(self, coro_fn: Callable[..., Any], *args: Any, call_timeout: float = 60.0, **kwargs: Any) -> Any:
        """Run ``await coro_fn(*args, **kwargs)`` on the fleet's loop and return its result.

        The wait is ``call_timeout`` (not ``timeout``, which is a fault name
        that must reach ``set_faults``).
        """
        if self.loop is None or not self._ready.is_set():
            raise RuntimeError("fleet not running")
        return asyncio.run_coroutine_threadsafe(coro_fn(*args, **kwargs), self.loop).result(call_timeout)

    def set_faults(self, serial: str, **values: Any) -> dict[str, Any]:
        return self.call(self.fleet.set_faults, serial, **values)

    def reset_faults(self, serial: str) -> dict[str, Any]:
        return self.call(self.fleet.reset_faults, serial)

    def stop(self, timeout: float = 120.0) -> None:
        if self._thread is None or self.loop is None or self._error is not None:
            return
        try:
            self.call(self.fleet.stop, call_timeout=timeout)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> FleetThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------
# Command line (also behind ``manage.py simulate_fleet``)
# ---------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--devices", type=int, default=100, help="fleet size to generate (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="manifest seed (default 0)")
    parser.add_argument("--manifest", type=Path, default=None, help="read this manifest instead of generating one")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_MANIFEST_PATH, help=f"where to write the manifest ({DEFAULT_MANIFEST_PATH})"
    )
    parser.add_argument(
        "--control-port", type=int, default=DEFAULT_CONTROL_PORT, help="control API port on 127.0.0.1 (0: any free)"
    )
    parser.add_argument("--lively", action="store_true", help="give a few devices faults / weak signal for a demo")
    parser.add_argument("--base-address", default=DEFAULT_BASE_ADDRESS, help="first device address (127.x.y.z)")
    parser.add_argument("--peplink-http-port", type=int, default=Ports.peplink_http)
    parser.add_argument("--peplink-https-port", type=int, default=Ports.peplink_https)
    parser.add_argument("--fanvil-port", type=int, default=Ports.fanvil_http)
    parser.add_argument("--halny-port", type=int, default=Ports.halny)


def _option(options: Mapping[str, Any] | argparse.Namespace, name: str) -> Any:
    return options[name] if isinstance(options, Mapping) else getattr(options, name)


def build_manifest(options: Mapping[str, Any] | argparse.Namespace) -> list[SimDevice]:
    if _option(options, "manifest"):
        return load_manifest(_option(options, "manifest"))
    ports = Ports(
        halny=_option(options, "halny_port"),
        peplink_http=_option(options, "peplink_http_port"),
        peplink_https=_option(options, "peplink_https_port"),
        fanvil_http=_option(options, "fanvil_port"),
    )
    return generate_manifest(
        _option(options, "devices"),
        seed=_option(options, "seed"),
        lively=_option(options, "lively"),
        base_address=_option(options, "base_address"),
        ports=ports,
    )


async def serve(
    devices: list[SimDevice],
    out: Path,
    *,
    control_port: int | None = DEFAULT_CONTROL_PORT,
    write: Callable[[str], Any] = print,
    stop_event: asyncio.Event | None = None,
) -> None:
    """Start the fleet, write the manifest, report, serve until SIGINT/SIGTERM (or ``stop_event``)."""
    fleet = Fleet(devices, control_port=control_port)
    stop_event = stop_event or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop_event.set)
            installed.append(signum)
    try:
        await fleet.start()
        path = write_manifest(
            out,
            fleet.devices,
            control_url=fleet.control_url,
            started_at=f"{fleet.started_at:%Y-%m-%dT%H:%M:%S}Z",
            start_seconds=round(fleet.started_in_s or 0.0, 3),
            pid=os.getpid(),
        )
        write(f"manifest: {path}")
        write(f"fleet ready: {fleet.summary()}")
        await stop_event.wait()
        write("stopping fleet ...")
    finally:
        await fleet.stop()
        for signum in installed:
            loop.remove_signal_handler(signum)
    write("fleet stopped")


def run(options: Mapping[str, Any] | argparse.Namespace, write: Callable[[str], Any] | None = None) -> None:
    def default_write(line: str) -> None:
        print(line, flush=True)

    devices = build_manifest(options)
    control_port = _option(options, "control_port")
    asyncio.run(serve(devices, Path(_option(options, "out")), control_port=control_port, write=write or default_write))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devices.simulators.fleet",
        description="Serve a simulated fleet of HALNy ONTs, Peplink routers and Fanvil phones on loopback.",
    )
    add_arguments(parser)
    options = parser.parse_args(argv)
    try:
        run(options)
    except (FleetStartError, OSError, ValueError, LookupError, ImportError) as exc:
        print(f"simulate_fleet: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
