"""Shared building blocks of the server-rendered pages (subscribers, tickets, billing, devices).

A page and its htmx fragments come from one template (django-template-partials):
a view names the partial it answers to an htmx request, and the full page
otherwise. Everything here is small on purpose; the page gate itself is
:class:`portal.views.TenantViewMixin`.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.cache import patch_vary_headers

from .roles import role_can

# Rows per page of the list pages: one laptop screen of a Tabler table.
PAGE_SIZE = 25


class HtmxPartialMixin:
    """Answer ``template#<htmx_partial>`` to htmx requests, the whole page otherwise.

    Boosted requests (hx-boost navigation) want the whole page, like a normal
    click. ``Vary: HX-Request`` keeps caches from serving a fragment as a page.
    """

    htmx_partial: str | None = None

    def wants_fragment(self) -> bool:
        htmx = getattr(self.request, "htmx", None)
        return bool(self.htmx_partial and htmx and not htmx.boosted)

    def get_template_names(self) -> list[str]:
        names = super().get_template_names()
        if self.wants_fragment():
            return [f"{names[0]}#{self.htmx_partial}"]
        return names

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response


def require(role: str | None, permission: str) -> None:
    """Refuse (403) an action the role may not do, whatever the page showed.

    Used by views that serve several actions with different permissions (a
    ticket page shows to every viewer, but only ``tickets.change`` may post).
    """
    if not role_can(role, permission):
        raise PermissionDenied(f"Your role does not allow {permission}.")


class PageForm(forms.Form):
    """A form whose widgets carry Tabler's classes, so templates can render fields as they are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        # Bootstrap shows a field's error only next to an ``is-invalid`` control.
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"
