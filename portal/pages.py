"""The page toolkit: what every server-rendered page of the portal is built from.

- :class:`TenantViewMixin`, the page gate (login, membership, role, tenant scoping);
- the fragment switch (:func:`wants_fragment`, used by :class:`HtmxPartialMixin`
  and :func:`page_response`; :func:`fragment_response` for fragment-only
  views): the only place that decides between an htmx fragment and the
  whole page, and that sets ``Vary: HX-Request``;
- :data:`HTMX_STOP_POLLING` (django-htmx's 286) for progress fragments;
- :class:`FilteredListView`, the one list page: filterset binding, pagination
  (``?per_page=`` where asked, and the deferred join for long tables), and the
  ``results`` partial that ``templates/partials/list_results.html`` frames;
- :class:`PageForm` and :func:`require` for the pages' forms and actions.

A page and its htmx fragments come from one template (django-template-partials):
a view names the partial it answers to an htmx request, and the full page otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.generic import ListView
from django_htmx.http import HTMX_STOP_POLLING

from .roles import role_can

__all__ = [
    "HTMX_STOP_POLLING",
    "MAX_PER_PAGE",
    "PAGE_SIZE",
    "FilteredListView",
    "HtmxPartialMixin",
    "PageForm",
    "TenantViewMixin",
    "fragment_response",
    "page_response",
    "require",
    "wants_fragment",
]

# Rows per page of the list pages: one laptop screen of a Tabler table.
PAGE_SIZE = 25
# ``?per_page=`` on the lists that allow it: a wall screen shows more rows than a laptop.
MAX_PER_PAGE = 100
MIN_PER_PAGE = 10


class TenantViewMixin(LoginRequiredMixin):
    """The page gate: every tenant page inherits it.

    It needs a logged-in user with a membership, checks ``permission``
    against the role map, and gives views ``self.tenant`` and
    ``self.scoped(Model)`` (the tenant-filtered manager) so no page queries
    another tenant's rows.
    """

    permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        context = request.tenant_context
        if not context:
            raise PermissionDenied("Your account is not a member of any tenant.")
        self.tenant = context.tenant
        self.role = context.role
        if self.permission and not role_can(self.role, self.permission):
            raise PermissionDenied(f"Your role does not allow {self.permission}.")
        return super().dispatch(request, *args, **kwargs)

    def can(self, permission: str) -> bool:
        return role_can(self.role, permission)

    def scoped(self, model):
        return model.objects.for_tenant(self.tenant)

    def get_queryset(self):
        return self.scoped(self.model)


# --- the fragment switch ---------------------------------------------------------------


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request wants a fragment; a boosted one (hx-boost navigation) wants the page, like a click."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted)


def fragment_response(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> TemplateResponse:
    """A response whose content depends on HX-Request: ``Vary`` keeps caches from mixing fragment and page."""
    response = TemplateResponse(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def page_response(
    request: HttpRequest, template: str, context: dict, *, partial: str, status: int = 200
) -> TemplateResponse:
    """``template#partial`` to an htmx request, the whole ``template`` otherwise (views that are not generic views)."""
    name = f"{template}#{partial}" if wants_fragment(request) else template
    return fragment_response(request, name, context, status=status)


class HtmxPartialMixin:
    """Answer ``template#<htmx_partial>`` to htmx requests, the whole page otherwise (NetBox's ``htmx_partial``)."""

    htmx_partial: str | None = None

    def wants_fragment(self) -> bool:
        return bool(self.htmx_partial) and wants_fragment(self.request)

    def get_template_names(self) -> list[str]:
        names = super().get_template_names()
        if self.wants_fragment():
            return [f"{names[0]}#{self.htmx_partial}"]
        return names

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response


# --- the list page ------------------------------------------------------------------------


class FilteredListView(TenantViewMixin, HtmxPartialMixin, ListView):
    """One list page: the tenant's rows, narrowed by a django-filter filterset, one page at a time.

    Subclasses set ``model``, ``template_name``, ``context_object_name`` and
    usually ``filterset_class``, and shape the page's rows in
    :meth:`list_rows` (joins, annotations, order). htmx asks for the
    ``results`` partial (``partials/list_results.html`` inside it).

    - ``filter_params``: the GET parameters that count as "filtered" (the
      empty state then offers "Clear filters"); defaults to the filterset's.
    - ``per_page_param``: honour ``?per_page=`` (10..100).
    - ``deferred_join``: page by primary key first, then join only the
      page's rows (for tables of 100k rows; see :meth:`paginate_queryset`).
    """

    filterset_class = None
    filter_params: Iterable[str] | None = None
    htmx_partial = "results"
    paginate_by = PAGE_SIZE
    per_page_param = False
    deferred_join = False

    def base_rows(self):
        """The tenant's rows before any filter."""
        return self.scoped(self.model)

    def list_rows(self, matching):
        """What each row of the page needs (joins, annotations) and the order; the filter has run."""
        return matching

    def get_queryset(self):
        base = self.base_rows()
        self.filterset = None
        matching = base
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(self.request.GET or None, queryset=base)
            if self.filterset.is_bound and self.filterset.is_valid():
                matching = self.filterset.qs
        return self.list_rows(matching)

    def get_paginate_by(self, queryset) -> int:
        if not self.per_page_param:
            return self.paginate_by
        try:
            wanted = int(self.request.GET.get("per_page", ""))
        except ValueError:
            return self.paginate_by
        return max(MIN_PER_PAGE, min(MAX_PER_PAGE, wanted))

    def paginate_queryset(self, queryset, page_size):
        if not self.deferred_join:
            return super().paginate_queryset(queryset, page_size)
        # A "deferred join": the pager walks ids only (the primary key index), then the page's rows
        # get their joins. With the joins in the OFFSET query, page 2,000 of 100k CPEs joined 50,000
        # rows only to throw them away (~330 ms); this way it costs the index walk.
        paginator, page, ids, is_paginated = super().paginate_queryset(queryset.values_list("pk", flat=True), page_size)
        ids = list(ids)
        rows = {row.pk: row for row in queryset.filter(pk__in=ids)}
        page.object_list = [rows[pk] for pk in ids if pk in rows]
        return paginator, page, page.object_list, is_paginated

    def is_filtered(self) -> bool:
        params = self.filter_params
        if params is None:
            params = self.filterset_class.base_filters if self.filterset_class is not None else ()
        return any(self.request.GET.get(name) for name in params)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["filtered"] = self.is_filtered()
        return context


# --- search boxes -----------------------------------------------------------------------

# A search box looks at this many words at most: each one adds a filter.
SEARCH_WORDS = 6


def contains_any(word: str, fields: Iterable[str]) -> Q:
    """Rows where one of ``fields`` contains ``word`` (case-insensitive)."""
    found = Q()
    for field in fields:
        found |= Q(**{f"{field}__icontains": word})
    return found


def matching_every_word(queryset, value: str, fields: Iterable[str]):
    """``queryset`` narrowed to rows where each word of ``value`` is in one of ``fields``."""
    for word in value.split()[:SEARCH_WORDS]:
        queryset = queryset.filter(contains_any(word, fields))
    return queryset


# --- actions and forms ------------------------------------------------------------------


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
