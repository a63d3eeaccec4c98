"""Issuing bearer tokens: for users (Krill's /api/v2/auth/login) and for integration clients.

django-oauth-toolkit is the token store for both, so one authentication
class (portal.api.auth) accepts every token, and revocation/expiry work
the same way. Tokens are stored as checksums only; the raw value is
returned once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken, set_token_value
from oauth2_provider.settings import oauth2_settings

from .choices import ClientScope, Role
from .models import IntegrationClient, Tenant

# The application that user tokens (Krill login) hang off; created on demand.
USER_TOKEN_APPLICATION = "NOC Portal user sessions"


@dataclass(frozen=True)
class IssuedTokens:
    access: str
    refresh: str | None
    expires_in: int
    scope: str


def _user_application() -> Application:
    app, _ = Application.objects.get_or_create(
        name=USER_TOKEN_APPLICATION,
        defaults={
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_CLIENT_CREDENTIALS,
            "client_secret": secrets.token_urlsafe(32),
            "skip_authorization": True,
        },
    )
    return app


def _new_access(user, application, scope: str) -> tuple[AccessToken, str]:
    raw = secrets.token_urlsafe(32)
    token = AccessToken(
        user=user,
        application=application,
        expires=timezone.now() + timedelta(seconds=oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS),
        scope=scope,
    )
    set_token_value(token, raw)
    token.save()
    return token, raw


@transaction.atomic
def issue_user_tokens(user, *, family: uuid.UUID | None = None) -> IssuedTokens:
    """Access + refresh pair for a logged-in user; the role decides what writes pass.

    ``family`` ties every refresh token rotated from one login together, so a
    replayed one can revoke them all (a new login starts a new family).
    """
    application = _user_application()
    scope = ClientScope.READ_WRITE.value
    access, raw_access = _new_access(user, application, scope)
    raw_refresh = secrets.token_urlsafe(32)
    refresh = RefreshToken(user=user, application=application, access_token=access, token_family=family or uuid.uuid4())
    set_token_value(refresh, raw_refresh)
    refresh.save()
    return IssuedTokens(raw_access, raw_refresh, oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS, scope)


class InvalidRefreshToken(Exception):
    pass


def refresh_user_tokens(raw_refresh: str) -> IssuedTokens:
    """Rotate: the old refresh token (and its access token) are revoked.

    A refresh token presented a second time means two parties hold it (RFC 9700
    section 2.2.2): the whole family descended from that login is revoked, the
    thief's newer tokens and the user's alike, and the user logs in again.
    """
    checksum = hashlib.sha256(raw_refresh.encode()).hexdigest()
    with transaction.atomic():
        refresh = (
            RefreshToken.objects.select_for_update()
            .filter(token_checksum=checksum, application__name=USER_TOKEN_APPLICATION)
            .select_related("user")
            .order_by("revoked")  # a live row first, should one share the checksum
            .first()
        )
        if refresh is None or not refresh.user.is_active:
            raise InvalidRefreshToken("Refresh token is invalid, revoked or already used.")
        replayed = refresh.revoked is not None
        if not replayed:
            age = (timezone.now() - refresh.created).total_seconds()
            if age <= oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS:
                refresh.revoke()
                return issue_user_tokens(refresh.user, family=refresh.token_family)
            refresh.revoke()  # committed as the block ends normally; the error is raised after it
    if not replayed:
        raise InvalidRefreshToken("Refresh token has expired; log in again.")
    # Outside the block above, so the revocation commits although the caller gets an error.
    RefreshToken.revoke_family(refresh.token_family)
    raise InvalidRefreshToken("Refresh token is invalid, revoked or already used.")


@dataclass(frozen=True)
class NewClient:
    client: IntegrationClient
    client_id: str
    client_secret: str
    token: IssuedTokens


@transaction.atomic
def create_integration_client(
    tenant: Tenant, name: str, *, read_only: bool = False, role: str = Role.ADMIN
) -> NewClient:
    """An OAuth2 client-credentials application bound to ``tenant``, plus a first token.

    The client gets its own (login-less) user so the audit trail names it as
    the author of the rows it changes.
    """
    User = get_user_model()
    scope = ClientScope.READ if read_only else ClientScope.READ_WRITE
    username = f"api:{tenant.slug}:{name}"[:150]
    service_user, created = User.objects.get_or_create(username=username, defaults={"first_name": name[:150]})
    if created:
        service_user.set_unusable_password()
        service_user.save(update_fields=["password"])
    secret = secrets.token_urlsafe(40)
    application = Application.objects.create(
        name=f"{tenant.slug}: {name}",
        user=service_user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        skip_authorization=True,
    )
    client = IntegrationClient.objects.create(
        tenant=tenant, application=application, name=name, scope=scope.value, role=role
    )
    _access, raw = _new_access(service_user, application, scope.value)
    return NewClient(
        client,
        application.client_id,
        secret,
        IssuedTokens(raw, None, oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS, scope.value),
    )


def scopes_for_application(application: Application) -> str | None:
    """The scope a client-credentials request may be granted (DOT validator hook)."""
    client = getattr(application, "integration_client", None)
    return client.scope if client is not None else None
