"""The Peplink Router API session: the JSON envelope, session login or client-credentials token, one call.

:class:`PeplinkSession` is what :class:`devices.drivers.peplink.PeplinkDriver`
builds on: it knows how to reach ``/api/<object>`` and make sense of the
answer (module docstring of the driver package: the two ways in, expiry).
"""

from __future__ import annotations

import ssl
import time
from http.cookies import CookieError, SimpleCookie
from typing import Any

import httpx

from devices.drivers.base import (
    DeviceAuthError,
    DeviceDriver,
    DeviceEndpoint,
    DeviceError,
    DeviceProtocolError,
    DeviceRejected,
    DeviceTimeout,
    DeviceUnreachable,
    check_fingerprint,
    raise_for_http_status,
    send,
)

# Envelope codes that mean "try again later" rather than "never".
_BUSY_WORDS = ("busy", "try again", "in progress", "rebooting")


def _is_retryable(code: Any, message: str) -> bool:
    try:
        numeric = int(code)
    except (TypeError, ValueError):
        numeric = 0
    return numeric >= 500 or any(word in message.lower() for word in _BUSY_WORDS)


def to_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def to_int(value: Any) -> int | None:
    number = to_float(value)
    return None if number is None else int(number)


class PeplinkSession(DeviceDriver):
    """One router's Router API session (the driver's transport); see :class:`PeplinkDriver`."""

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
        return body is not None and body.get("stat") == "fail" and to_int(body.get("code")) == 401

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
            if to_int(code) in (401, 403):
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
        expires_in = to_float(granted.get("expiresIn")) or 0.0
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
