"""Portal-level API: who am I (Krill's ``me`` app) and the tenant's integration clients."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.models import IntegrationClient, Membership
from portal.roles import PERMISSIONS

from .gate import TenantScopedMixin
from .permissions import resolve_api_tenant, token_scopes


class MeView(APIView):
    """``GET /api/v2/me``: the caller, the tenant the request acts on, role, token scope and default tenant.

    ``default_tenant`` is the tenant a call without ``X-Tenant-ID`` acts on:
    the user's default membership (null when they have none), or the tenant an
    integration client is bound to.
    """

    @extend_schema(
        tags=["me"],
        responses={
            200: inline_serializer(
                "Me",
                {
                    "username": serializers.CharField(),
                    "tenant": serializers.DictField(),
                    "default_tenant": serializers.DictField(allow_null=True),
                    "role": serializers.CharField(),
                    "scope": serializers.ListField(child=serializers.CharField()),
                    "permissions": serializers.ListField(child=serializers.CharField()),
                },
            )
        },
    )
    def get(self, request):
        context = resolve_api_tenant(request)
        default = self.default_tenant(request)
        return Response(
            {
                "username": request.user.get_username(),
                "tenant": _tenant_summary(context.tenant),
                "default_tenant": _tenant_summary(default) if default is not None else None,
                "role": context.role,
                "scope": sorted(token_scopes(request)),
                "permissions": sorted(PERMISSIONS.get(context.role, ())),
            }
        )

    @staticmethod
    def default_tenant(request):
        client = getattr(getattr(request.auth, "application", None), "integration_client", None)
        if client is not None:
            return client.tenant
        membership = Membership.objects.filter(user=request.user, is_default=True).select_related("tenant").first()
        return membership.tenant if membership is not None else None


def _tenant_summary(tenant) -> dict:
    return {"id": tenant.pk, "slug": tenant.slug, "name": tenant.name}


class IntegrationClientSerializer(serializers.ModelSerializer):
    client_id = serializers.CharField(source="application.client_id", read_only=True)

    class Meta:
        model = IntegrationClient
        fields = ["id", "name", "client_id", "scope", "role", "created"]
        read_only_fields = fields


class IntegrationClientViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The tenant's API clients. ``DELETE`` revokes the client and every token it holds."""

    queryset = IntegrationClient.objects.select_related("application")
    serializer_class = IntegrationClientSerializer
    permission_area = "tenant"

    def perform_destroy(self, instance):
        # Deleting the OAuth2 application cascades to its tokens: revoked at once.
        instance.application.delete()
