"""ISPChamp v1: invoices, billing runs and payments (``/api/v1/billing/...``).

Thin views over ``billing.services``; the envelope, tenant header and
pagination come from ``portal.api.v1``. Mounted by ``portal/urls.py``
through ``urlpatterns``.
"""

from __future__ import annotations

from datetime import date

import django_filters
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from billing import services
from billing.choices import InvoiceStatus, PaymentMethod
from billing.models import Invoice, InvoiceLine, Payment, PaymentAllocation
from portal import idempotency
from portal.api.errors import Conflict
from portal.api.gate import TenantScopedMixin
from portal.api.v1 import V1Mixin, V1Router
from portal.inputs import IdFilter
from subscribers.models import Subscriber

from .schema import GENERATE_EXAMPLES, PAYMENT_EXAMPLES

IDEMPOTENCY_HEADER = idempotency.HEADER

# --- invoices ------------------------------------------------------------------------


class V1InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "description",
            "plan",
            "service_start",
            "service_end",
            "days",
            "period_days",
            "unit_price",
            "tax_rate",
            "amount",
            "tax",
        ]
        read_only_fields = fields


class V1InvoiceSerializer(serializers.ModelSerializer):
    period = serializers.SerializerMethodField(help_text="Billing period, YYYY-MM.")
    overdue = serializers.SerializerMethodField(help_text="Open and past its due date.")
    amount_due = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    print_url = serializers.SerializerMethodField(help_text="Printable HTML invoice (portal login).")

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "subscriber",
            "period",
            "period_start",
            "period_end",
            "status",
            "overdue",
            "currency",
            "subtotal",
            "tax",
            "total",
            "amount_paid",
            "amount_due",
            "issued_at",
            "due_date",
            "paid_at",
            "print_url",
        ]
        read_only_fields = fields

    def get_period(self, obj) -> str:
        return f"{obj.period_start:%Y-%m}"

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue(timezone.now().date())

    def get_print_url(self, obj) -> str:
        url = reverse("billing:invoice-print", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class V1InvoiceDetailSerializer(V1InvoiceSerializer):
    lines = V1InvoiceLineSerializer(many=True, read_only=True)

    class Meta(V1InvoiceSerializer.Meta):
        fields = [*V1InvoiceSerializer.Meta.fields, "lines"]
        read_only_fields = fields


class V1InvoiceFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=InvoiceStatus.choices)
    subscriber = IdFilter(field_name="subscriber_id")
    period = django_filters.CharFilter(method="filter_period", label="billing period YYYY-MM")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="open and past due")

    class Meta:
        model = Invoice
        fields = ["status", "subscriber", "period", "overdue", "number"]

    def filter_period(self, queryset, name, value):
        start, _ = services.month_bounds(value)
        return queryset.filter(period_start=start)

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status=InvoiceStatus.OPEN, due_date__lt=timezone.now().date())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class GenerateSerializer(serializers.Serializer):
    period = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", help_text="Billing period (calendar month), YYYY-MM.")


class GenerateResultSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
    period = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    created = serializers.IntegerField(help_text="Invoices issued by this run.")
    already_invoiced = serializers.IntegerField(help_text="Subscribers invoiced for the period before this run.")
    skipped = serializers.IntegerField(help_text="Active subscribers with nothing to bill.")


@extend_schema_view(
    list=extend_schema(
        summary="List invoices",
        parameters=[OpenApiParameter("period", str, description="YYYY-MM")],
    ),
    retrieve=extend_schema(summary="Get invoice details"),
)
class InvoiceViewSet(V1Mixin, TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Issued invoices; ``overdue`` is an open invoice past its due date."""

    queryset = Invoice.objects.all()
    serializer_class = V1InvoiceSerializer
    filterset_class = V1InvoiceFilter
    permission_area = "billing"

    def get_queryset(self):
        queryset = super().get_queryset().order_by("-period_start", "-number_year", "-number_seq", "-id")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("lines")
        return queryset

    def get_serializer_class(self):
        if self.action == "generate":
            return GenerateSerializer
        return V1InvoiceDetailSerializer if self.action == "retrieve" else V1InvoiceSerializer

    @extend_schema(
        summary="Generate invoices for billing cycle",
        description="One invoice per subscriber per period, guaranteed by a database constraint: running it "
        "again (or twice at once) reports the subscribers as already_invoiced. Mid-period starts and ends "
        "are prorated by day. Numbers are gapless per tenant and year (2026/000123).",
        request=GenerateSerializer,
        responses={200: GenerateResultSerializer},
        examples=GENERATE_EXAMPLES,
    )
    # POST billing/invoices/generate: runs billing for a period, synchronously (README, "ISPChamp v1").
    @action(detail=False, methods=["post"])
    def generate(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.run_billing(
            request.tenant, serializer.validated_data["period"], by=request.user, trigger="API v1"
        )
        return Response(result.as_dict())


# --- payments ------------------------------------------------------------------------


class V1AllocationSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["invoice", "invoice_number", "amount"]
        read_only_fields = fields


class V1PaymentSerializer(serializers.ModelSerializer):
    subscriber = serializers.PrimaryKeyRelatedField(queryset=Subscriber.objects.none())
    currency = serializers.RegexField(
        r"^[A-Z]{3}$", required=False, help_text="ISO 4217; defaults to the subscriber's invoices' currency."
    )
    method = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.OTHER)
    received_on = serializers.DateField(required=False, help_text="Defaults to today.")
    allocations = V1AllocationSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "subscriber",
            "amount",
            "currency",
            "method",
            "reference",
            "received_on",
            "unapplied",
            "allocations",
            "created",
        ]
        read_only_fields = ["id", "unapplied", "allocations", "created"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = self.context.get("tenant")
        if tenant is not None:
            self.fields["subscriber"].queryset = Subscriber.objects.for_tenant(tenant)

    def validate(self, attrs):
        if not attrs.get("currency"):
            subscriber = attrs["subscriber"]
            currency = (
                Invoice.objects.filter(subscriber=subscriber)
                .order_by("-period_start")
                .values_list("currency", flat=True)
                .first()
            )
            if currency is None:
                raise serializers.ValidationError({"currency": "The subscriber has no invoices yet; give a currency."})
            attrs["currency"] = currency
        return attrs


class PaymentFilter(django_filters.FilterSet):
    subscriber = IdFilter(field_name="subscriber_id")
    method = django_filters.ChoiceFilter(choices=PaymentMethod.choices)
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")

    class Meta:
        model = Payment
        fields = ["subscriber", "method", "received_after", "received_before", "reference"]


@extend_schema_view(
    list=extend_schema(summary="List payment history"),
    retrieve=extend_schema(summary="Get a payment"),
    create=extend_schema(
        summary="Record a payment",
        description="Applied to the subscriber's oldest open invoices; a payment that clears the overdue debt "
        "restores a subscriber suspended by dunning. Send an `Idempotency-Key` header to make retries safe: "
        "the same key with the same body answers the first result (header `Idempotent-Replayed: true`), "
        "the same key with another body is a 409.",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description=f"Unique per payment (max {idempotency.MAX_KEY_LENGTH}).",
            )
        ],
        examples=PAYMENT_EXAMPLES,
    ),
)
class PaymentViewSet(
    V1Mixin,
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Payments received, each with the invoices it settled."""

    queryset = Payment.objects.prefetch_related("allocations__invoice")
    serializer_class = V1PaymentSerializer
    filterset_class = PaymentFilter
    permission_area = "billing"
    v1_error_codes = {"409": "The Idempotency-Key was already used with a different body."}

    def create(self, request, *args, **kwargs):
        key = idempotency.key_from(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = services.record_payment(
                request.tenant,
                subscriber=data["subscriber"],
                amount=data["amount"],
                currency=data["currency"],
                method=data["method"],
                reference=data.get("reference", ""),
                received_on=data.get("received_on") or date.today(),
                by=request.user,
                idempotency_key=key,
                fingerprint=idempotency.fingerprint(dict(request.data)),
            )
        except idempotency.IdempotencyConflict as exc:
            raise Conflict(str(exc), code="idempotency_conflict") from exc
        payment = self.get_queryset().get(pk=result.payment.pk)
        response = Response(self.get_serializer(payment).data, status=status.HTTP_201_CREATED)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


router = V1Router()
router.register("billing/invoices", InvoiceViewSet, basename="v1-invoice")
router.register("billing/payments", PaymentViewSet, basename="v1-payment")
urlpatterns = router.urls
