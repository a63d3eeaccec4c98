"""The fleet's control API: list the devices and change their faults while they run.

A small aiohttp application on 127.0.0.1 (port 7999 unless told otherwise)
through which tests, demos and the portal's end-to-end tests make a device
slow, flaky, unreachable or deaf to its password, and put it right again:

``GET /``, ``GET /devices[?vendor=]``, ``GET /devices/{serial}``,
``PATCH|POST /devices/{serial}/faults`` (a JSON object of fault values),
``DELETE /devices/{serial}/faults`` (back to healthy).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulators.base import SimDevice
from simulators.manifest import MANIFEST_VERSION, manifest_document

if TYPE_CHECKING:
    from simulators.fleet import Fleet

DEFAULT_CONTROL_HOST = "127.0.0.1"
DEFAULT_CONTROL_PORT = 7999

FAULT_TYPES: dict[str, tuple[type, ...]] = {
    "latency_ms": (int,),
    "timeout": (bool,),
    "refuse": (bool,),
    "drop": (bool,),
    "http_status": (int, type(None)),
    "auth_failure": (bool,),
    "malformed": (bool,),
    "rebooting_for_s": (int, float),
}


def validate_faults(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check fault names and types (control API input); raise ValueError with the reason."""
    clean: dict[str, Any] = {}
    for key, value in values.items():
        allowed = FAULT_TYPES.get(key)
        if allowed is None:
            raise ValueError(f"unknown fault {key!r} (known: {', '.join(FAULT_TYPES)})")
        # bool is an int subclass: refuse True as a latency and 1 as a flag.
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
            raise ValueError(f"fault {key!r} must be {names}, not {value!r}")
        if key in ("latency_ms", "rebooting_for_s") and value < 0:
            raise ValueError(f"fault {key!r} must be >= 0")
        if key == "http_status" and value is not None and not 100 <= value <= 599:
            raise ValueError("fault 'http_status' must be an HTTP status code (100-599) or null")
        clean[key] = value
    return clean


def control_app(fleet: Fleet) -> web.Application:
    """The control API's aiohttp application for ``fleet`` (list devices, read one, change its faults)."""
    app = web.Application()
    routes = web.RouteTableDef()

    def device_or_404(request: web.Request) -> SimDevice:
        try:
            return fleet.device(request.match_info["serial"])
        except KeyError:
            raise web.HTTPNotFound(
                text=json.dumps({"error": f"no device with serial {request.match_info['serial']!r}"}),
                content_type="application/json",
            ) from None

    @routes.get("/")
    async def index(request: web.Request) -> web.Response:
        return web.json_response({"version": MANIFEST_VERSION, "summary": fleet.summary()})

    @routes.get("/devices")
    async def list_devices(request: web.Request) -> web.Response:
        devices = fleet.devices
        vendor = request.query.get("vendor")
        if vendor:
            devices = [d for d in devices if d.vendor == vendor]
        return web.json_response(manifest_document(devices, summary=fleet.summary()))

    @routes.get("/devices/{serial}")
    async def get_device(request: web.Request) -> web.Response:
        return web.json_response(device_or_404(request).to_dict())

    async def change_faults(request: web.Request) -> web.Response:
        device = device_or_404(request)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "body must be a JSON object"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "body must be a JSON object"}, status=400)
        try:
            data = await fleet.set_faults(device.serial, **body)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except OSError as exc:  # rebinding failed (address taken meanwhile)
            return web.json_response({"error": f"could not rebind: {exc}"}, status=409)
        return web.json_response(data)

    @routes.delete("/devices/{serial}/faults")
    async def clear_faults(request: web.Request) -> web.Response:
        device = device_or_404(request)
        return web.json_response(await fleet.reset_faults(device.serial))

    routes.patch("/devices/{serial}/faults")(change_faults)
    routes.post("/devices/{serial}/faults")(change_faults)
    app.add_routes(routes)
    return app


async def start_control_api(fleet: Fleet, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve :func:`control_app` on ``host:port`` (0 picks a free port); return the runner and the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    runner = web.AppRunner(control_app(fleet), access_log=None, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner, sock.getsockname()[1]
