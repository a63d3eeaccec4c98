"""Every registered page (tests/pages/isolation*.py) asked for by tenant B's admin about a row of tenant A."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.tenant_isolation import load_actions, load_pages

from .helpers import HTMX, client_for

PAGES = {page.url_name: page for page in load_pages()}
PAGE_ACTIONS = {action.name: action for action in load_actions() if action.page}

# A CSRF token is masked afresh for every response; it is not what the page shows.
CSRF = re.compile(r"\b[A-Za-z0-9]{64}\b")
# The footer's clock: two answers a minute boundary apart differ there and nowhere else.
CLOCK = re.compile(r"NOC Portal · \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


def snapshot(row) -> dict:
    return type(row).objects.filter(pk=row.pk).values().get()


def answer(client, page, url: str) -> str:
    response = client.get(url, **(HTMX if page.htmx else {}))
    assert response.status_code == 200, (url, response.status_code)
    return CLOCK.sub("<clock>", CSRF.sub("<csrf>", response.content.decode()))


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(PAGES))
def test_another_tenants_row_is_not_found_nor_shown(url_name, tenant_a, outsider):
    page = PAGES[url_name]
    client = client_for(outsider)
    if page.kwargs is None and page.query is None:
        url = reverse(page.url_name)
        before = answer(client, page, url)
        page.create(tenant_a)
        assert answer(client, page, url) == before, f"{url} shows something of another tenant's row"
        return
    row = page.create(tenant_a)
    kept = snapshot(row)
    url = reverse(page.url_name, kwargs=page.kwargs(row) if page.kwargs else None)
    if page.query:
        response = client.get(url, page.query(row))
    elif page.method == "POST":
        response = client.post(url, page.data)
    else:
        response = client.get(url, **(HTMX if page.htmx else {}))
    assert response.status_code == 404, (url, response.status_code)
    assert snapshot(row) == kept, f"{url} changed another tenant's row"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PAGE_ACTIONS))
def test_a_form_post_does_not_reach_another_tenants_row(name, tenant_a, outsider):
    action = PAGE_ACTIONS[name]
    row = action.create(tenant_a)
    response = client_for(outsider).post(action.url, action.payload(row))
    assert response.status_code < 500, response.status_code
    assert action.untouched(row), f"{action.url} reached another tenant's row"
