"""ISPChamp v1: subscribers (``/api/v1/subscribers``) and support tickets (``/api/v1/support/tickets``).

Thin views: validation in serializers, state changes in
``subscribers.services``; the envelope, tenant header and pagination come
from ``portal.api.v1``. Mounted by ``portal/urls.py`` through ``urlpatterns``.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from billing.selectors import subscribers_on_plan, with_billing_summary
from portal.api.gate import TenantScopedMixin
from portal.api.v1 import V1Mixin, V1Router, v1_path
from subscribers import services
from subscribers.choices import SubscriberStatus, TicketPriority, TicketStatus
from subscribers.models import Subscriber, Ticket, TicketComment, TicketEvent

from .schema import SUBSCRIBER_EXAMPLE, SUBSCRIBER_PAGE_EXAMPLE

# --- subscribers -----------------------------------------------------------------


class V1SubscriberSerializer(serializers.ModelSerializer):
    plan = serializers.SerializerMethodField(help_text="Code of the plan the subscriber is on today.")
    balance = serializers.SerializerMethodField(
        help_text="Payments minus invoices; negative means the subscriber owes."
    )

    class Meta:
        model = Subscriber
        fields = [
            "id",
            "name",
            "surname",
            "email",
            "phone",
            "address",
            "city",
            "postalcode",
            "country",
            "external_id",
            "comment",
            "status",
            "plan",
            "balance",
            "created",
            "updated",
        ]
        read_only_fields = ["id", "status", "plan", "balance", "created", "updated"]

    def get_plan(self, obj) -> str | None:
        return getattr(obj, "current_plan_code", None)

    def get_balance(self, obj) -> str:
        paid = getattr(obj, "paid_total", None)
        invoiced = getattr(obj, "invoiced_total", None)
        if paid is None or invoiced is None:
            return "0.00"
        return f"{paid - invoiced:.2f}"

    def validate_external_id(self, value):
        tenant = self.context["tenant"]
        if value:
            clash = Subscriber.objects.for_tenant(tenant).filter(external_id=value)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError("Another subscriber already has this external id.")
        return value


class V1SubscriberFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=SubscriberStatus.choices)
    plan = django_filters.CharFilter(method="filter_plan", label="plan code or id (current subscription)")
    search = django_filters.CharFilter(method="filter_search", label="name, e-mail, phone, address or external id")

    class Meta:
        model = Subscriber
        fields = ["status", "plan", "search", "external_id"]

    def filter_plan(self, queryset, name, value):
        return subscribers_on_plan(queryset, value.strip(), timezone.now().date())

    def filter_search(self, queryset, name, value):
        q = Q()
        for term in value.split():
            q &= (
                Q(name__icontains=term)
                | Q(surname__icontains=term)
                | Q(email__icontains=term)
                | Q(phone__icontains=term)
                | Q(address__icontains=term)
                | Q(external_id__icontains=term)
            )
        return queryset.filter(q)


@extend_schema_view(
    list=extend_schema(
        summary="List subscribers",
        examples=[
            SUBSCRIBER_PAGE_EXAMPLE,
        ],
    ),
    create=extend_schema(summary="Create a subscriber"),
    retrieve=extend_schema(
        summary="Get subscriber details",
        examples=[
            SUBSCRIBER_EXAMPLE,
        ],
    ),
    update=extend_schema(summary="Update subscriber details"),
    partial_update=extend_schema(summary="Update some subscriber details"),
    destroy=extend_schema(
        summary="Deactivate a subscriber",
        description="Soft delete: the subscriber becomes inactive (history, invoices and tickets are kept), "
        "their subscriptions end today and the network is told to take the service down.",
        responses={200: V1SubscriberSerializer},
    ),
)
class SubscriberViewSet(V1Mixin, TenantScopedMixin, viewsets.ModelViewSet):
    """Subscribers of the X-Tenant-ID tenant, with their current plan and account balance."""

    queryset = Subscriber.objects.all()
    serializer_class = V1SubscriberSerializer
    filterset_class = V1SubscriberFilter
    permission_area = "subscribers"

    def get_queryset(self):
        return with_billing_summary(super().get_queryset(), timezone.now().date()).order_by("id")

    def _answer(self, subscriber: Subscriber) -> Response:
        # Re-read through the annotated queryset so plan/balance are current.
        return Response(self.get_serializer(self.get_queryset().get(pk=subscriber.pk)).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscriber = serializer.save(tenant=request.tenant)
        response = self._answer(subscriber)
        response.status_code = 201
        return response

    def destroy(self, request, *args, **kwargs):
        subscriber = self.get_object()
        services.deactivate_subscriber(subscriber, by=request.user, detail="deactivated through API v1")
        return self._answer(subscriber)

    @extend_schema(summary="Activate a subscriber connection", request=None, responses={200: V1SubscriberSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, *args, **kwargs):
        subscriber = self.get_object()
        services.activate_subscriber(subscriber, by=request.user, detail="activated through API v1")
        return self._answer(subscriber)

    @extend_schema(summary="Suspend a subscriber connection", request=None, responses={200: V1SubscriberSerializer})
    @action(detail=True, methods=["post"])
    def suspend(self, request, *args, **kwargs):
        subscriber = self.get_object()
        services.suspend_subscriber(subscriber, by=request.user, detail="suspended through API v1")
        return self._answer(subscriber)


# --- support tickets -----------------------------------------------------------------


class TenantRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id validated against the request's tenant (another tenant's id is "does not exist")."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        return self.model.objects.for_tenant(self.context["tenant"])


class TenantMemberField(serializers.PrimaryKeyRelatedField):
    """A user id; membership and role are checked by subscribers.services.validate_assignee."""

    def get_queryset(self):
        return get_user_model().objects.filter(memberships__tenant=self.context["tenant"]).distinct()


def _cpe_model():
    from devices.models import Cpe

    return Cpe


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
    cpe = TenantRelatedField(_cpe_model(), required=False, allow_null=True)
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
    subscriber = django_filters.NumberFilter(field_name="subscriber_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
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
class TicketViewSet(V1Mixin, TenantScopedMixin, viewsets.ModelViewSet):
    """Support tickets; status changes follow open/pending → resolved → closed (closed is final)."""

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
        from django.shortcuts import get_object_or_404

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


_LIST = {"get": "list", "post": "create"}

router = V1Router()
router.register("subscribers", SubscriberViewSet, basename="v1-subscriber")

urlpatterns = [
    *router.urls,
    v1_path("support/tickets", TicketViewSet.as_view(_LIST), "v1-ticket-list"),
    v1_path(
        r"support/tickets/(?P<pk>\d+)",
        TicketViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update"}),
        "v1-ticket-detail",
    ),
    v1_path(r"support/tickets/(?P<pk>\d+)/comments", TicketCommentViewSet.as_view(_LIST), "v1-ticket-comments"),
]
