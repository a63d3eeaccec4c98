"""Peplink/Pepwave router driver: the documented Router API (``/api/<object>``).

Every answer is the JSON envelope ``{"stat": "ok", "response": ...}`` or
``{"stat": "fail", "code": N, "message": "..."}``. Two ways in:

* **Session** (default): ``POST /api/login`` with the admin username and
  password; the router answers a session cookie, ``bauth`` over HTTPS and
  ``pauth`` over plain HTTP. ``close()`` logs out.
* **Client credentials**: pass ``client_id``/``client_secret``; the driver
  calls ``auth.token.grant`` and sends the ``accessToken`` as a query
  parameter on every request, renewing it shortly before ``expiresIn`` runs
  out. Create the client once with :meth:`PeplinkDriver.create_api_client`
  from a session-mode driver (admin permission needed).

Sessions expire on the router's idle timeout, and firmware reports that in
two ways: HTTP 200 with ``{"stat": "fail", "code": 401}`` or a plain HTTP
401. Either way the driver logs in again once and repeats the request; a
second refusal is a :class:`DeviceAuthError`.

Config writes (``config.*`` POSTs) land in the router's pending config and
take effect on ``cmd.config.apply``; :meth:`PeplinkDriver.apply` discards
the pending changes if any step fails, so nothing half-written lingers.

The API documents no system reboot. :meth:`PeplinkDriver.reboot` uses the
closest documented mechanism, ``cmd.cellularModule.reset``: it restarts the
cellular modem, which takes a cellular-managed router off the air exactly
like a reboot does from the NOC's point of view. Factory reset is not
documented and therefore not offered.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Sequence
from http.cookies import CookieError, SimpleCookie
from typing import Any, ClassVar

import httpx

from devices.drivers.base import (
    CAP_APPLY,
    CAP_CLIENTS,
    CAP_READ_CONFIG,
    CAP_REBOOT,
    CAP_SIGNAL,
    ApplyReport,
    ClientInfo,
    ConfigSection,
    DeviceAuthError,
    DeviceConfig,
    DeviceDriver,
    DeviceEndpoint,
    DeviceError,
    DeviceInfo,
    DeviceProtocolError,
    DeviceRejected,
    DeviceStatus,
    DeviceTimeout,
    DeviceUnreachable,
    SignalReading,
    StepCallback,
    Unsupported,
    WanStatus,
    check_fingerprint,
    raise_for_http_status,
    report,
    send,
)

# Config objects apply() and read_config() know how to address per id.
WAN_CONFIG = "config.wan.connection"
WAN_PRIORITY = "config.wan.connection.priority"
SSID_CONFIG = "config.ssid.profile"
CONFIG_OBJECTS = (WAN_CONFIG, SSID_CONFIG)

CELLULAR_TYPES = {"cellular", "gobi", "modem"}

# Envelope codes that mean "try again later" rather than "never".
_BUSY_WORDS = ("busy", "try again", "in progress", "rebooting")


def _is_retryable(code: Any, message: str) -> bool:
    try:
        numeric = int(code)
    except (TypeError, ValueError):
        numeric = 0
    return numeric >= 500 or any(word in message.lower() for word in _BUSY_WORDS)


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else int(number)


def _ordered_items(mapping: Any) -> list[tuple[str, Any]]:
    """Items of a ``{"1": {...}, "order": [1]}`` map, in the device's order."""
    if not isinstance(mapping, dict):
        raise DeviceProtocolError("expected an object keyed by id")
    order = mapping.get("order")
    keys = [str(k) for k in order] if isinstance(order, list) else [k for k in mapping if k != "order"]
    return [(key, mapping[key]) for key in keys if key in mapping]


class PeplinkDriver(DeviceDriver):
    """Async driver for one Peplink/Pepwave router (MAX, Balance, ...)."""

    vendor: ClassVar[str] = "peplink"
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {CAP_REBOOT, CAP_APPLY, CAP_READ_CONFIG, CAP_SIGNAL, CAP_CLIENTS}
    )

    def __init__(
        self,
        endpoint: DeviceEndpoint,
        *,
        model: str = "",
        client_id: str | None = None,
        client_secret: str | None = None,
        token_scope: str | None = None,
    ) -> None:
        super().__init__(endpoint, model=model)
        if bool(client_id) != bool(client_secret):
            raise ValueError("client_id and client_secret go together")
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_scope = token_scope
        self._session: tuple[str, str] | None = None  # (cookie name, value)
        self._token: str | None = None
        self._token_renew_at = 0.0
        self._peer_verified = False
        # Set when the router stopped answering: close() then skips logout
        # instead of waiting out another timeout on a dead connection.
        self._transport_failed = False

    @property
    def token_mode(self) -> bool:
        return self.client_id is not None

    @property
    def cookie_name(self) -> str:
        return "bauth" if self.endpoint.scheme == "https" else "pauth"

    # -- transport -----------------------------------------------------------
    async def _send(self, method: str, name: str, *, step: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await send(self.client, method, f"/api/{name}", step=step, **kwargs)
        except DeviceTimeout:
            self._transport_failed = True
            raise
        except DeviceUnreachable as exc:
            self._transport_failed = True
            # A certificate the endpoint's TLS policy rejects will not become
            # acceptable by retrying; say so instead of "unreachable".
            cause: BaseException | None = exc
            while cause is not None:
                if isinstance(cause, ssl.SSLCertVerificationError):
                    raise DeviceAuthError(f"TLS certificate not trusted: {cause}", step=step) from exc
                cause = cause.__cause__ or cause.__context__
            raise
        self._transport_failed = False
        check_fingerprint(self.endpoint, response)
        return response

    @staticmethod
    def _decode(response: httpx.Response, step: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise DeviceProtocolError(f"answer is not JSON (HTTP {response.status_code})", step=step) from exc
        if not isinstance(body, dict) or body.get("stat") not in ("ok", "fail"):
            raise DeviceProtocolError("answer is not a Peplink API envelope", step=step)
        return body

    @staticmethod
    def _unauthorized(response: httpx.Response, body: dict[str, Any] | None) -> bool:
        if response.status_code == 401:
            return True
        return body is not None and body.get("stat") == "fail" and _int(body.get("code")) == 401

    def _envelope(self, response: httpx.Response, step: str) -> dict[str, Any] | None:
        """The decoded envelope, or None for a non-2xx answer without one."""
        if response.is_success:
            return self._decode(response, step)
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) and body.get("stat") in ("ok", "fail") else None

    def _result(self, response: httpx.Response, body: dict[str, Any] | None, step: str) -> Any:
        if body is None:
            raise_for_http_status(response, step=step)
            raise DeviceProtocolError(f"unexpected HTTP {response.status_code}", step=step)
        if body["stat"] == "fail":
            code = body.get("code")
            message = str(body.get("message") or "")
            if _int(code) in (401, 403):
                raise DeviceAuthError(f"code {code}: {message or 'unauthorized'}", step=step)
            retryable = _is_retryable(code, message) or response.status_code >= 500
            raise DeviceRejected(code, message, retryable=retryable, step=step)
        if not response.is_success:
            raise_for_http_status(response, step=step)
        return body.get("response")

    async def _verify_peer(self) -> None:
        """Check a pinned fingerprint before any credential leaves the host.

        ``info.firmware`` answers before login (documented), so it is the
        harmless first request whose TLS handshake the pin is checked on.
        """
        if self._peer_verified:
            return
        if self.endpoint.scheme == "https" and self.endpoint.fingerprint_sha256:
            await self._send("GET", "info.firmware", step="login")
        self._peer_verified = True

    async def _login(self) -> None:
        await self._verify_peer()
        self._session = None
        payload = {"username": self.endpoint.username, "password": self.endpoint.password}
        response = await self._send("POST", "login", step="login", json=payload)
        body = self._envelope(response, "login")
        if self._unauthorized(response, body):
            raise DeviceAuthError("login refused: invalid username or password", step="login")
        self._result(response, body, "login")
        value = self._cookie_from(response)
        if not value:
            raise DeviceProtocolError(f"login answered no {self.cookie_name} session cookie", step="login")
        self._session = (self.cookie_name, value)
        # The cookie is sent explicitly; keep httpx's jar from adding a second copy.
        self.client.cookies.clear()

    def _cookie_from(self, response: httpx.Response) -> str | None:
        for header in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(header)
            except CookieError:
                continue
            if self.cookie_name in jar and jar[self.cookie_name].value:
                return jar[self.cookie_name].value
        return None

    async def _grant(self) -> None:
        await self._verify_peer()
        self._token = None
        payload: dict[str, Any] = {"clientId": self.client_id, "clientSecret": self.client_secret}
        if self.token_scope:
            payload["scope"] = self.token_scope
        response = await self._send("POST", "auth.token.grant", step="auth.token.grant", json=payload)
        body = self._envelope(response, "auth.token.grant")
        if self._unauthorized(response, body):
            raise DeviceAuthError("access token refused: invalid client credentials", step="auth.token.grant")
        granted = self._result(response, body, "auth.token.grant")
        if not isinstance(granted, dict) or not granted.get("accessToken"):
            raise DeviceProtocolError("auth.token.grant answered no accessToken", step="auth.token.grant")
        expires_in = _num(granted.get("expiresIn")) or 0.0
        # Renew before the router's clock runs out, not after a failed call.
        margin = min(60.0, expires_in * 0.1)
        self._token = str(granted["accessToken"])
        self._token_renew_at = time.monotonic() + max(0.0, expires_in - margin)

    async def _authenticate(self, *, force: bool = False) -> None:
        if self.token_mode:
            if force or self._token is None or time.monotonic() >= self._token_renew_at:
                await self._grant()
        elif force or self._session is None:
            await self._login()

    def _auth_kwargs(self, params: dict[str, Any] | None) -> dict[str, Any]:
        query = dict(params or {})
        kwargs: dict[str, Any] = {}
        if self.token_mode:
            query["accessToken"] = self._token
        elif self._session is not None:
            kwargs["headers"] = {"Cookie": f"{self._session[0]}={self._session[1]}"}
        if query:
            kwargs["params"] = query
        return kwargs

    async def call(
        self,
        method: str,
        name: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        step: str | None = None,
    ) -> Any:
        """One API call: authenticate, send, re-authenticate once on 401.

        Returns the envelope's ``response`` (None when there is none).
        List parameters are sent as repeated query parameters.
        """
        step = step or name
        await self._authenticate()
        for attempt in (1, 2):
            kwargs = self._auth_kwargs(params)
            if body is not None:
                kwargs["json"] = body
            response = await self._send(method, name, step=step, **kwargs)
            envelope = self._envelope(response, step)
            if self._unauthorized(response, envelope):
                if attempt == 2:
                    raise DeviceAuthError("router refused the renewed credentials", step=step)
                # The session (or token) expired on the router: renew once.
                await self._authenticate(force=True)
                continue
            return self._result(response, envelope, step)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get(self, name: str, **params: Any) -> Any:
        return await self.call("GET", name, params={k: v for k, v in params.items() if v is not None})

    async def post(self, name: str, body: dict[str, Any] | None = None, *, step: str | None = None) -> Any:
        return await self.call("POST", name, body=body or {}, step=step)

    async def close(self) -> None:
        """Log out (session) or revoke the token, then drop the connection."""
        # Logging out must not hold a poller for a full request timeout.
        quick = httpx.Timeout(min(self.endpoint.timeout, 3.0), connect=min(self.endpoint.connect_timeout, 3.0))
        try:
            if self._client is None or self._transport_failed:
                pass
            elif self._session is not None:
                await self._send("POST", "logout", step="logout", timeout=quick, **self._auth_kwargs(None))
            elif self._token is not None:
                # Self-revoke is allowed; it keeps the router's token list short.
                await self._send(
                    "POST",
                    "auth.token.revoke",
                    step="logout",
                    json={"accessToken": self._token},
                    timeout=quick,
                    **self._auth_kwargs(None),
                )
        except DeviceError:
            pass  # best effort: the router's idle timeout cleans up anyway
        finally:
            self._session = None
            self._token = None
            await super().close()

    # -- raw documented objects --------------------------------------------------
    async def wan_connections(self, ids: Sequence[int] | None = None, *, lite: bool = False) -> dict[str, Any]:
        """``status.wan.connection``: ``{"1": {...}, "order": [1]}``."""
        return await self.get("status.wan.connection", id=list(ids) if ids else None, lite="yes" if lite else None)

    async def wan_signal(
        self, conn_ids: Sequence[int] | None = None, *, info_types: Sequence[str] | None = None
    ) -> Any:
        """``status.wan.connection.signal`` (null for WANs without a radio)."""
        return await self.get(
            "status.wan.connection.signal",
            connId=list(conn_ids) if conn_ids else None,
            infoType=list(info_types) if info_types else None,
        )

    async def wan_allowance(self, conn_ids: Sequence[int] | None = None) -> dict[str, Any]:
        """``status.wan.connection.allowance`` (per SIM for cellular WANs)."""
        return await self.get("status.wan.connection.allowance", connId=list(conn_ids) if conn_ids else None)

    async def lan_profiles(self, ids: Sequence[int] | None = None) -> dict[str, Any]:
        return await self.get("status.lan.profile", id=list(ids) if ids else None)

    async def pepvpn_status(
        self,
        *,
        info_types: Sequence[str] | None = None,
        lite: bool = False,
        tunnel_peers: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        return await self.get(
            "status.pepvpn",
            infoType=list(info_types) if info_types else None,
            lite="yes" if lite else None,
            tunnelOption=list(tunnel_peers) if tunnel_peers else None,
        )

    async def client_list(
        self,
        *,
        active_only: bool = False,
        vlan_id: int | None = None,
        connection_types: Sequence[str] | None = None,
        output_weight: str = "full",
        size: int | None = None,
    ) -> list[dict[str, Any]]:
        """``status.client`` raw list (``full`` weight carries the signal)."""
        result = await self.get(
            "status.client",
            activeOnly="yes" if active_only else None,
            vlanId=vlan_id,
            connectionType=list(connection_types) if connection_types else None,
            outputWeight=output_weight,
            size=size,
        )
        items = result.get("list") if isinstance(result, dict) else None
        if not isinstance(items, list):
            raise DeviceProtocolError("status.client answered no list", step="status.client")
        return items

    async def firmware(self) -> dict[str, Any]:
        return await self.get("info.firmware")

    async def location(self) -> dict[str, Any]:
        """``info.location``; the router answers fail when it has no GPS."""
        return await self.get("info.location")

    async def wan_config(
        self, ids: Sequence[int] | None = None, *, info_types: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Running ``config.wan.connection`` (pending changes are not shown)."""
        return await self.get(
            WAN_CONFIG, id=list(ids) if ids else None, infoType=list(info_types) if info_types else None
        )

    async def update_wan_config(self, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Write ``<WAN_Config_Obj>`` updates (each with ``id``) to pending config."""
        return await self.post(WAN_CONFIG, {"action": "update", "list": list(items)})

    async def set_wan_priority(self, items: Sequence[dict[str, Any]], *, instant: bool = False) -> dict[str, Any]:
        """``config.wan.connection.priority``: ``[{"connId", "priority", "enable"}]``.

        Without ``instant`` the change waits in pending config for apply.
        """
        body: dict[str, Any] = {"list": list(items)}
        if instant:
            body["instantActive"] = True
        return await self.post(WAN_PRIORITY, body)

    async def ssid_profiles(self, ids: Sequence[int] | None = None) -> dict[str, Any]:
        return await self.get(SSID_CONFIG, id=list(ids) if ids else None)

    async def update_ssid_profile(self, profile_id: int, values: dict[str, Any]) -> dict[str, Any]:
        """Write the given SSID profile fields to pending config."""
        return await self.post(SSID_CONFIG, {**values, "action": "update", "id": int(profile_id)})

    async def apply_config(self) -> str | None:
        """``cmd.config.apply``; returns the router's warning, if any."""
        result = await self.post("cmd.config.apply")
        return result.get("warning") if isinstance(result, dict) else None

    async def discard_config(self) -> None:
        await self.post("cmd.config.discard")

    async def access_point(self) -> dict[str, Any]:
        return await self.get("cmd.ap")

    async def set_access_point(self, enable: bool) -> dict[str, Any]:
        return await self.post("cmd.ap", {"enable": bool(enable)})

    async def sms_inbox(self, conn_id: int) -> dict[str, Any]:
        return await self.get("cmd.sms.get", connId=conn_id)

    async def send_sms(self, address: str, content: str, *, conn_id: int | None = None) -> None:
        body: dict[str, Any] = {"address": address, "content": content}
        if conn_id is not None:
            body["connId"] = conn_id
        await self.post("cmd.sms.sendMessage", body)

    async def cellular_sims(self, conn_id: int) -> dict[str, Any]:
        """``cmd.wan.cellular``: ``{"enabledSim": [1, 2], "preferredSim": 1}``."""
        return await self.get("cmd.wan.cellular", connId=conn_id)

    _UNSET: ClassVar[object] = object()

    async def set_cellular_sims(
        self, conn_id: int, *, enabled_sim: Sequence[int] | None = None, preferred_sim: Any = _UNSET
    ) -> None:
        """Change SIM usage; ``preferred_sim=None`` clears the preference."""
        body: dict[str, Any] = {"connId": conn_id}
        if enabled_sim is not None:
            body["enabledSim"] = list(enabled_sim)
        if preferred_sim is not self._UNSET:
            body["preferredSim"] = preferred_sim
        await self.post("cmd.wan.cellular", body)

    async def reset_cellular_module(self, conn_id: int) -> None:
        await self.post("cmd.cellularModule.reset", {"connId": conn_id})

    async def carrier_scan(self, conn_id: int, *, start: bool = False, reference: bool = True) -> dict[str, Any]:
        """Start (POST) or poll (GET) ``cmd.carrier.scan``."""
        ref = "yes" if reference else "no"
        if start:
            return await self.post("cmd.carrier.scan", {"action": "start", "connId": conn_id, "reference": ref})
        return await self.get("cmd.carrier.scan", connId=conn_id, reference=ref)

    async def wifi_scan(
        self,
        conn_id: int,
        *,
        info_type: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> list[dict[str, Any]]:
        return await self.get("cmd.wifi.scan", connId=conn_id, infoType=info_type, sortBy=sort_by, sortOrder=sort_order)

    async def create_api_client(self, name: str, scope: str = "api") -> dict[str, Any]:
        """``auth.client`` add: returns ``clientId``/``clientSecret`` (admin session)."""
        return await self.post("auth.client", {"action": "add", "name": name, "scope": scope})

    async def api_clients(self) -> list[dict[str, Any]]:
        return await self.get("auth.client")

    # -- the portal's interface --------------------------------------------------
    async def info(self) -> DeviceInfo:
        """Firmware from ``info.firmware``; the API documents no serial or model."""
        slots = await self.firmware()
        running = ""
        for _key, slot in _ordered_items(slots):
            if isinstance(slot, dict) and (slot.get("inUse") or running == ""):
                running = str(slot.get("version", ""))
                if slot.get("inUse"):
                    break
        return DeviceInfo(vendor=self.vendor, model=self.model, firmware=running, extra={"firmware_slots": slots})

    async def status(self) -> DeviceStatus:
        wans = await self.wan_connections()
        info = await self.info()
        result = [self._wan_status(key, value) for key, value in _ordered_items(wans) if isinstance(value, dict)]
        return DeviceStatus(online=True, firmware=info.firmware, wan=result)

    @staticmethod
    def _wan_status(wan_id: str, data: dict[str, Any]) -> WanStatus:
        enabled = bool(data.get("enable", True))
        message = str(data.get("message", ""))
        extra = {
            k: data[k]
            for k in ("statusLed", "virtualType", "mask", "method", "mode", "dns", "mac", "mtu", "cellular", "wireless")
            if k in data
        }
        return WanStatus(
            id=str(wan_id),
            name=str(data.get("name", "")),
            enabled=enabled,
            up=enabled and message.lower().startswith("connected"),
            state=message,
            ip=data.get("ip"),
            gateway=data.get("gateway"),
            type=str(data.get("type", "")),
            uptime_s=_int(data.get("uptime")),
            priority=_int(data.get("priority")),
            extra=extra,
        )

    async def signal(self) -> SignalReading | None:
        """Radio signal of the first cellular WAN that reports one."""
        signals = await self.wan_signal()
        for conn_id, entry in _ordered_items(signals):
            if not isinstance(entry, dict) or entry.get("virtualType") not in CELLULAR_TYPES:
                continue
            bands = [b for b in entry.get("band") or [] if isinstance(b, dict)]
            primary = next((b for b in bands if isinstance(b.get("signal"), dict)), None)
            if primary is None:
                continue
            radio = primary["signal"]
            sim = entry.get("activeSim") or {}
            return SignalReading(
                kind="cellular",
                rsrp=_num(radio.get("rsrp")),
                rsrq=_num(radio.get("rsrq")),
                rssi=_num(radio.get("rssi")),
                sinr=_num(radio.get("sinr")),
                carrier=str(sim.get("carrierName", "")),
                technology=str(sim.get("network", "")),
                extra={
                    "conn_id": conn_id,
                    "band": primary.get("name"),
                    "bands": bands,
                    "level": entry.get("signalLevel"),
                },
            )
        return None

    async def clients(self) -> list[ClientInfo]:
        result = []
        for item in await self.client_list():
            if not isinstance(item, dict) or not item.get("mac"):
                continue
            signal = item.get("signal") if isinstance(item.get("signal"), dict) else {}
            legacy = item.get("signalStrength") if isinstance(item.get("signalStrength"), dict) else {}
            result.append(
                ClientInfo(
                    mac=str(item["mac"]),
                    ip=item.get("ip"),
                    name=str(item.get("name", "")),
                    connection_type=str(item.get("connectionType", "")),
                    ssid=str(item.get("essid", item.get("ssid", ""))),
                    signal_strength=_int(signal.get("strength", legacy.get("value"))),
                    signal_level=_int(signal.get("level")),
                    active=bool(item.get("active", True)),
                    vlan_id=_int(item.get("vlanId")),
                )
            )
        return result

    async def read_config(self, paths: Sequence[str] | None = None) -> DeviceConfig:
        """Running sections: ``config.wan.connection/<id>``, ``config.ssid.profile/<id>``.

        ``paths`` may name whole objects (``"config.ssid.profile"``) or single
        ids. Values are in the GET shape the router reports.
        """
        wanted: dict[str, list[int] | None] = {}
        for path in paths or CONFIG_OBJECTS:
            obj, _, ident = path.partition("/")
            if obj not in CONFIG_OBJECTS:
                raise Unsupported(f"peplink cannot read {path}", step=path)
            if not ident:
                wanted[obj] = None
            elif wanted.get(obj, []) is not None:
                wanted.setdefault(obj, []).append(int(ident))  # type: ignore[union-attr]
        sections = []
        for obj, ids in wanted.items():
            data = await self.call("GET", obj, params={"id": ids} if ids else None, step=obj)
            for key, values in _ordered_items(data):
                sections.append(ConfigSection(path=f"{obj}/{key}", values=values))
        return DeviceConfig(sections=sections)

    async def apply(self, desired: DeviceConfig, *, on_step: StepCallback | None = None) -> ApplyReport:
        """Write every section to pending config, then ``cmd.config.apply``.

        Section values use the documented *update* shapes:
        ``config.wan.connection/<id>`` a ``<WAN_Config_Obj>`` update (without
        ``id``), ``config.ssid.profile/<id>`` the SSID profile fields,
        ``config.wan.connection.priority`` ``{"list": [...]}``. On any
        failure the pending changes are discarded and the error's ``step``
        names the section.
        """
        plan = [self._plan(section) for section in desired.sections]
        done = ApplyReport()
        step = "apply"
        try:
            for section, name, body in plan:
                step = section.path
                await report(on_step, "info", f"writing {section.path}")
                await self.call("POST", name, body=body, step=step)
                done.written.append(section.path)
            step = "cmd.config.apply"
            await report(on_step, "info", "cmd.config.apply")
            await self.call("POST", "cmd.config.apply", body={}, step=step)
        except DeviceError as exc:
            exc.step = exc.step or step
            await report(on_step, "error", f"{step} failed: {exc.message}; discarding pending changes")
            await self._discard_quietly(on_step)
            raise
        except BaseException:
            await self._discard_quietly(on_step)
            raise
        done.applied = list(done.written)
        return done

    async def _discard_quietly(self, on_step: StepCallback | None) -> None:
        try:
            await self.call("POST", "cmd.config.discard", body={}, step="cmd.config.discard")
        except DeviceError as exc:
            await report(on_step, "warning", f"cmd.config.discard failed: {exc.message}")

    @staticmethod
    def _plan(section: ConfigSection) -> tuple[ConfigSection, str, dict[str, Any]]:
        obj, _, ident = section.path.partition("/")
        values = dict(section.values)
        if obj == WAN_PRIORITY and not ident:
            return section, obj, {"list": list(values.get("list", []))}
        if obj in CONFIG_OBJECTS and ident.isdigit():
            if obj == WAN_CONFIG:
                return section, obj, {"action": "update", "list": [{**values, "id": int(ident)}]}
            return section, obj, {**values, "action": "update", "id": int(ident)}
        raise Unsupported(f"peplink cannot write config section {section.path!r}", step=section.path)

    async def reboot(self) -> None:
        """Reset every cellular module (the API documents no system reboot).

        Raises Unsupported when the router has no cellular WAN.
        """
        wans = await self.wan_connections()
        cellular = [
            int(key)
            for key, data in _ordered_items(wans)
            if isinstance(data, dict) and (data.get("virtualType") or data.get("type")) in CELLULAR_TYPES
        ]
        if not cellular:
            raise Unsupported("peplink: no documented reboot and no cellular module to reset", step="reboot")
        for index, conn_id in enumerate(cellular):
            try:
                await self.post("cmd.cellularModule.reset", {"connId": conn_id}, step="reboot")
            except (DeviceUnreachable, DeviceTimeout):
                # The router went dark after the first reset: that is the reboot.
                if index == 0:
                    raise
                break
        # The router forgets sessions while it is off the air; start afresh.
        self._session = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
