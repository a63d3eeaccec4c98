"""Bearer-token authentication for every API route, and the OAuth2 validator.

Tokens live in django-oauth-toolkit's store (user tokens from Krill's
``/api/v2/auth/login``, client-credentials tokens of integration clients).
"""

from __future__ import annotations

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.oauth2_validators import OAuth2Validator
from rest_framework import exceptions

from portal.tokens import scopes_for_application


class BearerAuthentication(OAuth2Authentication):
    """``Authorization: Bearer <token>``; a bad, expired or revoked token is a 401 with a reason."""

    www_authenticate_realm = "api"

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            header = request.META.get("HTTP_AUTHORIZATION", "")
            if header.lower().startswith("bearer"):
                raise exceptions.AuthenticationFailed("The bearer token is invalid, expired or revoked.")
            return None
        user, token = result
        if user is None and token.application_id is not None:
            # DOT stores client-credentials tokens without a user; the
            # integration client's service user acts (and is audited) instead.
            user = token.application.user
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed("The account behind this token is disabled.")
        return user, token


class PortalOAuth2Validator(OAuth2Validator):
    """Client-credentials requests get at most the scope their client was created with."""

    def _client_scope(self, request) -> set[str] | None:
        application = getattr(request, "client", None)
        scope = scopes_for_application(application) if application is not None else None
        return set(scope.split()) if scope else None

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        allowed = self._client_scope(request)
        if allowed is None:
            return False  # only integration clients may use the token endpoint
        return set(scopes).issubset(allowed)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        allowed = self._client_scope(request)
        return sorted(allowed) if allowed else []
