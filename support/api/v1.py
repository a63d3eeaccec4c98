"""ISPChamp v1 support tickets (``/api/v1/support/tickets``) and their comments.

Thin views: validation in serializers, state changes in ``support.services``;
the envelope, tenant header and pagination come from ``portal.api.v1``.
Mounted by ``portal/urls.py`` through ``support.api.urls``.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from devices.models import Cpe
from portal.api.fields import TenantRelatedField
from portal.api.gate import TenantScopedMixin
from portal.api.v1 import V1Mixin
from portal.inputs import IdFilter
from subscribers.models import Subscriber
from support import services
from support.choices import TicketPriority, TicketStatus
from support.models import Ticket, TicketComment, TicketEvent


class TenantMemberField(serializers.PrimaryKeyRelatedField):
    """A user id; membership and role are checked by support.services.validate_assignee."""

    def get_queryset(self):
        return get_user_model().objects.filter(memberships__tenant=self.context["tenant"]).distinct()


class V1TicketCommentSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TicketComment
        fields = ["id", "author", "body", "internal", "created"]
        read_only_fields = ["id", "author", "created"]


class V1TicketEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TicketEvent
        fields = ["kind", "old_value", "new_value", "actor", "created"]
        read_only_fields = fields


class V1TicketSerializer(serializers.ModelSerializer):
    subscriber = TenantRelatedField(Subscriber)
    cpe = TenantRelatedField(Cpe, required=False, allow_null=True)
    assignee = TenantMemberField(required=False, allow_null=True)
    assignee_username = serializers.CharField(source="assignee.username", read_only=True, default=None)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "description",
            "subscriber",
            "cpe",
            "status",
            "priority",
            "assignee",
            "assignee_username",
            "created_by",
            "created",
            "updated",
            "first_response_at",
            "resolved_at",
            "closed_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "created_by",
            "created",
            "updated",
            "first_response_at",
            "resolved_at",
            "closed_at",
        ]

    def create(self, validated_data):
        validated_data.pop("tenant", None)  # the gate's perform_create passes it; the service takes it first
        return services.create_ticket(self.context["tenant"], by=self.context["request"].user, **validated_data)


class V1TicketDetailSerializer(V1TicketSerializer):
    comments = V1TicketCommentSerializer(many=True, read_only=True)
    events = V1TicketEventSerializer(many=True, read_only=True)

    class Meta(V1TicketSerializer.Meta):
        fields = [*V1TicketSerializer.Meta.fields, "comments", "events"]
        read_only_fields = [*V1TicketSerializer.Meta.read_only_fields, "comments", "events"]


class V1TicketUpdateSerializer(serializers.ModelSerializer):
    """What can change on a ticket: status (workflow-checked), assignee, priority, subject, description."""

    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)
    assignee = TenantMemberField(required=False, allow_null=True)

    class Meta:
        model = Ticket
        fields = ["status", "priority", "assignee", "subject", "description"]
        extra_kwargs = {"subject": {"required": False}, "description": {"required": False}}

    def update(self, instance, validated_data):
        return services.update_ticket(instance, by=self.context["request"].user, **validated_data)


class V1TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TicketStatus.choices)
    priority = django_filters.MultipleChoiceFilter(choices=TicketPriority.choices)
    subscriber = IdFilter(field_name="subscriber_id")
    assignee = IdFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    search = django_filters.CharFilter(method="filter_search", label="subject or description")

    class Meta:
        model = Ticket
        fields = ["status", "priority", "subscriber", "assignee", "unassigned", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(subject__icontains=value) | Q(description__icontains=value))


@extend_schema_view(
    list=extend_schema(summary="List support tickets"),
    create=extend_schema(
        summary="Create a support ticket",
        examples=[
            OpenApiExample(
                "No internet since the storm",
                value={
                    "subject": "No internet since the storm",
                    "description": "ONT LOS light is red.",
                    "subscriber": 42,
                    "priority": "high",
                },
                request_only=True,
            )
        ],
    ),
    retrieve=extend_schema(summary="Get a ticket with its comments and timeline"),
    update=extend_schema(summary="Update ticket status, assignee or priority", request=V1TicketUpdateSerializer),
    partial_update=extend_schema(
        summary="Update ticket status, assignee or priority",
        request=V1TicketUpdateSerializer,
        examples=[
            OpenApiExample("Resolve", value={"status": "resolved"}, request_only=True),
        ],
    ),
)
class TicketViewSet(
    V1Mixin,
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Support tickets; status changes follow open/pending → resolved → closed (closed is final; never deleted)."""

    queryset = Ticket.objects.select_related("assignee", "created_by")
    serializer_class = V1TicketSerializer
    filterset_class = V1TicketFilter
    permission_area = "tickets"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("comments__author", "events__actor")
        return queryset

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return V1TicketUpdateSerializer
        if self.action == "retrieve":
            return V1TicketDetailSerializer
        return V1TicketSerializer

    def update(self, request, *args, **kwargs):
        ticket = self.get_object()
        serializer = V1TicketUpdateSerializer(
            ticket, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        ticket = serializer.save()
        return Response(V1TicketSerializer(ticket, context=self.get_serializer_context()).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(summary="List a ticket's comments"),
    create=extend_schema(
        summary="Add a comment to a ticket",
        examples=[
            OpenApiExample("Reply", value={"body": "A technician is on the way.", "internal": False}, request_only=True)
        ],
    ),
)
class TicketCommentViewSet(
    V1Mixin, TenantScopedMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """A ticket's comments; ``internal`` notes are for staff. The first public reply stamps the first response."""

    queryset = TicketComment.objects.select_related("author")
    serializer_class = V1TicketCommentSerializer
    permission_area = "tickets"
    tenant_scoped = True

    def get_ticket(self) -> Ticket:
        return get_object_or_404(Ticket.objects.for_tenant(self.request.tenant), pk=self.kwargs["pk"])

    def get_queryset(self):
        # Comments have no tenant column: they are scoped through their ticket.
        return self.queryset.filter(ticket=self.get_ticket())

    def create(self, request, *args, **kwargs):
        ticket = self.get_ticket()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.add_comment(ticket, author=request.user, **serializer.validated_data)
        return Response(self.get_serializer(comment).data, status=201)
