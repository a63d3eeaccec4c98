"""Billing pages (mounted at /billing/)."""

from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("invoices/<int:pk>/print/", views.InvoicePrintView.as_view(), name="invoice-print"),
]
