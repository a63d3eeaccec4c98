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

from collections.abc import Sequence
from typing import Any, ClassVar

from devices.drivers.base import (
    CAP_APPLY,
    CAP_CLIENTS,
    CAP_READ_CONFIG,
    CAP_REBOOT,
    CAP_SIGNAL,
    ApplyReport,
    ClientInfo,
    ConfigSection,
    DeviceConfig,
    DeviceError,
    DeviceInfo,
    DeviceProtocolError,
    DeviceStatus,
    DeviceTimeout,
    DeviceUnreachable,
    SignalReading,
    StepCallback,
    Unsupported,
    WanStatus,
    report,
)

from .session import PeplinkSession, to_float, to_int

# Config objects apply() and read_config() know how to address per id.
WAN_CONFIG = "config.wan.connection"
WAN_PRIORITY = "config.wan.connection.priority"
SSID_CONFIG = "config.ssid.profile"
CONFIG_OBJECTS = (WAN_CONFIG, SSID_CONFIG)

CELLULAR_TYPES = {"cellular", "gobi", "modem"}


def _ordered_items(mapping: Any) -> list[tuple[str, Any]]:
    """Items of a ``{"1": {...}, "order": [1]}`` map, in the device's order."""
    if not isinstance(mapping, dict):
        raise DeviceProtocolError("expected an object keyed by id")
    order = mapping.get("order")
    keys = [str(k) for k in order] if isinstance(order, list) else [k for k in mapping if k != "order"]
    return [(key, mapping[key]) for key in keys if key in mapping]


class PeplinkDriver(PeplinkSession):
    """Async driver for one Peplink/Pepwave router (MAX, Balance, ...)."""

    vendor: ClassVar[str] = "peplink"
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {CAP_REBOOT, CAP_APPLY, CAP_READ_CONFIG, CAP_SIGNAL, CAP_CLIENTS}
    )

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
            uptime_s=to_int(data.get("uptime")),
            priority=to_int(data.get("priority")),
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
                rsrp=to_float(radio.get("rsrp")),
                rsrq=to_float(radio.get("rsrq")),
                rssi=to_float(radio.get("rssi")),
                sinr=to_float(radio.get("sinr")),
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
                    signal_strength=to_int(signal.get("strength", legacy.get("value"))),
                    signal_level=to_int(signal.get("level")),
                    active=bool(item.get("active", True)),
                    vlan_id=to_int(item.get("vlanId")),
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
