"""Krill v2 ``/api/v2/monitoring``: live status of the monitored hosts (CPEs), their history and alarms.

Krill's seed only names the app ("current status of monitored hosts and
services, history, datasets, actions"); the shapes below follow the fields
Krill integrations read from it (Nagios vocabulary):

- ``GET cpes/{id}/info``: the host's live view — ``state`` ("up"/"down", or
  "pending" before the first decision), ``state_id`` (0 up / 1 down, null
  while pending), ``state_type`` ("soft" while misses are below the offline
  rule, else "hard"), ``uptime``, ``ips``, ``dnbw``/``upbw`` (the service
  profile's kbit/s), ``alarms`` (open alerts), ``output`` (the last check's
  text), ``registration`` (host, id, states per check, tags), ``services``
  (per check: ``output``, ``state_id`` 0 OK / 1 WARNING / 2 CRITICAL /
  3 UNKNOWN and ``perfdatas``), ``tech``.
- ``GET cpes/{id}/history?metric=rx_power&since=...&until=...``: samples, paginated.
- ``GET search/``: monitored hosts, Krill-paginated; filters ``type``,
  ``hostgroups``, ``topology``, ``state``, ``host``; ``joins=services,alarms``.
- ``GET alerts/`` and ``alerts/{id}/``: the tenant's alerts (``?open=1``, ``kind``, ``cpe``, ``severity``).

The CPE links ``/api/v2/cpes/{id}/info`` and ``/livestatus`` answer from the
same data (see :func:`monitoring_info` and :class:`LiveStatusSerializer`).
Services and their state ids are derived here from the latest DeviceState
and the open alerts; nothing is fetched from the device during a request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from devices import alerting
from devices.api.schema import INFO_EXAMPLE
from devices.choices import Tech
from devices.models import Alert, AlertKind, AlertSeverity, Cpe, DeviceSample, DeviceState
from devices.selectors import state_of
from portal.api.gate import TenantScopedMixin
from portal.api.krill import KrillDateTimeField, KrillRouter, parse_csv_param
from portal.inputs import query_id, time_in_bounds

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
SEVERITY_STATE = {AlertSeverity.WARNING: WARNING, AlertSeverity.CRITICAL: CRITICAL}
# Which alert kinds decide which service's state.
SERVICE_ALERTS: dict[str, tuple[str, ...]] = {
    "txrx": (AlertKind.RX_LOW, AlertKind.RX_HIGH),
    "cellular": (AlertKind.RSRP_LOW, AlertKind.SINR_LOW),
    "voip": (AlertKind.SIP_UNREGISTERED,),
}
# history ?metric= → (sample column, unit)
HISTORY_METRICS: dict[str, tuple[str, str]] = {
    "rx_power": ("rx_dbm", "dBm"),
    "tx_power": ("tx_dbm", "dBm"),
    "rsrp": ("rsrp", "dBm"),
    "rsrq": ("rsrq", "dB"),
    "sinr": ("sinr", "dB"),
    "clients": ("client_count", ""),
    "wan_up": ("wan_up", ""),
    "poll_ms": ("poll_ms", "ms"),
}
HOST_TYPES = ("cpe",)
_DT = KrillDateTimeField()


def _dt(value: datetime | None) -> str | None:
    return _DT.to_representation(value)


# ---------------------------------------------------------------------------
# Building the Krill shapes (pure functions of a CPE, its state and open alerts)
# ---------------------------------------------------------------------------


def host_state(state: DeviceState | None) -> tuple[str, int | None]:
    if state is None or state.online is None:
        return "pending", None
    return ("up", 0) if state.online else ("down", 1)


def state_type(state: DeviceState | None) -> str:
    # Nagios: a "soft" state is one not yet confirmed by the retry rule.
    return "soft" if state is not None and state.online and state.consecutive_misses else "hard"


def hostgroups(cpe: Cpe) -> list[str]:
    return [cpe.model.family, cpe.tech, cpe.model.name]


def _thresholds(*kinds: str) -> list[dict[str, Any]]:
    out = []
    for kind in kinds:
        rule = alerting.rule_for(kind, _overrides())
        if rule is not None:
            out.append(
                {
                    "kind": rule.kind,
                    "when": "below" if rule.below else "above",
                    "open": rule.open,
                    "clear": rule.clear,
                    "severity": rule.severity,
                }
            )
    return out


def _overrides() -> dict:
    return settings.NOC_ALERT_THRESHOLDS


def _perf(metric: str, value: float | int | None, uom: str, lo=None, hi=None, thresholds=None) -> dict[str, Any]:
    return {"metric": metric, "value": value, "uom": uom, "min": lo, "max": hi, "thresholds": thresholds or []}


def _service_state(state: DeviceState | None, open_kinds: set[str], service: str, has_reading: bool) -> int:
    if state is None or not state.online or not has_reading:
        return UNKNOWN
    worst = OK
    for kind in SERVICE_ALERTS.get(service, ()):
        if kind in open_kinds:
            worst = max(worst, SEVERITY_STATE.get(alerting.rule_for(kind, _overrides()).severity, WARNING))
    return worst


def services(cpe: Cpe, state: DeviceState | None, open_alerts: list[Alert]) -> dict[str, dict[str, Any]]:
    """Krill's per-service checks of one host, from the latest state."""
    kinds = {a.kind for a in open_alerts}
    s = state
    out: dict[str, dict[str, Any]] = {}
    if cpe.tech == Tech.GPON or (s and s.rx_dbm is not None):
        has = bool(s and s.rx_dbm is not None)
        out["txrx"] = {
            "output": f"Rx {s.rx_dbm:.2f} dBm, Tx {s.tx_dbm:.2f} dBm"
            if has and s.tx_dbm is not None
            else (f"Rx {s.rx_dbm:.2f} dBm" if has else "no optical reading"),
            "state_id": _service_state(s, kinds, "txrx", has),
            "perfdatas": [
                _perf(
                    "rx", s.rx_dbm if s else None, "dBm", -40.0, 10.0, _thresholds(AlertKind.RX_LOW, AlertKind.RX_HIGH)
                ),
                _perf("tx", s.tx_dbm if s else None, "dBm", -10.0, 10.0),
            ],
        }
    if cpe.tech == Tech.LTE or (s and s.rsrp is not None):
        has = bool(s and s.rsrp is not None)
        out["cellular"] = {
            "output": (
                f"RSRP {s.rsrp:.0f} dBm, RSRQ {s.rsrq if s.rsrq is not None else '-'} dB, "
                f"SINR {s.sinr if s.sinr is not None else '-'} dB{', ' + s.carrier if s.carrier else ''}"
            )
            if has
            else "no radio reading",
            "state_id": _service_state(s, kinds, "cellular", has),
            "perfdatas": [
                _perf("rsrp", s.rsrp if s else None, "dBm", -140.0, -44.0, _thresholds(AlertKind.RSRP_LOW)),
                _perf("rsrq", s.rsrq if s else None, "dB", -20.0, -3.0),
                _perf("sinr", s.sinr if s else None, "dB", -20.0, 30.0, _thresholds(AlertKind.SINR_LOW)),
            ],
        }
    if s and s.wan:
        enabled = [w for w in s.wan if w.get("enabled")]
        up = sum(1 for w in enabled if w.get("up"))
        out["wan"] = {
            "output": f"{up}/{len(enabled)} enabled WAN connections up",
            "state_id": UNKNOWN if not s.online else (OK if up == len(enabled) else WARNING),
            "perfdatas": [_perf("wan_up", up, "", 0, len(enabled))],
        }
    if s and s.sip:
        enabled = [line for line in s.sip if line.get("enabled")]
        registered = sum(1 for line in enabled if line.get("registered"))
        out["voip"] = {
            "output": f"{registered}/{len(enabled)} enabled SIP lines registered",
            "state_id": _service_state(s, kinds, "voip", True),
            "perfdatas": [_perf("sip_registered", registered, "", 0, len(enabled))],
        }
    if s and s.client_count is not None:
        out["clients"] = {
            "output": f"{s.client_count} clients connected",
            "state_id": OK if s.online else UNKNOWN,
            "perfdatas": [_perf("clients", s.client_count, "", 0, None)],
        }
    return out


def alarm(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "severity": alert.severity,
        "opened": _dt(alert.opened),
        "message": alert.message,
        "value": alert.value,
        "threshold": alert.threshold,
    }


def monitoring_info(cpe: Cpe, open_alerts: list[Alert]) -> dict[str, Any]:
    """Krill's ``monitoring/cpes/{id}/info`` of one CPE (needs ``state``, ``model``, ``profile`` loaded)."""
    state = state_of(cpe)
    name, state_id = host_state(state)
    checks = services(cpe, state, open_alerts)
    profile = cpe.profile
    data = {
        "id": cpe.pk,
        "alarms": [alarm(a) for a in open_alerts],
        "dnbw": profile.download_kbps if profile else None,
        "ips": sorted({w["ip"] for w in (state.wan if state else []) if w.get("ip")}),
        "last_check": _dt(state.last_polled) if state else None,
        "last_seen": _dt(state.last_seen) if state else None,
        "last_state_change": _dt(state.state_changed) if state else None,
        "output": state.output if state else "PENDING - not polled yet",
        "registration": {
            "host": cpe.cpename or cpe.sn,
            "id": cpe.pk,
            "states": {"host": state_id, **{svc: check["state_id"] for svc, check in checks.items()}},
            "tags": hostgroups(cpe),
        },
        "services": checks,
        "state": name,
        "state_id": state_id,
        "state_type": state_type(state),
        "tech": cpe.tech,
        "upbw": profile.upload_kbps if profile else None,
        "uptime": state.uptime_s if state else None,
    }
    return dict(sorted(data.items()))


def open_alerts_of(cpe: Cpe) -> list[Alert]:
    prefetched = getattr(cpe, "open_alerts", None)
    if prefetched is not None:
        return prefetched
    return list(Alert.objects.filter(cpe=cpe, closed__isnull=True).order_by("opened", "id"))


def open_alerts_prefetch() -> Prefetch:
    return Prefetch(
        "alerts", queryset=Alert.objects.filter(closed__isnull=True).order_by("opened", "id"), to_attr="open_alerts"
    )


# ---------------------------------------------------------------------------
# Serializers (explicit fields)
# ---------------------------------------------------------------------------


class AlertSerializer(serializers.ModelSerializer):
    host = serializers.SerializerMethodField()
    opened = KrillDateTimeField(read_only=True)
    closed = KrillDateTimeField(read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "cpe", "host", "kind", "severity", "opened", "closed", "message", "value", "threshold"]
        read_only_fields = fields

    def get_host(self, obj: Alert) -> str:
        return obj.cpe.cpename or obj.cpe.sn


class LiveStatusSerializer(serializers.ModelSerializer):
    """``/api/v2/cpes/{id}/livestatus``: the latest polled state as the poller stored it."""

    id = serializers.IntegerField(source="cpe_id", read_only=True)
    state = serializers.SerializerMethodField()
    state_id = serializers.SerializerMethodField()
    state_type = serializers.SerializerMethodField()
    last_check = KrillDateTimeField(source="last_polled", read_only=True)
    last_seen = KrillDateTimeField(read_only=True)
    last_state_change = KrillDateTimeField(source="state_changed", read_only=True)
    uptime = serializers.IntegerField(source="uptime_s", read_only=True)
    optical = serializers.SerializerMethodField()
    cellular = serializers.SerializerMethodField()
    alarms = serializers.SerializerMethodField()

    class Meta:
        model = DeviceState
        fields = [
            "id",
            "state",
            "state_id",
            "state_type",
            "online",
            "consecutive_misses",
            "last_check",
            "last_seen",
            "last_state_change",
            "last_error",
            "output",
            "poll_ms",
            "uptime",
            "firmware",
            "wan",
            "optical",
            "cellular",
            "sip",
            "client_count",
            "clients",
            "alarms",
        ]
        read_only_fields = fields

    def get_state(self, obj: DeviceState) -> str:
        return host_state(obj)[0]

    def get_state_id(self, obj: DeviceState) -> int | None:
        return host_state(obj)[1]

    def get_state_type(self, obj: DeviceState) -> str:
        return state_type(obj)

    def get_optical(self, obj: DeviceState) -> dict | None:
        return None if obj.rx_dbm is None else {"rx_dbm": obj.rx_dbm, "tx_dbm": obj.tx_dbm}

    def get_cellular(self, obj: DeviceState) -> dict | None:
        if obj.rsrp is None:
            return None
        return {"rsrp": obj.rsrp, "rsrq": obj.rsrq, "sinr": obj.sinr, "carrier": obj.carrier}

    def get_alarms(self, obj: DeviceState) -> list[dict]:
        return [alarm(a) for a in self.context.get("open_alerts", [])]


def livestatus(cpe: Cpe) -> dict[str, Any] | None:
    """The live status of ``cpe`` (None before its first poll round)."""
    state = state_of(cpe)
    if state is None:
        return None
    return LiveStatusSerializer(state, context={"open_alerts": open_alerts_of(cpe)}).data


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------


class MonitoredCpeViewSet(TenantScopedMixin, viewsets.GenericViewSet):
    """``/api/v2/monitoring/cpes/{id}/info`` and ``/history``."""

    queryset = Cpe.objects.all()
    permission_area = "devices"

    def get_queryset(self):
        return super().get_queryset().select_related("state", "model", "profile")

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="Krill's live view of a CPE (state, services and perfdatas, open alarms)",
        examples=[INFO_EXAMPLE],
    )
    @action(detail=True, methods=["get"], url_path="info", url_name="info")
    def info(self, request, pk=None):
        cpe = self.get_object()
        return Response(monitoring_info(cpe, open_alerts_of(cpe)))

    @extend_schema(
        parameters=[
            OpenApiParameter("metric", OpenApiTypes.STR, enum=sorted(HISTORY_METRICS), required=True),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="default: 24 hours ago"),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
            OpenApiParameter("limit", OpenApiTypes.INT),
            OpenApiParameter("offset", OpenApiTypes.INT),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="History samples of one metric (oldest first, Krill-paginated)",
    )
    @action(detail=True, methods=["get"], url_path="history", url_name="history")
    def history(self, request, pk=None):
        cpe = self.get_object()
        metric = request.query_params.get("metric", "")
        if metric not in HISTORY_METRICS:
            raise exceptions.ValidationError(
                {"metric": [f"Unknown metric {metric!r}. Known: {', '.join(sorted(HISTORY_METRICS))}."]}
            )
        column, uom = HISTORY_METRICS[metric]
        since = _parse_time(request, "since") or timezone.now() - timedelta(hours=24)
        until = _parse_time(request, "until")
        samples = DeviceSample.objects.filter(cpe=cpe, at__gte=since, **{f"{column}__isnull": False})
        if until is not None:
            samples = samples.filter(at__lt=until)
        page = self.paginate_queryset(samples.order_by("at", "id").values_list("at", column))
        response = self.get_paginated_response([{"at": _dt(at), "value": value} for at, value in page])
        response.data.update({"metric": metric, "uom": uom, "host": cpe.cpename or cpe.sn, "since": _dt(since)})
        return response


def _parse_time(request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    invalid = {name: ["Enter an ISO 8601 date-time, e.g. 2026-11-21T20:00:00+00:00."]}
    try:
        value = parse_datetime(raw.replace(" ", "+"))  # a "+" in a query string arrives as a space
    except ValueError:  # well-formed but impossible (month 13, offset of a day)
        raise exceptions.ValidationError(invalid) from None
    if value is None:
        raise exceptions.ValidationError(invalid)
    # Bounded: 9999-12-31T23:59:59-23:59 is past datetime's end once in UTC (an overflow, not a 400, before).
    value = value if timezone.is_aware(value) else timezone.make_aware(value)
    if not time_in_bounds(value):
        raise exceptions.ValidationError({name: ["Enter a date-time between the years 1900 and 9000."]})
    return value


class HostSearchViewSet(TenantScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """``/api/v2/monitoring/search/``: the monitored hosts, Krill-paginated."""

    queryset = Cpe.objects.all()
    permission_area = "devices"
    JOINS = ("services", "alarms")

    def _joins(self) -> set[str]:
        joins = set(parse_csv_param(self.request, "joins") or [])
        unknown = joins - set(self.JOINS)
        if unknown:
            raise exceptions.ValidationError(
                {"joins": [f"Cannot join {', '.join(sorted(unknown))}. Possible joins: {', '.join(self.JOINS)}."]}
            )
        return joins

    def get_queryset(self):
        params = self.request.query_params
        queryset = super().get_queryset().select_related("state", "model").order_by("id")
        kind = params.get("type")
        if kind and kind not in HOST_TYPES:
            return queryset.none()  # Krill also monitors OLTs, servers...; we only have CPEs
        groups = parse_csv_param(self.request, "hostgroups")
        if groups:
            queryset = queryset.filter(Q(model__family__in=groups) | Q(tech__in=groups) | Q(model__name__in=groups))
        if params.get("topology"):
            queryset = queryset.filter(topology__istartswith=params["topology"])
        if params.get("host"):
            queryset = queryset.filter(Q(cpename__icontains=params["host"]) | Q(sn__iexact=params["host"]))
        wanted = params.get("state")
        if wanted:
            states = {"up": Q(state__online=True), "down": Q(state__online=False)}
            states["pending"] = Q(state__isnull=True) | Q(state__online__isnull=True)
            if wanted not in states:
                raise exceptions.ValidationError({"state": ["Use up, down or pending."]})
            queryset = queryset.filter(states[wanted])
        if self._joins():
            queryset = queryset.prefetch_related(open_alerts_prefetch())
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("type", OpenApiTypes.STR, description="host type: `cpe`"),
            OpenApiParameter("hostgroups", OpenApiTypes.STR, description="any of: vendor family, tech, model"),
            OpenApiParameter("topology", OpenApiTypes.STR, description="topology prefix"),
            OpenApiParameter("state", OpenApiTypes.STR, enum=["up", "down", "pending"]),
            OpenApiParameter("host", OpenApiTypes.STR, description="CPE name (contains) or serial"),
            OpenApiParameter("joins", OpenApiTypes.STR, description="`services`, `alarms`"),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="Monitored hosts (Krill-paginated; follow next)",
    )
    def list(self, request, *args, **kwargs):
        joins = self._joins()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([self.host(cpe, joins) for cpe in page])

    @staticmethod
    def host(cpe: Cpe, joins: set[str]) -> dict[str, Any]:
        state = state_of(cpe)
        name, state_id = host_state(state)
        data: dict[str, Any] = {
            "_links": {
                "cpe": f"/api/v2/isp/cpes/{cpe.pk}/",
                "history": f"/api/v2/monitoring/cpes/{cpe.pk}/history",
                "info": f"/api/v2/monitoring/cpes/{cpe.pk}/info",
            },
            "host": cpe.cpename or cpe.sn,
            "hostgroups": hostgroups(cpe),
            "id": cpe.pk,
            "last_check": _dt(state.last_polled) if state else None,
            "output": state.output if state else "PENDING - not polled yet",
            "sn": cpe.sn,
            "state": name,
            "state_id": state_id,
            "state_type": state_type(state),
            "tech": cpe.tech,
            "topology": cpe.topology,
            "type": "cpe",
        }
        if "services" in joins:
            data["services"] = services(cpe, state, cpe.open_alerts)
        if "alarms" in joins:
            data["alarms"] = [alarm(a) for a in cpe.open_alerts]
        return dict(sorted(data.items()))


class AlertViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """``/api/v2/monitoring/alerts/``: the tenant's alerts, newest first (``?open=1`` for the open ones)."""

    queryset = Alert.objects.all()
    serializer_class = AlertSerializer
    permission_area = "devices"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("cpe")
        params = self.request.query_params
        if params.get("open") in ("1", "true", "yes"):
            queryset = queryset.filter(closed__isnull=True)
        elif params.get("open") in ("0", "false", "no"):
            queryset = queryset.filter(closed__isnull=False)
        for name in ("kind", "severity"):
            if params.get(name):
                queryset = queryset.filter(**{name: params[name]})
        cpe_id = query_id(params, "cpe")
        if cpe_id is not None:
            queryset = queryset.filter(cpe_id=cpe_id)
        return queryset


router = KrillRouter()
router.register("cpes", MonitoredCpeViewSet, basename="monitoring-cpe")
router.register("search", HostSearchViewSet, basename="monitoring-search")
router.register("alerts", AlertViewSet, basename="monitoring-alert")
urlpatterns = router.urls
