"""Portal-level API: who am I (Krill's ``me`` app) and the tenant's integration clients."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.models import IntegrationClient
from portal.roles import PERMISSIONS

from .gate import TenantScopedMixin
from .permissions import resolve_api_tenant, token_scopes


class MeView(APIView):
    """``GET /api/v2/me``: the caller, the tenant the request acts on, role and token scope."""

    @extend_schema(
        tags=["me"],
        responses={
            200: inline_serializer(
                "Me",
                {
                    "username": serializers.CharField(),
                    "tenant": serializers.DictField(),
                    "role": serializers.CharField(),
                    "scope": serializers.ListField(child=serializers.CharField()),
                    "permissions": serializers.ListField(child=serializers.CharField()),
                },
            )
        },
    )
    def get(self, request):
        context = resolve_api_tenant(request)
        return Response(
            {
                "username": request.user.get_username(),
                "tenant": {"id": context.tenant.pk, "slug": context.tenant.slug, "name": context.tenant.name},
                "role": context.role,
                "scope": sorted(token_scopes(request)),
                "permissions": sorted(PERMISSIONS.get(context.role, ())),
            }
        )


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
