"""The fleet's command line: ``python -m simulators`` and ``manage.py simulate_fleet``.

Both take the same options (:func:`add_arguments`) and do the same thing
(:func:`run`): build or read a manifest, start the fleet, write the manifest
with what the fleet recorded (control API address, TLS fingerprints), report,
and serve until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from simulators.base import SimDevice
from simulators.control import DEFAULT_CONTROL_PORT
from simulators.fleet import Fleet, FleetStartError
from simulators.manifest import (
    DEFAULT_BASE_ADDRESS,
    DEFAULT_MANIFEST_PATH,
    Ports,
    generate_manifest,
    load_manifest,
    write_manifest,
)


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
        prog="python -m simulators",
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
