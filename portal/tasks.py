"""Celery entry points of the portal package (thin: the work is in services/models)."""

from celery import current_task, shared_task
from django.utils import timezone

from .models import WorkerHeartbeat


@shared_task(name="portal.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Scheduled by beat; proves end to end that broker, worker and database work."""
    hostname = (current_task.request.hostname if current_task else None) or "unknown"
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"last_seen": timezone.now()})
    return hostname
