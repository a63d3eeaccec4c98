"""Alert rules (pure): what opens, what closes, hysteresis, no duplicates while open."""

from __future__ import annotations

import pytest

from devices.alerting import Reading, evaluate, rule_for, rules
from devices.models import AlertKind


def changes(reading: Reading, open_kinds=(), **kw) -> dict[str, bool]:
    return {c.kind: c.open for c in evaluate(reading, open_kinds, **kw)}


def up(**values) -> Reading:
    return Reading(online=True, reached=True, **values)


def line(n: int, *, enabled=True, registered=True, state="") -> dict:
    return {"line": n, "enabled": enabled, "registered": registered, "state": state}


def test_offline_opens_once_and_closes_on_the_next_answer():
    down = Reading(online=False, reached=False, last_error="DeviceTimeout: no answer in time")
    [change] = evaluate(down, ())
    assert change.kind == AlertKind.OFFLINE and change.open and change.severity == "critical"
    assert "DeviceTimeout" in change.message
    assert changes(down, {AlertKind.OFFLINE}) == {}  # already open: no duplicate
    assert changes(up(), {AlertKind.OFFLINE}) == {AlertKind.OFFLINE: False}


def test_soft_miss_changes_nothing():
    soft = Reading(online=True, reached=False, rx_dbm=None)
    assert changes(soft, {AlertKind.RX_LOW}) == {}  # no reading is not a recovery


@pytest.mark.parametrize(
    "kind,metric,bad,between,good",
    [
        (AlertKind.RX_LOW, "rx_dbm", -28.0, -26.5, -20.0),
        (AlertKind.RX_HIGH, "rx_dbm", -6.0, -7.5, -15.0),
        (AlertKind.RSRP_LOW, "rsrp", -115.0, -108.0, -90.0),
        (AlertKind.SINR_LOW, "sinr", -2.0, 1.0, 10.0),
    ],
)
def test_thresholds_with_hysteresis(kind, metric, bad, between, good):
    assert changes(up(**{metric: bad})).get(kind) is True
    assert kind not in changes(up(**{metric: between}))  # not crossed: nothing opens
    assert kind not in changes(up(**{metric: between}), {kind})  # crossed back, not past clear: stays open
    assert changes(up(**{metric: good}), {kind}).get(kind) is False
    [opened] = [c for c in evaluate(up(**{metric: bad}), ()) if c.kind == kind]
    assert opened.value == bad and opened.threshold == rule_for(kind).open


def test_boundary_is_not_a_crossing():
    assert changes(up(rx_dbm=-27.0)) == {}
    assert changes(up(rsrp=-110.0)) == {}


def test_sip_needs_two_polls_unregistered_and_closes_when_all_registered():
    trying = [line(1, registered=False, state="trying"), line(2)]
    assert changes(up(sip=trying, previous_sip=[line(1), line(2)])) == {}  # one refresh in flight
    opened = evaluate(up(sip=trying, previous_sip=trying), ())
    assert [(c.kind, c.open) for c in opened] == [(AlertKind.SIP_UNREGISTERED, True)]
    assert "line 1 trying" in opened[0].message
    assert changes(up(sip=trying, previous_sip=trying), {AlertKind.SIP_UNREGISTERED}) == {}
    assert changes(up(sip=[line(1), line(2)], previous_sip=trying), {AlertKind.SIP_UNREGISTERED}) == {
        AlertKind.SIP_UNREGISTERED: False
    }
    disabled = [line(1, enabled=False, registered=False)]
    assert changes(up(sip=disabled, previous_sip=disabled)) == {}  # a disabled line is not a fault


def test_thresholds_can_be_overridden():
    overridden = {"rx_low": {"open": -29.0, "clear": -28.0, "severity": "warning"}}
    assert changes(up(rx_dbm=-28.0), overrides=overridden) == {}
    [change] = evaluate(up(rx_dbm=-29.5), (), overrides=overridden)
    assert change.severity == "warning" and change.threshold == -29.0
    assert rules() == rules({})  # defaults untouched
