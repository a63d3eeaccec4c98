"""Celery entry points of billing (thin: the work is in billing.services)."""

from celery import shared_task

from . import services
from .models import BillingRun


@shared_task(name="billing.run_dunning", ignore_result=True)
def run_dunning() -> dict:
    """Daily (CELERY_BEAT_SCHEDULE): suspend debtors past the grace period, restore those who paid."""
    result = services.run_dunning()
    return {"suspended": result.suspended, "restored": result.restored}


@shared_task(name="billing.run_billing_period", ignore_result=True, acks_late=True)
def run_billing_period(run_id: int) -> dict:
    """Execute a billing run the page recorded (billing.services.start_billing_run).

    Idempotent: a redelivered task finds the run finished and does nothing;
    a run interrupted half-way is simply run again (the unique invoice per
    subscriber and period makes the second pass skip what the first issued).
    """
    run = BillingRun.objects.select_related("tenant", "started_by").filter(pk=run_id).first()
    if run is None or run.finished_at is not None:
        return {"run_id": run_id, "skipped": True}
    result = services.run_billing(run.tenant, run.period_start, by=run.started_by, trigger=run.trigger, run=run)
    return result.as_dict()
