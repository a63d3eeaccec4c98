"""Alert rules: from one poll's readings and the open alerts to "open this, close that".

Pure functions, no database: the poller (devices.polling) feeds them each
device's new state and the kinds of its open alerts, and turns the answer
into rows in its write phase.

Rules (thresholds overridable per kind with ``settings.NOC_ALERT_THRESHOLDS``,
e.g. ``{"rx_low": {"open": -28.0, "clear": -27.0}}``):

- offline: opens when the poller declares the device offline (after
  ``NOC_OFFLINE_AFTER_MISSES`` consecutive misses), closes on its next answer.
- rx_low / rx_high (GPON optical Rx), rsrp_low / sinr_low (cellular): open
  when the reading crosses ``open``, close only once it is back past ``clear``
  — the gap between the two is the hysteresis that keeps a reading hovering
  at the line from opening and closing an alert every round.
- sip_unregistered: an enabled SIP line that is not registered in two
  consecutive polls (one "trying" answer during a registration refresh is
  normal); closes when every enabled line is registered again.

A device that did not answer keeps its reading alerts as they are: no
reading is not a recovery.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .models.monitoring import AlertKind, AlertSeverity


@dataclass(frozen=True)
class ThresholdRule:
    """A reading that must stay above (``below=True``: alarm when under) or below a line."""

    kind: str
    metric: str  # attribute of :class:`Reading`
    label: str
    uom: str
    open: float
    clear: float
    below: bool = True
    severity: str = AlertSeverity.WARNING

    def crossed(self, value: float) -> bool:
        return value < self.open if self.below else value > self.open

    def recovered(self, value: float) -> bool:
        return value >= self.clear if self.below else value <= self.clear

    def message(self, value: float) -> str:
        side = "below" if self.below else "above"
        return f"{self.label} {value:.1f} {self.uom} {side} {self.open:.1f} {self.uom}"


# GPON class B+ receivers lose frames under about -28 dBm and overload above
# -8 dBm; LTE RSRP under -110 dBm / SINR under 0 dB is the cell edge.
DEFAULT_RULES: tuple[ThresholdRule, ...] = (
    ThresholdRule(AlertKind.RX_LOW, "rx_dbm", "Optical Rx", "dBm", -27.0, -26.0, severity=AlertSeverity.CRITICAL),
    ThresholdRule(AlertKind.RX_HIGH, "rx_dbm", "Optical Rx", "dBm", -7.0, -8.0, below=False),
    ThresholdRule(AlertKind.RSRP_LOW, "rsrp", "RSRP", "dBm", -110.0, -107.0),
    ThresholdRule(AlertKind.SINR_LOW, "sinr", "SINR", "dB", 0.0, 3.0),
)


def rules(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[ThresholdRule, ...]:
    """The threshold rules with ``overrides`` (``{kind: {"open": x, "clear": y, "severity": s}}``) applied."""
    if not overrides:
        return DEFAULT_RULES
    out = []
    for rule in DEFAULT_RULES:
        changes = overrides.get(rule.kind) or {}
        values = {k: changes[k] for k in ("open", "clear", "severity") if k in changes}
        out.append(ThresholdRule(**{**rule.__dict__, **values}) if values else rule)
    return tuple(out)


def rule_for(kind: str, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> ThresholdRule | None:
    return next((r for r in rules(overrides) if r.kind == kind), None)


@dataclass
class Reading:
    """What one poll round concluded about one device."""

    online: bool | None  # the decided state after this poll (None: not decided yet)
    reached: bool  # whether the device answered this poll
    rx_dbm: float | None = None
    tx_dbm: float | None = None
    rsrp: float | None = None
    sinr: float | None = None
    sip: Sequence[Mapping[str, Any]] = field(default_factory=list)
    previous_sip: Sequence[Mapping[str, Any]] = field(default_factory=list)
    last_error: str = ""


@dataclass(frozen=True)
class AlertChange:
    kind: str
    open: bool  # True: open one; False: close the open one
    severity: str = ""
    message: str = ""
    value: float | None = None
    threshold: float | None = None


def unregistered_lines(lines: Iterable[Mapping[str, Any]]) -> set[int]:
    return {int(line.get("line", 0)) for line in lines if line.get("enabled") and not line.get("registered")}


def evaluate(
    reading: Reading,
    open_kinds: Iterable[str],
    *,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[AlertChange]:
    """The alerts to open and close for one device after one poll."""
    open_kinds = set(open_kinds)
    changes: list[AlertChange] = []

    if reading.online is False and AlertKind.OFFLINE not in open_kinds:
        reason = f": {reading.last_error}" if reading.last_error else ""
        changes.append(
            AlertChange(AlertKind.OFFLINE, True, AlertSeverity.CRITICAL, f"Device not answering{reason}"[:255])
        )
    elif reading.reached and AlertKind.OFFLINE in open_kinds:
        changes.append(AlertChange(AlertKind.OFFLINE, False))

    if not reading.reached:
        return changes

    for rule in rules(overrides):
        value = getattr(reading, rule.metric)
        if value is None:
            continue
        if rule.kind in open_kinds:
            if rule.recovered(value):
                changes.append(AlertChange(rule.kind, False))
        elif rule.crossed(value):
            changes.append(AlertChange(rule.kind, True, rule.severity, rule.message(value), value, rule.open))

    now_down = unregistered_lines(reading.sip)
    if AlertKind.SIP_UNREGISTERED in open_kinds:
        if not now_down:
            changes.append(AlertChange(AlertKind.SIP_UNREGISTERED, False))
    else:
        persistent = now_down & unregistered_lines(reading.previous_sip)
        if persistent:
            states = {int(x.get("line", 0)): x.get("state") or "unregistered" for x in reading.sip}
            detail = ", ".join(f"line {n} {states.get(n)}" for n in sorted(persistent))
            changes.append(
                AlertChange(
                    AlertKind.SIP_UNREGISTERED,
                    True,
                    AlertSeverity.WARNING,
                    f"SIP not registered: {detail}"[:255],
                    float(len(persistent)),
                )
            )
    return changes
