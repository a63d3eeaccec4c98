from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    BillingRun,
    Invoice,
    InvoiceLine,
    InvoiceNumberSequence,
    Payment,
    PaymentAllocation,
    Plan,
    Subscription,
)


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "tenant", "price", "currency", "billing_period", "tax_rate", "is_active"]
    list_filter = ["tenant", "currency", "billing_period", "is_active"]
    search_fields = ["name", "code"]


@admin.register(Subscription)
class SubscriptionAdmin(SimpleHistoryAdmin):
    list_display = ["subscriber", "plan", "tenant", "start_date", "end_date"]
    list_filter = ["tenant", "plan"]
    raw_id_fields = ["subscriber"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in InvoiceLine._meta.fields]


@admin.register(Invoice)
class InvoiceAdmin(SimpleHistoryAdmin):
    list_display = ["number", "subscriber", "tenant", "period_start", "status", "total", "currency", "due_date"]
    list_filter = ["tenant", "status", "period_start"]
    search_fields = ["number", "subscriber__name", "subscriber__surname"]
    raw_id_fields = ["subscriber", "billing_run"]
    # Numbers and amounts are fixed at issue: the admin shows them, never edits them.
    readonly_fields = ["number", "number_year", "number_seq", "subtotal", "tax", "total", "amount_paid", "issued_at"]
    inlines = [InvoiceLineInline]


class PaymentAllocationInline(admin.TabularInline):
    model = PaymentAllocation
    extra = 0
    can_delete = False
    readonly_fields = ["invoice", "amount", "created"]


@admin.register(Payment)
class PaymentAdmin(SimpleHistoryAdmin):
    list_display = ["subscriber", "tenant", "amount", "currency", "method", "received_on", "unapplied"]
    list_filter = ["tenant", "method", "currency"]
    search_fields = ["reference", "idempotency_key", "subscriber__name", "subscriber__surname"]
    raw_id_fields = ["subscriber"]
    readonly_fields = ["unapplied", "idempotency_key", "request_fingerprint", "recorded_by"]
    inlines = [PaymentAllocationInline]


@admin.register(BillingRun)
class BillingRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "tenant", "started_by", "created_count", "already_invoiced_count", "skipped_count"]
    list_filter = ["tenant"]


@admin.register(InvoiceNumberSequence)
class InvoiceNumberSequenceAdmin(admin.ModelAdmin):
    list_display = ["tenant", "year", "last_number"]
    # Editing the counter by hand would create gaps or duplicates.
    readonly_fields = ["tenant", "year", "last_number"]
