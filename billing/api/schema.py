"""OpenAPI examples of the billing app's ISPChamp v1 API (written as the data; V1AutoSchema adds the envelope)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

# POST billing/invoices/generate: the period asked for, and the run's counts.
GENERATE_EXAMPLES = [
    OpenApiExample("November 2026", value={"period": "2026-11"}, request_only=True),
    OpenApiExample(
        "Counts",
        value={
            "run_id": 7,
            "period": "2026-11",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "created": 1840,
            "already_invoiced": 12,
            "skipped": 3,
        },
        response_only=True,
    ),
]

# POST billing/payments
PAYMENT_EXAMPLES = [
    OpenApiExample(
        "Bank transfer",
        value={
            "subscriber": 42,
            "amount": "36.00",
            "currency": "EUR",
            "method": "bank_transfer",
            "reference": "TRX 2026-11-0042",
            "received_on": "2026-12-03",
        },
        request_only=True,
    )
]
