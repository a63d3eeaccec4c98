"""Simulated Fanvil / OpenVox IP phone: ``POST /xmlService`` on aiohttp.

Serves the seed ``shared/seeds/fanvil-openvox-http-api.txt``:

* ``<FanvilConfiguration cmd="get|set|del">`` over a per-device parameter
  store (the phone's NC names: ``sip.line.N.*``, ``call.port.N.EnableDND``,
  ``sip.PNPIP``, ``tr069.*``) and the dynamic list ``mmifilter``;
  ``info.*`` answers model, vendor, MAC, SN, memory, flash, uptime, firmware,
  hardware and ``info.sip.line.N.registerCode``;
* ``<FanvilPhoneExecute>``: ``Cmd:reboot`` answers, then goes dark for a
  while; ``Cmd:reset`` restores factory defaults and reboots; ``Key``/``Led``/
  ``Dial`` are accepted and recorded; ``Shell`` is refused, always.

Semantics the seed states and this simulator follows: GET of ``node.``
returns every parameter under it and ``.`` everything; an unknown parameter
in a GET comes back with an empty value and RetCode 0; SET answers only a
RetCode and stops at the first bad parameter (nothing of that request is
applied, so a refused SET never leaves half a SIP line); SET of
``list.N.Field`` inserts a record at N when 1 <= N <= len+1 and appends it
otherwise; DEL ``list.N`` deletes one record, ``list.`` clears the list
(indexes in one DEL refer to the list as it was before the request).

The seed refers to an appendix of RetCodes it does not include; the codes
in :mod:`.xmlservice` are this simulator's own (the driver only relies on 0 = success):
1 malformed request (including any DTD/entity), 2 unknown cmd,
3 unknown parameter, 4 invalid value, 5 list index out of range,
6 execute type refused (Shell), 7 unknown execute URI.

Registration is simulated per line: ``registerCode`` is 0 while the line is
disabled or has no server/user, 100 (trying) for ``register_delay_s`` after
its registration parameters change or the phone boots, then 200, with an
occasional 100 while a refresh is in flight (``reregister_rate``), or a
failure code from ``sip_fail_codes`` for a given server.

HTTP authentication: Basic and/or Digest (:mod:`.http_auth`). Requests are
read and answers written by :mod:`.xmlservice`, the simulator's own XML
handling (never the driver's: it is the other side of the protocol).

Knobs in ``device.extra`` (all optional):

``auth``
    "both" (default: challenge with Digest and Basic, accept either),
    "basic", "digest", or "none" (the seed's factory default: no auth).
``realm`` (default "Fanvil"), ``digest_algorithm`` ("MD5" | "SHA-256"),
``nonce_ttl_s`` (default 300).
``terse``
    True: on success omit ``RetCode`` and write items as ``k=v`` (firmware
    variant the driver must tolerate).
``doc_quirks``
    True: write the root tags exactly as the seed prints them
    (``<FanvilConfiguration cmd=”get” >`` … ``</ FanvilConfiguration >``).
``sip_lines`` (default by model), ``config`` (initial parameter values),
``lists`` (initial list records, e.g. {"mmifilter": [{"StartIP": ...}]}),
``reboot_s`` (default 20), ``register_delay_s`` (default 2),
``reregister_rate`` (default 0.02), ``sip_fail_codes`` ({server: code}),
``push_xml_server_ip`` (only that client address may call; others get 403),
``brand`` (info.dev.Vendor, default "Fanvil"), ``hardware`` (default "1.0").
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import ClassVar

from aiohttp import web
from lxml import etree

from simulators.base import SimDevice, Simulator
from simulators.cpe.fanvil.http_auth import DigestVerifier, basic_ok
from simulators.cpe.fanvil.xmlservice import (
    CONFIGURATION_TAG,
    EXECUTE_TAG,
    RET_BAD_INDEX,
    RET_EXECUTE_REFUSED,
    RET_INVALID_VALUE,
    RET_MALFORMED,
    RET_OK,
    RET_UNKNOWN_CMD,
    RET_UNKNOWN_EXECUTE,
    RET_UNKNOWN_PARAMETER,
    XML_SERVICE_PATH,
    MalformedRequest,
    parse_request,
    reply_document,
    split_item,
)

# SIP lines per model as this simulator models them.
MODEL_SIP_LINES = {"X6": 6, "X6U": 6, "X4U": 12, "X3SG": 4, "X3S": 2, "X1S": 2}
DEFAULT_SIP_LINES = 2

# The dynamic lists the seed names with their fields (3.1 lists more types
# but names only mmifilter's parameters, in 2.1.3/2.1.4).
LIST_FIELDS: dict[str, tuple[str, ...]] = {"mmifilter": ("StartIP", "EndIP")}

# Parameters whose change makes a line register afresh.
_REGISTRATION_FIELDS = frozenset(
    {"EnableReg", "RegisterAddr", "RegisterPort", "PhoneNumber", "RegisterUser", "RegisterPswd"}
)
_LINE_KEY_RE = re.compile(r"^sip\.line\.([0-9]+)\.([A-Za-z0-9_]+)$")
_LIST_KEY_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\.([0-9]+)(?:\.([A-Za-z0-9_]+))?$")
_EXECUTE_TEXT_RE = re.compile(r"""^\s*URI\s*=\s*["'\u201c\u201d]?(.*?)["'\u201c\u201d]?\s*$""", re.IGNORECASE)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

Validator = Callable[[str], bool]


def _bool(value: str) -> bool:
    return value in ("0", "1")


def _port(value: str) -> bool:
    return value.isdigit() and 1 <= int(value) <= 65535


def _uint(value: str) -> bool:
    return value.isdigit() and len(value) <= 9


def _token(value: str) -> bool:
    return not any(c.isspace() for c in value) and len(value) <= 255


def _text(value: str) -> bool:
    return len(value) <= 255


def _schema(lines: int) -> dict[str, tuple[str, Validator]]:
    """Parameter name → (factory default, validator), in configuration-file order."""
    schema: dict[str, tuple[str, Validator]] = {}
    for n in range(1, lines + 1):
        prefix = f"sip.line.{n}."
        schema.update(
            {
                prefix + "PhoneNumber": ("", _token),
                prefix + "DisplayName": ("", _text),
                prefix + "RegisterAddr": ("", _token),
                prefix + "RegisterPort": ("5060", _port),
                prefix + "RegisterUser": ("", _token),
                prefix + "RegisterPswd": ("", _text),
                prefix + "RegisterTTL": ("3600", _uint),
                prefix + "EnableReg": ("0", _bool),
            }
        )
    schema["sip.PNPIP"] = ("224.0.1.75", _token)
    for n in range(1, lines + 1):
        schema[f"call.port.{n}.EnableDND"] = ("0", _bool)
    schema["tr069.Enabled"] = ("0", _bool)
    schema["tr069.ACSURL"] = ("", _token)
    schema["phone.display.LCDTitle"] = ("", _text)
    return schema


class FanvilSimulator(Simulator):
    """One simulated Fanvil phone."""

    vendor: ClassVar[str] = "fanvil"

    def __init__(self, device: SimDevice) -> None:
        super().__init__(device)
        extra = device.extra
        self.sip_lines = int(extra.get("sip_lines") or MODEL_SIP_LINES.get(device.model.upper(), DEFAULT_SIP_LINES))
        self.schema = _schema(self.sip_lines)
        self._lower_keys = {key.lower(): key for key in self.schema}
        self.config: dict[str, str] = {}
        self.lists: dict[str, list[dict[str, str]]] = {}
        self.line_changed_at: dict[int, float] = {}
        self.executed: list[str] = []  # execute URIs carried out, for tests and the demo
        self._reset_config(provisioned=True)
        self.mem_free_mb = 1.6 + self.rng.random()
        auth = extra.get("auth", "both")
        if auth not in ("none", "basic", "digest", "both"):
            raise ValueError(f"device.extra['auth'] must be none|basic|digest|both, not {auth!r}")
        self.auth_mode: str = auth
        self.digest = DigestVerifier(
            str(extra.get("realm", "Fanvil")),
            str(extra.get("digest_algorithm", "MD5")),
            float(extra.get("nonce_ttl_s", 300.0)),
        )

    # -- state ---------------------------------------------------------------
    def _reset_config(self, *, provisioned: bool) -> None:
        """Factory defaults; plus the manifest's initial values when provisioned."""
        self.config = {key: default for key, (default, _) in self.schema.items()}
        self.lists = {name: [] for name in LIST_FIELDS}
        if provisioned:
            for key, value in (self.device.extra.get("config") or {}).items():
                canonical = self._lower_keys.get(str(key).lower())
                if canonical is None:
                    raise ValueError(f"unknown Fanvil parameter in device.extra['config']: {key!r}")
                self.config[canonical] = str(value)
            for name, records in (self.device.extra.get("lists") or {}).items():
                self.lists[name] = [{k: str(v) for k, v in record.items()} for record in records]
        now = time.monotonic()
        self.line_changed_at = dict.fromkeys(range(1, self.sip_lines + 1), now)

    def _line(self, n: int, name: str) -> str:
        return self.config.get(f"sip.line.{n}.{name}", "")

    def register_code(self, n: int) -> str:
        """The line's ``info.sip.line.N.registerCode`` right now."""
        if not 1 <= n <= self.sip_lines:
            return ""
        if self._line(n, "EnableReg") != "1" or not self._line(n, "RegisterAddr") or not self._line(n, "RegisterUser"):
            return "0"
        extra = self.device.extra
        fail = (extra.get("sip_fail_codes") or {}).get(self._line(n, "RegisterAddr"))
        since = max(self.line_changed_at.get(n, 0.0), self.started)
        if time.monotonic() - since < float(extra.get("register_delay_s", 2.0)):
            return "100"
        if fail:
            return str(fail)
        if self.rng.random() < float(extra.get("reregister_rate", 0.02)):
            return "100"  # a registration refresh is in flight
        return "200"

    def info_values(self) -> dict[str, str]:
        self.mem_free_mb = min(3.0, max(0.8, self.mem_free_mb + self.rng.uniform(-0.05, 0.05)))
        uptime = max(0, self.uptime_s())
        days, rest = divmod(uptime, 86400)
        # The read-only info.* parameters the seed lists (its "NC" names).
        values = {
            "info.dev.Model": self.device.model,
            "info.dev.Vendor": str(self.device.extra.get("brand", "Fanvil")),
            "info.dev.Mac": re.sub(r"[^0-9a-f]", "", self.device.mac.lower()),
            "info.dev.SN": self.device.serial,
            "info.sys.MemFree": f"{self.mem_free_mb:.1f}M",
            "info.sys.FlashFree": f"{4.2 + (self.device.seed % 7) / 10:.1f}M",
            "info.sys.UpTime": f"{days} days {rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}",
            "info.sys.FwVersion": self.device.firmware or "2.12.2.16",
            "info.sys.HwVersion": str(self.device.extra.get("hardware", "1.0")),
        }
        for n in range(1, self.sip_lines + 1):
            values[f"info.sip.line.{n}.registerCode"] = self.register_code(n)
        return values

    def _list_values(self) -> dict[str, str]:
        values = {}
        for name, records in self.lists.items():
            for index, record in enumerate(records, start=1):
                for field_name, value in record.items():
                    values[f"{name}.{index}.{field_name}"] = value
        return values

    # -- HTTP ----------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(XML_SERVICE_PATH, self.handle)

    def _authorised(self, request: web.Request) -> tuple[bool, bool]:
        if self.auth_mode == "none":
            return True, False
        header = request.headers.get("Authorization", "")
        if self.device.faults.auth_failure or not header:
            return False, False
        user, password = self.device.username, self.device.password
        if self.auth_mode in ("basic", "both") and basic_ok(header, user, password):
            return True, False
        if self.auth_mode in ("digest", "both"):
            return self.digest.verify(request.method, request.raw_path, header, user, password)
        return False, False

    def _challenge(self, *, stale: bool) -> web.Response:
        response = web.Response(status=401, text="401 Unauthorized\n")
        if self.auth_mode in ("digest", "both"):
            response.headers.add("WWW-Authenticate", self.digest.challenge(stale=stale))
        if self.auth_mode in ("basic", "both"):
            response.headers.add("WWW-Authenticate", f'Basic realm="{self.digest.realm}"')
        return response

    async def handle(self, request: web.Request) -> web.Response:
        allowed_ip = self.device.extra.get("push_xml_server_ip")
        if allowed_ip and request.remote != allowed_ip:
            # "PUSH XML Server IP": the phone only takes requests from there.
            return web.Response(status=403, text="403 Forbidden\n")
        ok, stale = self._authorised(request)
        if not ok:
            return self._challenge(stale=stale)
        body = await request.read()
        try:
            root = parse_request(body)
        except MalformedRequest as exc:
            return self._reply(CONFIGURATION_TAG, None, code=RET_MALFORMED, info_text=str(exc))
        if root.tag == CONFIGURATION_TAG:
            return self._configuration(root)
        if root.tag == EXECUTE_TAG:
            return self._execute(root)
        return self._reply(CONFIGURATION_TAG, None, code=RET_MALFORMED, info_text=f"unknown request {root.tag!r}")

    def _reply(
        self,
        root_tag: str,
        cmd: str | None,
        *,
        code: int = RET_OK,
        items: Iterable[tuple[str, str]] | None = None,
        info_text: str | None = None,
    ) -> web.Response:
        body = reply_document(
            root_tag,
            cmd,
            code=code,
            items=items,
            info_text=info_text,
            terse=bool(self.device.extra.get("terse")),
            doc_quirks=bool(self.device.extra.get("doc_quirks")),
        )
        return web.Response(body=body, content_type="text/xml", charset="utf-8")

    # -- FanvilConfiguration -------------------------------------------------
    def _configuration(self, root: etree._Element) -> web.Response:
        cmd = (root.get("cmd") or root.get("Cmd") or "").strip().lower()
        items = [split_item(el.text) for el in root if isinstance(el.tag, str) and el.tag.lower() == "item"]
        if cmd == "get":
            return self._reply(CONFIGURATION_TAG, cmd, items=self._get([key for key, _ in items]))
        if cmd == "set":
            return self._set(items)
        if cmd == "del":
            return self._del([key for key, _ in items])
        return self._reply(CONFIGURATION_TAG, None, code=RET_UNKNOWN_CMD, info_text=f"unknown cmd {cmd!r}")

    def _get(self, keys: list[str]) -> list[tuple[str, str]]:
        # Parameter names are matched case-insensitively (the seed itself
        # writes "Sip.line.1." and "Info. dev.SN"); an exact key is echoed as
        # asked, a node expands to the canonical names under it.
        sources: dict[bool, dict[str, tuple[str, str]]] = {}

        def source(is_info: bool) -> dict[str, tuple[str, str]]:
            if is_info not in sources:
                values = self.info_values() if is_info else {**self.config, **self._list_values()}
                sources[is_info] = {k.lower(): (k, v) for k, v in values.items()}
            return sources[is_info]

        answer: list[tuple[str, str]] = []
        for key in keys:
            lowered = key.lower()
            if key == ".":
                answer.extend(source(False).values())
            elif key.endswith("."):
                matched = [kv for k, kv in source(lowered.startswith("info.")).items() if k.startswith(lowered)]
                # A node with nothing under it is "a parameter in error": emptied.
                answer.extend(matched or [(key, "")])
            else:
                answer.append((key, source(lowered.startswith("info.")).get(lowered, (key, ""))[1]))
        return answer

    def _set(self, items: list[tuple[str, str | None]]) -> web.Response:
        updates: dict[str, str] = {}
        inserts: dict[str, dict[int, dict[str, str]]] = {}
        for key, value in items:
            if value is None:
                return self._error(RET_INVALID_VALUE, f"no value for {key}")
            if _CONTROL_RE.search(value):
                return self._error(RET_INVALID_VALUE, f"invalid value for {key}")
            canonical = self._lower_keys.get(key.lower())
            if canonical is not None:
                if not self.schema[canonical][1](value):
                    return self._error(RET_INVALID_VALUE, f"invalid value for {canonical}: {value!r}")
                updates[canonical] = value
                continue
            match = _LIST_KEY_RE.match(key)
            if match and match.group(1) in LIST_FIELDS and match.group(3) in LIST_FIELDS[match.group(1)]:
                name, index, field_name = match.group(1), int(match.group(2)), match.group(3)
                inserts.setdefault(name, {}).setdefault(index, {})[field_name] = value
                continue
            return self._error(RET_UNKNOWN_PARAMETER, f"unknown parameter: {key}")
        now = time.monotonic()
        for key, value in updates.items():
            match = _LINE_KEY_RE.match(key)
            if match and match.group(2) in _REGISTRATION_FIELDS and self.config[key] != value:
                self.line_changed_at[int(match.group(1))] = now
            self.config[key] = value
        for name, records in inserts.items():
            current = self.lists[name]
            for index in sorted(records):
                record = {field_name: records[index].get(field_name, "") for field_name in LIST_FIELDS[name]}
                if 1 <= index <= len(current) + 1:
                    current.insert(index - 1, record)
                else:
                    current.append(record)
        return self._reply(CONFIGURATION_TAG, "set")

    def _del(self, keys: list[str]) -> web.Response:
        clear: set[str] = set()
        drop: dict[str, set[int]] = {}
        for key in keys:
            if key.endswith(".") and key[:-1] in self.lists:
                clear.add(key[:-1])
                continue
            match = _LIST_KEY_RE.match(key)
            if not match or match.group(3) or match.group(1) not in self.lists:
                return self._error(RET_UNKNOWN_PARAMETER, f"not a list record: {key}", cmd="del")
            name, index = match.group(1), int(match.group(2))
            if not 1 <= index <= len(self.lists[name]):
                return self._error(RET_BAD_INDEX, f"{name} has no record {index}", cmd="del")
            drop.setdefault(name, set()).add(index)
        for name in clear:
            self.lists[name] = []
        for name, indexes in drop.items():
            if name not in clear:
                self.lists[name] = [r for i, r in enumerate(self.lists[name], start=1) if i not in indexes]
        return self._reply(CONFIGURATION_TAG, "del")

    def _error(self, code: int, text: str, *, cmd: str = "set") -> web.Response:
        return self._reply(CONFIGURATION_TAG, cmd, code=code, info_text=text)

    # -- FanvilPhoneExecute --------------------------------------------------
    def _execute(self, root: etree._Element) -> web.Response:
        uris: list[str] = []
        for el in root:
            if not isinstance(el.tag, str) or el.tag.lower() != "executeitem":
                continue
            # The seed writes URI="..." as the element text; XML-browser
            # clients send it as an attribute. Accept both.
            uri = el.get("URI")
            if uri is None:
                match = _EXECUTE_TEXT_RE.match(el.text or "")
                uri = match.group(1) if match else ""
            uris.append(uri.strip())
        if not uris:
            return self._reply(EXECUTE_TAG, None, code=RET_UNKNOWN_EXECUTE, info_text="no ExecuteItem")
        # Validate the whole request first: one refused item runs nothing.
        plans: list[tuple[str, str]] = []
        for uri in uris:
            kind, _, param = uri.partition(":")
            kind, param = kind.strip(), param.strip()
            if kind.lower().startswith("shell"):
                return self._reply(EXECUTE_TAG, None, code=RET_EXECUTE_REFUSED, info_text="Shell execute is disabled")
            if (kind == "Cmd" and param in ("reboot", "reset")) or (kind in ("Key", "Led", "Dial") and param):
                plans.append((kind, param))
            else:
                return self._reply(EXECUTE_TAG, None, code=RET_UNKNOWN_EXECUTE, info_text=f"unknown URI {uri!r}")
        reboot = False
        for kind, param in plans:
            self.executed.append(f"{kind}:{param}")
            if kind == "Cmd":
                if param == "reset":
                    self._reset_config(provisioned=False)
                reboot = True
        response = self._reply(EXECUTE_TAG, None)
        if reboot:
            # The answer is already built; from now on new requests and
            # kept-alive connections find the phone dark.
            self.reboot(float(self.device.extra.get("reboot_s", 20.0)))
        return response
