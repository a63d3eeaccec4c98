"""ISPChamp v1: subscribers (``/api/v1/subscribers``); support tickets live in ``support.api.v1``.

Thin views: validation in serializers, state changes in
``subscribers.services``; the envelope, tenant header and pagination come
from ``portal.api.v1``. Mounted by ``portal/urls.py`` through ``urlpatterns``.
"""

from __future__ import annotations

import django_filters
from django.core.validators import validate_slug
from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api.gate import TenantScopedMixin
from portal.api.v1 import V1Mixin, V1Router
from subscribers import extensions, services
from subscribers.choices import SubscriberStatus
from subscribers.filters import mentions
from subscribers.models import Subscriber

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
    # Plan codes are slugs (billing.Plan.code): "²" is neither a code nor an id, so a 400.
    plan = django_filters.CharFilter(
        method="filter_plan", label="plan code or id (current subscription)", validators=[validate_slug], max_length=50
    )
    search = django_filters.CharFilter(method="filter_search", label="name, e-mail, phone, address or external id")

    class Meta:
        model = Subscriber
        fields = ["status", "plan", "search", "external_id"]

    def filter_plan(self, queryset, name, value):
        return extensions.filter_by("plan", queryset, value.strip())

    def filter_search(self, queryset, name, value):
        q = Q()
        for term in value.split():
            q &= mentions(term)
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
        # plan and balance: billing annotates the rows (subscribers.extensions, list "api_v1").
        return extensions.annotate("api_v1", super().get_queryset()).order_by("id")

    def _answer(self, subscriber: Subscriber) -> Response:
        # Re-read through the annotated queryset so plan/balance are current.
        return Response(self.get_serializer(self.get_queryset().get(pk=subscriber.pk)).data)

    def _change_status(self, change, detail: str) -> Response:
        """Deactivate, activate or suspend the subscriber of the URL through its service."""
        subscriber = self.get_object()
        change(subscriber, by=self.request.user, detail=detail)
        return self._answer(subscriber)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscriber = serializer.save(tenant=request.tenant)
        response = self._answer(subscriber)
        response.status_code = 201
        return response

    def destroy(self, request, *args, **kwargs):
        return self._change_status(services.deactivate_subscriber, "deactivated through API v1")

    @extend_schema(summary="Activate a subscriber connection", request=None, responses={200: V1SubscriberSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, *args, **kwargs):
        return self._change_status(services.activate_subscriber, "activated through API v1")

    @extend_schema(summary="Suspend a subscriber connection", request=None, responses={200: V1SubscriberSerializer})
    @action(detail=True, methods=["post"])
    def suspend(self, request, *args, **kwargs):
        return self._change_status(services.suspend_subscriber, "suspended through API v1")


router = V1Router()
router.register("subscribers", SubscriberViewSet, basename="v1-subscriber")

urlpatterns = [
    *router.urls,
]
