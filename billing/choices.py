"""Enumerations of the billing app."""

from django.db import models


class BillingPeriod(models.TextChoices):
    """How often a plan's price recurs; invoices are monthly, so longer periods are spread per month."""

    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"


# Months per billing period: a plan's monthly charge is price / months.
PERIOD_MONTHS = {BillingPeriod.MONTHLY: 1, BillingPeriod.QUARTERLY: 3, BillingPeriod.YEARLY: 12}


class InvoiceStatus(models.TextChoices):
    # "Overdue" is not a status: it is an open invoice past its due date.
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    DIRECT_DEBIT = "direct_debit", "Direct debit"
    OTHER = "other", "Other"
