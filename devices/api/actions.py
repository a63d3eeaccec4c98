"""Krill v2 device actions: the CPE action links, actions, their steps, batches, drift.

Routes (every ``/api/v2/isp/cpes/<id>/...`` also answers at ``/api/v2/cpes/<id>/...``):

- ``POST /api/v2/isp/cpes/<id>/{reboot|factory|reconfig|reprovision|unprovision|cwmp_diagnostic}``
  queues the action: **202** with the action record and its URL (``Location``
  header and ``_links.self``). Optional JSON body ``{"params": {...},
  "not_after": "<ISO time>"}``; an ``Idempotency-Key`` header (portal.idempotency:
  at most 255 characters, a longer one is a 400) makes a retried POST answer
  the first action instead of queuing another. A CPE that
  cannot do it is refused with **409** ``action_refused`` and the reason.
  ``GET`` on the same path lists the CPE's actions of that kind.
- ``GET /api/v2/isp/cpes/<id>/events``: the CPE's actions, newest first
  (``?type=cdr`` answers an empty page: call records are the voice
  platform's). ``GET .../logs``: their steps, newest first.
- ``GET /api/v2/isp/cpes/<id>/drift``: the latest drift found (by a
  diagnostic, reconfig or reprovision) with the action that found it;
  ``POST .../drift`` queues a diagnostic to measure it again (202).
- ``GET /api/v2/isp/actions/[?cpe=&kind=&status=&batch=]``, ``GET .../actions/<id>``,
  ``GET .../actions/<id>/steps?since=<seq>`` (the UI streams steps),
  ``POST .../actions/<id>/cancel``.
- ``POST /api/v2/isp/action_batches/`` ``{"kind": "reboot", "cpes": [1, 2]}`` or
  ``{"kind": "reboot", "filter": {"model": "HL-4GMV"}}`` (the CPE list's
  filters): 201 with totals and the devices skipped with the reason;
  ``GET .../action_batches/<id>`` (totals, progress), ``POST .../<id>/cancel``.

Permissions: reading needs ``devices.view``; queuing or cancelling an
action needs ``devices.action.<kind>`` (support may reboot, not factory-reset).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from devices import actions as engine
from devices.actions.request import BatchNotConfirmed
from devices.choices import ActionKind, ActionSource, ActionStatus
from devices.filters import CpeFilter
from devices.models import ActionBatch, Cpe, DeviceAction, DeviceActionStep
from devices.selectors import CPE_RELATED
from portal import idempotency
from portal.api.errors import error_response
from portal.api.gate import TenantScopedMixin
from portal.api.krill import KrillDateTimeField
from portal.audit import client_address
from portal.inputs import MAX_ROW_ID, query_id, query_value
from portal.roles import role_can

# Krill's path segment → action kind (the CPE record's _links.actions).
PATH_KINDS: dict[str, str] = {spec.krill_link: kind for kind, spec in engine.KINDS.items()}


def action_url(pk: int) -> str:
    return f"/api/v2/isp/actions/{pk}/"


def _require_kind_permission(request, kind: str) -> None:
    permission = engine.kind_spec(kind).permission
    if not role_can(getattr(request, "role", None), permission):
        raise PermissionDenied(f"Your role ({request.role}) does not allow {permission}.")


# ---------------------------------------------------------------------------
# Serializers (explicit fields)
# ---------------------------------------------------------------------------


class StepSerializer(serializers.ModelSerializer):
    time = KrillDateTimeField(read_only=True)

    class Meta:
        model = DeviceActionStep
        fields = ["seq", "time", "level", "message", "attempt"]
        read_only_fields = fields


class LogSerializer(StepSerializer):
    action = serializers.IntegerField(source="action_id", read_only=True)
    kind = serializers.CharField(source="action.kind", read_only=True)

    class Meta(StepSerializer.Meta):
        fields = ["action", "kind", "seq", "time", "level", "message", "attempt"]
        read_only_fields = fields


class ActionSerializer(serializers.ModelSerializer):
    _links = serializers.SerializerMethodField()
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created = KrillDateTimeField(read_only=True)
    started = KrillDateTimeField(read_only=True)
    finished = KrillDateTimeField(read_only=True)
    not_after = KrillDateTimeField(read_only=True)

    class Meta:
        model = DeviceAction
        fields = [
            "_links",
            "id",
            "cpe",
            "batch",
            "kind",
            "params",
            "source",
            "requested_by",
            "requested_from",
            "status",
            "attempts",
            "max_attempts",
            "not_after",
            "cancel_requested",
            "result",
            "error",
            "error_step",
            "created",
            "started",
            "finished",
        ]
        read_only_fields = fields

    def get__links(self, obj) -> dict[str, str]:
        base = action_url(obj.pk)
        return {
            "self": base,
            "steps": base + "steps",
            "cancel": base + "cancel",
            "cpe": f"/api/v2/cpes/{obj.cpe_id}/",
        }


class ActionRequestSerializer(serializers.Serializer):
    """Body of an action POST (all optional)."""

    params = serializers.DictField(required=False, default=dict)
    not_after = serializers.DateTimeField(required=False, allow_null=True, default=None)


class BatchSerializer(serializers.ModelSerializer):
    _links = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created = KrillDateTimeField(read_only=True)
    not_after = KrillDateTimeField(read_only=True)

    class Meta:
        model = ActionBatch
        fields = [
            "_links",
            "id",
            "kind",
            "params",
            "selection",
            "source",
            "requested_by",
            "requested_from",
            "total",
            "skipped",
            "not_after",
            "created",
            "progress",
        ]
        read_only_fields = fields

    def get__links(self, obj) -> dict[str, str]:
        base = f"/api/v2/isp/action_batches/{obj.pk}/"
        return {"self": base, "actions": f"/api/v2/isp/actions/?batch={obj.pk}", "cancel": base + "cancel"}

    def get_progress(self, obj) -> dict[str, Any]:
        return engine.batch_totals(obj)


class BatchRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    cpes = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID),
        required=False,
        max_length=engine.MAX_BATCH_IDS,
    )
    filter = serializers.DictField(required=False)
    params = serializers.DictField(required=False, default=dict)
    not_after = serializers.DateTimeField(required=False, allow_null=True, default=None)
    # The number of devices the caller expects to hit; required for a destructive kind over many devices.
    confirm_count = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0)

    def validate_filter(self, value):
        # A misspelt key used to be ignored, so the batch targeted the whole fleet.
        allowed = sorted(CpeFilter.base_filters)
        unknown = sorted(k for k in value if k not in CpeFilter.base_filters)
        if unknown:
            raise ValidationError(f"Unknown filter key(s): {', '.join(unknown)}. Allowed: {', '.join(allowed)}.")
        return value

    def validate(self, attrs):
        if ("cpes" in attrs) == ("filter" in attrs):
            raise ValidationError({"cpes": ["Give either a list of CPE ids (cpes) or a filter, not both."]})
        return attrs


# ---------------------------------------------------------------------------
# CPE links: the action endpoints, events, logs, drift (mixed into CpeViewSet)
# ---------------------------------------------------------------------------


class CpeActionsMixin:
    """Krill's action links and the event/log/drift links of a CPE (see the module docstring)."""

    def required_permission(self, request) -> str | None:
        # GET on an action link lists history (needs only devices.view); POST runs it.
        name = getattr(self, "action", None)
        if name in PATH_KINDS and request.method in SAFE_METHODS:
            return "devices.view"
        if name == "drift":
            return (
                "devices.view" if request.method in SAFE_METHODS else engine.kind_spec(ActionKind.DIAGNOSTIC).permission
            )
        return super().required_permission(request)

    def _cpe_for_action(self) -> Cpe:
        cpe = self.get_object()
        # The engine needs the model, tenant and profiles: load them in one query.
        return Cpe.objects.select_related(*CPE_RELATED).get(pk=cpe.pk)

    def _action_page(self, queryset):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ActionSerializer(page, many=True).data)

    def _run_action(self, request, path: str):
        kind = PATH_KINDS[path]
        if request.method in SAFE_METHODS:
            cpe = self.get_object()
            queryset = DeviceAction.objects.for_tenant(request.tenant).filter(cpe=cpe, kind=kind)
            return self._action_page(queryset.select_related("requested_by").order_by("-created", "-id"))
        cpe = self._cpe_for_action()
        body = ActionRequestSerializer(data=request.data if request.data else {})
        body.is_valid(raise_exception=True)
        return queue_action_response(
            request,
            cpe,
            kind,
            params=body.validated_data["params"],
            not_after=body.validated_data["not_after"],
        )

    @extend_schema(
        parameters=[OpenApiParameter("type", OpenApiTypes.STR, description="`cdr`: call records (none here)")],
        responses={200: ActionSerializer(many=True)},
        summary="The CPE's events: its device actions, newest first",
    )
    @action(detail=True, methods=["get"], url_path="events", url_name="events")
    def events(self, request, pk=None):
        cpe = self.get_object()
        queryset = DeviceAction.objects.for_tenant(request.tenant).filter(cpe=cpe)
        if request.query_params.get("type") == "cdr":
            queryset = queryset.none()  # call records live on the voice platform, not here
        return self._action_page(queryset.select_related("requested_by").order_by("-created", "-id"))

    @extend_schema(responses={200: LogSerializer(many=True)}, summary="The steps of the CPE's actions, newest first")
    @action(detail=True, methods=["get"], url_path="logs", url_name="logs")
    def logs(self, request, pk=None):
        cpe = self.get_object()
        steps = (
            DeviceActionStep.objects.filter(action__cpe=cpe, action__tenant=request.tenant)
            .select_related("action")
            .order_by("-time", "-action_id", "-seq")
        )
        page = self.paginate_queryset(steps)
        return self.get_paginated_response(LogSerializer(page, many=True).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 202: ActionSerializer}, summary="Configuration drift")
    @action(detail=True, methods=["get", "post"], url_path="drift", url_name="drift")
    def drift(self, request, pk=None):
        if request.method not in SAFE_METHODS:
            return queue_action_response(request, self._cpe_for_action(), ActionKind.DIAGNOSTIC)
        cpe = self.get_object()
        latest = (
            DeviceAction.objects.for_tenant(request.tenant)
            .filter(cpe=cpe, status=ActionStatus.SUCCEEDED, result__has_key="drift")
            .exclude(kind=ActionKind.UNPROVISION)
            .order_by("-finished", "-id")
            .first()
        )
        if latest is None or latest.result.get("drift") is None:
            return Response({"cpe": cpe.pk, "checked": None, "action": None, "drift": None})
        return Response(
            {
                "cpe": cpe.pk,
                "checked": KrillDateTimeField().to_representation(latest.finished),
                "action": {"id": latest.pk, "kind": latest.kind, "url": action_url(latest.pk)},
                "drift": latest.result["drift"],
            }
        )


def _action_link(spec: engine.ActionKindSpec):
    """The CPE's ``<krill_link>`` route of one action kind: GET lists its actions, POST queues one."""

    def run(self, request, pk=None):
        return self._run_action(request, spec.krill_link)

    run.__name__ = run.__qualname__ = spec.krill_link
    run = action(detail=True, methods=["get", "post"], url_path=spec.krill_link, url_name=spec.krill_link)(run)
    return extend_schema(request=ActionRequestSerializer, responses={202: ActionSerializer}, summary=spec.api_summary)(
        run
    )


# One route per kind, from its record (devices.actions.kinds): adding a kind adds its link.
for _spec in engine.KINDS.values():
    setattr(CpeActionsMixin, _spec.krill_link, _action_link(_spec))


def queue_action_response(request, cpe: Cpe, kind: str, *, params=None, not_after=None) -> Response:
    """Queue ``kind`` for the request (in its transaction): 202 with the action, or a 409 refusal."""
    key = idempotency.key_from(request)  # a key over the limit is a 400, never cut
    try:
        with transaction.atomic():
            queued, created = engine.request_action(
                cpe,
                kind,
                params,
                requested_by=request.user if request.user.is_authenticated else None,
                source=ActionSource.API,
                requested_from=client_address(request),
                idempotency_key=key,
                not_after=not_after,
            )
    except engine.ActionRefused as exc:
        return error_response(exc.reason, "action_refused", http_status=409)
    except idempotency.IdempotencyConflict as exc:
        return error_response(str(exc), "idempotency_conflict", http_status=409)
    response = Response(ActionSerializer(queued).data, status=202)
    response["Location"] = action_url(queued.pk)
    if not created:
        response["Idempotent-Replayed"] = "true"
    return response


# ---------------------------------------------------------------------------
# /api/v2/isp/actions/ and /api/v2/isp/action_batches/
# ---------------------------------------------------------------------------


class DeviceActionViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Device actions of the tenant (read), their steps, and cancel."""

    queryset = DeviceAction.objects.select_related("requested_by")
    serializer_class = ActionSerializer
    permission_area = "devices"
    # Cancelling needs devices.action.<kind> of that action (checked in the view).
    action_permissions = {"cancel": "devices.view"}

    def get_queryset(self):
        queryset = super().get_queryset().order_by("-created", "-id")
        params = self.request.query_params
        for name in ("cpe", "batch"):
            wanted = query_id(params, name)
            if wanted is not None:
                queryset = queryset.filter(**{f"{name}_id": wanted})
        for name, choices in (("kind", ActionKind.values), ("status", ActionStatus.values)):
            if params.get(name):
                if params[name] not in choices:
                    raise ValidationError({name: [f"One of: {', '.join(choices)}."]})
                queryset = queryset.filter(**{name: params[name]})
        return queryset

    @extend_schema(
        parameters=[OpenApiParameter("since", OpenApiTypes.INT, description="only steps after this number")],
        responses={200: StepSerializer(many=True)},
        summary="The action's steps (poll with since=<last seq>)",
    )
    @action(detail=True, methods=["get"], url_path="steps", url_name="steps")
    def steps(self, request, pk=None):
        found = self.get_object()
        since = query_value(request.query_params, "since", forms.IntegerField(min_value=0, max_value=MAX_ROW_ID), 0)
        steps = found.steps.filter(seq__gt=since).order_by("seq")[:1000]
        return Response(
            {
                "action": found.pk,
                "status": found.status,
                "finished": found.is_finished,
                "steps": StepSerializer(steps, many=True).data,
            }
        )

    @extend_schema(request=None, responses={200: ActionSerializer}, summary="Cancel the action")
    @action(detail=True, methods=["post"], url_path="cancel", url_name="cancel")
    def cancel(self, request, pk=None):
        found = self.get_object()
        _require_kind_permission(request, found.kind)
        try:
            found = engine.cancel(found, by=request.user)
        except engine.ActionFinished as exc:
            return error_response(str(exc), "action_finished", http_status=409)
        return Response(ActionSerializer(found).data)


class ActionBatchViewSet(
    TenantScopedMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Bulk actions: create with a kind and CPE ids or a filter; read totals and progress."""

    queryset = ActionBatch.objects.select_related("requested_by")
    serializer_class = BatchSerializer
    permission_area = "devices"
    # The kind's own permission is checked in create/cancel.
    action_permissions = {"create": "devices.view", "cancel": "devices.view"}

    def get_serializer_class(self):
        return BatchRequestSerializer if self.action == "create" else BatchSerializer

    @extend_schema(request=BatchRequestSerializer, responses={201: BatchSerializer})
    def create(self, request, *args, **kwargs):
        body = BatchRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        kind = data["kind"]
        _require_kind_permission(request, kind)
        tenant = request.tenant
        base = Cpe.objects.for_tenant(tenant).select_related(*CPE_RELATED).prefetch_related("potses")
        missing: list[int] = []
        if "cpes" in data:
            wanted = list(dict.fromkeys(data["cpes"]))
            cpes = list(base.filter(pk__in=wanted))
            found = {c.pk for c in cpes}
            missing = [i for i in wanted if i not in found]
            selection = {"cpes": wanted}
        else:
            query = QueryDict(mutable=True)
            for key, value in data["filter"].items():
                query.setlist(key, [str(v) for v in value] if isinstance(value, list) else [str(value)])
            cpe_filter = CpeFilter(query, queryset=base, request=request)
            if not cpe_filter.is_valid():
                raise ValidationError({"filter": [f"{k}: {' '.join(v)}" for k, v in cpe_filter.errors.items()]})
            cpes = list(cpe_filter.qs.order_by("pk")[: engine.MAX_BATCH_IDS])
            selection = {"filter": data["filter"]}
        try:
            batch = engine.request_batch(
                tenant,
                kind,
                cpes,
                missing=missing,
                params=data["params"],
                selection=selection,
                requested_by=request.user,
                source=ActionSource.API,
                requested_from=client_address(request),
                not_after=data["not_after"],
                confirm_count=data["confirm_count"],
            )
        except BatchNotConfirmed as exc:
            raise ValidationError({"confirm_count": [exc.message]}) from None
        response = Response(BatchSerializer(batch).data, status=201)
        response["Location"] = f"/api/v2/isp/action_batches/{batch.pk}/"
        return response

    @extend_schema(request=None, responses={200: BatchSerializer}, summary="Cancel every unfinished action")
    @action(detail=True, methods=["post"], url_path="cancel", url_name="cancel")
    def cancel(self, request, pk=None):
        batch = self.get_object()
        _require_kind_permission(request, batch.kind)
        engine.cancel_batch(batch, by=request.user)
        return Response(BatchSerializer(batch).data)
