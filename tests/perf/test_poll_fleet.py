"""Benchmark: poll a 2,000-device simulated fleet through the drivers, against a bare httpx ceiling.

Run on demand (tests/perf is left out of the default run)::

    .venv/bin/pytest tests/perf/test_poll_fleet.py -s -o addopts="" -p no:cacheprovider

Knobs (environment): ``NOC_PERF_DEVICES`` (2000), ``NOC_PERF_CONCURRENCY``
(100), ``NOC_PERF_TLS=1`` (poll Peplink over HTTPS with the pinned
certificate instead of HTTP), ``NOC_PERF_BASE_ADDRESS`` (127.60.0.1).

The fleet runs in its own process (``python -m simulators``)
so the simulators' CPU is not ours, as with real devices. One "poll" of a
device is what the NOC's live view needs: status, signal and clients, one
after another on that device (devices are polled gently, never in bursts),
with up to ``concurrency`` devices in flight. A vendor without signal or
clients skips that call; only calls made are counted.

The bare loop sends the same HTTP requests a driver sends (same paths,
bodies and auth), sharing one connection pool, parsing nothing beyond the
status line: the ceiling a driver can approach. Only "every device
answered" is asserted; the figures are printed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import re
import resource
import signal
import ssl
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from devices.drivers.base import CAP_CLIENTS, CAP_SIGNAL, Unsupported
from simulators.base import SimDevice
from simulators.manifest import load_manifest, read_manifest_document, summarize
from tests.devices.simulated import driver_for, fleet_process

pytestmark = pytest.mark.perf

DEVICES = int(os.environ.get("NOC_PERF_DEVICES", "2000"))
CONCURRENCY = int(os.environ.get("NOC_PERF_CONCURRENCY", "100"))
TLS = os.environ.get("NOC_PERF_TLS", "") in ("1", "yes", "true")
BASE_ADDRESS = os.environ.get("NOC_PERF_BASE_ADDRESS", "127.60.0.1")
START_TIMEOUT_S = 180


# ---------------------------------------------------------------------------
# The fleet, in its own process
# ---------------------------------------------------------------------------


@dataclass
class FleetProcess:
    process: subprocess.Popen[str]
    devices: list[SimDevice]
    document: dict
    ready_wall_s: float

    def cpu_seconds(self) -> float:
        """utime + stime of the simulator process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _read_until_ready(process: subprocess.Popen[str], timeout: float) -> list[str]:
    """The fleet's stdout up to its "fleet ready:" line (read in a thread: readline blocks)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            lines.put(line.rstrip())
        lines.put(None)

    threading.Thread(target=pump, name="fleet-stdout", daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            raise RuntimeError(f"fleet exited early ({process.wait()}): {process.stderr.read()}\n{seen}")
        seen.append(line)
        if line.startswith("fleet ready:"):
            return seen
    raise TimeoutError(f"fleet not ready after {timeout}s: {seen}")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    out = tmp_path_factory.mktemp("fleet") / "manifest.json"
    t0 = time.perf_counter()
    process = fleet_process(
        "--devices",
        str(DEVICES),
        "--base-address",
        BASE_ADDRESS,
        "--control-port",
        "0",
        "--out",
        str(out),
    )
    try:
        lines = _read_until_ready(process, START_TIMEOUT_S)
        ready = time.perf_counter() - t0
        document = read_manifest_document(out)
        running = FleetProcess(process, load_manifest(out), document, ready)
        print()
        print(f"$ {' '.join(process.args[1:])}")
        print("\n".join(f"  {line}" for line in lines))
        print(
            f"fleet start: {summarize(running.devices)} listening {ready:.1f}s after launch "
            f"(interpreter + imports + manifest + bind; binding alone {document['start_seconds']:.1f}s)"
        )
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


# ---------------------------------------------------------------------------
# Measuring a pass
# ---------------------------------------------------------------------------


@dataclass
class PassResult:
    name: str
    wall_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    operations: int = 0
    requests: int = 0
    requests_by_vendor: Counter[str] = field(default_factory=Counter)
    devices_by_vendor: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    # The HTTP exchanges of the first device of each vendor: proof that both
    # passes send the same requests.
    samples: dict[str, list[str]] = field(default_factory=dict)
    client_cpu_s: float = 0.0
    fleet_cpu_s: float = 0.0

    @property
    def devices(self) -> int:
        return len(self.latencies_s)

    def quantile_ms(self, q: int) -> float:
        if len(self.latencies_s) < 2:
            return (self.latencies_s or [0.0])[0] * 1000
        return statistics.quantiles(self.latencies_s, n=100, method="inclusive")[q - 1] * 1000

    def row(self) -> str:
        rate = self.devices / self.wall_s if self.wall_s else 0.0
        cpu_ms = self.client_cpu_s / self.devices * 1000 if self.devices else 0.0
        return (
            f"{self.name:<22}{rate:>10.0f}{self.quantile_ms(50):>9.1f}{self.quantile_ms(95):>9.1f}"
            f"{self.wall_s:>8.2f}{self.operations:>7}{self.requests:>7}{self.client_cpu_s:>10.2f}{cpu_ms:>8.1f}"
            f"{self.fleet_cpu_s:>10.2f}{len(self.failures):>6}"
        )


HEADER = (
    f"{'':<22}{'devices/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'wall s':>8}{'ops':>7}{'HTTP':>7}"
    f"{'our CPU s':>10}{'ms/dev':>8}{'sim CPU s':>10}{'fail':>6}"
)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _run_pass(
    result: PassResult,
    fleet: FleetProcess,
    poll_one: Callable[[SimDevice, PassResult], Awaitable[int]],
) -> PassResult:
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def one(device: SimDevice) -> None:
        async with semaphore:
            # Latency of the device's poll, not of waiting for a slot.
            t0 = time.perf_counter()
            try:
                # (not "+= await": that would read the total before the await)
                operations = await poll_one(device, result)
                result.operations += operations
            except Exception as exc:
                result.failures.append(f"{device.vendor} {device.serial}@{device.address}: {exc!r}")
            result.latencies_s.append(time.perf_counter() - t0)
            result.devices_by_vendor[device.vendor] += 1

    cpu0, fleet_cpu0, t0 = _cpu(), fleet.cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(one(d) for d in fleet.devices))
    result.wall_s = time.perf_counter() - t0
    result.client_cpu_s = _cpu() - cpu0
    result.fleet_cpu_s = fleet.cpu_seconds() - fleet_cpu0
    return result


def _counting_hook(result: PassResult, vendor: str) -> Callable[[httpx.Response], Awaitable[None]]:
    sample = result.samples.setdefault(vendor, []) if vendor not in result.samples else None

    async def count(response: httpx.Response) -> None:
        result.requests += 1
        result.requests_by_vendor[vendor] += 1
        if sample is not None:
            request = response.request
            auth = request.headers.get("authorization", "").split(" ", 1)[0]
            target = request.url.raw_path.decode()
            sample.append(f"{request.method} {target}{' ' + auth if auth else ''} -> {response.status_code}")

    return count


# ---------------------------------------------------------------------------
# Through the drivers
# ---------------------------------------------------------------------------


async def poll_with_driver(device: SimDevice, result: PassResult) -> int:
    driver = driver_for(device, tls=TLS and bool(device.https_port))
    client = driver.client
    hooks = client.event_hooks
    hooks["response"] = [*hooks.get("response", []), _counting_hook(result, device.vendor)]
    client.event_hooks = hooks
    operations = 0
    async with driver:
        await driver.status()
        operations += 1
        for capability, call in ((CAP_SIGNAL, driver.signal), (CAP_CLIENTS, driver.clients)):
            if not driver.supports(capability):
                continue
            try:
                await call()
            except Unsupported:
                continue
            operations += 1
    return operations


# ---------------------------------------------------------------------------
# Bare httpx: the same requests, nothing else
# ---------------------------------------------------------------------------


def _base_url(device: SimDevice) -> str:
    if TLS and device.https_port:
        return f"https://{device.address}:{device.https_port}"
    return f"http://{device.address}:{device.port}"


def _ok(response: httpx.Response, *allowed: int) -> httpx.Response:
    if response.status_code >= 400 and response.status_code not in allowed:
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: HTTP {response.status_code}")
    return response


async def bare_halny(client: httpx.AsyncClient, device: SimDevice) -> int:
    # HalnyDriver: status = status/device + status/wan + status/voip (404 without POTS);
    # signal = status/optical; clients = status/clients.
    for node in ("status/device", "status/wan"):
        _ok(await client.get(f"/api/v2/{node}"))
    _ok(await client.get("/api/v2/status/voip"), 404)
    _ok(await client.get("/api/v2/status/optical"))
    _ok(await client.get("/api/v2/status/clients"))
    return 3


async def bare_peplink(client: httpx.AsyncClient, device: SimDevice) -> int:
    # PeplinkDriver (session mode): login; status = status.wan.connection + info.firmware;
    # signal = status.wan.connection.signal; clients = status.client (full weight); logout on close.
    login = _ok(await client.post("/api/login", json={"username": device.username, "password": device.password}))
    if login.json().get("stat") != "ok":
        raise RuntimeError(f"login refused: {login.text[:80]}")
    _ok(await client.get("/api/status.wan.connection"))
    _ok(await client.get("/api/info.firmware"))
    _ok(await client.get("/api/status.wan.connection.signal"))
    _ok(await client.get("/api/status.client", params={"outputWeight": "full"}))
    _ok(await client.post("/api/logout"))
    return 3


def _fanvil_get(*items: str) -> bytes:
    body = "".join(f"<Item>{item}</Item>" for item in items)
    return (
        f'<?xml version="1.0" encoding="UTF-8" ?>\n<FanvilConfiguration cmd="get">{body}</FanvilConfiguration>'.encode()
    )


FANVIL_STATUS = _fanvil_get("sip.line.", "info.sys.UpTime", "info.sys.FwVersion")
FANVIL_HEADERS = {"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"}
_SIP_LINE = re.compile(rb"sip\.line\.(\d+)\.")


async def bare_fanvil(client: httpx.AsyncClient, device: SimDevice) -> int:
    # FanvilDriver: status = get sip.line.* + uptime + firmware, then the lines' register codes.
    # No signal, no clients (phones have neither).
    answer = _ok(await client.post("/xmlService", content=FANVIL_STATUS, headers=FANVIL_HEADERS))
    lines = sorted({int(n) for n in _SIP_LINE.findall(answer.content)})
    if lines:
        codes = _fanvil_get(*(f"info.sip.line.{n}.registerCode" for n in lines))
        _ok(await client.post("/xmlService", content=codes, headers=FANVIL_HEADERS))
    return 1


BARE: dict[str, Callable[[httpx.AsyncClient, SimDevice], Awaitable[int]]] = {
    "halny": bare_halny,
    "peplink": bare_peplink,
    "fanvil": bare_fanvil,
}

BARE_AUTH: dict[str, Callable[[SimDevice], httpx.Auth | None]] = {
    "halny": lambda d: httpx.BasicAuth(d.username, d.password),
    "peplink": lambda d: None,
    "fanvil": lambda d: httpx.DigestAuth(d.username, d.password),
}


def make_bare_poller(tls_context: ssl.SSLContext) -> Callable[[SimDevice, PassResult], Awaitable[int]]:
    async def poll(device: SimDevice, result: PassResult) -> int:
        # One client per device, as a driver has (its own pool, cookies and
        # auth; one shared pool across 2,000 origins is slower: httpcore scans
        # every pooled connection per request), but one TLS context for all.
        async with httpx.AsyncClient(
            base_url=_base_url(device),
            verify=tls_context,
            auth=BARE_AUTH[device.vendor](device),
            timeout=httpx.Timeout(15.0, connect=5.0),
            follow_redirects=False,
            trust_env=False,
            event_hooks={"response": [_counting_hook(result, device.vendor)]},
        ) as client:
            return await BARE[device.vendor](client, device)

    return poll


# ---------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------


def _per_device_requests(result: PassResult) -> str:
    return ", ".join(
        f"{vendor} {result.requests_by_vendor[vendor] / n:.1f}"
        for vendor, n in sorted(result.devices_by_vendor.items())
    )


def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _benchmark(fleet: FleetProcess) -> list[PassResult]:
    bare_poller = make_bare_poller(_unverified_context())
    # Untimed warm-up: every device has answered once before any timed pass.
    await _run_pass(PassResult("warm-up"), fleet, bare_poller)
    # Two rounds each, alternating, so the spread between equal passes shows
    # how much of a difference is the shared machine rather than the code.
    drivers = await _run_pass(PassResult("drivers"), fleet, poll_with_driver)
    bare = await _run_pass(PassResult("bare httpx (ceiling)"), fleet, bare_poller)
    drivers_again = await _run_pass(PassResult("drivers (2nd round)"), fleet, poll_with_driver)
    bare_again = await _run_pass(PassResult("bare httpx (2nd round)"), fleet, bare_poller)
    return [drivers, bare, drivers_again, bare_again]


@pytest.fixture
def quiet_httpx():
    """httpx logs every request at INFO; the portal's root logger is at INFO.

    That is one log line per device request: measured here it costs more CPU
    than the polling itself, so both passes run with it off.
    """
    logger = logging.getLogger("httpx")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


def test_poll_fleet(fleet, quiet_httpx):
    drivers, bare, drivers_again, bare_again = results = asyncio.run(_benchmark(fleet))
    scheme = "HTTPS (pinned fingerprint) for Peplink" if TLS else "plain HTTP"
    print()
    print(
        f"poll: status + signal + clients per device, {len(fleet.devices)} devices, concurrency {CONCURRENCY}, "
        f"{scheme}; {os.cpu_count()} CPUs; fleet in a separate process; load average {os.getloadavg()[0]:.1f}"
    )
    print("(ms/dev: our CPU per device polled; steadier than devices/s when the machine is shared)")
    print(HEADER)
    for result in results:
        print(result.row())
    if bare.devices and drivers.wall_s:
        ratio = (bare.wall_s + bare_again.wall_s) / (drivers.wall_s + drivers_again.wall_s)
        print(f"drivers reach {ratio:.0%} of the bare ceiling (devices/s, both rounds together)")
    print(f"HTTP requests per device: drivers {_per_device_requests(drivers)}; bare {_per_device_requests(bare)}")
    for vendor in sorted(drivers.samples):
        same = drivers.samples[vendor] == bare.samples.get(vendor)
        print(f"{vendor} requests of one device ({'same in both passes' if same else 'differ'}):")
        if same:
            print("\n".join(f"    {line}" for line in drivers.samples[vendor]))
        else:
            print("  drivers: " + " | ".join(drivers.samples[vendor]))
            print("  bare:    " + " | ".join(bare.samples.get(vendor, [])))
    for result in results:
        for failure in result.failures[:5]:
            print(f"  {result.name} failure: {failure}")
    assert drivers.devices == bare.devices == len(fleet.devices)
    assert not drivers.failures, f"{len(drivers.failures)} devices did not answer the drivers"
    assert not bare.failures, f"{len(bare.failures)} devices did not answer bare httpx"
    assert not drivers_again.failures and not bare_again.failures
