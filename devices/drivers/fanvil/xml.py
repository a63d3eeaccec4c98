"""Fanvil ``xmlService`` documents, pure: names, the hardened parser, request builders, answer parsing.

The wire format of seed ``fanvil-openvox-http-api.txt`` with no I/O, so the
driver (:mod:`devices.drivers.fanvil`) and its tests share one reading of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from devices.drivers.base import DeviceProtocolError, DeviceRejected, Unsupported

XML_SERVICE_PATH = "/xmlService"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" ?>\n'
CONFIGURATION_TAG = "FanvilConfiguration"
EXECUTE_TAG = "FanvilPhoneExecute"
COMMANDS = ("get", "set", "del")

# A phone's configuration dump is a few hundred KiB at most; anything larger
# is not an xmlService answer and is not worth holding in memory.
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024

# The information parameters of seed section 2.2 (the seed's rendering puts
# stray spaces in some of them, e.g. "info. dev.Model"; these are the names).
INFO_MODEL = "info.dev.Model"
INFO_VENDOR = "info.dev.Vendor"
INFO_MAC = "info.dev.Mac"
INFO_SERIAL = "info.dev.SN"
INFO_MEM_FREE = "info.sys.MemFree"
INFO_FLASH_FREE = "info.sys.FlashFree"
INFO_UPTIME = "info.sys.UpTime"
INFO_FIRMWARE = "info.sys.FwVersion"
INFO_HARDWARE = "info.sys.HwVersion"
INFO_KEYS: tuple[str, ...] = (
    INFO_MODEL,
    INFO_VENDOR,
    INFO_MAC,
    INFO_SERIAL,
    INFO_MEM_FREE,
    INFO_FLASH_FREE,
    INFO_UPTIME,
    INFO_FIRMWARE,
    INFO_HARDWARE,
)


def info_register_code_key(line: int) -> str:
    """``info.sip.line.$N.registerCode``: the line's SIP registration status."""
    return f"info.sip.line.{int(line)}.registerCode"


# SIP line parameters (``sip.line.N.<Field>``) a ``sip/N`` section may carry.
# The seed names EnableReg, RegisterAddr, RegisterUser and RegisterPswd; the
# others are the same phones' configuration-file names for the fields the web
# UI shows next to them.
SIP_LINE_FIELDS: dict[str, str] = {
    "EnableReg": "activate the line: 1 registers, 0 does not",
    "RegisterAddr": "SIP server (registrar) host or IP",
    "RegisterPort": "SIP server port (1-65535)",
    "PhoneNumber": "SIP user / account (the number the line registers)",
    "RegisterUser": "authentication user name",
    "RegisterPswd": "authentication password",
    "DisplayName": "display name shown to the called party",
    "RegisterTTL": "registration expiry in seconds",
}

# SIP final response codes reported by info.sip.line.N.registerCode.
REGISTERED_CODE = "200"

# The only execute URIs this driver can send. ``Shell`` is deliberately absent
# and additionally refused by name: it runs any command on the phone.
EXECUTE_ALLOW_LIST: Mapping[str, frozenset[str]] = {
    "Cmd": frozenset({"reboot", "reset"}),
}

AuthMode = Literal["basic", "digest", "auto"]

_KEY_RE = re.compile(r"^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$")
_PREFIX_RE = re.compile(r"^(?:\.|[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*\.)$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_DTD_RE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT_TAG_RE = re.compile(rb"<\s*(/?)\s*(FanvilConfiguration|FanvilPhoneExecute)\b([^<>]*)>")
_ROOT_ATTR_RE = re.compile(
    rb"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:\"|'|\xe2\x80[\x9c\x9d])([A-Za-z0-9_.-]*)(?:\"|'|\xe2\x80[\x9c\x9d])"
)


class InvalidConfig(DeviceRejected, ValueError):
    """Desired configuration that can never be accepted; raised before sending.

    A ``DeviceRejected`` (final, not retryable) so the action engine treats it
    like the phone's own refusal, and a ``ValueError`` for plain callers.
    """

    def __init__(self, message: str, *, step: str | None = None) -> None:
        super().__init__("invalid-config", message, retryable=False, step=step)


class ExecuteNotAllowed(Unsupported, ValueError):
    """An execute URI outside the allow-list (always the case for ``Shell:``)."""


# ---------------------------------------------------------------------------
# XML: hardened parsing, tolerant reading, building requests
# ---------------------------------------------------------------------------


def hardened_parser() -> etree.XMLParser:
    """A fresh lxml parser that never expands entities or reaches out.

    A new parser per document: lxml parsers must not be shared across threads
    and building one is cheap next to a network round trip.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _repair_root_tags(body: bytes) -> bytes:
    """Undo the seed's typographic damage to the root element's tags only.

    The published examples end with ``</ FanvilConfiguration >`` and quote
    attributes with curly quotes (``cmd=”set”``), which no XML parser accepts.
    Only the two root tag names are rewritten, and only when every attribute
    value is a plain token; everything else reaches the strict parser as is.
    """

    def fix(match: re.Match[bytes]) -> bytes:
        closing, name, rest = match.group(1), match.group(2), match.group(3)
        if closing:
            return b"</" + name + b">" if not rest.strip() else match.group(0)
        self_closing = rest.rstrip().endswith(b"/")
        if self_closing:
            rest = rest.rstrip()[:-1]
        attrs = _ROOT_ATTR_RE.findall(rest)
        if _ROOT_ATTR_RE.sub(b"", rest).strip():
            return match.group(0)  # something we do not understand: leave it to the parser
        rebuilt = b"".join(b" " + key + b'="' + value + b'"' for key, value in attrs)
        return b"<" + name + rebuilt + (b"/>" if self_closing else b">")

    return _ROOT_TAG_RE.sub(fix, body)


def parse_xml(body: bytes) -> etree._Element:
    """Parse an xmlService document with the hardened parser; return its root.

    Raises DeviceProtocolError for anything that is not a plain, well-formed
    document, and refuses (never expands) DTDs and entity declarations: a
    "billion laughs" or XXE payload is an attack or a broken device, and
    either way not an answer we act on.
    """
    if not isinstance(body, bytes | bytearray):
        raise TypeError("parse_xml takes the raw bytes of the document")
    if len(body) > MAX_DOCUMENT_BYTES:
        raise DeviceProtocolError(f"XML document too large ({len(body)} bytes)")
    if _DTD_RE.search(body):
        raise DeviceProtocolError("XML document carries a DTD or entity declaration; refused")
    try:
        root = etree.fromstring(_repair_root_tags(bytes(body)), hardened_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise DeviceProtocolError(f"malformed XML: {exc}") from exc
    if root is None:
        raise DeviceProtocolError("empty XML document")
    docinfo = root.getroottree().docinfo
    # Belt and braces for encodings the byte scan above cannot see (UTF-16).
    if docinfo.doctype or docinfo.internalDTD is not None or next(root.iter(etree.Entity), None) is not None:
        raise DeviceProtocolError("XML document carries a DTD or entity reference; refused")
    return root


def parse_item(text: str | None) -> tuple[str, str | None]:
    """Split an ``<Item>`` text into (key, value); value None for a bare key.

    Tolerates ``key=value`` without spaces, values containing "=" and the
    stray whitespace inside keys seen in the seed ("info. dev.Model").
    """
    key, sep, value = (text or "").partition("=")
    key = "".join(key.split())
    return key, (value.strip() if sep else None)


def _local(tag: object) -> str:
    return tag.lower() if isinstance(tag, str) else ""


@dataclass
class FanvilResponse:
    """One xmlService answer, decoded."""

    root: str
    cmd: str | None = None
    ret_code: int | None = None  # None: the firmware left RetCode out (success)
    items: dict[str, str] = field(default_factory=dict)
    info_text: str = ""

    @property
    def ok(self) -> bool:
        return self.ret_code in (None, 0)


def parse_response(body: bytes, *, expect_root: str | None = None) -> FanvilResponse:
    """Decode an answer: RetCode, ``<info>`` items and failure text.

    ``<info>``/``<Info>`` and ``<Item>`` are matched case-insensitively (the
    seed writes both); Items directly under the root are accepted as well.
    """
    root = parse_xml(body)
    if not isinstance(root.tag, str) or root.tag not in (CONFIGURATION_TAG, EXECUTE_TAG):
        raise DeviceProtocolError(f"unexpected XML root element {root.tag!r}")
    if expect_root is not None and root.tag != expect_root:
        raise DeviceProtocolError(f"expected <{expect_root}>, got <{root.tag}>")
    response = FanvilResponse(root=root.tag, cmd=root.get("cmd") or root.get("Cmd"))
    info: etree._Element | None = None
    for child in root:
        name = _local(child.tag)
        if name == "retcode":
            text = (child.text or "").strip()
            try:
                response.ret_code = int(text)
            except ValueError as exc:
                raise DeviceProtocolError(f"RetCode is not a number: {text!r}") from exc
        elif name == "info" and info is None:
            info = child
        elif name == "item":
            key, value = parse_item(child.text)
            if key:
                response.items[key] = value or ""
    if info is not None:
        item_elements = [el for el in info.iter() if _local(el.tag) == "item"]
        for el in item_elements:
            key, value = parse_item(el.text)
            if key:
                response.items[key] = value or ""
        if not item_elements:
            response.info_text = " ".join(part.strip() for part in info.itertext() if part.strip())
    return response


def check_value(key: str, value: object, *, step: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    if _CONTROL_RE.search(text):
        raise InvalidConfig(f"{key}: value contains control characters", step=step or key)
    if text != text.strip():
        # The phone strips Item text, so the value would silently change.
        raise InvalidConfig(f"{key}: value has leading/trailing whitespace", step=step or key)
    return text


def check_key(key: str, *, allow_prefix: bool = False) -> str:
    """Validate a parameter name (or, for GET/DEL, a ``node.`` prefix)."""
    if not isinstance(key, str):
        raise InvalidConfig(f"parameter name must be a string, not {type(key).__name__}")
    if _KEY_RE.match(key) or (allow_prefix and _PREFIX_RE.match(key)):
        return key
    raise InvalidConfig(f"not a valid parameter name: {key!r}", step=key)


def build_configuration_request(cmd: str, items: Iterable[str], *, beep: bool = False) -> bytes:
    """A ``<FanvilConfiguration cmd=...>`` document; lxml does all escaping.

    ``items`` are the Item texts already validated by the caller (bare keys
    for get/del, ``key = value`` for set).
    """
    if cmd not in COMMANDS:
        raise ValueError(f"cmd must be one of {COMMANDS}, not {cmd!r}")
    root = etree.Element(CONFIGURATION_TAG)
    if beep:
        root.set("Beep", "yes")
    root.set("cmd", cmd)
    for text in items:
        etree.SubElement(root, "Item").text = text
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8")


def check_execute_uri(uri: str) -> str:
    """Return the canonical ``Type:Param`` if the allow-list permits it.

    Anything whose type starts with "Shell" (any case, any spacing) is refused
    by name first, so no future widening of the allow-list can let it through.
    """
    if not isinstance(uri, str):
        raise ExecuteNotAllowed("execute URI must be a string")
    kind, sep, param = uri.strip().partition(":")
    kind, param = kind.strip(), param.strip()
    if "".join(kind.split()).lower().startswith("shell"):
        raise ExecuteNotAllowed("the Shell execute type is never sent to a device", step="execute")
    allowed = EXECUTE_ALLOW_LIST.get(kind)
    if not sep or allowed is None or param not in allowed:
        raise ExecuteNotAllowed(f"execute URI not allowed: {uri!r}", step="execute")
    return f"{kind}:{param}"


def build_execute_request(uris: Sequence[str], *, beep: bool = False) -> bytes:
    """A ``<FanvilPhoneExecute>`` document; every URI passes the allow-list."""
    checked = [check_execute_uri(uri) for uri in uris]
    if not checked:
        raise ValueError("nothing to execute")
    root = etree.Element(EXECUTE_TAG)
    if beep:
        root.set("beep", "yes")
    for uri in checked:
        # The seed's form: the URI attribute written as the element's text.
        etree.SubElement(root, "ExecuteItem").text = f'URI="{uri}"'
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8")
