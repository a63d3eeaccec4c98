"""Drivers for simulated devices: a manifest entry -> the portal's driver for it, pointed at its address.

Test-only glue between the two sides: the simulators (``simulators/``) never
know the drivers, so the mapping from a manifest device to a driver lives
here, with the tests that need it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from devices.drivers import driver_class
from devices.drivers.base import DeviceDriver, DeviceEndpoint
from simulators.base import SimDevice

_REPO_ROOT = Path(__file__).resolve().parents[2]
_ENDPOINT_FIELDS = frozenset(f.name for f in fields(DeviceEndpoint))


def driver_for(
    device: SimDevice,
    *,
    tls: bool = False,
    registry: Mapping[str, type] | None = None,
    **kw: Any,
) -> DeviceDriver:
    """The vendor driver for a manifest entry, with a :class:`DeviceEndpoint` for it.

    Plain HTTP on ``device.port`` by default. ``tls=True`` uses the HTTPS
    port and pins the certificate fingerprint the fleet recorded
    (``extra["tls_fingerprint_sha256"]``). Keyword arguments that are
    ``DeviceEndpoint`` fields (``timeout``, ``verify_tls``, ...) go to the
    endpoint; the rest go to the driver's constructor. ``registry`` maps the
    manifest's driver key to a class instead of the portal's driver registry.
    """
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
    key = device.extra.get("driver", device.vendor)
    cls = registry[key] if registry is not None else driver_class(key)
    driver_kw.setdefault("model", device.model)
    return cls(DeviceEndpoint(**endpoint_kw), **driver_kw)


def management_fields(device: SimDevice) -> dict[str, Any]:
    """The CPE fields that point the portal at a simulated device (plain HTTP)."""
    return {
        "sn": device.serial,
        "mac": device.mac,
        "management_address": device.address,
        "management_port": device.port,
        "management_scheme": "http",
        "management_username": device.username,
        "management_password": device.password,
    }


def fleet_process(*arguments: str) -> subprocess.Popen:
    """``python -m simulators <arguments>`` in a process of its own, its output piped as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "simulators", *arguments],
        cwd=_REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(_REPO_ROOT)},
    )
