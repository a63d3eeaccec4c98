"""Fanvil / OpenVox IP phone driver: the ``xmlService`` HTTP API.

Specification: ``shared/seeds/fanvil-openvox-http-api.txt``. Every request is
an HTTP POST of an XML document to ``/xmlService``:

* ``<FanvilConfiguration cmd="get|set|del">`` with ``<Item>key = value</Item>``
  children reads, writes and deletes configuration parameters (the phone's
  "NC" names, e.g. ``sip.line.1.RegisterAddr``), including the ``info.*``
  read-only status parameters and the dynamic lists (``mmifilter.N.*``);
* ``<FanvilPhoneExecute>`` with ``<ExecuteItem>URI="Type:Param"</ExecuteItem>``
  calls a system function; this driver only ever sends ``Cmd:reboot`` and
  ``Cmd:reset``. The documented ``Shell:`` type runs an arbitrary shell
  command on the phone and can never be sent (see :func:`check_execute_uri`).

The answer is the same root element with ``<RetCode>`` (0 = success; some
firmware omits it on success) and an optional ``<info>`` carrying ``Item``
children (``key = value``, or ``key=value`` on terse firmware) or, on
failure, a human-readable reason.

XML from the phone is untrusted: :func:`parse_xml` uses a hardened lxml
parser (no entity resolution, no network, no DTD loading, no huge trees) and
refuses any document that carries a DTD or entity declaration instead of
parsing around it. The simulator parses requests with the same function.

SIP lines are configured as ``ConfigSection("sip/N", {...})`` whose value keys
are the phone's own parameter names (see :data:`SIP_LINE_FIELDS`); the driver
writes them as ``sip.line.N.<Field>``.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import httpx

from devices.drivers.base import (
    CAP_APPLY,
    CAP_FACTORY_RESET,
    CAP_READ_CONFIG,
    CAP_REBOOT,
    CAP_SIP,
    ApplyReport,
    ConfigSection,
    DeviceConfig,
    DeviceDriver,
    DeviceEndpoint,
    DeviceInfo,
    DeviceProtocolError,
    DeviceRejected,
    DeviceStatus,
    SipLineStatus,
    StepCallback,
    raise_for_http_status,
    report,
    send,
)

from .xml import (
    COMMANDS,
    CONFIGURATION_TAG,
    EXECUTE_ALLOW_LIST,
    EXECUTE_TAG,
    INFO_FIRMWARE,
    INFO_FLASH_FREE,
    INFO_HARDWARE,
    INFO_KEYS,
    INFO_MAC,
    INFO_MEM_FREE,
    INFO_MODEL,
    INFO_SERIAL,
    INFO_UPTIME,
    INFO_VENDOR,
    MAX_DOCUMENT_BYTES,
    REGISTERED_CODE,
    SIP_LINE_FIELDS,
    XML_DECLARATION,
    XML_SERVICE_PATH,
    AuthMode,
    ExecuteNotAllowed,
    FanvilResponse,
    InvalidConfig,
    build_configuration_request,
    build_execute_request,
    check_execute_uri,
    check_key,
    check_value,
    hardened_parser,
    info_register_code_key,
    parse_item,
    parse_response,
    parse_xml,
)

_LIST_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_SIP_PATH_RE = re.compile(r"^sip/([1-9][0-9]?)$")
_SIP_KEY_RE = re.compile(r"^sip\.line\.([0-9]+)\.([A-Za-z0-9_]+)$")
_UPTIME_RE = re.compile(
    r"^\s*(?:(?P<days>\d+)\s*(?:d|days?)\s*,?\s*)?(?:(?P<h>\d+):(?P<m>\d{1,2}):(?P<s>\d{1,2}))?\s*$",
    re.IGNORECASE,
)

__all__ = [
    "COMMANDS",
    "CONFIGURATION_TAG",
    "EXECUTE_ALLOW_LIST",
    "EXECUTE_TAG",
    "INFO_FIRMWARE",
    "INFO_FLASH_FREE",
    "INFO_HARDWARE",
    "INFO_KEYS",
    "INFO_MAC",
    "INFO_MEM_FREE",
    "INFO_MODEL",
    "INFO_SERIAL",
    "INFO_UPTIME",
    "INFO_VENDOR",
    "MAX_DOCUMENT_BYTES",
    "REGISTERED_CODE",
    "SIP_LINE_FIELDS",
    "XML_DECLARATION",
    "XML_SERVICE_PATH",
    "AuthMode",
    "ExecuteNotAllowed",
    "FanvilDriver",
    "FanvilResponse",
    "InvalidConfig",
    "build_configuration_request",
    "build_execute_request",
    "check_execute_uri",
    "check_key",
    "check_value",
    "describe_register_code",
    "hardened_parser",
    "info_register_code_key",
    "make_auth",
    "normalise_mac",
    "parse_item",
    "parse_response",
    "parse_uptime",
    "parse_xml",
    "sip_line_of",
]


# ---------------------------------------------------------------------------
# Value helpers
# ---------------------------------------------------------------------------


def normalise_mac(value: str) -> str:
    """``00a859c60102`` → ``00:A8:59:C6:01:02``; anything else unchanged."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", value or "")
    if len(digits) != 12:
        return value or ""
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2)).upper()


def parse_uptime(value: str) -> int | None:
    """Seconds from "12345", "01:02:03", "2 days 01:02:03" or "2d 01:02:03"."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    match = _UPTIME_RE.match(text)
    if not match or not (match.group("days") or match.group("h")):
        return None
    days = int(match.group("days") or 0)
    hours, minutes, seconds = (int(match.group(g) or 0) for g in ("h", "m", "s"))
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def describe_register_code(code: str, *, enabled: bool) -> str:
    """A NOC operator's word for an ``info.sip.line.N.registerCode`` value."""
    code = (code or "").strip()
    if not enabled:
        return "disabled"
    if code == REGISTERED_CODE or code.lower() == "registered":
        return "registered"
    if not code:
        return "unknown"
    if code == "0":
        return "unregistered"
    if code.startswith("1") and len(code) == 3:
        return "registering"
    if code == "408":
        return "timeout"
    return f"failed ({code})"


def _check_sip_value(path: str, name: str, value: object) -> str:
    if name not in SIP_LINE_FIELDS:
        raise InvalidConfig(f"{path}: unknown SIP line field {name!r} (known: {', '.join(SIP_LINE_FIELDS)})", step=path)
    text = check_value(f"{path}.{name}", value, step=path)
    if name == "EnableReg":
        if text.lower() in ("1", "true", "yes", "on"):
            return "1"
        if text.lower() in ("0", "false", "no", "off"):
            return "0"
        raise InvalidConfig(f"{path}: EnableReg must be 1 or 0, not {text!r}", step=path)
    if name in ("RegisterPort", "RegisterTTL"):
        limits = (1, 65535) if name == "RegisterPort" else (1, 86400 * 7)
        if not text.isdigit() or not limits[0] <= int(text) <= limits[1]:
            raise InvalidConfig(f"{path}: {name} must be an integer in {limits[0]}..{limits[1]}", step=path)
        return str(int(text))
    if name in ("RegisterAddr", "PhoneNumber", "RegisterUser") and any(c.isspace() for c in text):
        raise InvalidConfig(f"{path}: {name} must not contain spaces", step=path)
    if len(text) > 255:
        raise InvalidConfig(f"{path}: {name} is longer than 255 characters", step=path)
    return text


def sip_line_of(path: str) -> int:
    """The line number of a ``sip/N`` section path."""
    match = _SIP_PATH_RE.match(path or "")
    if not match:
        raise InvalidConfig(f"unknown Fanvil config section {path!r} (expected 'sip/N')", step=path)
    return int(match.group(1))


def _group_lines(values: Mapping[str, str]) -> dict[int, dict[str, str]]:
    lines: dict[int, dict[str, str]] = {}
    for key, value in values.items():
        match = _SIP_KEY_RE.match(key)
        if match:
            lines.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return lines


# ---------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------


class _AutoAuth(httpx.Auth):
    """Answer whatever the phone asks for, preferring Digest.

    The first request goes out without credentials; on a 401 the challenge
    decides: Digest when offered (the password never crosses the wire), else
    Basic. The choice sticks for the client's lifetime, so only the first
    request pays the extra round trip. Use ``auth="digest"`` where a
    downgrade to Basic must be impossible.
    """

    def __init__(self, username: str, password: str) -> None:
        self._digest = httpx.DigestAuth(username, password)
        self._basic = httpx.BasicAuth(username, password)
        self._chosen: httpx.Auth | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._chosen is not None:
            yield from self._chosen.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        schemes = {value.split(" ", 1)[0].lower() for value in response.headers.get_list("www-authenticate")}
        if "digest" in schemes:
            self._chosen = self._digest
        elif "basic" in schemes:
            self._chosen = self._basic
        else:
            return
        yield from self._chosen.auth_flow(request)


def make_auth(endpoint: DeviceEndpoint, mode: AuthMode) -> httpx.Auth | None:
    """The httpx auth for ``mode``; None when the endpoint has no credentials."""
    if mode not in ("basic", "digest", "auto"):
        raise ValueError(f"auth must be 'basic', 'digest' or 'auto', not {mode!r}")
    if not endpoint.username and not endpoint.password:
        return None
    if mode == "basic":
        return httpx.BasicAuth(endpoint.username, endpoint.password)
    if mode == "digest":
        return httpx.DigestAuth(endpoint.username, endpoint.password)
    return _AutoAuth(endpoint.username, endpoint.password)


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------


class FanvilDriver(DeviceDriver):
    """Fanvil / OpenVox IP phone over ``POST /xmlService``."""

    vendor: ClassVar[str] = "fanvil"
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {CAP_REBOOT, CAP_FACTORY_RESET, CAP_APPLY, CAP_READ_CONFIG, CAP_SIP}
    )

    def __init__(
        self,
        endpoint: DeviceEndpoint,
        *,
        model: str = "",
        auth: AuthMode = "auto",
        beep: bool = False,
    ) -> None:
        super().__init__(endpoint, model=model)
        self.auth_mode = auth
        # The seed's examples send Beep="yes"; a NOC pushing config should not
        # make a subscriber's phone beep, so it is opt-in.
        self.beep = beep
        self._auth = make_auth(endpoint, auth)

    # -- transport ---------------------------------------------------------
    async def post(self, document: bytes, *, expect_root: str, step: str) -> FanvilResponse:
        """POST one document and decode the answer; a failure RetCode raises."""
        kwargs: dict[str, Any] = {
            "content": document,
            "headers": {"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"},
        }
        if self._auth is not None:
            kwargs["auth"] = self._auth
        response = await send(self.client, "POST", XML_SERVICE_PATH, step=step, **kwargs)
        raise_for_http_status(response, step=step)
        try:
            decoded = parse_response(response.content, expect_root=expect_root)
        except DeviceProtocolError as exc:
            exc.step = exc.step or step
            raise
        if not decoded.ok:
            message = decoded.info_text or f"{expect_root} failed with RetCode {decoded.ret_code}"
            raise DeviceRejected(decoded.ret_code, message, retryable=False, step=step)
        return decoded

    # -- FanvilConfiguration get / set / del -----------------------------------
    async def config_get(self, keys: Iterable[str]) -> dict[str, str]:
        """``cmd="get"``: values of parameters or whole nodes (``"sip.line.1."``, ``"."``).

        The phone answers an unknown parameter with an empty value rather than
        an error (seed 2.1.1), so a missing key reads as "".
        """
        checked = [check_key(key, allow_prefix=True) for key in keys]
        if not checked:
            return {}
        document = build_configuration_request("get", checked, beep=self.beep)
        return (await self.post(document, expect_root=CONFIGURATION_TAG, step="get")).items

    async def config_set(self, values: Mapping[str, object], *, step: str = "set") -> None:
        """``cmd="set"``: write parameters; also adds dynamic-list records."""
        items = [f"{check_key(key)} = {check_value(key, value)}" for key, value in values.items()]
        if not items:
            return
        document = build_configuration_request("set", items, beep=self.beep)
        await self.post(document, expect_root=CONFIGURATION_TAG, step=step)

    async def config_del(self, keys: Iterable[str]) -> None:
        """``cmd="del"``: delete list records (``"mmifilter.1"``) or clear a list (``"mmifilter."``)."""
        checked = [check_key(key, allow_prefix=True) for key in keys]
        if "." in checked:
            raise InvalidConfig("refusing to delete the top configuration node", step="del")
        if checked:
            await self.post(
                build_configuration_request("del", checked, beep=self.beep), expect_root=CONFIGURATION_TAG, step="del"
            )

    async def query_info(self, keys: Iterable[str] = INFO_KEYS) -> dict[str, str]:
        """Information query (seed 2.2): ``info.*`` parameters, GET only."""
        keys = list(keys)
        for key in keys:
            if not key.startswith("info."):
                raise InvalidConfig(f"not an information parameter: {key!r}", step=key)
        return await self.config_get(keys)

    # -- dynamic lists -----------------------------------------------------
    @staticmethod
    def _check_list_name(name: str) -> str:
        if not isinstance(name, str) or not _LIST_NAME_RE.match(name):
            raise InvalidConfig(f"not a list name: {name!r}", step=str(name))
        return name

    async def list_records(self, name: str) -> list[dict[str, str]]:
        """Every record of a dynamic list (e.g. ``mmifilter``), in index order."""
        name = self._check_list_name(name)
        values = await self.config_get([f"{name}."])
        pattern = re.compile(rf"^{re.escape(name)}\.([0-9]+)\.([A-Za-z0-9_]+)$")
        records: dict[int, dict[str, str]] = {}
        for key, value in values.items():
            match = pattern.match(key)
            if match:
                records.setdefault(int(match.group(1)), {})[match.group(2)] = value
        return [records[index] for index in sorted(records)]

    async def list_add(self, name: str, records: Sequence[Mapping[str, object]], *, index: int | None = None) -> int:
        """Insert records (seed 2.1.4: ``set`` with ``list.N.Field``); return the first index.

        With ``index`` the records go in at that position (existing records
        move down); without it they are appended after the current list.
        """
        name = self._check_list_name(name)
        if not records:
            raise InvalidConfig(f"{name}: no records to add", step=name)
        if index is None:
            index = len(await self.list_records(name)) + 1
        if index < 1:
            raise InvalidConfig(f"{name}: list index starts at 1", step=name)
        values: dict[str, object] = {}
        for offset, record in enumerate(records):
            if not record:
                raise InvalidConfig(f"{name}: empty record", step=name)
            for field_name, value in record.items():
                values[f"{name}.{index + offset}.{field_name}"] = value
        await self.config_set(values, step=f"{name}.add")
        return index

    async def list_delete(self, name: str, index: int | None = None) -> None:
        """Delete record ``index`` (1-based) or, with no index, clear the list."""
        name = self._check_list_name(name)
        if index is not None and (not isinstance(index, int) or index < 1):
            raise InvalidConfig(f"{name}: list index starts at 1", step=name)
        await self.config_del([f"{name}." if index is None else f"{name}.{index}"])

    # -- FanvilPhoneExecute --------------------------------------------------
    async def execute(self, uri: str) -> FanvilResponse:
        """Call one allow-listed system function (``Cmd:reboot``, ``Cmd:reset``)."""
        document = build_execute_request([uri], beep=self.beep)
        return await self.post(document, expect_root=EXECUTE_TAG, step="execute")

    # -- DeviceDriver --------------------------------------------------------
    async def info(self) -> DeviceInfo:
        values = await self.query_info(INFO_KEYS)
        return DeviceInfo(
            vendor=self.vendor,
            model=values.get(INFO_MODEL, ""),
            serial=values.get(INFO_SERIAL, ""),
            mac=normalise_mac(values.get(INFO_MAC, "")),
            firmware=values.get(INFO_FIRMWARE, ""),
            hardware=values.get(INFO_HARDWARE, ""),
            uptime_s=parse_uptime(values.get(INFO_UPTIME, "")),
            extra={
                "brand": values.get(INFO_VENDOR, ""),
                "mem_free": values.get(INFO_MEM_FREE, ""),
                "flash_free": values.get(INFO_FLASH_FREE, ""),
            },
        )

    async def status(self) -> DeviceStatus:
        # Two round trips: the line list is only known once the lines are read.
        values = await self.config_get(["sip.line.", INFO_UPTIME, INFO_FIRMWARE])
        lines = _group_lines(values)
        codes = await self.config_get([info_register_code_key(n) for n in sorted(lines)]) if lines else {}
        sip_lines = []
        for number in sorted(lines):
            line = lines[number]
            enabled = line.get("EnableReg", "0") == "1"
            code = codes.get(info_register_code_key(number), "")
            state = describe_register_code(code, enabled=enabled)
            sip_lines.append(
                SipLineStatus(
                    line=number,
                    enabled=enabled,
                    registered=state == "registered",
                    account=line.get("PhoneNumber") or line.get("RegisterUser", ""),
                    server=line.get("RegisterAddr", ""),
                    state=state,
                )
            )
        return DeviceStatus(
            online=True,
            uptime_s=parse_uptime(values.get(INFO_UPTIME, "")),
            firmware=values.get(INFO_FIRMWARE, ""),
            sip_lines=sip_lines,
        )

    async def read_config(self, paths: Sequence[str] | None = None) -> DeviceConfig:
        """SIP line sections (``sip/N``) read back with ``cmd="get"``."""
        if paths is None:
            lines = _group_lines(await self.config_get(["sip.line."]))
            wanted = sorted(lines)
        else:
            wanted = [sip_line_of(path) for path in paths]
            lines = _group_lines(await self.config_get([f"sip.line.{n}." for n in wanted])) if wanted else {}
        sections = []
        for number in wanted:
            line = lines.get(number)
            if not line:
                raise DeviceRejected(None, f"the phone has no SIP line {number}", step=f"sip/{number}")
            values = {name: line[name] for name in SIP_LINE_FIELDS if name in line}
            sections.append(ConfigSection(path=f"sip/{number}", values=values))
        return DeviceConfig(sections=sections)

    async def apply(self, desired: DeviceConfig, *, on_step: StepCallback | None = None) -> ApplyReport:
        """Validate every section, then write them all in one ``cmd="set"``.

        Fanvil has no pending/running split: a SET takes effect at once. One
        request for all sections means the phone either takes the whole
        desired state or (it stops at the first bad parameter) refuses it,
        and a refusal names the section in ``DeviceError.step``.
        """
        values: dict[str, str] = {}
        seen: set[int] = set()
        paths: list[str] = []
        for section in desired.sections:
            number = sip_line_of(section.path)
            if number in seen:
                raise InvalidConfig(f"section {section.path} appears twice", step=section.path)
            seen.add(number)
            if not section.values:
                raise InvalidConfig(f"section {section.path} has no values", step=section.path)
            for name, value in section.values.items():
                values[f"sip.line.{number}.{name}"] = _check_sip_value(section.path, name, value)
            paths.append(section.path)
        result = ApplyReport()
        if not values:
            return result
        await report(on_step, "info", f"writing {', '.join(paths)} ({len(values)} parameters)")
        try:
            await self.config_set(values, step="apply")
        except DeviceRejected as exc:
            exc.step = self._section_named_in(exc.message, paths) or exc.step
            await report(on_step, "error", str(exc))
            raise
        result.written = list(paths)
        result.applied = list(paths)
        await report(on_step, "info", f"applied {', '.join(paths)}")
        return result

    @staticmethod
    def _section_named_in(message: str, paths: Sequence[str]) -> str | None:
        for match in re.finditer(r"sip\.line\.([0-9]+)\.", message or ""):
            path = f"sip/{int(match.group(1))}"
            if path in paths:
                return path
        return None

    async def reboot(self) -> None:
        await self.execute("Cmd:reboot")

    async def factory_reset(self) -> None:
        # The seed lists "reset" beside "reboot" for the Cmd execute type: the
        # one non-shell way to restore factory defaults.
        await self.execute("Cmd:reset")
