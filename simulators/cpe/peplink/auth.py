"""Router API authentication objects: login/logout sessions, API clients and their access tokens."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from simulators.cpe.peplink.envelope import ApiFail, Params, ok


@dataclass
class Session:
    cookie: str  # "bauth" or "pauth": a session lives on the scheme it was made on
    expires_at: float
    permission: dict[str, int] = field(default_factory=lambda: {"GET": 1, "POST": 1})
    admin: bool = True


@dataclass
class AccessToken:
    client_id: str
    client_name: str
    scope: str
    created: int
    expires_at: float


# A handler takes the parsed parameters and the request's auth scope.
Handler = Callable[["Params", "Auth"], Awaitable[web.Response]]


@dataclass
class Auth:
    read: bool = False
    write: bool = False
    admin: bool = False
    session_id: str | None = None
    token: str | None = None
    cookie_name: str = "pauth"  # "bauth" over HTTPS, "pauth" over plain HTTP
    method: str = "GET"


class AuthHandlers:
    """Handlers for ``login``, ``logout`` and ``auth.*`` (mixed into :class:`~.router.PeplinkSimulator`)."""

    async def login(self, params: Params, auth: Auth) -> web.Response:
        self.stats["logins"] += 1
        username = params.text("username")
        password = params.text("password")
        if not username or not password:
            raise ApiFail(400, "Username and password are required")
        if (
            self.device.faults.auth_failure
            or username != self.device.username
            or not secrets.compare_digest(password, self.device.password)
        ):
            self.stats["login_failures"] += 1
            raise ApiFail(401, "Invalid username or password")
        cookie_name = auth.cookie_name
        now = self.now()
        # Forget expired sessions here so a portal that never logs out
        # cannot grow the table without bound.
        self.sessions = {k: v for k, v in self.sessions.items() if v.expires_at > now}
        session_id = secrets.token_hex(16)
        self.sessions[session_id] = Session(cookie=cookie_name, expires_at=self.now() + self.session_ttl_s)
        response = ok({"permission": {"GET": 1, "POST": 1}})
        response.set_cookie(
            cookie_name, session_id, path="/", httponly=True, secure=cookie_name == "bauth", samesite="Strict"
        )
        return response

    async def logout(self, params: Params, auth: Auth) -> web.Response:
        self.stats["logouts"] += 1
        if auth.session_id:
            self.sessions.pop(auth.session_id, None)
        response = ok()
        response.del_cookie(auth.cookie_name, path="/")
        return response

    def _client_obj(self, client: dict[str, Any]) -> dict[str, Any]:
        return {k: client[k] for k in ("name", "clientId", "clientSecret", "confidential", "createTimestamp", "scope")}

    async def auth_client_list(self, params: Params, auth: Auth) -> web.Response:
        return ok([self._client_obj(c) for c in self.api_clients.values()])

    async def auth_client_change(self, params: Params, auth: Auth) -> web.Response:
        action = params.text("action")
        if action == "add":
            name = params.text("name")
            scope = params.text("scope")
            if not name or scope not in ("api", "api.read-only"):
                raise ApiFail(400, "Invalid parameter: name/scope")
            client = {
                "name": name,
                "clientId": secrets.token_hex(16),
                "clientSecret": secrets.token_hex(16),
                "confidential": False,
                "createTimestamp": int(time.time()),
                "scope": scope,
            }
            self.api_clients[client["clientId"]] = client
            return ok(self._client_obj(client))
        if action == "remove":
            client_id = params.text("clientId") or ""
            if self.api_clients.pop(client_id, None) is None:
                raise ApiFail(400, "Client not found")
            self.tokens = {t: r for t, r in self.tokens.items() if r.client_id != client_id}
            return ok()
        raise ApiFail(400, "Invalid parameter: action")

    async def auth_client_tokens(self, params: Params, auth: Auth) -> web.Response:
        client_id = params.text("clientId")
        now = self.now()
        out = [
            {
                "accessToken": token,
                "clientId": record.client_id,
                "clientName": record.client_name,
                "authorizationType": 3,
                "scope": record.scope,
                "createTimestamp": record.created,
            }
            for token, record in self.tokens.items()
            if record.expires_at > now and (client_id is None or record.client_id == client_id)
        ]
        return ok(out)

    async def auth_token_grant(self, params: Params, auth: Auth) -> web.Response:
        self.stats["grants"] += 1
        client = self.api_clients.get(params.text("clientId") or "")
        secret = params.text("clientSecret") or ""
        if (
            self.device.faults.auth_failure
            or client is None
            or not secrets.compare_digest(secret, client["clientSecret"])
        ):
            self.stats["grant_failures"] += 1
            raise ApiFail(401, "Invalid client credentials")
        scope = params.text("scope") or client["scope"]
        if scope not in ("api", "api.read-only") or (client["scope"] == "api.read-only" and scope == "api"):
            raise ApiFail(400, "Invalid parameter: scope")
        now = self.now()
        self.tokens = {k: v for k, v in self.tokens.items() if v.expires_at > now}
        token = secrets.token_hex(16)
        ttl = self.token_ttl_s
        self.tokens[token] = AccessToken(client["clientId"], client["name"], scope, int(time.time()), self.now() + ttl)
        return ok({"accessToken": token, "authorizationType": 3, "scope": scope, "expiresIn": int(ttl)})

    async def auth_token_revoke(self, params: Params, auth: Auth) -> web.Response:
        token = params.text("accessToken") or ""
        if not auth.admin and token != auth.token:
            raise ApiFail(403, "Permission denied")
        if self.tokens.pop(token, None) is None:
            raise ApiFail(400, "Access token not found")
        return ok()
