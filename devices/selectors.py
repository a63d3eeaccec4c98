"""Read queries the action engine, the API and the UI share (devices app)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import alerting
from .actions.kinds import refusal
from .choices import ActionKind, ActionStatus, Tech
from .models import Alert, AlertKind, Cpe, DeviceAction, DeviceSample
from .models.actions import FINISHED_STATUSES
from .vendors import vendor

# Everything running an action on a CPE touches, in one query.
CPE_RELATED = (
    "tenant",
    "model",
    "customer",
    "profile",
    "tv_profile",
    "voip_profile",
    "wifi_profile",
    "address_profile",
)


def action_with_cpe(action_id: int) -> DeviceAction:
    """The action, its CPE and everything rendering needs (one query)."""
    related = ("cpe", *(f"cpe__{name}" for name in CPE_RELATED))
    return DeviceAction.objects.select_related(*related).get(pk=action_id)


def cpe_actions(tenant, cpe: Cpe) -> QuerySet[DeviceAction]:
    return DeviceAction.objects.for_tenant(tenant).filter(cpe=cpe).select_related("cpe").order_by("-created", "-id")


# ---------------------------------------------------------------------------
# Pages (devices.views): lists cost the same queries for 5 or 50 rows
# ---------------------------------------------------------------------------

# Points on the device page's signal chart: a day of 30 s polls is ~2,900; the chart thins them.
CHART_MAX_POINTS = 360
CHART_HOURS = 24


def device_rows(cpes: QuerySet[Cpe]) -> QuerySet[Cpe]:
    """The device list's rows: model, subscriber and live state joined, open alerts counted per row."""
    open_alerts = (
        Alert.objects.filter(cpe=OuterRef("pk"), closed__isnull=True)
        .order_by()
        .values("cpe")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        cpes.select_related("model", "customer", "state")
        # The client list and WAN details are the detail page's; the list needs the headline only.
        .defer("state__clients", "state__wan", "state__sip", "state__poll_claim", "state__poll_claimed_at")
        .annotate(open_alert_count=Coalesce(Subquery(open_alerts, output_field=IntegerField()), 0))
        .order_by("id")
    )


def state_of(cpe: Cpe):
    """The CPE's DeviceState, or None before its first poll round."""
    try:
        return cpe.state
    except ObjectDoesNotExist:
        return None


def model_refusal(cpe: Cpe, kind: str) -> str | None:
    """Why the CPE's model or record cannot do ``kind`` (no rendering, no database): for disabling a button."""
    try:
        capabilities = vendor(cpe.model.family).capabilities
    except LookupError:
        return f"There is no driver for {cpe.model.name} ({cpe.model.family})."
    return refusal(
        kind,
        family=cpe.model.family,
        model=cpe.model.name,
        capabilities=capabilities,
        disable_provision=cpe.disable_provision,
        disable_reconfig=cpe.disable_reconfig,
    )


def signal_chart(cpe: Cpe) -> dict[str, Any] | None:
    """The signal history the device page plots (optical Rx/Tx or RSRP/SINR) with the alert thresholds.

    None when the device has no signal to plot (phones, Ethernet routers).
    One query, newest first and thinned to CHART_MAX_POINTS so a day of
    samples stays a light page.
    """
    if cpe.tech == Tech.GPON:
        series = [("rx_dbm", "Optical Rx (dBm)", "#1971c2"), ("tx_dbm", "Optical Tx (dBm)", "#2f9e44")]
        kinds = [AlertKind.RX_LOW, AlertKind.RX_HIGH]
        unit = "dBm"
    elif cpe.tech == Tech.LTE:
        series = [("rsrp", "RSRP (dBm)", "#1971c2"), ("sinr", "SINR (dB)", "#f08c00")]
        kinds = [AlertKind.RSRP_LOW, AlertKind.SINR_LOW]
        unit = "dBm / dB"
    else:
        return None
    columns = [name for name, _, _ in series]
    since = timezone.now() - timedelta(hours=CHART_HOURS)
    rows = list(
        DeviceSample.objects.filter(cpe=cpe, at__gte=since)
        .order_by("-at")
        .values_list("at", *columns)[: CHART_MAX_POINTS * 4]
    )
    rows.reverse()
    step = max(1, len(rows) // CHART_MAX_POINTS)
    rows = rows[::step]
    thresholds = []
    for kind in kinds:
        rule = alerting.rule_for(kind, settings.NOC_ALERT_THRESHOLDS)
        if rule is not None:
            thresholds.append(
                {
                    "label": f"{rule.label} {'min' if rule.below else 'max'} ({rule.open:g} {rule.uom})",
                    "value": rule.open,
                    "metric": rule.metric,
                }
            )
    return {
        "labels": [timezone.localtime(row[0]).strftime("%H:%M:%S") for row in rows],
        "series": [
            {"key": name, "label": label, "color": color, "data": [row[i + 1] for row in rows]}
            for i, (name, label, color) in enumerate(series)
        ],
        "thresholds": thresholds,
        "unit": unit,
        "points": len(rows),
    }


def latest_drift(tenant, cpe: Cpe) -> dict[str, Any] | None:
    """The latest drift a diagnostic, reconfig or reprovision found (what GET .../drift answers)."""
    latest = (
        DeviceAction.objects.for_tenant(tenant)
        .filter(cpe=cpe, status=ActionStatus.SUCCEEDED, result__has_key="drift")
        .exclude(kind=ActionKind.UNPROVISION)
        .order_by("-finished", "-id")
        .first()
    )
    if latest is None or not isinstance(latest.result.get("drift"), dict):
        return None
    return {"action": latest, "checked": latest.finished, **latest.result["drift"]}


def batch_rows(batches: QuerySet) -> QuerySet:
    """Batches with their finished count (one aggregate per page, not one per row)."""
    return batches.annotate(
        finished_count=Count("actions", filter=Q(actions__status__in=FINISHED_STATUSES)),
        failed_count=Count("actions", filter=Q(actions__status="failed")),
    ).order_by("-created", "-id")


def skipped_rows(batch) -> list[dict[str, Any]]:
    """The batch's skipped devices with their CPE names (one query)."""
    ids = [row["cpe"] for row in batch.skipped if isinstance(row.get("cpe"), int)]
    names = dict(Cpe.objects.for_tenant(batch.tenant_id).filter(pk__in=ids).values_list("pk", "cpename")) if ids else {}
    return [
        {"cpe": row.get("cpe"), "name": names.get(row.get("cpe")), "reason": row.get("reason", "")}
        for row in batch.skipped
    ]
