"""The engine's database side without a worker: leases, the reaper, backoff, give-up, the dashboard tiles."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from devices import actions
from devices.actions import reaper, runner
from devices.actions.config import ActionSettings
from devices.choices import ActionKind, ActionStatus
from devices.dashboard import action_tiles
from devices.models import DeviceAction, DeviceLease
from devices.tasks import run_action
from tests.devices.factories import CpeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    """The task messages the engine would send: [(action_id, countdown)]."""
    sent: list[tuple[int, float | None]] = []
    for module in (runner, reaper):  # the two that send messages of their own (retries, busy devices, recovery)
        monkeypatch.setattr(module, "enqueue", lambda action_id, countdown=None: sent.append((action_id, countdown)))
    return sent


def _action(tenant, **fields) -> DeviceAction:
    cpe = fields.pop("cpe", None) or CpeFactory(tenant=tenant)
    return DeviceAction.objects.create(tenant=tenant, cpe=cpe, kind=fields.pop("kind", ActionKind.REBOOT), **fields)


def _lost(tenant, attempts: int, **fields) -> DeviceAction:
    stale = timezone.now() - datetime.timedelta(minutes=5)
    action = _action(
        tenant, status=ActionStatus.RUNNING, attempts=attempts, heartbeat=stale, started=stale, worker="w1:42", **fields
    )
    DeviceLease.objects.create(cpe=action.cpe, action=action, holder="w1:42", acquired=stale, expires_at=stale)
    return action


def test_reaper_requeues_a_lost_action_with_attempts_left(tenant_a, enqueued):
    action = _lost(tenant_a, attempts=1, max_attempts=3)
    fresh = _action(tenant_a, status=ActionStatus.RUNNING, attempts=1, heartbeat=timezone.now(), started=timezone.now())
    assert actions.reap_lost()["requeued"] == 1
    action.refresh_from_db()
    assert action.status == ActionStatus.QUEUED and action.worker == ""
    assert not DeviceLease.objects.filter(action=action).exists()
    assert enqueued == [(action.pk, None)]
    step = action.steps.get()
    assert "worker w1:42 went silent" in step.message and "requeued by the reaper" in step.message
    fresh.refresh_from_db()
    assert fresh.status == ActionStatus.RUNNING  # a live heartbeat is left alone


def test_reaper_fails_a_lost_action_without_attempts_left(tenant_a, enqueued):
    action = _lost(tenant_a, attempts=3, max_attempts=3)
    assert actions.reap_lost()["failed"] == 1
    action.refresh_from_db()
    assert action.status == ActionStatus.FAILED and action.finished is not None
    assert action.error.startswith("worker lost")
    assert "no attempts left (3 of 3): failed by the reaper" in action.steps.get().message
    assert enqueued == []


def test_reaper_expires_overdue_and_resends_forgotten_messages(tenant_a, enqueued, settings):
    past = timezone.now() - datetime.timedelta(hours=2)
    overdue = _action(tenant_a, not_after=past)
    forgotten = _action(tenant_a, enqueued=past)
    recent = _action(tenant_a, enqueued=timezone.now())
    counts = actions.reap_lost()
    assert counts["expired"] == 1 and counts["reenqueued"] == 1
    overdue.refresh_from_db()
    assert overdue.status == ActionStatus.EXPIRED
    assert enqueued == [(forgotten.pk, None)]
    recent.refresh_from_db()
    assert recent.status == ActionStatus.QUEUED


def test_lease_is_exclusive_until_it_expires(tenant_a):
    cpe = CpeFactory(tenant=tenant_a)
    first, second = _action(tenant_a, cpe=cpe), _action(tenant_a, cpe=cpe)
    now, lease_s = timezone.now(), ActionSettings.from_settings().lease_s
    assert runner._acquire_lease(first, "w1", now, lease_s) is None
    assert runner._acquire_lease(second, "w2", now, lease_s) == first.pk
    assert runner._acquire_lease(first, "w1", now, lease_s) is None  # its own lease: renewed
    later = now + datetime.timedelta(seconds=lease_s + 1)
    assert runner._acquire_lease(second, "w2", later, lease_s) is None  # the holder went silent
    assert DeviceLease.objects.get(cpe=cpe).action_id == second.pk


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.NOC_ACTION_RETRY_BASE_S = 2
    settings.NOC_ACTION_RETRY_MAX_S = 10
    for attempt, ceiling in ((1, 2), (2, 4), (3, 8), (4, 10), (9, 10)):
        config = ActionSettings.from_settings()
        delays = [config.retry_delay(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1


def test_a_task_that_keeps_killing_its_worker_fails_its_action(tenant_a):
    action = _lost(tenant_a, attempts=1)
    run_action.on_give_up((action.pk,), {})
    action.refresh_from_db()
    assert action.status == ActionStatus.FAILED and "worker died" in action.steps.last().message


def test_run_skips_rows_that_are_not_queued(tenant_a):
    done = _action(tenant_a, status=ActionStatus.SUCCEEDED)
    assert actions.run(done.pk).status == "skipped"
    assert actions.run(987654).status == "missing"


def test_dashboard_tiles_count_running_and_recent_failures(tenant_a, tenant_b):
    _action(tenant_a, status=ActionStatus.RUNNING)
    _action(tenant_a, status=ActionStatus.FAILED, finished=timezone.now())
    _action(tenant_a, status=ActionStatus.FAILED, finished=timezone.now() - datetime.timedelta(hours=3))
    _action(tenant_b, status=ActionStatus.RUNNING)
    tiles = {t.key: t.value for t in action_tiles(tenant_a, "noc")}
    assert tiles == {"actions_running": 1, "actions_failed_hour": 1}


def test_a_cpe_changed_after_queuing_is_refused_when_due(tenant_a, enqueued):
    action = _action(tenant_a, kind=ActionKind.REPROVISION)
    action.cpe.management_address = "127.0.0.9"
    action.cpe.disable_provision = True
    action.cpe.save()
    assert actions.run(action.pk).status == ActionStatus.FAILED
    action.refresh_from_db()
    assert action.status == ActionStatus.FAILED and "Provisioning is disabled" in action.error
    assert action.steps.last().message.startswith("refused when due to run:")
    assert enqueued == []


def test_busy_device_requeues_without_touching_it(tenant_a, enqueued, django_assert_max_num_queries):
    cpe = CpeFactory(tenant=tenant_a, management_address="127.20.0.9")
    holder = _action(tenant_a, cpe=cpe, status=ActionStatus.RUNNING)
    DeviceLease.objects.create(
        cpe=cpe, action=holder, acquired=timezone.now(), expires_at=timezone.now() + datetime.timedelta(minutes=1)
    )
    waiting = _action(tenant_a, cpe=cpe)
    # One joined load, the lease try, the wait step: 7 statements (plus the test transaction's savepoints),
    # not one per relation.
    with django_assert_max_num_queries(14):
        assert actions.run(waiting.pk).status == "busy"
    assert enqueued and enqueued[0][0] == waiting.pk
    assert waiting.steps.get().message == f"waiting: action {holder.pk} is changing this device"
