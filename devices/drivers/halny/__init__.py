"""Driver for HALNy GPON ONTs over their JSON REST API v2 (port 48626).

Specification: ``shared/seeds/halny-ont-rest-api-v2-triple-play.txt``. The
API is a tree of configuration *nodes* under ``/api/v2/``; ``GET`` reads a
node, ``POST`` with a JSON object of **string** values writes it, and a write
only takes effect once the node's *apply node* receives ``{"apply":"yes"}``:

==========================================  ==========================================
node written                                apply node
==========================================  ==========================================
``wan/{n}``, ``wan/{n}/port_bind``          ``wan/{n}/apply``
``voip``, ``voip/line/{n}``                 ``voip/apply``
``lan``                                     ``lan/apply``
``wlan24``, ``wlan24/ssid/{n}``             ``wlan24/apply``
``wlan5``, ``wlan5/ssid/{n}``               ``wlan5/apply``
``management/web``                          ``management/web/apply``
``management/passwords``                    ``management/passwords/apply``
``nat_config/port_forwarding_rule/{n}``     ``nat_config/port_forwarding_rule/apply``
==========================================  ==========================================

Authentication is HTTP Basic. Every ONT ships with the API user ``apiuser``
whose password is the last four hex digits of the MAC address printed on the
label (upper case, no separators) followed by ``APIpass`` — the seed's
example MAC ending in ``87:80`` has password ``8780APIpass``. See
:func:`default_credentials`; credentials set on the endpoint take precedence.

Portal assumptions (NOT in the seed)
------------------------------------
HALNy's full REST API v2 also has status and maintenance nodes, but the
triple-play seed does not document them. The portal needs them for info,
status, signal, clients, reboot and factory reset, so it assumes the nodes
below, written in the same style as the documented ones (flat JSON objects,
every value a string, numbers as decimal strings, booleans as "yes"/"no").
They are implemented by ``simulators.cpe.halny`` and must be checked
against a real ONT (or the full API document) before production use:

``GET /api/v2/status/device``::

    {"model": "HL-4GXV", "serial": "HALN1A2B3C4D", "mac": "E0:8F:EC:12:87:80",
     "firmware": "V5.0.9", "hardware": "V1.0", "uptime": "86400"}

``GET /api/v2/status/optical`` (dBm, °C, V, mA)::

    {"rx_power": "-21.35", "tx_power": "2.10", "temperature": "45.20",
     "voltage": "3.30", "bias": "12.50"}

``GET /api/v2/status/wan`` and ``GET /api/v2/status/wan/{n}`` (the latter is one
element of the list)::

    {"wan": [{"index": "1", "enabled": "yes", "state": "Connected",
              "conn_type": "dhcp", "mode": "router", "service_type": "internet",
              "vlan_id": "400", "ip": "100.64.3.17", "netmask": "255.255.255.0",
              "gateway": "100.64.3.1", "uptime": "3600"}, ...]}

``GET /api/v2/status/voip`` (404 on models without POTS ports)::

    {"line": [{"index": "1", "enable": "yes", "login": "1100",
               "server": "10.192.168.149", "status": "Registered"}]}

``GET /api/v2/status/clients``::

    {"clients": [{"mac": "3C:22:FB:01:02:03", "ip": "192.168.1.101",
                  "hostname": "laptop", "interface": "wlan5",
                  "ssid": "HALNy-8780", "rssi": "-57"}, ...]}

``POST /api/v2/system/reboot`` with ``{"reboot": "yes"}`` and
``POST /api/v2/system/factory_reset`` with ``{"factory_reset": "yes"}``: the ONT
answers 200 and then goes dark while it restarts.

``DELETE`` on a port forwarding rule clears it (the seed says endpoints can be
read, written and deleted); like a write it needs the apply node.

Answers to writes are assumed to be a JSON object (or empty); errors a 4xx
with a JSON object carrying ``error`` (and optionally ``field``).

The model table (:data:`HALNY_MODELS`) takes the 2.5G LAN port mapping from
the seed; port counts, POTS lines and radios are read from HALNy's model
names (``4G`` = four gigabit LAN, ``V`` = voice, ``X``/``Q``/``M`` = dual-band
Wi-Fi) and are assumptions to confirm against datasheets.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import httpx

from devices.drivers.base import (
    CAP_APPLY,
    CAP_CLIENTS,
    CAP_FACTORY_RESET,
    CAP_READ_CONFIG,
    CAP_REBOOT,
    CAP_SIGNAL,
    CAP_SIP,
    ApplyReport,
    ClientInfo,
    ConfigSection,
    DeviceAuthError,
    DeviceConfig,
    DeviceDriver,
    DeviceEndpoint,
    DeviceInfo,
    DeviceProtocolError,
    DeviceRejected,
    DeviceStatus,
    SignalReading,
    SipLineStatus,
    StepCallback,
    Unsupported,
    WanStatus,
    check_fingerprint,
    make_http_client,
    raise_for_http_status,
    report,
    send,
)

from .nodes import (
    API_PREFIX,
    API_USER,
    HALNY_API_PORT,
    HALNY_MODELS,
    PORT_FORWARDING_RULES,
    SSIDS_PER_BAND,
    WAN_COUNT,
    HalnyModel,
    apply_node_for,
    config_nodes,
    default_credentials,
    halny_endpoint,
    halny_model,
    is_apply_node,
    normalise_path,
    to_halny_value,
    to_halny_values,
)

__all__ = [
    "API_PREFIX",
    "API_USER",
    "HALNY_API_PORT",
    "HALNY_MODELS",
    "PORT_FORWARDING_RULES",
    "SSIDS_PER_BAND",
    "WAN_COUNT",
    "HalnyDriver",
    "HalnyModel",
    "apply_node_for",
    "config_nodes",
    "default_credentials",
    "halny_endpoint",
    "halny_model",
    "is_apply_node",
    "normalise_path",
    "to_halny_value",
    "to_halny_values",
]

# ---------------------------------------------------------------------------
# Parsing helpers (device answers → typed values)
# ---------------------------------------------------------------------------


def _parsed(convert: Callable[[str], Any], expected: str, value: Any, *, field: str, step: str) -> Any:
    """``convert`` of a value the ONT reports as text; empty is None, anything else unreadable is a protocol error."""
    if value in (None, ""):
        return None
    try:
        return convert(str(value).strip())
    except ValueError:
        raise DeviceProtocolError(f"{field} is not {expected}: {value!r}", step=step) from None


def _int(value: Any, *, field: str, step: str) -> int | None:
    return _parsed(int, "an integer", value, field=field, step=step)


def _float(value: Any, *, field: str, step: str) -> float | None:
    return _parsed(float, "a number", value, field=field, step=step)


def _yes(value: Any) -> bool:
    return str(value).strip().lower() in ("yes", "1", "true", "on")


def _list_of_objects(body: dict[str, Any], key: str, *, step: str) -> list[dict[str, Any]]:
    items = body.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise DeviceProtocolError(f"'{key}' is not a list of objects", step=step)
    return items


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------


class HalnyDriver(DeviceDriver):
    """Async driver for one HALNy ONT.

    ``mac`` is only needed when the endpoint carries no credentials: the
    factory password is derived from it. ``model`` selects the node set that
    :meth:`read_config` reads by default; when empty it is asked from the ONT.
    """

    vendor: ClassVar[str] = "halny"
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {CAP_REBOOT, CAP_FACTORY_RESET, CAP_APPLY, CAP_READ_CONFIG, CAP_SIGNAL, CAP_CLIENTS, CAP_SIP}
    )

    def __init__(self, endpoint: DeviceEndpoint, *, model: str = "", mac: str = "") -> None:
        super().__init__(endpoint, model=model)
        self.mac = mac

    # -- transport ---------------------------------------------------------
    def credentials(self) -> tuple[str, str]:
        """Endpoint credentials if set, else the factory ones from the MAC."""
        if self.endpoint.username or self.endpoint.password:
            return self.endpoint.username or API_USER, self.endpoint.password
        if self.mac:
            return default_credentials(self.mac)
        raise DeviceAuthError("no API credentials and no MAC to derive the factory password from")

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            user, password = self.credentials()
            self._client = make_http_client(
                self.endpoint,
                auth=httpx.BasicAuth(user, password),
                headers={"Accept": "application/json"},
            )
        return self._client

    async def _call(self, method: str, node: str, *, step: str, body: dict[str, str] | None = None) -> dict[str, Any]:
        """One API call; returns the JSON object answered (``{}`` for no body)."""
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        response = await send(self.client, method, API_PREFIX + node, step=step, **kwargs)
        check_fingerprint(self.endpoint, response)
        if response.status_code >= 400:
            self._raise_for_error(response, step=step)
        raise_for_http_status(response, step=step)  # 3xx: redirects are never followed
        return self._parse(response, step=step)

    @staticmethod
    def _parse(response: httpx.Response, *, step: str) -> dict[str, Any]:
        content = response.content
        if not content.strip():
            return {}
        try:
            data = json.loads(content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DeviceProtocolError(f"answer is not JSON: {content[:60]!r}", step=step) from exc
        if not isinstance(data, dict):
            raise DeviceProtocolError(f"answer is not a JSON object: {type(data).__name__}", step=step)
        return data

    @staticmethod
    def _raise_for_error(response: httpx.Response, *, step: str) -> None:
        code = response.status_code
        if code in (401, 403):
            raise DeviceAuthError(f"HTTP {code}: credentials refused", step=step)
        message = ""
        try:
            data = json.loads(response.content)
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
        if isinstance(data, dict):
            # Device-controlled text lands in step logs and the UI: keep it short.
            message = str(data.get("error") or data.get("message") or "")[:200]
            if message and data.get("field"):
                message = f"{message} (field {data['field']})"
        if code >= 500:
            raise DeviceRejected(code, message or f"HTTP {code} from device", retryable=True, step=step)
        raise DeviceRejected(code, message or f"HTTP {code} from device", step=step)

    # -- low-level node access ----------------------------------------------
    async def get_node(self, path: str) -> dict[str, str]:
        """The running values of one flat node (configuration, ``status/device``, ``status/optical``)."""
        node = normalise_path(path)
        data = await self._call("GET", node, step=node)
        out: dict[str, str] = {}
        for key, value in data.items():
            if isinstance(value, dict | list):
                raise DeviceProtocolError(f"field {key!r} is not a scalar", step=node)
            out[key] = to_halny_value(value)
        return out

    async def set_node(self, path: str, values: Mapping[str, Any]) -> None:
        """Write one node (pending until its apply node is posted)."""
        node = normalise_path(path)
        await self._call("POST", node, step=node, body=to_halny_values(values))

    async def delete_node(self, path: str) -> None:
        """Clear one node (port forwarding rules); pending until applied."""
        node = normalise_path(path)
        await self._call("DELETE", node, step=node)

    async def apply_node(self, path: str) -> None:
        """Post ``{"apply":"yes"}`` to an apply node, or to the apply node of ``path``."""
        node = normalise_path(path)
        if not is_apply_node(node):
            try:
                node = apply_node_for(node)
            except ValueError as exc:
                raise Unsupported(str(exc), step=node) from None
        await self._call("POST", node, step=node, body={"apply": "yes"})

    # -- reads -------------------------------------------------------------
    async def info(self) -> DeviceInfo:
        step = "status/device"
        data = await self._call("GET", step, step=step)
        info = DeviceInfo(
            vendor=self.vendor,
            model=str(data.get("model", "")),
            serial=str(data.get("serial", "")),
            mac=str(data.get("mac", "")),
            firmware=str(data.get("firmware", "")),
            hardware=str(data.get("hardware", "")),
            uptime_s=_int(data.get("uptime"), field="uptime", step=step),
        )
        if not self.model and info.model:
            self.model = info.model
        return info

    async def status(self) -> DeviceStatus:
        info = await self.info()
        step = "status/wan"
        wans = _list_of_objects(await self._call("GET", step, step=step), "wan", step=step)
        return DeviceStatus(
            online=True,
            uptime_s=info.uptime_s,
            firmware=info.firmware,
            wan=[self._wan_status(w, step=step) for w in wans],
            sip_lines=await self.sip_lines(),
            extra={"model": info.model, "serial": info.serial},
        )

    async def wan_status(self, n: int) -> WanStatus:
        """One WAN connection (``status/wan/{n}``)."""
        step = f"status/wan/{n}"
        return self._wan_status(await self._call("GET", step, step=step), step=step)

    @staticmethod
    def _wan_status(w: dict[str, Any], *, step: str) -> WanStatus:
        state = str(w.get("state", ""))
        return WanStatus(
            id=str(w.get("index", "")),
            name=str(w.get("service_type", "")),
            enabled=_yes(w.get("enabled", "no")),
            up=state.lower() == "connected",
            state=state,
            ip=str(w.get("ip")) if w.get("ip") else None,
            gateway=str(w.get("gateway")) if w.get("gateway") else None,
            type=str(w.get("conn_type", "")).lower(),
            uptime_s=_int(w.get("uptime"), field="uptime", step=step),
            extra={k: w[k] for k in ("mode", "service_type", "vlan_id", "netmask") if k in w},
        )

    async def sip_lines(self) -> list[SipLineStatus]:
        """Registration state of the POTS lines; empty on models without POTS."""
        step = "status/voip"
        try:
            data = await self._call("GET", step, step=step)
        except DeviceRejected as exc:
            if exc.code == 404:  # no voice module on this model
                return []
            raise
        lines = []
        for line in _list_of_objects(data, "line", step=step):
            state = str(line.get("status", ""))
            lines.append(
                SipLineStatus(
                    line=_int(line.get("index"), field="index", step=step) or 0,
                    enabled=_yes(line.get("enable", "no")),
                    registered=state.lower() == "registered",
                    account=str(line.get("login", "")),
                    server=str(line.get("server", "")),
                    state=state,
                )
            )
        return lines

    async def signal(self) -> SignalReading:
        step = "status/optical"
        data = await self._call("GET", step, step=step)
        rx = _float(data.get("rx_power"), field="rx_power", step=step)
        if rx is None:
            raise DeviceProtocolError("optical status without rx_power", step=step)
        extra = {
            name: _float(data.get(key), field=key, step=step)
            for key, name in (("temperature", "temperature_c"), ("voltage", "voltage_v"), ("bias", "bias_ma"))
            if key in data
        }
        return SignalReading(
            kind="optical",
            rx_power_dbm=rx,
            tx_power_dbm=_float(data.get("tx_power"), field="tx_power", step=step),
            extra=extra,
        )

    async def clients(self) -> list[ClientInfo]:
        step = "status/clients"
        data = await self._call("GET", step, step=step)
        out = []
        for c in _list_of_objects(data, "clients", step=step):
            interface = str(c.get("interface", ""))
            wireless = interface.startswith("wlan")
            out.append(
                ClientInfo(
                    mac=str(c.get("mac", "")).upper(),
                    ip=str(c.get("ip")) if c.get("ip") else None,
                    name=str(c.get("hostname", "")),
                    connection_type="wireless" if wireless else "ethernet",
                    ssid=str(c.get("ssid", "")) if wireless else "",
                    signal_strength=_int(c.get("rssi"), field="rssi", step=step) if wireless else None,
                )
            )
        return out

    async def read_config(self, paths: Sequence[str] | None = None) -> DeviceConfig:
        """Running values of ``paths``, or of every node the model has.

        Nodes are read one after another: ONTs have small CPUs and the NOC
        polls thousands of them, so the driver never bursts one device.
        """
        if paths is None:
            if not self.model:
                await self.info()
            paths = config_nodes(halny_model(self.model))
        sections = [ConfigSection(path=normalise_path(p), values=await self.get_node(p)) for p in paths]
        return DeviceConfig(sections=sections)

    # -- writes ------------------------------------------------------------
    async def apply(self, desired: DeviceConfig, *, on_step: StepCallback | None = None) -> ApplyReport:
        """Write every section, then post each distinct apply node once.

        Apply nodes are posted in the order their first section appears, and
        only after every write succeeded: a rejected write leaves the running
        configuration untouched (the ONT discards pending values on reboot).
        """
        plan: list[tuple[str, dict[str, str]]] = []
        apply_nodes: list[str] = []
        # Validate and encode everything before the first request, so a bad
        # section never leaves half a configuration pending on the ONT.
        for section in desired.sections:
            node = normalise_path(section.path)
            try:
                apply_to = apply_node_for(node)
            except ValueError as exc:
                raise Unsupported(str(exc), step=node) from None
            plan.append((node, to_halny_values(section.values)))
            if apply_to not in apply_nodes:
                apply_nodes.append(apply_to)

        result = ApplyReport()
        for node, values in plan:
            await report(on_step, "info", f"write {node}")
            await self._call("POST", node, step=node, body=values)
            result.written.append(node)
        for node in apply_nodes:
            await report(on_step, "info", f"apply {node}")
            await self._call("POST", node, step=node, body={"apply": "yes"})
            result.applied.append(node)
        await report(on_step, "info", f"applied {len(result.written)} nodes through {len(result.applied)} apply nodes")
        return result

    async def reboot(self) -> None:
        step = "system/reboot"
        await self._call("POST", step, step=step, body={"reboot": "yes"})

    async def factory_reset(self) -> None:
        step = "system/factory_reset"
        await self._call("POST", step, step=step, body={"factory_reset": "yes"})
