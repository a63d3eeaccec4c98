"""Krill's /api/v2/monitoring and the CPE live links, answered from real polls of the simulated fleet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devices import polling
from devices.dashboard import monitoring_tiles
from devices.models import Alert, AlertKind, DeviceSample, DeviceState
from portal.choices import Role
from portal.dashboard import dashboard_tiles
from tests.devices.factories import CpeFactory, ServiceProfileFactory
from tests.devices.polling_fleet import FAST, cpes_for, first, reset_faults

pytestmark = pytest.mark.django_db

INFO_KEYS = {
    "id",
    "alarms",
    "dnbw",
    "ips",
    "last_check",
    "last_seen",
    "last_state_change",
    "output",
    "registration",
    "services",
    "state",
    "state_id",
    "state_type",
    "tech",
    "upbw",
    "uptime",
}
# SQL queries of a search page: 3 for the tenant gate (token, integration client,
# membership), COUNT, the page (CPE + state + model in one join), +1 for the
# open alarms when services/alarms are joined. Independent of the page size.
SEARCH_QUERIES = {"": 5, "joins=services": 6, "joins=services,alarms&hostgroups=halny,lte": 6}


@pytest.fixture
def polled(sim_fleet, tenant_a):
    for device in sim_fleet.devices:
        reset_faults(sim_fleet, device.serial)
    cpes = cpes_for(tenant_a, sim_fleet.devices)
    profile = ServiceProfileFactory(tenant=tenant_a, download_kbps=300_000, upload_kbps=100_000)
    halny = cpes[first(sim_fleet, "halny").serial]
    halny.profile = profile
    halny.save()
    polling.poll_all(batch_size=50, options=FAST)
    return cpes


def by_vendor(sim_fleet, cpes, vendor):
    return cpes[first(sim_fleet, vendor).serial]


def test_info_answers_krill_shape_for_every_vendor(api, sim_fleet, polled):
    halny = by_vendor(sim_fleet, polled, "halny")
    info = api.get(f"/api/v2/monitoring/cpes/{halny.pk}/info").json()
    assert set(info) == INFO_KEYS and list(info) == sorted(info)
    assert info["state"] == "up" and info["state_id"] == 0 and info["state_type"] == "hard"
    assert info["tech"] == "gpon" and info["dnbw"] == 300_000 and info["upbw"] == 100_000
    assert info["alarms"] == [] and info["output"].startswith("UP - ")
    assert info["registration"] == {
        "host": halny.cpename,
        "id": halny.pk,
        "states": {"host": 0, **{name: s["state_id"] for name, s in info["services"].items()}},
        "tags": ["halny", "gpon", halny.model.name],
    }
    txrx = info["services"]["txrx"]
    assert txrx["state_id"] == 0 and txrx["output"].startswith("Rx ")
    rx = next(p for p in txrx["perfdatas"] if p["metric"] == "rx")
    assert rx["uom"] == "dBm" and -30 < rx["value"] < -5
    assert {"min", "max", "thresholds"} <= set(rx) and rx["thresholds"][0]["kind"] == "rx_low"
    assert info["services"]["clients"]["perfdatas"][0]["value"] >= 1

    peplink = api.get(f"/api/v2/monitoring/cpes/{by_vendor(sim_fleet, polled, 'peplink').pk}/info").json()
    assert peplink["tech"] == "lte" and peplink["ips"]
    metrics = {p["metric"]: p for p in peplink["services"]["cellular"]["perfdatas"]}
    assert metrics["rsrp"]["value"] is not None and metrics["rsrp"]["uom"] == "dBm"
    assert peplink["services"]["wan"]["state_id"] == 0

    fanvil = api.get(f"/api/v2/monitoring/cpes/{by_vendor(sim_fleet, polled, 'fanvil').pk}/info").json()
    assert fanvil["state"] == "up" and "voip" in fanvil["services"] and "txrx" not in fanvil["services"]


def test_info_shows_alarms_and_down_hosts(api, sim_fleet, polled):
    device = first(sim_fleet, "halny")
    cpe = polled[device.serial]
    simulator = sim_fleet.fleet.get(device.serial).simulator
    saved = simulator.rx_base, simulator.rx_clamp
    try:
        simulator.rx_base, simulator.rx_clamp = -29.5, False
        polling.poll_all(batch_size=50, options=FAST)
    finally:
        simulator.rx_base, simulator.rx_clamp = saved
    info = api.get(f"/api/v2/monitoring/cpes/{cpe.pk}/info").json()
    [alarm] = info["alarms"]
    assert alarm["kind"] == "rx_low" and alarm["severity"] == "critical" and alarm["threshold"] == -27.0
    assert info["services"]["txrx"]["state_id"] == 2 and info["registration"]["states"]["txrx"] == 2

    DeviceState.objects.filter(cpe=cpe).update(online=False, consecutive_misses=3, output="DOWN - refused")
    info = api.get(f"/api/v2/monitoring/cpes/{cpe.pk}/info").json()
    assert info["state"] == "down" and info["state_id"] == 1 and info["output"] == "DOWN - refused"
    assert info["services"]["txrx"]["state_id"] == 3  # unknown while the host is down


def test_cpe_links_info_and_livestatus_point_at_the_live_data(api, sim_fleet, polled):
    cpe = by_vendor(sim_fleet, polled, "peplink")
    info = api.get(f"/api/v2/cpes/{cpe.pk}/info").json()
    assert set(info) >= INFO_KEYS  # the monitoring view...
    assert info["sn"] == cpe.sn and "_services" in info and info["model"]["name"] == cpe.model.name  # ...and inventory
    live = api.get(f"/api/v2/isp/cpes/{cpe.pk}/livestatus").json()
    assert live["id"] == cpe.pk and live["state"] == "up" and live["online"] is True
    assert live["cellular"]["rsrp"] is not None and live["optical"] is None
    assert live["client_count"] == len(live["clients"]) and live["wan"]
    assert [a["id"] for a in live["alarms"]] == list(
        Alert.objects.filter(cpe=cpe, closed=None).order_by("opened", "id").values_list("id", flat=True)
    )
    assert live["last_check"] and live["firmware"]
    # cwmp_info stays 501: the portal has no TR-069 ACS to ask.
    assert api.get(f"/api/v2/cpes/{cpe.pk}/cwmp_info").status_code == 501


def test_pending_before_the_first_poll(api, tenant_a):
    cpe = CpeFactory(tenant=tenant_a)
    info = api.get(f"/api/v2/monitoring/cpes/{cpe.pk}/info").json()
    assert info["state"] == "pending" and info["state_id"] is None and info["last_check"] is None
    assert info["services"]["txrx"]["state_id"] == 3
    live = api.get(f"/api/v2/cpes/{cpe.pk}/livestatus").json()
    assert live == {"id": cpe.pk, "state": "pending", "state_id": None, "output": "PENDING - not polled yet"}


def test_history(api, sim_fleet, polled):
    cpe = by_vendor(sim_fleet, polled, "halny")
    polling.poll_all(batch_size=50, options=FAST)
    old = DeviceSample.objects.create(cpe=cpe, at=timezone.now() - timedelta(days=3), rx_dbm=-19.0)
    body = api.get(f"/api/v2/monitoring/cpes/{cpe.pk}/history", {"metric": "rx_power"}).json()
    assert body["count"] == 2 and body["metric"] == "rx_power" and body["uom"] == "dBm"
    assert [p["value"] for p in body["results"]] == list(
        DeviceSample.objects.filter(cpe=cpe).exclude(pk=old.pk).order_by("at").values_list("rx_dbm", flat=True)
    )
    since = (timezone.now() - timedelta(days=4)).isoformat()
    page = api.get(f"/api/v2/monitoring/cpes/{cpe.pk}/history", {"metric": "rx_power", "since": since, "limit": 1})
    page = page.json()
    assert page["count"] == 3 and page["results"][0]["value"] == -19.0 and "offset=1" in page["next"]
    assert api.get(f"/api/v2/monitoring/cpes/{cpe.pk}/history", {"metric": "rsrp"}).json()["count"] == 0
    bad = api.get(f"/api/v2/monitoring/cpes/{cpe.pk}/history", {"metric": "temperature"})
    assert bad.status_code == 400 and "rx_power" in str(bad.json())
    url = f"/api/v2/monitoring/cpes/{cpe.pk}/history"
    assert api.get(url, {"metric": "sinr", "since": "yesterday"}).status_code == 400


def test_search_paginates_and_filters(api, sim_fleet, polled):
    total = len(polled)
    first_page = api.get("/api/v2/monitoring/search/", {"limit": 5}).json()
    assert first_page["count"] == total and len(first_page["results"]) == 5 and first_page["previous"] is None
    seen = [h["id"] for h in first_page["results"]]
    next_url = first_page["next"]
    while next_url:  # Krill clients follow next
        page = api.get(next_url).json()
        seen += [h["id"] for h in page["results"]]
        next_url = page["next"]
    assert sorted(seen) == sorted(c.pk for c in polled.values())
    host = first_page["results"][0]
    assert list(host) == sorted(host) and host["type"] == "cpe" and host["state"] == "up"
    assert host["_links"]["info"] == f"/api/v2/monitoring/cpes/{host['id']}/info" and "services" not in host

    halny_ids = {c.pk for c in polled.values() if c.model.family == "halny"}
    body = api.get("/api/v2/monitoring/search", {"hostgroups": "halny", "limit": 100}).json()
    assert {h["id"] for h in body["results"]} == halny_ids
    both = api.get("/api/v2/monitoring/search/", {"hostgroups": "halny,voip", "limit": 100}).json()
    assert both["count"] == len(halny_ids) + sum(c.model.family == "fanvil" for c in polled.values())
    assert api.get("/api/v2/monitoring/search/", {"type": "olt"}).json()["count"] == 0
    assert api.get("/api/v2/monitoring/search/", {"type": "cpe"}).json()["count"] == total

    cpe = next(iter(polled.values()))
    cpe.topology = "OLT-KRK-1/PON-3"
    cpe.save()
    assert [h["id"] for h in api.get("/api/v2/monitoring/search/", {"topology": "olt-krk-1"}).json()["results"]] == [
        cpe.pk
    ]
    DeviceState.objects.filter(cpe=cpe).update(online=False)
    down = api.get("/api/v2/monitoring/search/", {"state": "down"}).json()
    assert [h["id"] for h in down["results"]] == [cpe.pk] and down["results"][0]["state_id"] == 1

    joined = api.get("/api/v2/monitoring/search/", {"joins": "services,alarms", "hostgroups": "halny"}).json()
    open_by_cpe = {h["id"]: [a["id"] for a in h["alarms"]] for h in joined["results"]}
    assert all("txrx" in h["services"] for h in joined["results"])
    assert open_by_cpe == {
        pk: list(Alert.objects.filter(cpe_id=pk, closed=None).order_by("opened", "id").values_list("id", flat=True))
        for pk in open_by_cpe
    }
    assert api.get("/api/v2/monitoring/search/", {"joins": "customer"}).status_code == 400


def test_alerts_list(api, sim_fleet, polled, tenant_a):
    cpe = by_vendor(sim_fleet, polled, "halny")
    now = timezone.now()
    open_alert = Alert.objects.create(
        tenant=tenant_a, cpe=cpe, kind=AlertKind.OFFLINE, severity="critical", opened=now, message="down"
    )
    Alert.objects.create(
        tenant=tenant_a, cpe=cpe, kind=AlertKind.RX_LOW, severity="critical", opened=now, closed=now, message="rx"
    )
    # (The poll may have raised alerts of its own: cellular readings drift over the whole band.)
    body = api.get("/api/v2/monitoring/alerts/", {"open": 1, "cpe": cpe.pk}).json()
    assert [a["id"] for a in body["results"]] == [open_alert.pk]
    assert body["results"][0]["host"] == cpe.cpename and body["results"][0]["closed"] is None
    assert api.get("/api/v2/monitoring/alerts/", {"cpe": cpe.pk}).json()["count"] == 2
    assert api.get("/api/v2/monitoring/alerts/", {"kind": "rx_low", "cpe": cpe.pk}).json()["count"] == 1
    assert (
        api.get("/api/v2/monitoring/alerts/", {"open": 0}).json()["count"] == Alert.objects.exclude(closed=None).count()
    )
    assert api.get(f"/api/v2/monitoring/alerts/{open_alert.pk}/").json()["kind"] == "offline"


def test_roles(api_as, role_users, tenant_a):
    cpe = CpeFactory(tenant=tenant_a)
    for role, user in role_users.items():
        client = api_as(user, tenant_a)
        expected = 403 if role == Role.BILLING else 200  # billing never sees devices
        assert client.get("/api/v2/monitoring/search/").status_code == expected, role
        assert client.get(f"/api/v2/monitoring/cpes/{cpe.pk}/info").status_code == expected, role


@pytest.fixture
def many_hosts(tenant_a):
    now = timezone.now()
    cpes = [CpeFactory(tenant=tenant_a) for _ in range(30)]
    DeviceState.objects.bulk_create(
        [DeviceState(tenant=tenant_a, cpe=c, online=True, last_polled=now, rx_dbm=-20.0) for c in cpes]
    )
    Alert.objects.bulk_create(
        [
            Alert(tenant=tenant_a, cpe=c, kind=AlertKind.RX_LOW, severity="critical", opened=now, message="rx")
            for c in cpes[::3]
        ]
    )
    return cpes


@pytest.mark.parametrize("query", sorted(SEARCH_QUERIES))
def test_search_query_count_does_not_depend_on_page_size(api, many_hosts, django_assert_num_queries, query):
    for limit in (2, 25):
        with django_assert_num_queries(SEARCH_QUERIES[query]):
            response = api.get(f"/api/v2/monitoring/search/?{query}&limit={limit}")
        assert response.status_code == 200 and len(response.json()["results"]) == limit


def test_dashboard_tiles_count_up_down_and_open_alerts(tenant_a, tenant_b, many_hosts):
    DeviceState.objects.filter(cpe__in=many_hosts[:4]).update(online=False)
    tiles = {t.key: t for t in monitoring_tiles(tenant_a, Role.NOC)}
    assert tiles["online_halny"].value == "26 / 4" and tiles["online_halny"].tone == "danger"
    assert tiles["online_peplink"].value == "0 / 0"
    assert tiles["alerts_open"].value == 10 and tiles["alerts_open"].hint == "10 critical"
    assert {t.key for t in monitoring_tiles(tenant_b, Role.NOC)} == set(tiles)  # same tiles...
    assert next(t for t in monitoring_tiles(tenant_b, Role.NOC) if t.key == "alerts_open").value == 0  # ...own data
    assert "alerts_open" in {t.key for t in dashboard_tiles(tenant_a, Role.NOC)}
    assert "alerts_open" not in {t.key for t in dashboard_tiles(tenant_a, Role.BILLING)}
