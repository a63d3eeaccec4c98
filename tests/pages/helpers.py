"""Shared helpers of the server-side page tests (Django test client)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count_queries(client: Client, url: str, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def assert_constant_queries(client: Client, url: str, grow: Callable[[int], None], small: int = 5, large: int = 50):
    """The page costs the same number of SQL queries with ``small`` and ``large`` rows.

    ``grow(n)`` adds ``n`` rows to what the page lists.
    """
    grow(small)
    few = count_queries(client, url)
    grow(large - small)
    many = count_queries(client, url)
    assert few == many, f"{url}: {few} queries for {small} rows, {many} for {large}"
    return many


HTMX = {"HTTP_HX_REQUEST": "true"}
