"""Every Krill list costs a fixed number of SQL queries, whatever its page size and joins.

The pinned counts live in query_counts.json (NetBox's idea): a change that
adds a query per row fails here; a deliberate change of the fixed cost
updates the JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.devices.factories import CpeFactory, PotsLineFactory, ServiceProfileFactory

pytestmark = pytest.mark.django_db

PINNED: dict[str, int] = json.loads((Path(__file__).with_name("query_counts.json")).read_text())["krill_v2"]


@pytest.fixture
def crm(tenant_a):
    profile = ServiceProfileFactory(tenant=tenant_a)
    for _ in range(30):
        cpe = CpeFactory(tenant=tenant_a, profile=profile, pppoe_password="x")
        for order in range(1, 4):
            PotsLineFactory(tenant=tenant_a, cpe=cpe, order=order, password="sip")
    return cpe


@pytest.mark.parametrize("case", sorted(PINNED))
def test_list_query_count_does_not_depend_on_page_size(api, crm, django_assert_num_queries, case):
    path, _, query = case.replace("{cpe}", str(crm.pk)).partition("?")
    for limit in (2, 3) if "{cpe}" in case else (2, 25):
        params = f"{query}&limit={limit}" if query else f"limit={limit}"
        with django_assert_num_queries(PINNED[case]):
            response = api.get(f"{path}?{params}")
        assert response.status_code == 200, response.content
        assert len(response.json()["results"]) == limit
