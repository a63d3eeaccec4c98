"""Tenant isolation of device actions, their steps and action batches."""

from devices.choices import ActionKind
from devices.models import ActionBatch, DeviceAction, DeviceActionStep
from tests.devices.factories import CpeFactory
from tests.tenant_isolation import IsolatedResource, register, register_collection


def _action(tenant):
    cpe = CpeFactory(tenant=tenant)
    action = DeviceAction.objects.create(tenant=tenant, cpe=cpe, kind=ActionKind.REBOOT)
    DeviceActionStep.objects.create(action=action, seq=1, time=action.created, message="queued")
    return action


def _batch(tenant):
    batch = ActionBatch.objects.create(tenant=tenant, kind=ActionKind.REBOOT, total=1)
    action = _action(tenant)
    action.batch = batch
    action.save(update_fields=["batch"])
    return batch


register_collection(
    "krill-actions",
    _action,
    "/api/v2/isp/actions/",
    methods=("GET",),
    subresources=("steps",),
    row_actions=("cancel",),
)

register_collection(
    "krill-action-batches",
    _batch,
    "/api/v2/isp/action_batches/",
    methods=("GET",),
    row_actions=("cancel",),
)

register(
    IsolatedResource(
        name="krill-cpe-drift",
        create=lambda tenant: CpeFactory(tenant=tenant),
        list_url=None,
        detail_url=lambda row: f"/api/v2/isp/cpes/{row.pk}/drift",
        methods=("GET",),
        extra_urls=(lambda row: f"/api/v2/cpes/{row.pk}/drift",),
    )
)
