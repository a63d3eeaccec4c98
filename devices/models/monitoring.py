"""Live polling's records: each CPE's latest state, its history samples and its alerts.

- :class:`DeviceState`: one row per CPE, overwritten by every poll round
  (bulk_update per batch). What the live views and Krill's monitoring
  ``info`` answer from; it also carries the poller's per-device claim so a
  round still running is never polled twice.
- :class:`DeviceSample`: one row per successful poll of a CPE (signal, WAN,
  clients), kept ``NOC_SAMPLE_RETENTION_DAYS`` for the charts.
- :class:`Alert`: opened when a device goes offline or a reading crosses a
  threshold, closed when it recovers; at most one open per CPE and kind
  (a partial unique constraint is the backstop).
"""

from __future__ import annotations

from django.db import models

from portal.models import TenantOwned

from .inventory import Cpe


class AlertKind(models.TextChoices):
    OFFLINE = "offline", "Device offline"
    RX_LOW = "rx_low", "Optical Rx too low"
    RX_HIGH = "rx_high", "Optical Rx too high (overload)"
    RSRP_LOW = "rsrp_low", "Cellular RSRP too low"
    SINR_LOW = "sinr_low", "Cellular SINR too low"
    SIP_UNREGISTERED = "sip_unregistered", "SIP line not registered"


class AlertSeverity(models.TextChoices):
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class DeviceState(TenantOwned):
    """The latest polled state of one CPE (one row per CPE, created by the first poll round)."""

    cpe = models.OneToOneField(Cpe, on_delete=models.CASCADE, related_name="state", verbose_name="CPE")
    # None until the device has either answered or missed NOC_OFFLINE_AFTER_MISSES polls.
    online = models.BooleanField("online", null=True, blank=True)
    consecutive_misses = models.PositiveIntegerField("consecutive missed polls", default=0)
    state_changed = models.DateTimeField("state changed", null=True, blank=True)
    last_seen = models.DateTimeField("last seen", null=True, blank=True)
    last_polled = models.DateTimeField("last polled", null=True, blank=True)
    poll_ms = models.PositiveIntegerField("last poll duration (ms)", null=True, blank=True)
    last_error = models.CharField("last error", max_length=255, blank=True)
    output = models.CharField("last check output", max_length=255, blank=True)

    uptime_s = models.BigIntegerField("uptime (s)", null=True, blank=True)
    firmware = models.CharField("firmware", max_length=64, blank=True)
    # [{"id", "name", "up", "state", "ip", "type", "enabled"}] as the device reports its WANs.
    wan = models.JSONField("WAN connections", default=list, blank=True)
    rx_dbm = models.FloatField("optical Rx (dBm)", null=True, blank=True)
    tx_dbm = models.FloatField("optical Tx (dBm)", null=True, blank=True)
    rsrp = models.FloatField("RSRP (dBm)", null=True, blank=True)
    rsrq = models.FloatField("RSRQ (dB)", null=True, blank=True)
    sinr = models.FloatField("SINR (dB)", null=True, blank=True)
    carrier = models.CharField("carrier", max_length=64, blank=True)
    # [{"line", "enabled", "registered", "account", "state"}]
    sip = models.JSONField("SIP lines", default=list, blank=True)
    client_count = models.PositiveIntegerField("connected clients", null=True, blank=True)
    # The latest client list (the UI shows it): [{"mac", "ip", "name", "connection_type", "ssid", "signal", "active"}]
    clients = models.JSONField("clients", default=list, blank=True)

    # The poller's claim: set when a batch takes the device, cleared by its
    # write phase. A claim older than NOC_POLL_CLAIM_TTL_SECONDS is stale
    # (its worker died) and may be taken over.
    poll_claim = models.CharField("poll claim", max_length=36, blank=True, db_index=True)
    poll_claimed_at = models.DateTimeField("poll claimed at", null=True, blank=True)

    class Meta:
        verbose_name = "device state"
        verbose_name_plural = "device states"
        indexes = [models.Index(fields=["tenant", "online"], name="devicestate_tenant_online")]

    def __str__(self) -> str:
        return f"{self.cpe_id}: {'up' if self.online else 'down' if self.online is False else 'pending'}"


class DeviceSample(models.Model):
    """One successful poll of a CPE: the readings the charts plot.

    Not tenant-owned on purpose: samples are only ever read through their
    CPE (already scoped to the tenant), and at fleet scale the extra column
    and index cost more than they give.
    """

    id = models.BigAutoField(primary_key=True)
    cpe = models.ForeignKey(Cpe, on_delete=models.CASCADE, related_name="samples", verbose_name="CPE")
    at = models.DateTimeField("time")
    rx_dbm = models.FloatField("optical Rx (dBm)", null=True, blank=True)
    tx_dbm = models.FloatField("optical Tx (dBm)", null=True, blank=True)
    rsrp = models.FloatField("RSRP (dBm)", null=True, blank=True)
    rsrq = models.FloatField("RSRQ (dB)", null=True, blank=True)
    sinr = models.FloatField("SINR (dB)", null=True, blank=True)
    wan_up = models.PositiveSmallIntegerField("WANs up", null=True, blank=True)
    client_count = models.PositiveIntegerField("connected clients", null=True, blank=True)
    poll_ms = models.PositiveIntegerField("poll duration (ms)", null=True, blank=True)

    class Meta:
        verbose_name = "device sample"
        verbose_name_plural = "device samples"
        indexes = [
            models.Index(fields=["cpe", "at"], name="devicesample_cpe_at"),
            models.Index(fields=["at"], name="devicesample_at"),  # the retention prune
        ]

    def __str__(self) -> str:
        return f"{self.cpe_id}@{self.at:%Y-%m-%d %H:%M:%S}"


class Alert(TenantOwned):
    """A problem on one CPE, open until the device recovers."""

    cpe = models.ForeignKey(Cpe, on_delete=models.CASCADE, related_name="alerts", verbose_name="CPE")
    kind = models.CharField("kind", max_length=24, choices=AlertKind.choices)
    severity = models.CharField("severity", max_length=12, choices=AlertSeverity.choices)
    opened = models.DateTimeField("opened")
    closed = models.DateTimeField("closed", null=True, blank=True)
    message = models.CharField("message", max_length=255)
    value = models.FloatField("value when opened", null=True, blank=True)
    threshold = models.FloatField("threshold", null=True, blank=True)

    class Meta:
        ordering = ["-opened", "-id"]
        verbose_name = "alert"
        verbose_name_plural = "alerts"
        constraints = [
            models.UniqueConstraint(
                fields=["cpe", "kind"], condition=models.Q(closed__isnull=True), name="alert_one_open_per_cpe_kind"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "closed"], name="alert_tenant_closed"),
            models.Index(fields=["cpe", "closed"], name="alert_cpe_closed"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.cpe_id} ({'open' if self.closed is None else 'closed'})"

    @property
    def is_open(self) -> bool:
        return self.closed is None
