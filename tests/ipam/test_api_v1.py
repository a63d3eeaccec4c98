"""ISPChamp v1 IPAM endpoints: paths, envelope, tenant header, roles, 400s with field errors, 409s."""

import pytest

from network.ipam.choices import AllocationStatus
from network.ipam.models import Allocation, Pool, Subnet
from portal.choices import Role
from tests.billing.helpers import make_subscriber

from .helpers import make_pool, make_vrf, subnet_of

pytestmark = pytest.mark.django_db

ROUTES = [
    ("get", "/api/v1/ipam/pools", None),
    ("post", "/api/v1/ipam/pools", {"name": "P", "vrf": 0, "purpose": "cgnat", "subnets": [{"cidr": "10.9.0.0/24"}]}),
    ("get", "/api/v1/ipam/subnets", None),
    ("post", "/api/v1/ipam/allocate", {"pool": 0}),
    ("post", "/api/v1/ipam/release", {"allocation": 0}),
    ("get", "/api/v1/ipam/vrfs", None),
]


def call(client, method: str, url: str, body=None):
    return getattr(client, method)(url, body, format="json") if method == "post" else client.get(url)


@pytest.fixture
def pool(tenant_a):
    return make_pool(tenant_a, "100.64.0.0/24")


def test_pool_create_list_and_use(api, tenant_a):
    vrf = make_vrf(tenant_a)
    body = {
        "name": "Public",
        "vrf": vrf.pk,
        "purpose": "public_static",
        "alert_threshold": 50,
        "subnets": [
            {"cidr": "192.0.2.0/29", "gateway": "192.0.2.1", "reserved": ["192.0.2.6"]},
            {"cidr": "2001:db8::/64"},
        ],
    }
    response = api.post("/api/v1/ipam/pools", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "success"
    pool = created["data"]
    assert [s["cidr"] for s in pool["subnets"]] == ["192.0.2.0/29", "2001:db8::/64"]
    assert pool["subnets"][0]["capacity"] == 4 and pool["vrf_name"] == "internet"
    for _ in range(3):
        assert api.post("/api/v1/ipam/allocate", {"pool": pool["id"]}, format="json").status_code == 201
    listed = api.get("/api/v1/ipam/pools/").json()
    assert listed["meta"]["pagination"]["count"] == 1
    row = listed["data"][0]
    assert row["subnets"][0]["used"] == 3 and row["subnets"][0]["use_percent"] == 75.0
    assert row["over_threshold"] is False  # 3 of 4 + 2**64 - 1 is far below 50 %
    assert api.get(f"/api/v1/ipam/pools/{pool['id']}").json()["data"]["name"] == "Public"


def test_subnet_filters_and_vrfs(api, tenant_a, pool):
    other = make_pool(tenant_a, "10.0.0.0/16", name="mgmt", vrf=make_vrf(tenant_a, "management"))
    rows = lambda q: [s["cidr"] for s in api.get(f"/api/v1/ipam/subnets{q}").json()["data"]]  # noqa: E731
    assert rows("") == ["10.0.0.0/16", "100.64.0.0/24"]
    assert rows(f"?pool={pool.pk}") == ["100.64.0.0/24"]
    assert rows(f"?vrf={other.vrf_id}") == ["10.0.0.0/16"]
    assert rows("?contains=10.0.3.4") == rows("?contains=10.0.3.0/24") == ["10.0.0.0/16"]
    assert rows("?contains=10.0.0.0/8") == rows("?contains=garbage") == []
    subnet = api.get(f"/api/v1/ipam/subnets/{subnet_of(pool).pk}").json()["data"]
    assert (subnet["capacity"], subnet["used"], subnet["pool_name"]) == (253, 0, "CGNAT")
    vrfs = api.get("/api/v1/ipam/vrfs").json()["data"]
    assert [v["name"] for v in vrfs] == ["internet", "management"] and vrfs[0]["enforce_unique"] is True


def test_allocate_and_release_round_trip(api, tenant_a, pool):
    subscriber = make_subscriber(tenant_a)
    response = api.post(
        "/api/v1/ipam/allocate", {"pool": pool.pk, "subscriber": subscriber.pk, "description": "home"}, format="json"
    )
    assert response.status_code == 201, response.content
    allocation = response.json()["data"]
    assert allocation["address"] == "100.64.0.2" and allocation["status"] == "allocated"
    assert allocation["allocated_by"] == "nora-noc" and allocation["subscriber"] == subscriber.pk
    taken = api.post("/api/v1/ipam/allocate", {"subnet": allocation["subnet"], "address": "100.64.0.2"}, format="json")
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "address_taken"
    released = api.post("/api/v1/ipam/release", {"address": "100.64.0.2", "vrf": pool.vrf_id}, format="json")
    assert released.status_code == 200 and released.json()["data"]["status"] == "quarantined"
    again = api.post("/api/v1/ipam/release", {"allocation": allocation["id"]}, format="json")
    assert again.status_code == 200 and again.json()["data"] == released.json()["data"]


def test_an_exhausted_pool_is_a_409_with_a_clear_message(api, tenant_a):
    pool = make_pool(tenant_a, "192.0.2.0/30", gateway=False)
    for _ in range(2):
        assert api.post("/api/v1/ipam/allocate", {"pool": pool.pk}, format="json").status_code == 201
    response = api.post("/api/v1/ipam/allocate", {"pool": pool.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "detail": "CGNAT is exhausted: all 2 usable addresses are allocated or in quarantine.",
        "code": "exhausted",
    }


@pytest.mark.parametrize(
    "url, body, field",
    [
        ("/api/v1/ipam/pools", {"name": "X", "purpose": "cgnat", "subnets": [{"cidr": "10.0.0.1/24"}]}, "subnets"),
        ("/api/v1/ipam/pools", {"name": "X", "purpose": "cgnat", "subnets": [{"cidr": "nonsense"}]}, "subnets"),
        ("/api/v1/ipam/pools", {"name": "X", "purpose": "cgnat", "subnets": []}, "subnets"),
        ("/api/v1/ipam/pools", {"name": "X", "purpose": "wifi", "subnets": [{"cidr": "10.8.0.0/24"}]}, "purpose"),
        ("/api/v1/ipam/pools", {"name": "X", "purpose": "cgnat", "subnets": [{"cidr": "100.64.0.0/25"}]}, "subnets"),
        ("/api/v1/ipam/allocate", {"address": "100.64.0.9"}, "pool"),
        ("/api/v1/ipam/allocate", {"address": "100.65.0.9"}, "address"),
        ("/api/v1/ipam/allocate", {"address": "100.64.0.0"}, "address"),
        ("/api/v1/ipam/allocate", {"address": "not-an-ip"}, "address"),
        ("/api/v1/ipam/allocate", {"subscriber": 999999}, "subscriber"),
        ("/api/v1/ipam/release", {"address": "100.64.0.9"}, "address"),
        ("/api/v1/ipam/release", {"allocation": 999999}, "allocation"),
        ("/api/v1/ipam/release", {"address": "100.64.0.9"}, "address"),
    ],
)
def test_bad_input_is_a_400_with_field_errors_and_writes_nothing(api, tenant_a, pool, url, body, field):
    body = dict(body)
    if url.endswith("pools"):
        body["vrf"] = pool.vrf_id
    elif url.endswith("allocate") and field != "pool":
        body["pool"] = pool.pk
    elif url.endswith("release") and "address" in body and field != "address":
        body["vrf"] = pool.vrf_id
    counts = (Pool.objects.count(), Subnet.objects.count(), Allocation.objects.count())
    response = api.post(url, body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["errors"], error
    assert counts == (Pool.objects.count(), Subnet.objects.count(), Allocation.objects.count())


@pytest.mark.parametrize("method, url, body", ROUTES)
def test_every_route_needs_the_tenant_header_and_membership(method, url, body, api_as, noc_user, outsider, tenant_a):
    response = call(api_as(noc_user), method, url, body)
    assert response.status_code == 400 and response.json()["error"]["code"] == "tenant_required"
    foreign = call(api_as(outsider, tenant_a), method, url, body)
    assert foreign.status_code == 403 and "not a member" in foreign.json()["error"]["detail"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.NOC, Role.SUPPORT, Role.BILLING, Role.READONLY])
def test_roles_noc_and_admin_write_the_others_read(role, role_users, api_as, tenant_a, pool):
    client = api_as(role_users[role], tenant_a)
    assert client.get("/api/v1/ipam/pools").status_code == 200
    assert client.get("/api/v1/ipam/subnets").status_code == 200
    response = client.post("/api/v1/ipam/allocate", {"pool": pool.pk}, format="json")
    writes = role in (Role.ADMIN, Role.NOC)
    assert response.status_code == (201 if writes else 403), response.content
    assert Allocation.objects.filter(status=AllocationStatus.ALLOCATED).count() == (1 if writes else 0)


def test_list_queries_do_not_grow_with_rows(api, tenant_a, django_assert_max_num_queries):
    for i in range(6):
        make_pool(tenant_a, f"10.{i}.0.0/24", name=f"P{i}")
    with django_assert_max_num_queries(12):
        assert len(api.get("/api/v1/ipam/pools?limit=100").json()["data"]) == 6
    with django_assert_max_num_queries(12):
        assert len(api.get("/api/v1/ipam/subnets?limit=100").json()["data"]) == 6
