"""HTTP authentication as a Fanvil phone does it: Basic and Digest (RFC 7616/2617, MD5 or SHA-256, ``qop=auth``).

No maintained aiohttp server-side Digest package exists, so it is
implemented here: stateless HMAC-signed nonces with an expiry (an expired
nonce with an otherwise valid answer gets ``stale=true``), per-nonce
nonce-count tracking so a captured Authorization header cannot be replayed,
constant-time comparisons, and the request URI checked against the one that
was signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from urllib.request import parse_http_list, parse_keqv_list


def _hash(algorithm: str, text: str) -> str:
    # Digest access authentication mandates these hashes; they authenticate
    # a challenge, they do not store secrets.
    name = "sha256" if algorithm.upper().startswith("SHA-256") else "md5"
    return hashlib.new(name, text.encode(), usedforsecurity=False).hexdigest()


class DigestVerifier:
    """Server side of HTTP Digest (RFC 7616 / RFC 2617), ``qop=auth`` only."""

    def __init__(self, realm: str, algorithm: str = "MD5", nonce_ttl_s: float = 300.0) -> None:
        if algorithm.upper() not in ("MD5", "SHA-256"):
            raise ValueError(f"unsupported digest algorithm {algorithm!r}")
        self.realm = realm
        self.algorithm = algorithm.upper()
        self.nonce_ttl_s = nonce_ttl_s
        self._secret = os.urandom(32)
        self.opaque = os.urandom(16).hex()
        self._last_nc: dict[str, tuple[int, float]] = {}

    def _sign(self, stamp: str) -> str:
        return hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:32]

    def new_nonce(self) -> str:
        stamp = f"{time.time():.6f}"
        return f"{base64.b16encode(stamp.encode()).decode().lower()}{self._sign(stamp)}"

    def _nonce_age(self, nonce: str) -> float | None:
        """Seconds since we issued ``nonce``; None if we never did."""
        encoded, signature = nonce[:-32], nonce[-32:]
        try:
            stamp = base64.b16decode(encoded.upper()).decode()
            issued = float(stamp)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(signature, self._sign(stamp)):
            return None
        return time.time() - issued

    def challenge(self, *, stale: bool = False) -> str:
        parts = [
            f'realm="{self.realm}"',
            'qop="auth"',
            f"algorithm={self.algorithm}",
            f'nonce="{self.new_nonce()}"',
            f'opaque="{self.opaque}"',
        ]
        if stale:
            parts.append("stale=true")
        return "Digest " + ", ".join(parts)

    def verify(self, method: str, uri: str, header: str, username: str, password: str) -> tuple[bool, bool]:
        """Check an ``Authorization: Digest ...`` header → (ok, stale)."""
        scheme, _, rest = header.strip().partition(" ")
        if scheme.lower() != "digest":
            return False, False
        try:
            params = {k.lower(): v for k, v in parse_keqv_list(parse_http_list(rest)).items()}
        except ValueError:
            return False, False
        required = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
        if any(not params.get(name) for name in required):
            return False, False  # qop is offered, so RFC 7616 requires qop/nc/cnonce back
        if params["qop"] != "auth" or params.get("algorithm", "MD5").upper() != self.algorithm:
            return False, False
        if params.get("opaque") != self.opaque or params["realm"] != self.realm:
            return False, False
        if not hmac.compare_digest(params["username"].encode(), username.encode()):
            return False, False
        # The signed URI must be the one requested, or a captured header could
        # authorise a different request.
        if params["uri"] != uri:
            return False, False
        age = self._nonce_age(params["nonce"])
        if age is None:
            return False, False
        try:
            nc = int(params["nc"], 16)
        except ValueError:
            return False, False
        ha1 = _hash(self.algorithm, f"{username}:{self.realm}:{password}")
        ha2 = _hash(self.algorithm, f"{method}:{params['uri']}")
        expected = _hash(
            self.algorithm, f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:{params['qop']}:{ha2}"
        )
        if not hmac.compare_digest(expected.encode(), params["response"].lower().encode()):
            return False, False
        if age > self.nonce_ttl_s:
            return False, True  # right password, old nonce: the client retries on a fresh one
        last_nc, _ = self._last_nc.get(params["nonce"], (0, 0.0))
        if nc <= last_nc:
            return False, False  # replayed
        self._remember(params["nonce"], nc)
        return True, False

    def _remember(self, nonce: str, nc: int) -> None:
        now = time.monotonic()
        if len(self._last_nc) > 1024:
            horizon = now - self.nonce_ttl_s
            self._last_nc = {k: v for k, v in self._last_nc.items() if v[1] >= horizon}
        self._last_nc[nonce] = (nc, now)


def basic_ok(header: str, username: str, password: str) -> bool:
    """Whether an ``Authorization: Basic ...`` header carries these credentials."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, sep, secret = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    # Both comparisons always run (no short-circuit): no timing hint on which part was wrong.
    return (
        bool(sep)
        & hmac.compare_digest(user.encode(), username.encode())
        & hmac.compare_digest(secret.encode(), password.encode())
    )
