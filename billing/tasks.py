"""Celery entry points of billing (thin: the work is in billing.services)."""

from celery import shared_task


@shared_task(name="billing.run_dunning", ignore_result=True)
def run_dunning() -> dict:
    """Daily (CELERY_BEAT_SCHEDULE): suspend debtors past the grace period, restore those who paid."""
    from .services import run_dunning as run

    result = run()
    return {"suspended": result.suspended, "restored": result.restored}
