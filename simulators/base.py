"""What every vendor simulator shares: the device record and fault injection.

Each simulated device is an aiohttp application bound to its own loopback
address (127.x.y.z). A vendor module provides a ``Simulator`` subclass that
builds that application from a :class:`SimDevice`; the fleet runner
(``fleet.py``) creates one per manifest entry and binds its sites.

Faults are per device and can change at run time (the fleet's control API
or a test writing to ``device.faults``); the fault middleware applies them to
every request before the vendor handler sees it.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import random
import ssl
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Faults:
    """Injectable misbehaviour. All off by default."""

    latency_ms: int = 0  # added to every answer
    timeout: bool = False  # accept the request, never answer
    refuse: bool = False  # not listening: connection refused (fleet unbinds)
    drop: bool = False  # accept, then close the connection without answering
    http_status: int | None = None  # answer every request with this status (e.g. 503)
    auth_failure: bool = False  # reject every credential
    malformed: bool = False  # answer 200 with a body that does not parse
    rebooting_until: float = 0.0  # monotonic deadline: refuse connections until then

    def is_rebooting(self) -> bool:
        return self.rebooting_until > time.monotonic()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rebooting_for_s"] = max(0.0, self.rebooting_until - time.monotonic())
        del data["rebooting_until"]
        return data

    def update(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if key == "rebooting_for_s":
                self.rebooting_until = time.monotonic() + float(value) if value else 0.0
            elif key in self.__dataclass_fields__ and key != "rebooting_until":
                setattr(self, key, value)
            else:
                raise KeyError(key)


@dataclass
class SimDevice:
    """One line of the fleet manifest."""

    vendor: str  # halny | peplink | fanvil
    model: str
    serial: str
    mac: str  # "AA:BB:CC:DD:EE:FF"
    address: str  # 127.x.y.z
    port: int  # main API port (HALNy 48626; Peplink HTTP; Fanvil HTTP)
    username: str
    password: str
    https_port: int | None = None  # Peplink HTTPS
    firmware: str = ""
    seed: int = 0  # per-device randomness for readings
    faults: Faults = field(default_factory=Faults)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["faults"] = self.faults.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimDevice:
        data = dict(data)
        faults = Faults()
        faults.update(data.pop("faults", None) or {})
        return cls(faults=faults, **data)


# Typed application keys (aiohttp's recommended way to store per-app state).
DEVICE_KEY: web.AppKey[SimDevice] = web.AppKey("device", SimDevice)
SIMULATOR_KEY: web.AppKey[Simulator] = web.AppKey("simulator")


@web.middleware
async def fault_middleware(request: web.Request, handler):
    device: SimDevice = request.app[DEVICE_KEY]
    faults = device.faults
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.drop or faults.refuse or faults.is_rebooting():
        # A device that is rebooting or gone answers nothing: close the socket.
        if request.transport is not None:
            request.transport.close()
        raise asyncio.CancelledError
    if faults.timeout:
        await asyncio.sleep(3600)
    if faults.http_status:
        return web.Response(status=faults.http_status, text=f"{faults.http_status} simulated fault\n")
    response = await handler(request)
    if faults.malformed and response.status < 400:
        return web.Response(status=200, body=b"\x00<<not what you expected", content_type=response.content_type)
    return response


class Simulator:
    """Base of the vendor simulators: one instance per simulated device."""

    vendor: ClassVar[str]

    def __init__(self, device: SimDevice) -> None:
        self.device = device
        self.rng = random.Random(device.seed or hash(device.serial))
        self.started = time.monotonic()

    def uptime_s(self) -> int:
        return int(time.monotonic() - self.started)

    def reboot(self, seconds: float = 5.0) -> None:
        """Go dark for ``seconds`` then come back with a fresh uptime."""
        self.device.faults.rebooting_until = time.monotonic() + seconds
        self.started = time.monotonic() + seconds

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[fault_middleware])
        app[DEVICE_KEY] = self.device
        app[SIMULATOR_KEY] = self
        self.add_routes(app)
        return app

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def listen_ports(self) -> list[tuple[int, bool]]:
        """(port, tls) pairs this device listens on."""
        return [(self.device.port, False)]


# ---------------------------------------------------------------------------
# Serving: bind a device's sites on its loopback address
# ---------------------------------------------------------------------------


def self_signed_certificate(common_name: str, ip_address: str) -> tuple[bytes, bytes]:
    """A fresh self-signed certificate (EC P-256: cheap enough for thousands).

    Returns (cert_pem, key_pem). Real devices ship exactly this kind of
    certificate, which is why drivers support CA/fingerprint pinning.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip_address))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert_pem, key_pem


def server_ssl_context(cert_pem: bytes, key_pem: bytes):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # load_cert_chain only reads files; the temp files live for one call.
    with tempfile.NamedTemporaryFile() as cert_file, tempfile.NamedTemporaryFile() as key_file:
        cert_file.write(cert_pem)
        cert_file.flush()
        key_file.write(key_pem)
        key_file.flush()
        ctx.load_cert_chain(cert_file.name, key_file.name)
    return ctx


class RunningDevice:
    """A simulator bound to its address; ``stop()``/``start()`` to refuse/accept."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.device = simulator.device
        self.runner: web.AppRunner | None = None
        self.sites: list[web.TCPSite] = []
        self.ssl_context = None
        self.cert_pem: bytes | None = None

    async def start(self) -> None:
        if self.runner is None:
            # A short shutdown timeout: the "timeout" fault leaves handlers
            # asleep on purpose, and stopping must not wait for them.
            self.runner = web.AppRunner(
                self.simulator.make_app(), access_log=None, handle_signals=False, shutdown_timeout=0.2
            )
            await self.runner.setup()
        for port, tls in self.simulator.listen_ports():
            ssl_context = None
            if tls:
                if self.ssl_context is None:
                    self.cert_pem, key_pem = self_signed_certificate(self.device.serial, self.device.address)
                    self.ssl_context = server_ssl_context(self.cert_pem, key_pem)
                ssl_context = self.ssl_context
            site = web.TCPSite(self.runner, self.device.address, port, ssl_context=ssl_context, reuse_address=True)
            await site.start()
            self.sites.append(site)

    async def unbind(self) -> None:
        """Stop listening (connections are refused) but keep the device state."""
        for site in self.sites:
            await site.stop()
        self.sites = []

    async def stop(self) -> None:
        await self.unbind()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
