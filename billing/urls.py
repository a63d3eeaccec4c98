"""Billing pages (mounted at /billing/)."""

from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.InvoiceListView.as_view(), name="invoices"),
    path("invoices/", views.InvoiceListView.as_view(), name="invoice-list"),
    path("invoices/<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice"),
    path("invoices/<int:pk>/print/", views.InvoicePrintView.as_view(), name="invoice-print"),
    path("overdue/", views.OverdueListView.as_view(), name="overdue"),
    path("payments/", views.PaymentListView.as_view(), name="payments"),
    path("payments/new/", views.PaymentCreateView.as_view(), name="payment-create"),
    path("runs/", views.BillingRunListView.as_view(), name="runs"),
    path("runs/new/", views.BillingRunCreateView.as_view(), name="run-create"),
    path("runs/<int:pk>/", views.BillingRunDetailView.as_view(), name="run"),
    path("runs/<int:pk>/progress/", views.BillingRunProgressView.as_view(), name="run-progress"),
]
