"""Secrets shown without being shown: the one list of secret field names and the one ``mask()``.

Device passwords, PPPoE/Wi-Fi/SIP secrets are encrypted at rest
(portal.crypto) and never rendered back in full. Krill API records, drift
reports, device-action results and admin forms all decide what is a secret
from :data:`SECRET_FIELD_NAMES` and hide it with :func:`mask`, so a name added
here is masked everywhere at once.
"""

from __future__ import annotations

from typing import Any

MASK = "••••••"

SECRET_FIELD_NAMES = frozenset(
    {
        # Keys of the configurations devices answer (HALNy, Peplink, Fanvil): drift and read-back.
        "ppp_password",
        "password",
        "admin_password",
        "user_password",
        "RegisterPswd",
        "key",
        "pppoe.password",
        # The portal's encrypted columns and their API fields (Cpe, PotsLine).
        "pppoe_password",
        "wifi_password",
        "management_username",
        "management_password",
        "voicemail_password",
    }
)


def is_secret(name: str) -> bool:
    """``name``, or the last part of a dotted path (``wan.pppoe.password``), is a secret field."""
    return name in SECRET_FIELD_NAMES or name.rsplit(".", 1)[-1] in SECRET_FIELD_NAMES


def mask(value: Any, visible: int = 0) -> Any:
    """What is shown instead of a set secret; an unset one (``""``/``None``) is answered as it is.

    ``visible``: how many trailing characters stay readable (to tell two keys apart).
    """
    if value is None or value == "":
        return value
    tail = str(value)[-visible:] if visible else ""
    return MASK + tail


def masked(value: Any) -> Any:
    """A copy of a JSON-like structure with the value of every secret key masked (read-back configurations)."""
    if isinstance(value, dict):
        return {k: mask(v) if is_secret(str(k)) and isinstance(v, str) else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value
