"""Billing pages: the printable invoice."""

from __future__ import annotations

from django.views.generic import DetailView

from portal.views import TenantViewMixin

from .models import Invoice
from .services import subscriber_balance


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
