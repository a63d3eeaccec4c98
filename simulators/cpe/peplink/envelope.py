"""The Router API's envelope and request parameters: ``{"stat": "ok"|"fail", ...}``, query or JSON body."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web


class ApiFail(Exception):
    """Raised by a handler to answer ``{"stat": "fail", ...}``."""

    def __init__(self, code: int, message: str, *, http_status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


def ok(response: Any = None) -> web.Response:
    body: dict[str, Any] = {"stat": "ok"}
    if response is not None:
        body["response"] = response
    return web.json_response(body)


def fail(code: int, message: str, *, http_status: int = 200) -> web.Response:
    return web.json_response({"stat": "fail", "code": code, "message": message}, status=http_status)


_LIST_SPLIT = re.compile(r"[,\s]+")
_TRUE = {"1", "true", "yes", "on", "enable", "enabled"}
_FALSE = {"0", "false", "no", "off", "disable", "disabled"}


class Params:
    """Request parameters from the query string, a JSON body or form fields.

    The documentation and real integrations disagree on shapes, and the
    device tolerates all of them: repeated parameters (``id=1&id=2``), comma-
    or space-separated lists (``id=1,2`` / ``id=1 2``), JSON arrays, and
    scalars wrapped in one-element arrays (the ``cmd.carrier.scan`` example
    posts ``{"connId": ["4"]}``). Unknown fields are simply never read.
    """

    def __init__(self, values: dict[str, list[Any]]) -> None:
        self.values = values

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, list[Any]] = {}

        def add(key: str, value: Any) -> None:
            # PHP-style "id[]=1&id[]=2" is as common as plain repetition.
            values.setdefault(key.removesuffix("[]"), []).append(value)

        for key, value in request.query.items():
            if key != "accessToken":
                add(key, value)
        if request.method == "POST" and request.can_read_body:
            if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    add(key, value)
                return cls(values)
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise ApiFail(400, "Invalid JSON body") from exc
                if not isinstance(body, dict):
                    raise ApiFail(400, "Invalid JSON body")
                # Body fields override query fields of the same name.
                for key, value in body.items():
                    values[key.removesuffix("[]")] = [value]
        return cls(values)

    def has(self, name: str) -> bool:
        return name in self.values

    def raw(self, name: str) -> Any:
        """The value as sent: one-element arrays unwrapped, repeats as a list."""
        items = self.values.get(name)
        if not items:
            return None
        if len(items) > 1:
            return items
        value = items[0]
        if isinstance(value, list) and len(value) == 1:
            return value[0]
        return value

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, list):
            value = value[0]
        return str(value)

    def number(self, name: str, default: int | None = None) -> int | None:
        value = self.raw(name)
        if value is None or value == "":
            return default
        if isinstance(value, list):
            value = value[0]
        return to_int(value, name)

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        value = self.raw(name)
        if value is None:
            return default
        return to_bool(value, name)

    def many(self, name: str) -> list[str]:
        out: list[str] = []
        for value in self.values.get(name, []):
            out.extend(_flatten(value))
        return [v for v in out if v != ""]

    def numbers(self, name: str) -> list[int]:
        try:
            return [int(v) for v in self.many(name)]
        except ValueError as exc:
            raise ApiFail(400, f"Invalid parameter: {name}") from exc

    def obj(self, name: str) -> Any:
        """A nested object/array; form posts carry it as JSON text."""
        value = self.raw(name)
        if isinstance(value, str) and value.strip()[:1] in ("{", "["):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise ApiFail(400, f"Invalid parameter: {name}") from exc
        return value


def _flatten(value: Any) -> list[str]:
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(_flatten(item))
        return out
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return _flatten(json.loads(text))
            except ValueError:
                pass
        return [part for part in _LIST_SPLIT.split(text) if part]
    return [str(value)]


def to_int(value: Any, name: str) -> int:
    """An integer parameter; a one-item list stands for its item, a JSON boolean is refused."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool):
        raise ApiFail(400, f"Invalid parameter: {name}")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ApiFail(400, f"Invalid parameter: {name}") from exc


def to_bool(value: Any, name: str = "value") -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    raise ApiFail(400, f"Invalid parameter: {name}")


def ordered(items: dict[int, Any]) -> dict[str, Any]:
    """The device's ``{"1": {...}, "2": {...}, "order": [1, 2]}`` map shape."""
    out: dict[str, Any] = {str(k): v for k, v in items.items()}
    out["order"] = list(items)
    return out
