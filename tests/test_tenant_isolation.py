"""Every registered API resource, walked with a second tenant's credentials."""

import pytest

from tests.tenant_isolation import load, load_actions

RESOURCES = load()
API_ACTIONS = {action.name: action for action in load_actions() if not action.page}


@pytest.fixture(params=sorted(RESOURCES), ids=sorted(RESOURCES))
def resource(request):
    return RESOURCES[request.param]


@pytest.mark.django_db
def test_other_tenant_rows_are_invisible(resource, tenant_a, tenant_b, api_b):
    row = resource.create(tenant_a)
    model = type(row)
    if resource.list_url:
        response = api_b.get(resource.list_url, {"limit": 1000})
        assert response.status_code == 200, response.content
        body = response.json()
        # Krill pages rows under "results"; the ISPChamp v1 envelope under "data".
        rows = body.get("results", body.get("data")) if isinstance(body, dict) else body
        assert isinstance(rows, list), body
        ids = [item.get("id") for item in rows]
        assert row.pk not in ids
    url = resource.detail_url(row)
    assert api_b.get(url).status_code == 404
    for extra in resource.extra_urls:
        assert api_b.get(extra(row)).status_code == 404
    for action in resource.action_urls:
        assert api_b.post(action(row), {}, format="json").status_code == 404, action(row)
    if "PATCH" in resource.methods:
        assert api_b.patch(url, resource.write_payload, format="json").status_code == 404
    if "DELETE" in resource.methods:
        assert api_b.delete(url).status_code == 404
    assert model.objects.filter(pk=row.pk).exists(), "another tenant managed to delete the row"


@pytest.mark.django_db
def test_asking_for_a_foreign_tenant_is_forbidden(resource, tenant_a, tenant_b, api_as, outsider):
    row = resource.create(tenant_a)
    client = api_as(outsider, tenant_a)  # X-Tenant-ID names a tenant the caller is not a member of
    if resource.list_url:
        response = client.get(resource.list_url)
        assert response.status_code == 403
        body = response.json()
        error = body.get("error", body)  # the v1 envelope wraps the error shape
        assert "not a member" in error["detail"]
    assert client.get(resource.detail_url(row)).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(API_ACTIONS))
def test_an_action_on_no_row_does_not_reach_another_tenants_rows(name, tenant_a, tenant_b, api_b):
    action = API_ACTIONS[name]
    row = action.create(tenant_a)
    response = api_b.post(action.url, action.payload(row), format="json")
    assert response.status_code < 500, response.content
    assert action.untouched(row), f"{action.url} reached another tenant's row"
