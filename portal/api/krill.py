"""Krill v2 dialect plumbing shared by every Krill API module (one per resource, e.g. ``devices/api/cpes.py``).

What a Krill integration expects from any resource, implemented once:

- ``?attrs=id,cpename``: only those fields in the answer (list and detail).
- ``?joins=customer,potses``: the related record(s) nested in place of the id
  (a list for to-many joins), combinable with ``attrs``. Krill's own example
  carries a stray ``=`` (``joins==customer,potses``); it is tolerated.
- Field order: Krill answers with sorted keys (``_links`` first); so do we.
- Timestamps as ``2022-12-17T23:00:01+01:00`` (no microseconds), coordinates
  as JSON numbers.
- Writes are strict: a field the resource does not know is a 400 naming it;
  read-only fields a client echoes back from a GET are accepted and ignored,
  so GET → edit → PUT round-trips work.
- Related ids in writes are validated against the request's tenant (another
  tenant's id is "does not exist", never a cross-tenant link).
- Secrets (``pppoe_password``...) are answered masked (``"••••••"``) when set,
  ``""``/``null`` when not; ``?show_secrets=1`` reveals them to a token with
  the ``write`` scope whose role has ``devices.change``. A masked value written back means "unchanged".
- Portal extensions to a Krill record (a subscriber's e-mail, a CPE's
  management address...) are writable but only answered when named in
  ``attrs``, so a Krill record keeps exactly Krill's keys by default.

Lists prefetch what the requested joins need, so the number of SQL queries
of a page does not depend on its length.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db.models import Prefetch, ProtectedError
from django.db.models import fields as model_fields
from django.utils import timezone
from django.utils.module_loading import import_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.routers import SimpleRouter

from portal.roles import role_can
from portal.secrets import MASK, mask

from .errors import Conflict, error_response
from .permissions import token_scopes

SHOW_SECRETS_PERMISSION = "devices.change"
_TRUE = {"1", "true", "yes", "on"}
CRUD_ACTIONS = frozenset({"list", "retrieve", "create", "update", "partial_update", "destroy"})


@dataclass(frozen=True)
class Join:
    """A relation ``joins=<name>`` expands.

    ``serializer``: the nested serializer class or its dotted path (lazy, so
    apps can join each other without import cycles). ``permission``: what the
    caller's role needs to see the joined records (a billing clerk must not
    read devices through a subscriber). ``select_related`` / ``prefetch``: what
    the list queryset needs so the join costs a fixed number of queries.
    """

    serializer: str | type
    many: bool = False
    source: str | None = None
    permission: str | None = None
    select_related: tuple[str, ...] = ()
    prefetch: Callable[[], Prefetch] | None = None
    exclude: tuple[str, ...] = ()  # fields of the nested record left out (e.g. the back-reference)

    def serializer_class(self) -> type[serializers.Serializer]:
        return import_string(self.serializer) if isinstance(self.serializer, str) else self.serializer


@dataclass(frozen=True)
class Selection:
    """What a request asked for: ``attrs``, ``joins``, ``show_secrets``; read or write."""

    read: bool = True
    attrs: frozenset[str] | None = None
    joins: tuple[str, ...] = ()
    show_secrets: bool = False
    extra: frozenset[str] = field(default_factory=frozenset)


def parse_csv_param(request, name: str) -> list[str] | None:
    """``?name=a,b&name=c`` → ``["a", "b", "c"]``; ``None`` when absent. Leading ``=`` are dropped."""
    raw = request.query_params.getlist(name)
    if not raw:
        return None
    values: list[str] = []
    for chunk in raw:
        for item in chunk.split(","):
            item = item.strip().lstrip("=").strip()
            if item and item not in values:
                values.append(item)
    return values


# ---------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------


class KrillDateTimeField(serializers.DateTimeField):
    """``2022-12-17T23:00:01+01:00``: local time of the portal, seconds precision, offset with a colon."""

    def to_representation(self, value):
        if not value:
            return None
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0).isoformat()


class KrillDecimalField(serializers.DecimalField):
    """Coordinates as JSON numbers; extra decimals are rounded, not refused (GPS tools send 7+)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce_to_string", False)
        kwargs.setdefault("rounding", decimal.ROUND_HALF_UP)
        super().__init__(*args, **kwargs)

    def validate_precision(self, value):
        # Round to the column's precision first, then check what is left (the digits before the point).
        if self.decimal_places is not None and value.is_finite():
            try:
                value = value.quantize(decimal.Decimal(1).scaleb(-self.decimal_places), rounding=self.rounding)
            except decimal.InvalidOperation:
                # 1e308 has more digits than the context can quantize to: far too many for the column anyway.
                self.fail("max_whole_digits", max_whole_digits=self.max_whole_digits)
        return super().validate_precision(value)

    def to_representation(self, value):
        value = super().to_representation(value)
        return float(value) if isinstance(value, decimal.Decimal) else value


class SecretField(serializers.CharField):
    """A write-mostly secret: answered masked unless the request may and asks to see it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)

    def to_representation(self, value):
        selection = self.context.get("krill")
        if selection is not None and selection.show_secrets and value is not None:
            return str(value)
        return mask(value)


# ---------------------------------------------------------------------------
# Serializer
# ---------------------------------------------------------------------------


class KrillModelSerializer(serializers.ModelSerializer):
    """Base of Krill-dialect serializers (see the module docstring for the behaviour).

    Subclasses set ``Meta.fields`` to every field they answer or accept
    (Krill's and the portal's extensions), and may set:

    - ``krill_joins``: ``{name: Join(...)}``
    - ``krill_extra_fields``: fields answered only when named in ``attrs``
    """

    krill_joins: ClassVar[dict[str, Join]] = {}
    krill_extra_fields: ClassVar[tuple[str, ...]] = ()

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        model_fields.DateTimeField: KrillDateTimeField,
        model_fields.DecimalField: KrillDecimalField,
    }

    def __init__(self, *args, krill_nested: bool = False, exclude_fields: tuple[str, ...] = (), **kwargs):
        self._krill_nested = krill_nested
        self._exclude_fields = frozenset(exclude_fields)
        super().__init__(*args, **kwargs)

    # -- what a request may name ------------------------------------------------

    @classmethod
    def krill_field_names(cls) -> set[str]:
        return set(cls.Meta.fields) | set(cls.krill_joins)

    @property
    def selection(self) -> Selection | None:
        return None if self._krill_nested else self.context.get("krill")

    # -- fields -----------------------------------------------------------------

    def get_fields(self):
        fields = super().get_fields()
        tenant = self.context.get("tenant")
        if tenant is not None:
            for f in fields.values():
                _scope_related_field(f, tenant)
        for name in self._exclude_fields:
            fields.pop(name, None)
        selection = self.selection
        if selection is None or not selection.read:
            if self._krill_nested:
                for name in self.krill_extra_fields:
                    fields.pop(name, None)
            return fields
        # A read: Krill's record, minus what attrs leaves out, plus the joins.
        for name in self.krill_extra_fields:
            if selection.attrs is None or name not in selection.attrs:
                fields.pop(name, None)
        if selection.attrs is not None:
            keep = selection.attrs | set(selection.joins)
            for name in list(fields):
                if name not in keep:
                    fields.pop(name)
        for name in selection.joins:
            join = self.krill_joins[name]
            fields[name] = join.serializer_class()(
                source=join.source,
                many=join.many,
                read_only=True,
                krill_nested=True,
                exclude_fields=join.exclude,
            )
        return fields

    # -- reading ----------------------------------------------------------------

    def to_representation(self, instance):
        data = super().to_representation(instance)
        selection = self.selection
        if not self._krill_nested and (selection is None or not selection.read):
            # After a write the answer is the Krill record, as a GET would give it.
            for name in self.krill_extra_fields:
                data.pop(name, None)
        return dict(sorted(data.items()))

    # -- writing ----------------------------------------------------------------

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            known = set(self.fields) | set(self.krill_joins)
            unknown = sorted(k for k in data if k not in known)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field: this resource has no such attribute."] for name in unknown}
                )
            secret_names = {n for n, f in self.fields.items() if isinstance(f, SecretField)}
            if any(data.get(n) == MASK for n in secret_names):
                # The client echoed a masked secret back from a GET: keep the stored one.
                data = {k: v for k, v in data.items() if not (k in secret_names and v == MASK)}
        return super().to_internal_value(data)

    def taken(self, rows) -> bool:
        """Whether ``rows`` holds a row other than the one being updated (a uniqueness check)."""
        if self.instance is not None:
            rows = rows.exclude(pk=self.instance.pk)
        return rows.exists()


def _scope_related_field(f: serializers.Field, tenant) -> None:
    relation = f.child_relation if isinstance(f, ManyRelatedField) else f
    if isinstance(relation, RelatedField) and not relation.read_only and relation.queryset is not None:
        queryset = relation.queryset
        if hasattr(queryset, "for_tenant"):
            relation.queryset = queryset.for_tenant(tenant)


# ---------------------------------------------------------------------------
# Viewset
# ---------------------------------------------------------------------------

KRILL_QUERY_PARAMETERS = [
    OpenApiParameter(
        "attrs",
        OpenApiTypes.STR,
        description="Comma-separated fields to answer (e.g. `id,cpename`). Portal extensions "
        "(fields not in Krill's record) are answered only when named here.",
    ),
    OpenApiParameter(
        "joins",
        OpenApiTypes.STR,
        description="Comma-separated relations to nest in place of their id (e.g. `customer,potses`).",
    ),
    OpenApiParameter(
        "show_secrets",
        OpenApiTypes.BOOL,
        description="Answer secrets in clear instead of masked (`••••••`). Needs a token with the `write` scope "
        "and the devices.change permission.",
    ),
]


def krill_schema_view(
    *,
    record: dict,
    record_title: str,
    page_title: str,
    create: OpenApiExample,
    more_list: tuple[OpenApiExample, ...] = (),
    more_retrieve: tuple[OpenApiExample, ...] = (),
):
    """The OpenAPI documentation of a Krill resource's list/retrieve/create, from one example record.

    The list example is a one-record page of ``record``; ``attrs``/``joins``/``show_secrets``
    are documented on list and retrieve.
    """
    page = {"count": 1, "next": None, "previous": None, "results": [record]}
    return extend_schema_view(
        list=extend_schema(
            parameters=KRILL_QUERY_PARAMETERS,
            examples=[OpenApiExample(page_title, value=page, response_only=True), *more_list],
        ),
        retrieve=extend_schema(
            parameters=KRILL_QUERY_PARAMETERS,
            examples=[OpenApiExample(record_title, value=record, response_only=True), *more_retrieve],
        ),
        create=extend_schema(examples=[create]),
    )


class KrillViewSetMixin:
    """Parses ``attrs``/``joins``/``show_secrets`` once per request and shapes the queryset for them.

    Put it before the tenant gate's viewset: ``class X(KrillViewSetMixin, TenantModelViewSet)``.
    ``list_select_related``: what every record needs (e.g. the CPE's model).
    """

    list_select_related: tuple[str, ...] = ()
    krill: Selection

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, tenant gate
        self.krill = self.parse_selection(request)

    def parse_selection(self, request) -> Selection:
        serializer_class = self.get_serializer_class()
        role = getattr(request, "role", None)
        show_secrets = request.query_params.get("show_secrets", "").strip().lower() in _TRUE
        if show_secrets and "write" not in token_scopes(request):
            # Secrets are write material (they configure devices): a read-only token never sees them.
            raise exceptions.PermissionDenied("This token is read-only; show_secrets needs the 'write' scope.")
        if show_secrets and not role_can(role, SHOW_SECRETS_PERMISSION):
            raise exceptions.PermissionDenied(
                f"Your role ({role}) may not see secrets (show_secrets needs {SHOW_SECRETS_PERMISSION})."
            )
        if getattr(self, "action", None) not in CRUD_ACTIONS or not issubclass(serializer_class, KrillModelSerializer):
            # Sub-resources (/cpes/1/customer) answer whole records: attrs/joins are the resource's own.
            return Selection(read=request.method in SAFE_METHODS, show_secrets=show_secrets)
        known = serializer_class.krill_field_names()
        attrs = parse_csv_param(request, "attrs")
        joins = parse_csv_param(request, "joins") or []
        errors: dict[str, list[str]] = {}
        if attrs is not None:
            unknown = [a for a in attrs if a not in known]
            if unknown:
                errors["attrs"] = [f"Unknown attribute(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}."]
        unknown_joins = [j for j in joins if j not in serializer_class.krill_joins]
        if unknown_joins:
            errors["joins"] = [
                f"Cannot join {', '.join(unknown_joins)}. Possible joins: "
                f"{', '.join(sorted(serializer_class.krill_joins)) or 'none'}."
            ]
        if errors:
            raise exceptions.ValidationError(errors)
        for name in joins:
            permission = serializer_class.krill_joins[name].permission
            if permission and not role_can(role, permission):
                raise exceptions.PermissionDenied(f"Your role ({role}) may not join {name} (needs {permission}).")
        return Selection(
            read=request.method in SAFE_METHODS,
            attrs=frozenset(attrs) if attrs is not None else None,
            joins=tuple(joins),
            show_secrets=show_secrets,
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["krill"] = getattr(self, "krill", None)
        return context

    def get_queryset(self):
        queryset = super().get_queryset()
        select = list(self.list_select_related)
        prefetch: list[Any] = []
        selection = getattr(self, "krill", None)
        serializer_class = self.get_serializer_class()
        if selection is not None and issubclass(serializer_class, KrillModelSerializer):
            for name in selection.joins:
                join = serializer_class.krill_joins[name]
                select.extend(join.select_related)
                if join.prefetch is not None:
                    prefetch.append(join.prefetch())
        if select:
            queryset = queryset.select_related(*select)
        if prefetch:
            queryset = queryset.prefetch_related(*prefetch)
        return queryset

    def perform_destroy(self, instance):
        try:
            super().perform_destroy(instance)
        except ProtectedError as exc:
            # Raised as an APIException so the error envelope stays uniform.
            raise Conflict(
                f"{instance._meta.verbose_name.capitalize()} {instance} is still referenced "
                f"({len(exc.protected_objects)} record(s)) and cannot be deleted."
            ) from exc


def not_implemented(what: str):
    return error_response(
        f"{what} is not available yet: it arrives with device actions and live polling.",
        "not_implemented",
        http_status=501,
    )


class KrillRouter(SimpleRouter):
    """Routes that answer with and without the trailing slash, as Krill clients call both.

    (``SimpleRouter(trailing_slash="/?")`` does not do this: DRF turns any
    truthy value into "/".)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"
