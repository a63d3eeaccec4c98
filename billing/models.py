"""Plans, subscriptions, invoices, payments: the money side of a subscriber.

The guarantees live in the schema, not only in code:

* one invoice per subscriber per billing period
  (``invoice_one_per_subscriber_period``) — concurrent or repeated billing
  runs cannot double-bill, whatever the code above them does;
* invoice numbers are unique per tenant (``invoice_unique_number``) and
  drawn from :class:`InvoiceNumberSequence`, a counter row per tenant and
  year that is locked (``SELECT ... FOR UPDATE``) by the transaction that
  issues the invoices, so numbers are gapless;
* an Idempotency-Key is unique per tenant (``payment_unique_idempotency_key``),
  so a replayed payment request cannot record a second payment.

Money is ``Decimal`` with an explicit ISO 4217 currency on every row.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from portal.models import TenantOwned, acting_user

from .choices import BillingPeriod, InvoiceStatus, PaymentMethod

MONEY = {"max_digits": 14, "decimal_places": 2}
currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use an ISO 4217 code such as EUR or USD.")


class Plan(TenantOwned):
    """A service offer: price, speeds and the device profile it implies."""

    name = models.CharField("name", max_length=120)
    code = models.SlugField("code", max_length=50, help_text="Short stable identifier used by CRMs.")
    price = models.DecimalField("price", validators=[MinValueValidator(Decimal("0"))], **MONEY)
    currency = models.CharField("currency", max_length=3, default="EUR", validators=[currency_validator])
    billing_period = models.CharField(
        "billing period", max_length=16, choices=BillingPeriod.choices, default=BillingPeriod.MONTHLY
    )
    tax_rate = models.DecimalField(
        "tax rate (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    download_mbps = models.PositiveIntegerField("download speed (Mbit/s)", default=0)
    upload_mbps = models.PositiveIntegerField("upload speed (Mbit/s)", default=0)
    # The internet service profile provisioning renders onto the CPE for this
    # plan (speeds, VLAN, WAN mode); optional while a tenant builds its profiles.
    service_profile = models.ForeignKey(
        "devices.ServiceProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name="device service profile",
    )
    is_active = models.BooleanField("offered", default=True)
    created = models.DateTimeField("created", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "plan"
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="plan_unique_code_per_tenant")]

    def __str__(self) -> str:
        return f"{self.name} ({self.price} {self.currency})"


class Subscription(TenantOwned):
    """A subscriber on a plan from ``start_date`` to ``end_date`` (inclusive; open-ended if empty)."""

    subscriber = models.ForeignKey(
        "subscribers.Subscriber", on_delete=models.PROTECT, related_name="subscriptions", verbose_name="subscriber"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions", verbose_name="plan")
    start_date = models.DateField("start date")
    end_date = models.DateField("end date", null=True, blank=True)
    created = models.DateTimeField("created", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["subscriber_id", "start_date"]
        verbose_name = "subscription"
        indexes = [models.Index(fields=["tenant", "start_date", "end_date"], name="subscription_tenant_dates")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="subscription_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} on {self.plan_id} from {self.start_date}"


class BillingRun(TenantOwned):
    """One execution of "invoice this period": who ran it and what it did (repeated runs are fine)."""

    period_start = models.DateField("period start")
    period_end = models.DateField("period end")
    started_by = acting_user("started by")
    trigger = models.CharField("triggered by", max_length=120, blank=True)
    created_count = models.PositiveIntegerField("invoices created", default=0)
    already_invoiced_count = models.PositiveIntegerField("already invoiced", default=0)
    skipped_count = models.PositiveIntegerField("skipped", default=0)
    started_at = models.DateTimeField("started", auto_now_add=True)
    finished_at = models.DateTimeField("finished", null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "billing run"

    def __str__(self) -> str:
        return f"Billing run {self.period_start:%Y-%m} #{self.pk}"


class InvoiceNumberSequence(TenantOwned):
    """The last invoice number issued for a tenant in a year.

    The issuing transaction locks this row, so two issuers take numbers one
    after the other and a rolled-back issue gives its numbers back: no gaps,
    no duplicates.
    """

    year = models.PositiveIntegerField("year")
    last_number = models.PositiveIntegerField("last number issued", default=0)

    class Meta:
        verbose_name = "invoice number sequence"
        constraints = [models.UniqueConstraint(fields=["tenant", "year"], name="invoice_sequence_unique_year")]

    def __str__(self) -> str:
        return f"{self.year}/{self.last_number:06d}"


class Invoice(TenantOwned):
    """A subscriber's bill for one period. Numbered when issued; amounts fixed at issue."""

    subscriber = models.ForeignKey(
        "subscribers.Subscriber", on_delete=models.PROTECT, related_name="invoices", verbose_name="subscriber"
    )
    billing_run = models.ForeignKey(
        BillingRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name="billing run",
    )
    period_start = models.DateField("period start")
    period_end = models.DateField("period end")
    number = models.CharField("number", max_length=20, blank=True)
    number_year = models.PositiveIntegerField("number year", null=True, blank=True)
    number_seq = models.PositiveIntegerField("number sequence", null=True, blank=True)
    status = models.CharField("status", max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)
    currency = models.CharField("currency", max_length=3, validators=[currency_validator])
    subtotal = models.DecimalField("subtotal", **MONEY)
    tax = models.DecimalField("tax", **MONEY)
    total = models.DecimalField("total", **MONEY)
    amount_paid = models.DecimalField("amount paid", default=Decimal("0.00"), **MONEY)
    issued_at = models.DateTimeField("issued", null=True, blank=True)
    due_date = models.DateField("due date", null=True, blank=True)
    paid_at = models.DateTimeField("paid", null=True, blank=True)
    created = models.DateTimeField("created", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_start", "number_seq", "id"]
        verbose_name = "invoice"
        indexes = [
            models.Index(fields=["tenant", "status", "due_date"], name="invoice_tenant_status_due"),
            models.Index(fields=["subscriber", "status"], name="invoice_subscriber_status"),
        ]
        constraints = [
            # The guarantee against double billing: a second run (or a
            # concurrent one) cannot insert another invoice for the period.
            models.UniqueConstraint(
                fields=["tenant", "subscriber", "period_start"], name="invoice_one_per_subscriber_period"
            ),
            models.UniqueConstraint(
                fields=["tenant", "number"], condition=~models.Q(number=""), name="invoice_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"unnumbered #{self.pk}"

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid

    def is_overdue(self, today) -> bool:
        return self.status == InvoiceStatus.OPEN and self.due_date is not None and self.due_date < today


class InvoiceLine(models.Model):
    """One charge on an invoice: a plan for (part of) the period, prorated by day."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name="invoice")
    plan = models.ForeignKey(
        Plan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="plan"
    )
    description = models.CharField("description", max_length=255)
    service_start = models.DateField("service from")
    service_end = models.DateField("service to")
    days = models.PositiveIntegerField("days charged")
    period_days = models.PositiveIntegerField("days in period")
    unit_price = models.DecimalField("monthly price", **MONEY)
    tax_rate = models.DecimalField("tax rate (%)", max_digits=5, decimal_places=2)
    amount = models.DecimalField("amount", **MONEY)
    tax = models.DecimalField("tax", **MONEY)

    class Meta:
        ordering = ["invoice_id", "id"]
        verbose_name = "invoice line"

    def __str__(self) -> str:
        return self.description


class Payment(TenantOwned):
    """Money received from a subscriber; applied to their oldest open invoices."""

    subscriber = models.ForeignKey(
        "subscribers.Subscriber", on_delete=models.PROTECT, related_name="payments", verbose_name="subscriber"
    )
    amount = models.DecimalField("amount", validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    currency = models.CharField("currency", max_length=3, validators=[currency_validator])
    method = models.CharField("method", max_length=16, choices=PaymentMethod.choices, default=PaymentMethod.OTHER)
    reference = models.CharField("reference", max_length=120, blank=True)
    received_on = models.DateField("received on")
    # What is left to apply (credit) once open invoices are settled.
    unapplied = models.DecimalField("unapplied credit", default=Decimal("0.00"), **MONEY)
    idempotency_key = models.CharField("idempotency key", max_length=255, blank=True)
    # SHA-256 of the canonical request body: same key + other body is a conflict.
    request_fingerprint = models.CharField("request fingerprint", max_length=64, blank=True)
    recorded_by = acting_user("recorded by")
    created = models.DateTimeField("recorded", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = "payment"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="payment_unique_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.received_on}"


class PaymentAllocation(models.Model):
    """How much of a payment settled which invoice."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations", verbose_name="payment")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations", verbose_name="invoice")
    amount = models.DecimalField("amount", **MONEY)
    created = models.DateTimeField("applied", auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "payment allocation"

    def __str__(self) -> str:
        return f"{self.amount} of payment {self.payment_id} to invoice {self.invoice_id}"
