"""Billing pages: invoices (and the printable invoice), payments, overdue invoices, billing runs.

Views validate with forms and delegate to :mod:`billing.services`; the page
gate scopes every query to the active tenant. Reading needs ``billing.view``;
recording payments and running billing need ``billing.change``.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView

from portal.inputs import parse_id
from portal.models import WorkerHeartbeat
from portal.pages import HTMX_STOP_POLLING, FilteredListView, TenantViewMixin, fragment_response
from subscribers.models import Subscriber

from . import services
from .choices import InvoiceStatus
from .filters import InvoicePageFilter, PaymentPageFilter
from .forms import BillingRunForm, PaymentForm
from .models import BillingRun, Invoice, Payment, PaymentAllocation, Plan, Subscription
from .services import subscriber_balance


class BillingPageMixin(TenantViewMixin):
    permission = "billing.view"
    billing_tab = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["billing_tab"] = self.billing_tab
        context["today"] = timezone.now().date()
        return context


# --- invoices ------------------------------------------------------------------


class InvoiceListView(BillingPageMixin, FilteredListView):
    model = Invoice
    template_name = "billing/invoice_list.html"
    context_object_name = "invoices"
    filterset_class = InvoicePageFilter
    billing_tab = "invoices"

    def list_rows(self, matching):
        return matching.select_related("subscriber").order_by("-period_start", "-number_seq", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        subscriber_id = parse_id(self.request.GET.get("subscriber", ""))
        if subscriber_id is not None:
            context["for_subscriber"] = self.scoped(Subscriber).filter(pk=subscriber_id).first()
        return context


class InvoiceDetailView(BillingPageMixin, DetailView):
    model = Invoice
    template_name = "billing/invoice_detail.html"
    context_object_name = "invoice"
    billing_tab = "invoices"

    def get_queryset(self):
        return super().get_queryset().select_related("subscriber", "billing_run").prefetch_related("lines")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        invoice: Invoice = self.object
        context["allocations"] = (
            PaymentAllocation.objects.filter(invoice=invoice).select_related("payment").order_by("created", "id")
        )
        context["balance"] = subscriber_balance(invoice.subscriber).get(invoice.currency)
        context["can_record_payment"] = self.can("billing.change")
        return context


class OverdueListView(BillingPageMixin, FilteredListView):
    """Open invoices past their due date, oldest first; "beyond grace" ones are what dunning suspends."""

    model = Invoice
    template_name = "billing/overdue_list.html"
    context_object_name = "invoices"
    billing_tab = "overdue"

    def list_rows(self, matching):
        today = timezone.now().date()
        return (
            matching.filter(status=InvoiceStatus.OPEN, due_date__lt=today)
            .select_related("subscriber")
            .order_by("due_date", "id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["grace_cutoff"] = services.dunning_cutoff(self.tenant, context["today"])
        context["grace_days"] = self.tenant.dunning_grace_days
        return context


# --- payments ------------------------------------------------------------------


class PaymentListView(BillingPageMixin, FilteredListView):
    model = Payment
    template_name = "billing/payment_list.html"
    context_object_name = "payments"
    filterset_class = PaymentPageFilter
    billing_tab = "payments"

    def list_rows(self, matching):
        return matching.select_related("subscriber", "recorded_by").order_by("-received_on", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_record_payment"] = self.can("billing.change")
        return context


class PaymentCreateView(TenantViewMixin, View):
    """Record a payment; the hidden idempotency key makes a double submit record it once."""

    permission = "billing.change"
    template_name = "billing/payment_form.html"

    def subscribers(self):
        return self.scoped(Subscriber).order_by("surname", "name", "id")

    def preselected(self, request: HttpRequest) -> Subscriber | None:
        subscriber_id = (request.POST if request.method == "POST" else request.GET).get("preselected", "")
        subscriber_id = parse_id(subscriber_id or request.GET.get("subscriber", ""))
        if subscriber_id is None:
            return None
        return get_object_or_404(self.scoped(Subscriber), pk=subscriber_id)

    def default_currency(self, subscriber: Subscriber | None) -> str:
        """The currency the subscriber is invoiced in, else the tenant's plans' (not a hard-coded EUR)."""
        invoices = self.scoped(Invoice).order_by("-period_start", "-id")
        if subscriber is not None:
            invoices = invoices.filter(subscriber=subscriber)
        currency = invoices.values_list("currency", flat=True).first()
        return currency or self.scoped(Plan).values_list("currency", flat=True).first() or "EUR"

    def get(self, request: HttpRequest) -> HttpResponse:
        subscriber = self.preselected(request)
        initial = {"currency": self.default_currency(subscriber)}
        if subscriber is not None:
            initial["subscriber"] = subscriber.pk
        form = PaymentForm(subscribers=self.subscribers(), subscriber=subscriber, initial=initial)
        return self.render(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PaymentForm(request.POST, subscribers=self.subscribers(), subscriber=self.preselected(request))
        if not form.is_valid():
            return self.render(request, form, status=400)
        data = form.cleaned_data
        # The key space is shared with the API's Idempotency-Key: prefix the page's own keys.
        key = f"portal-{data['idempotency_key']}"
        fingerprint = services.request_fingerprint(
            {k: str(v.pk if k == "subscriber" else v) for k, v in data.items() if k != "idempotency_key"}
        )
        try:
            result = services.record_payment(
                self.tenant,
                subscriber=data["subscriber"],
                amount=data["amount"],
                currency=data["currency"],
                method=data["method"],
                received_on=data["received_on"],
                reference=data["reference"],
                by=request.user,
                idempotency_key=key,
                fingerprint=fingerprint,
            )
        except services.IdempotencyConflict:
            form.add_error(None, "This form was already submitted with other values. Reload the page to start over.")
            return self.render(request, form, status=409)
        payment = result.payment
        if result.replayed:
            messages.info(request, "This payment was already recorded (the form was submitted twice).")
        else:
            messages.success(
                request, f"Payment of {payment.amount} {payment.currency} recorded for {payment.subscriber}."
            )
        return redirect("subscribers:detail", pk=payment.subscriber_id)

    def render(self, request: HttpRequest, form: PaymentForm, status: int = 200) -> HttpResponse:
        context = {"form": form, "billing_tab": "payments"}
        return TemplateResponse(request, self.template_name, context, status=status)


# --- billing runs --------------------------------------------------------------


class BillingRunListView(BillingPageMixin, FilteredListView):
    model = BillingRun
    template_name = "billing/run_list.html"
    context_object_name = "runs"
    billing_tab = "runs"

    def list_rows(self, matching):
        return matching.select_related("started_by").order_by("-started_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_run"] = self.can("billing.change")
        context["form"] = kwargs.get("form") or BillingRunForm(initial={"period": f"{timezone.now():%Y-%m}"})
        return context


class BillingRunCreateView(BillingRunListView):
    """POST: record the run and hand it to a worker (after commit); the run page polls it."""

    permission = "billing.change"

    def get(self, request: HttpRequest) -> HttpResponse:
        return redirect("billing:runs")

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BillingRunForm(request.POST)
        if not form.is_valid():
            self.object_list = self.get_queryset()
            return self.render_to_response(self.get_context_data(form=form), status=400)
        run = services.queue_billing_run(
            self.tenant, form.cleaned_data["period"], by=request.user, trigger=f"portal ({request.user})"
        )
        return redirect("billing:run", pk=run.pk)


class BillingRunDetailView(BillingPageMixin, DetailView):
    model = BillingRun
    template_name = "billing/run_detail.html"
    context_object_name = "run"
    billing_tab = "runs"

    def get_queryset(self):
        return super().get_queryset().select_related("started_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(run_progress(self.object))
        return context


class BillingRunProgressView(TenantViewMixin, View):
    """Polled every second by the run page; answers 286 (stop polling) once the run finished."""

    permission = "billing.view"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = get_object_or_404(self.scoped(BillingRun).select_related("started_by"), pk=pk)
        context = {"run": run, **run_progress(run)}
        status = HTMX_STOP_POLLING if run.finished_at else 200
        return fragment_response(request, "billing/run_detail.html#progress", context, status=status)


def run_progress(run: BillingRun) -> dict:
    """How far a run is: subscribers done of those with a plan in the period, and whether a worker is alive."""
    subscribed = (
        Subscription.objects.filter(tenant_id=run.tenant_id, start_date__lte=run.period_end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=run.period_start))
        .values("subscriber_id")
        .distinct()
        .count()
        if not run.finished_at
        else None
    )
    done = run.created_count + run.already_invoiced_count
    if run.finished_at:
        percent = 100
    elif subscribed:
        percent = min(99, int(done * 100 / subscribed))
    else:
        percent = 0
    waiting = not run.finished_at and (timezone.now() - run.started_at) > timedelta(seconds=5)
    workers_alive = (
        WorkerHeartbeat.objects.filter(last_seen__gte=timezone.now() - timedelta(seconds=90)).exists()
        if waiting
        else True
    )
    return {"expected": subscribed, "done": done, "percent": percent, "workers_alive": workers_alive}


# --- printable invoice -----------------------------------------------------------


class InvoicePrintView(TenantViewMixin, DetailView):
    """A clean, self-contained HTML invoice for the browser's Print / Save as PDF."""

    permission = "billing.view"
    model = Invoice
    template_name = "billing/invoice_print.html"
    context_object_name = "invoice"

    def get_queryset(self):
        return super().get_queryset().select_related("subscriber", "tenant").prefetch_related("lines")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        invoice = self.object
        context["balance"] = subscriber_balance(invoice.subscriber).get(invoice.currency)
        return context
