"""The one interface every device driver implements, and the typed errors.

Drivers speak a vendor's documented HTTP API and nothing else: they take an
address, port, scheme and credentials (a :class:`DeviceEndpoint`) and return
plain dataclasses. They never import Django models or touch the database, so
the action engine, the poller, the benchmarks and the tests can all drive
them the same way.

The action engine decides "retry or give up" from the error type alone:
``DeviceUnreachable`` and ``DeviceTimeout`` are retryable, as is a
``DeviceRejected`` raised for an HTTP 5xx / "busy" answer (``retryable=True``);
everything else is final.
"""

from __future__ import annotations

import abc
import functools
import hashlib
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class DeviceError(Exception):
    """Base of every error a driver raises. ``retryable`` drives the engine."""

    retryable: bool = False

    def __init__(self, message: str = "", *, step: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The driver operation / config node being worked on when it failed,
        # so an action's step log can say exactly where provisioning stopped.
        self.step = step

    def __str__(self) -> str:
        prefix = f"[{self.step}] " if self.step else ""
        return f"{prefix}{self.message or self.__class__.__name__}"


class DeviceUnreachable(DeviceError):
    """Connection refused, reset or dropped; DNS/route failure."""

    retryable = True


class DeviceTimeout(DeviceError):
    """The device accepted the connection (or not) but did not answer in time."""

    retryable = True


class DeviceAuthError(DeviceError):
    """Credentials refused (HTTP 401/403 or the vendor's own auth failure)."""


class DeviceRejected(DeviceError):
    """The device answered but refused the request (vendor error code/message).

    ``retryable`` is True for transient refusals (HTTP 5xx, "busy",
    "rebooting") and False for a request the device will never accept.
    """

    def __init__(
        self,
        code: int | str | None,
        message: str = "",
        *,
        retryable: bool = False,
        step: str | None = None,
    ) -> None:
        super().__init__(message or f"device rejected the request (code {code})", step=step)
        self.code = code
        self.retryable = retryable


class DeviceProtocolError(DeviceError):
    """The device answered something we cannot understand (malformed body)."""


class Unsupported(DeviceError):
    """The operation does not exist for this vendor/model."""


# ---------------------------------------------------------------------------
# Endpoint (how to reach one device)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceEndpoint:
    """Everything a driver needs to reach one device.

    TLS: by default certificates are verified against the system store.
    Devices ship self-signed certificates, so either pin the device's CA
    (``ca_pem``), pin the leaf certificate's SHA-256 fingerprint
    (``fingerprint_sha256``, hex, colons optional), or explicitly opt out
    with ``verify_tls=False``.
    """

    address: str
    port: int
    scheme: str = "http"
    username: str = ""
    password: str = ""
    verify_tls: bool = True
    ca_pem: str | None = None
    fingerprint_sha256: str | None = None
    connect_timeout: float = 5.0
    timeout: float = 15.0

    @property
    def base_url(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{host}:{self.port}"


def _normalise_fingerprint(value: str) -> str:
    return value.replace(":", "").replace(" ", "").lower()


@functools.cache
def _system_trust_context() -> ssl.SSLContext:
    # httpx builds a fresh context (loading the CA bundle, ~50 ms of CPU) for
    # every client given verify=True; a poll round makes one client per
    # device, so the system-store context is built once and shared.
    return ssl.create_default_context()


def tls_context(endpoint: DeviceEndpoint) -> ssl.SSLContext | bool:
    """The ``verify=`` argument for httpx that implements the endpoint's policy."""
    if endpoint.scheme != "https":
        return _system_trust_context()  # unused on plain HTTP, but httpx would build one
    if endpoint.ca_pem:
        ctx = ssl.create_default_context(cadata=endpoint.ca_pem)
        # Devices are addressed by IP and their self-signed certs rarely carry
        # a matching SAN; trust in the pinned CA is what we rely on here.
        ctx.check_hostname = False
        return ctx
    if endpoint.fingerprint_sha256 or not endpoint.verify_tls:
        # Fingerprint pinning is checked after the handshake (see
        # check_fingerprint); the chain itself is not verifiable.
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    return _system_trust_context()


def check_fingerprint(endpoint: DeviceEndpoint, response: httpx.Response) -> None:
    """Raise DeviceAuthError if a pinned fingerprint does not match the peer."""
    if not endpoint.fingerprint_sha256 or endpoint.scheme != "https":
        return
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    if der is None:
        raise DeviceAuthError("TLS peer certificate not available for fingerprint check")
    seen = hashlib.sha256(der).hexdigest()
    if seen != _normalise_fingerprint(endpoint.fingerprint_sha256):
        raise DeviceAuthError(f"TLS certificate fingerprint mismatch (got {seen})")


def make_http_client(endpoint: DeviceEndpoint, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client with the portal's rules for talking to devices.

    Explicit timeouts, no redirects (a device that redirects is not followed:
    SSRF guard), TLS policy from the endpoint, no proxies from the
    environment.
    """
    timeout = httpx.Timeout(endpoint.timeout, connect=endpoint.connect_timeout)
    return httpx.AsyncClient(
        base_url=endpoint.base_url,
        timeout=timeout,
        follow_redirects=False,
        verify=tls_context(endpoint),
        trust_env=False,
        **kwargs,
    )


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    step: str | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request, translating transport failures into typed errors."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise DeviceTimeout(f"no answer in time: {exc.__class__.__name__}", step=step) from exc
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise DeviceUnreachable(f"connection failed: {exc}", step=step) from exc
    except httpx.TransportError as exc:
        raise DeviceUnreachable(f"transport error: {exc}", step=step) from exc


def raise_for_http_status(response: httpx.Response, *, step: str | None = None) -> None:
    """Map a non-2xx answer to a typed error (redirects count as rejections)."""
    code = response.status_code
    if code in (401, 403):
        raise DeviceAuthError(f"HTTP {code}: credentials refused", step=step)
    if code >= 500:
        raise DeviceRejected(code, f"HTTP {code} from device", retryable=True, step=step)
    if code >= 300:
        raise DeviceRejected(code, f"HTTP {code} from device", step=step)


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass
class DeviceInfo:
    vendor: str
    model: str = ""
    serial: str = ""
    mac: str = ""
    firmware: str = ""
    hardware: str = ""
    uptime_s: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class WanStatus:
    """One WAN connection as the device reports it."""

    id: str
    name: str = ""
    enabled: bool = True
    up: bool = False
    state: str = ""  # the device's own words: "Connected", "Disabled", ...
    ip: str | None = None
    gateway: str | None = None
    type: str = ""  # dhcp / pppoe / bridge / cellular / ethernet ...
    uptime_s: int | None = None
    priority: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SipLineStatus:
    line: int
    enabled: bool
    registered: bool
    account: str = ""
    server: str = ""
    state: str = ""


@dataclass
class DeviceStatus:
    online: bool = True
    uptime_s: int | None = None
    firmware: str = ""
    wan: list[WanStatus] = field(default_factory=list)
    sip_lines: list[SipLineStatus] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SignalReading:
    """Optical (ONT) or radio (cellular) signal. Unused fields stay None."""

    kind: str  # "optical" | "cellular"
    rx_power_dbm: float | None = None  # optical Rx
    tx_power_dbm: float | None = None  # optical Tx
    rsrp: float | None = None
    rsrq: float | None = None
    rssi: float | None = None
    sinr: float | None = None
    carrier: str = ""
    technology: str = ""  # "LTE", "5G", ...
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ClientInfo:
    """A device behind the CPE (Peplink ``status.client`` shape)."""

    mac: str
    ip: str | None = None
    name: str = ""
    connection_type: str = ""  # "ethernet" / "wireless" ...
    ssid: str = ""
    signal_strength: int | None = None
    signal_level: int | None = None
    active: bool = True
    vlan_id: int | None = None


@dataclass(frozen=True)
class ConfigSection:
    """One unit of device configuration, addressed in the vendor's own terms.

    ``path`` is vendor-specific: a HALNy REST node (``"wan/1"``,
    ``"wlan24/ssid/1"``), a Peplink config object (``"config.wan.connection/1"``,
    ``"config.ssid.profile/2"``), a Fanvil configuration group (``"sip/1"``).
    ``values`` are the fields as the device wants them (HALNy: strings such
    as ``"yes"`` and ``"400"``).
    """

    path: str
    values: dict[str, Any]


@dataclass
class DeviceConfig:
    """An ordered set of sections: desired (rendered) or running (read back)."""

    sections: list[ConfigSection] = field(default_factory=list)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {s.path: dict(s.values) for s in self.sections}


@dataclass
class ApplyReport:
    written: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)


# A callback the engine passes so every step lands in the action's log.
StepCallback = Callable[[str, str], Awaitable[None] | None]  # (level, message)


async def report(on_step: StepCallback | None, level: str, message: str) -> None:
    if on_step is None:
        return
    result = on_step(level, message)
    if result is not None:
        await result


# ---------------------------------------------------------------------------
# The interface
# ---------------------------------------------------------------------------

# Capability names the engine checks before it queues an action.
CAP_REBOOT = "reboot"
CAP_FACTORY_RESET = "factory_reset"
CAP_APPLY = "apply"
CAP_READ_CONFIG = "read_config"
CAP_SIGNAL = "signal"
CAP_CLIENTS = "clients"
CAP_SIP = "sip"


class DeviceDriver(abc.ABC):
    """Async driver for one device. Use as ``async with Driver(endpoint) as d``."""

    vendor: ClassVar[str]
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, endpoint: DeviceEndpoint, *, model: str = "") -> None:
        self.endpoint = endpoint
        self.model = model
        self._client: httpx.AsyncClient | None = None

    # -- lifecycle ---------------------------------------------------------
    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = make_http_client(self.endpoint)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> DeviceDriver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def supports(self, capability: str) -> bool:
        return capability in self.capabilities

    # -- reads -------------------------------------------------------------
    @abc.abstractmethod
    async def info(self) -> DeviceInfo: ...

    @abc.abstractmethod
    async def status(self) -> DeviceStatus: ...

    async def signal(self) -> SignalReading | None:
        """Optical or radio signal; None when the device has no such radio."""
        raise Unsupported(f"{self.vendor} has no signal reading")

    async def clients(self) -> list[ClientInfo]:
        raise Unsupported(f"{self.vendor} does not list clients")

    async def read_config(self, paths: Sequence[str] | None = None) -> DeviceConfig:
        """Read the running config back: the given sections, or all known."""
        raise Unsupported(f"{self.vendor} cannot read its configuration")

    # -- writes ------------------------------------------------------------
    async def apply(self, desired: DeviceConfig, *, on_step: StepCallback | None = None) -> ApplyReport:
        """Write every section, then make it running (vendor's apply step).

        Nothing is applied unless every section was written; a failure names
        the section in ``DeviceError.step``.
        """
        raise Unsupported(f"{self.vendor} cannot be configured")

    async def reboot(self) -> None:
        raise Unsupported(f"{self.vendor} cannot be rebooted through its API")

    async def factory_reset(self) -> None:
        raise Unsupported(f"{self.vendor} cannot be factory-reset through its API")
