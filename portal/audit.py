"""Where a request came from, as the portal records it on the rows a user or an integration causes."""

from __future__ import annotations

from django.http import HttpRequest

# The width of the columns that record it (DeviceAction.requested_from...).
CLIENT_ADDRESS_MAX_LENGTH = 120


def client_address(request: HttpRequest) -> str:
    """``integration <client>`` for an integration client's token, else the peer's IP address."""
    application = getattr(getattr(request, "auth", None), "application", None)
    client = getattr(application, "integration_client", None)
    if client is not None:
        return f"integration {client}"[:CLIENT_ADDRESS_MAX_LENGTH]
    return request.META.get("REMOTE_ADDR", "")[:CLIENT_ADDRESS_MAX_LENGTH]
