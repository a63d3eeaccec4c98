"""The fragment switch of portal/pages.py: htmx gets the partial, a boosted or plain request the page."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from portal.pages import page_response, wants_fragment


def request_with(**headers):
    request = RequestFactory().get("/", **headers)
    request.htmx = HtmxDetails(request)
    return request


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, False),
        ({"HTTP_HX_REQUEST": "true"}, True),
        ({"HTTP_HX_REQUEST": "true", "HTTP_HX_BOOSTED": "true"}, False),  # hx-boost navigation: a whole page
    ],
)
def test_page_response_answers_the_partial_to_htmx_only(headers, fragment):
    request = request_with(**headers)
    response = page_response(request, "portal/dashboard.html", {}, partial="tiles", status=400)
    assert wants_fragment(request) is fragment
    assert response.template_name == ("portal/dashboard.html#tiles" if fragment else "portal/dashboard.html")
    assert response.status_code == 400
    assert "HX-Request" in response["Vary"]
