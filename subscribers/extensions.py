"""What the apps above subscribers add to its lists, search and API: registries filled in their ``ready()``.

subscribers sits below billing, support and devices and never imports them
(the dependency runs one way). Where a subscriber list needs their data — the
current plan and balance from billing, the CPEs from devices — the higher app
registers it here in its ``AppConfig.ready()``, as it registers dashboard
tiles and subscriber-page panels (:mod:`subscribers.panels`):

- :func:`register_filter`: a named list filter, ``apply(queryset, value)``;
  a subscribers FilterSet's method asks :func:`filter_by` for it (``plan``).
- :func:`register_search`: ``match(word)`` returns a condition on
  subscribers the page search ORs with its own fields (a CPE's serial).
- :func:`register_annotation`: ``annotate(queryset)`` adds the columns a
  list shows (``page``: the subscriber list page, ``api_v1``: ISPChamp
  ``/api/v1/subscribers``). Annotations are subqueries, so a list costs
  the same queries for 5 or 50 rows.
- :data:`CUSTOMER_JOINS` / :data:`POTS_LINE_JOINS`: the Krill v2 ``joins=``
  of customers and POTS lines (:class:`portal.api.krill.Join`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Exists, Q, QuerySet

from portal.api.krill import Join

ListFilter = Callable[[QuerySet, str], QuerySet]
SearchMatch = Callable[[str], Q | Exists]
Annotation = Callable[[QuerySet], QuerySet]
LISTS = ("page", "api_v1")

_FILTERS: dict[str, ListFilter] = {}
_SEARCHES: dict[str, SearchMatch] = {}
_ANNOTATIONS: dict[str, dict[str, Annotation]] = {name: {} for name in LISTS}

# The serializers' ``krill_joins`` are these very dicts: a join registered at ready() is one the API knows.
CUSTOMER_JOINS: dict[str, Join] = {}
POTS_LINE_JOINS: dict[str, Join] = {}


def register_filter(name: str, apply: ListFilter) -> None:
    """Provide the list filter ``name`` (once: a second registration is ignored, like panels)."""
    _FILTERS.setdefault(name, apply)


def filter_by(name: str, queryset: QuerySet, value: str) -> QuerySet:
    """Apply the registered filter ``name``; with no app providing it the list is left as it is."""
    apply = _FILTERS.get(name)
    return queryset if apply is None else apply(queryset, value)


def register_search(key: str, match: SearchMatch) -> None:
    """Let the subscriber search find a subscriber by ``match(word)`` too."""
    _SEARCHES.setdefault(key, match)


def search_matches(word: str) -> list[Q | Exists]:
    """The registered apps' conditions for one search word, in registration order."""
    return [match(word) for match in _SEARCHES.values()]


def register_annotation(list_name: str, key: str, annotate: Annotation) -> None:
    """Add columns to the rows of ``list_name`` (one of :data:`LISTS`)."""
    if list_name not in LISTS:
        raise ValueError(f"Annotation {key!r}: list must be one of {LISTS}.")
    _ANNOTATIONS[list_name].setdefault(key, annotate)


def annotate(list_name: str, queryset: QuerySet) -> QuerySet:
    """``queryset`` with every column registered for ``list_name``, in registration order."""
    for add in _ANNOTATIONS[list_name].values():
        queryset = add(queryset)
    return queryset
