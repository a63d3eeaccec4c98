"""The fleet runner: every manifest device served on its own loopback address, one process.

:class:`Fleet` builds each device's vendor simulator, binds its sites on one
asyncio loop and serves the control API (:mod:`simulators.control`) through
which tests and demos change a device's faults while it runs.
:class:`FleetThread` runs a Fleet in a background thread for pytest fixtures
and benchmarks. What the devices are comes from :mod:`simulators.manifest`;
the command line is :mod:`simulators.cli`.

Vendor simulators are looked up lazily by dotted path (``SIMULATORS``), so a
fleet of one vendor never imports the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import importlib
import os
import resource
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp import web

from simulators.base import Faults, RunningDevice, SimDevice, Simulator, self_signed_certificate, server_ssl_context
from simulators.control import DEFAULT_CONTROL_HOST, DEFAULT_CONTROL_PORT, start_control_api, validate_faults
from simulators.manifest import summarize

# Vendor -> simulator class, as dotted paths: imported when a fleet first needs one.
SIMULATORS: dict[str, str] = {
    "halny": "simulators.cpe.halny:HalnySimulator",
    "peplink": "simulators.cpe.peplink:PeplinkSimulator",
    "fanvil": "simulators.cpe.fanvil:FanvilSimulator",
}


def import_dotted(path: str) -> Any:
    """``"package.module:Name"`` (or ``"package.module.Name"``) -> the object."""
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def simulator_class(vendor: str, registry: Mapping[str, str | type] | None = None) -> type[Simulator]:
    """The simulator for ``vendor`` in ``registry`` (default ``SIMULATORS``): a dotted path or a class."""
    registry = registry or SIMULATORS
    try:
        target = registry[vendor]
    except KeyError:
        raise LookupError(f"no entry for vendor {vendor!r} (known: {', '.join(sorted(registry))})") from None
    return import_dotted(target) if isinstance(target, str) else target


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
                self._control, self.control_port = await start_control_api(self, self.control_host, self.control_port)
                self.control_url = f"http://{self.control_host}:{self.control_port}"
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
