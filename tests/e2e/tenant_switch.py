"""The top-bar tenant switcher in browser tests: pick a tenant, and check a list follows it."""

from __future__ import annotations

from playwright.sync_api import expect


def switch_tenant(page, name: str) -> None:
    """Pick a tenant in the top-bar switcher (it submits on change) and wait for the page to show it."""
    page.get_by_label("Tenant").select_option(label=name)
    expect(page.locator(".page-pretitle")).to_have_text(name)


def demo_then_acme(page, site, path: str, table_selector: str, demo_text: str, acme_text: str):
    """On ``path`` as Demo's user the table shows ``demo_text`` and not ``acme_text``; switched to Acme, the reverse.

    Returns the table's locator (it now shows Acme's rows).
    """
    switch_tenant(page, "Demo Fibre & Wireless")
    site.go(page, path)
    table = page.locator(table_selector)
    expect(table).to_contain_text(demo_text)
    expect(table).not_to_contain_text(acme_text)
    switch_tenant(page, "Acme Networks")
    expect(table).to_contain_text(acme_text)
    expect(table).not_to_contain_text(demo_text)
    return table
