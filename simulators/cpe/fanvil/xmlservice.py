"""The phone's side of ``POST /xmlService``: reading requests and writing answers.

The simulator's own XML handling, written from
``shared/seeds/fanvil-openvox-http-api.txt`` and never shared with the
portal's driver: a test oracle that parsed with the code under test would
agree with every bug in it.

Requests go through a hardened lxml parser (no entity expansion, no network,
no DTD loading) and any DTD or entity declaration is refused outright, as a
phone that answered an XXE request would be broken. The seed prints its
examples with typographic quotes around the root's attributes
(``cmd=”get”``) and a closing tag written ``</ FanvilConfiguration >``; a
phone takes those, so the root element's tags are straightened before
parsing. Nothing else is repaired.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

XML_SERVICE_PATH = "/xmlService"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" ?>\n'
CONFIGURATION_TAG = "FanvilConfiguration"
EXECUTE_TAG = "FanvilPhoneExecute"

# The seed refers to an appendix of RetCodes it does not include; these are
# this simulator's own (the driver only relies on 0 = success).
RET_OK = 0
RET_MALFORMED = 1
RET_UNKNOWN_CMD = 2
RET_UNKNOWN_PARAMETER = 3
RET_INVALID_VALUE = 4
RET_BAD_INDEX = 5
RET_EXECUTE_REFUSED = 6
RET_UNKNOWN_EXECUTE = 7

# A phone has a few MB of RAM; a request larger than this is not a request.
MAX_REQUEST_BYTES = 1024 * 1024

_ROOT_NAMES = f"{CONFIGURATION_TAG}|{EXECUTE_TAG}"
_ROOT_START = re.compile(rf"<({_ROOT_NAMES})\b([^<>]*)>")
_ROOT_END = re.compile(rf"<\s*/\s*({_ROOT_NAMES})\s*>")
_ATTRIBUTE = re.compile(r'\s*([A-Za-z_][\w.-]*)\s*=\s*"([^"&]*)"')
_TYPOGRAPHIC_QUOTES = str.maketrans(dict.fromkeys("\u201c\u201d\u201e\u2033", '"'))
_DECLARATION = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class MalformedRequest(ValueError):
    """A request the phone answers with RetCode 1; the message goes into ``<info>``."""


def _straighten_root(text: str) -> str:
    """The root element's tags as XML wants them, from the way the seed prints them."""

    def start_tag(match: re.Match[str]) -> str:
        name, attributes = match.group(1), match.group(2).translate(_TYPOGRAPHIC_QUOTES)
        empty = attributes.rstrip().endswith("/")
        if empty:
            attributes = attributes.rstrip()[:-1]
        if _ATTRIBUTE.sub("", attributes).strip():
            return match.group(0)  # not plain name="value" pairs: the parser has the last word
        pairs = "".join(f' {key}="{value}"' for key, value in _ATTRIBUTE.findall(attributes))
        return f"<{name}{pairs}{'/' if empty else ''}>"

    return _ROOT_END.sub(r"</\1>", _ROOT_START.sub(start_tag, text, count=1))


def parse_request(body: bytes) -> etree._Element:
    """The root element of an xmlService request; :class:`MalformedRequest` for anything else."""
    if len(body) > MAX_REQUEST_BYTES:
        raise MalformedRequest(f"request too large ({len(body)} bytes)")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        document = body  # another encoding (UTF-16 ...): lxml reads its declaration, nothing is straightened
    else:
        if _DECLARATION.search(text):
            raise MalformedRequest("DTD and entity declarations are refused")
        document = _straighten_root(text).encode("utf-8")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True
    )
    try:
        root = etree.fromstring(document, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise MalformedRequest(f"malformed XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise MalformedRequest("DTD and entity declarations are refused")
    return root


def split_item(text: str | None) -> tuple[str, str | None]:
    """An ``<Item>`` as (parameter, value), value None for a bare name (a GET).

    The seed writes ``<Item> key = value </Item>`` and even puts spaces inside
    names ("info. dev.Model"); values may themselves contain "=".
    """
    name, has_value, value = (text or "").partition("=")
    return re.sub(r"\s+", "", name), (value.strip() if has_value else None)


def reply_document(
    root_tag: str,
    cmd: str | None,
    *,
    code: int = RET_OK,
    items: Iterable[tuple[str, str]] | None = None,
    info_text: str | None = None,
    terse: bool = False,
    doc_quirks: bool = False,
) -> bytes:
    """The answer document, as the seed lays it out.

    ``terse``: firmware that leaves ``RetCode`` out on success and writes
    items as ``k=v``. ``doc_quirks``: the seed's own typography, byte for
    byte (curly-quoted cmd, ``</ FanvilConfiguration >``).
    """
    root = etree.Element(root_tag)
    if cmd in ("get", "set", "del"):
        root.set("cmd", cmd)
    if code != RET_OK or not terse:
        etree.SubElement(root, "RetCode").text = str(code)
    items = list(items or [])
    if items or info_text:
        info = etree.SubElement(root, "info")
        if items:
            for key, value in items:
                etree.SubElement(info, "Item").text = f"{key}={value}" if terse else f" {key} = {value} "
        else:
            info.text = info_text
    body = etree.tostring(root, encoding="UTF-8")
    if doc_quirks:
        # Only fixed tokens are touched: the cmd attribute and the closing tag.
        body = re.sub(
            rb'^<(\w+)( cmd)="(get|set|del)"', lambda m: b"<%s%s=\xe2\x80\x9d%s\xe2\x80\x9d " % m.groups(), body
        )
        body = re.sub(rb"</(\w+)>$", rb"</ \1 >", body)
    return XML_DECLARATION + body
