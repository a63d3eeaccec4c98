"""Krill v2 ``/api/v2/isp/cpes/`` and the CPE link sub-resources (see portal.api.krill for the dialect).

Its OpenAPI examples are in ``devices.api.schema``.

Every CPE record carries Krill's ``_links``: relative paths under
``/api/v2/cpes/<id>/`` (served there and under ``/api/v2/isp/cpes/<id>/``).
The data links (customer, potses, model, profile, links, info) answer from
the database; the device actions, events, logs and drift are
``devices.api.actions`` (mixed in); a link not built yet answers 501
``not_implemented`` rather than pretending with fake data.
"""

from __future__ import annotations

import ipaddress

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from devices import addresses, extensions, services
from devices.actions import KINDS
from devices.api.actions import CpeActionsMixin
from devices.api.monitoring import livestatus, monitoring_info, open_alerts_of
from devices.api.schema import NOT_IMPLEMENTED, cpe_schema_view
from devices.filters import CpeFilter
from devices.models import Cpe, DeviceModel, ServiceProfile
from portal.api.gate import TenantModelViewSet, WrittenByServicesMixin
from portal.api.krill import (
    Join,
    KrillModelSerializer,
    KrillViewSetMixin,
    SecretField,
    not_implemented,
)
from portal.roles import role_can
from subscribers.api.v2 import CustomerSerializer, PotsLineSerializer
from subscribers.models import PotsLine

# Krill's action name → the path segment Krill uses for it (in Krill's alphabetical order).
CPE_ACTIONS: dict[str, str] = {kind.value: spec.krill_link for kind, spec in sorted(KINDS.items())}
CPE_LINKS: dict[str, str] = {
    "cdrs": "events?type=cdr",
    "customer": "customer",
    "cwmp_info": "cwmp_info",
    "events": "events",
    "info": "info",
    "links": "links",
    "livestatus": "livestatus",
    "logs": "logs",
    "model": "model",
    "potses": "potses",
    "profile": "profile",
}


def cpe_links(pk: int) -> dict[str, dict[str, str]]:
    """Krill's ``_links`` of a CPE: relative paths, exactly as Krill writes them."""
    base = f"/api/v2/cpes/{pk}/"
    return {
        "actions": {name: base + path for name, path in CPE_ACTIONS.items()},
        "links": {name: base + path for name, path in CPE_LINKS.items()},
    }


def normalise_mac(value: str | None) -> str | None:
    """``e067b3aabbcc`` / ``E0-67-B3-AA-BB-CC`` → ``E0:67:B3:AA:BB:CC``."""
    if not value:
        return None
    digits = "".join(c for c in value if c.isalnum()).upper()
    if len(digits) != 12 or any(c not in "0123456789ABCDEF" for c in digits):
        raise serializers.ValidationError("Enter a MAC address (12 hex digits, e.g. E0:67:B3:12:34:56).")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


class DeviceModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeviceModel
        fields = ["id", "name", "family", "tech", "avatar", "is_router", "tr069", "ports", "pots_ports", "wifi"]
        read_only_fields = fields


class ServiceProfileSerializer(KrillModelSerializer):
    class Meta:
        model = ServiceProfile
        fields = [
            "id",
            "name",
            "description",
            "internet_vlan",
            "cos",
            "wan_mode",
            "nat",
            "download_kbps",
            "upload_kbps",
            "created",
            "updated",
        ]
        read_only_fields = fields


def _potses_prefetch() -> Prefetch:
    return Prefetch("potses", queryset=PotsLine.objects.order_by("order", "id"))


LINKS_SCHEMA = inline_serializer(
    "CpeLinks",
    {
        "actions": serializers.DictField(child=serializers.CharField()),
        "links": serializers.DictField(child=serializers.CharField()),
    },
)


# Fields Krill does not have: answered only when named in ``attrs``.
PORTAL_EXTENSIONS = (
    "family",
    "management_address",
    "management_port",
    "management_scheme",
    "management_username",
    "management_password",
    "tls_verify",
    "tls_ca_pem",
    "tls_fingerprint_sha256",
)


class CpeListSerializer(serializers.ListSerializer):
    """A page of CPEs: the registered extension fields asked for load their data once for the page."""

    def to_representation(self, data):
        rows = list(data.all() if hasattr(data, "all") else data)
        self.child.load_extensions(rows)
        return super().to_representation(rows)


class CpeSerializer(KrillModelSerializer):
    """Krill's CPE record (sorted keys, as Krill answers) plus opt-in management fields."""

    _links = serializers.SerializerMethodField()
    _services = serializers.SerializerMethodField()
    avatar = serializers.CharField(source="model.avatar", read_only=True)
    is_router = serializers.BooleanField(source="model.is_router", read_only=True)
    tr069 = serializers.BooleanField(source="model.tr069", read_only=True)
    family = serializers.CharField(source="model.family", read_only=True)
    realm = serializers.SerializerMethodField()
    model = serializers.SlugRelatedField(slug_field="name", queryset=DeviceModel.objects.all())
    sn = serializers.CharField(max_length=64)
    cpename = serializers.CharField(max_length=64, required=False, allow_blank=True)
    internal_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    tech = serializers.ChoiceField(choices=Cpe._meta.get_field("tech").choices, required=False)
    pppoe_password = SecretField()
    wifi_password = SecretField()
    management_password = SecretField()

    krill_extra_fields = PORTAL_EXTENSIONS
    krill_joins = {
        "customer": Join(
            "subscribers.api.v2.CustomerSerializer", permission="subscribers.view", select_related=("customer",)
        ),
        "potses": Join(
            "subscribers.api.v2.PotsLineSerializer",
            many=True,
            permission="subscribers.view",
            prefetch=_potses_prefetch,
            exclude=("cpe",),
        ),
    }

    class Meta:
        model = Cpe
        fields = [
            "_links",
            "_services",
            "access",
            "active",
            "address",
            "address_profile",
            "avatar",
            "bridge",
            "city",
            "country",
            "cpename",
            "created",
            "customer",
            "disable_provision",
            "disable_reconfig",
            "dsn",
            "enable_notifications",
            "expiration_date",
            "external_id",
            "external_voip",
            "fixed_address",
            "has_tr069",
            "id",
            "internal_id",
            "is_router",
            "lan_cidr",
            "latitude",
            "line_profile",
            "longitude",
            "mac",
            "me_vlan",
            "model",
            "mtamac",
            "notes",
            "postalcode",
            "pppoe_password",
            "pppoe_username",
            "probe",
            "profile",
            "realm",
            "remote_id",
            "sn",
            "tech",
            "tech_updated",
            "topology",
            "tr069",
            "tv_profile",
            "updated",
            "voip_profile",
            "wanmac",
            "wifi_password",
            "wifi_profile",
            "wifi_ssid",
            # portal extensions (answered when named in attrs)
            *PORTAL_EXTENSIONS,
        ]
        read_only_fields = ["id", "created", "updated", "tech_updated"]
        list_serializer_class = CpeListSerializer

    # -- extension fields other apps register (devices.extensions; IPAM's ip_addresses) --

    @classmethod
    def krill_field_names(cls) -> set[str]:
        return super().krill_field_names() | set(extensions.cpe_fields())

    def get_fields(self):
        fields = super().get_fields()
        selection = self.selection
        if self._krill_nested or (selection is not None and not selection.read):
            return fields
        for name, extra in extensions.cpe_fields().items():
            # Like PORTAL_EXTENSIONS: only when attrs names it (the schema, with no request, sees them all).
            if selection is None or (selection.attrs is not None and name in selection.attrs):
                fields[name] = extra.field()
        return fields

    def load_extensions(self, rows) -> None:
        """Let each extension field being answered fetch its data for ``rows`` (one query each)."""
        for name, extra in extensions.cpe_fields().items():
            if name in self.fields:
                extra.prefetch(rows)

    def to_representation(self, instance):
        if self.parent is None:
            self.load_extensions([instance])
        return super().to_representation(instance)

    @extend_schema_field(LINKS_SCHEMA)
    def get__links(self, obj) -> dict:
        return cpe_links(obj.pk)

    def get__services(self, obj) -> list[str]:
        return obj.services

    def get_realm(self, obj) -> str:
        tenant = self.context.get("tenant")
        return tenant.realm if tenant is not None else obj.tenant.realm

    def validate_sn(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("The serial number may not be blank.")
        if self.taken(Cpe.objects.for_tenant(self.context["tenant"]).filter(sn=value)):
            raise serializers.ValidationError(f"A CPE with serial number {value} already exists.")
        return value

    def validate_cpename(self, value: str) -> str:
        if value and self.taken(Cpe.objects.for_tenant(self.context["tenant"]).filter(cpename=value)):
            raise serializers.ValidationError(f"A CPE named {value} already exists.")
        return value

    def validate_mac(self, value):
        return normalise_mac(value)

    def validate_wanmac(self, value):
        return normalise_mac(value)

    def validate_mtamac(self, value):
        return normalise_mac(value)

    def validate_lan_cidr(self, value):
        if value:
            try:
                ipaddress.ip_interface(value)
            except ValueError:
                raise serializers.ValidationError("Enter a subnet in CIDR notation, e.g. 192.168.1.1/24.") from None
        return value or None

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # Never the portal's own services (devices.addresses): a field error, before anything is written.
        current = self.instance
        address = attrs.get("management_address", getattr(current, "management_address", None))
        if address:
            model = attrs.get("model") or current.model
            port = attrs.get("management_port", getattr(current, "management_port", None))
            problem = addresses.own_service_problem(address, addresses.effective_port(port, model.family))
            if problem:
                raise serializers.ValidationError({"management_address": [f"{problem[0].upper()}{problem[1:]}."]})
        return attrs


@cpe_schema_view(example_links=cpe_links(350))
class CpeViewSet(WrittenByServicesMixin, CpeActionsMixin, KrillViewSetMixin, TenantModelViewSet):
    """Krill CPEs: the subscriber's devices (ONTs, routers, phones)."""

    queryset = Cpe.objects.all()
    serializer_class = CpeSerializer
    filterset_class = CpeFilter
    permission_area = "devices"
    list_select_related = ("model",)
    # Viewset action (method) name → permission: the method is named after Krill's path segment.
    action_permissions = {path: f"devices.action.{kind}" for kind, path in CPE_ACTIONS.items()}
    writes = (services.create_cpe, services.update_cpe)
    conflicts = (addresses.AddressInUse,)

    def parse_selection(self, request):
        selection = super().parse_selection(request)
        role = getattr(request, "role", None)
        registered = extensions.cpe_fields()
        for name in sorted(selection.attrs or ()):
            permission = registered[name].permission if name in registered else None
            if permission and not role_can(role, permission):
                raise PermissionDenied(f"Your role ({role}) may not read {name} (needs {permission}).")
        return selection

    # -- data links ---------------------------------------------------------------

    def _nested(self, serializer_class, instance, **kwargs):
        return serializer_class(instance, context=self.get_serializer_context(), krill_nested=True, **kwargs).data

    def _one_link(self, serializer_class, field: str, missing: str) -> Response:
        """The CPE's one related row (``field``) as Krill nests it; 404 with ``missing`` when there is none."""
        cpe = self.get_object()
        if getattr(cpe, f"{field}_id") is None:
            raise NotFound(missing)
        return Response(self._nested(serializer_class, getattr(cpe, field)))

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="The CPE's customer (Krill customer record)")
    @action(detail=True, methods=["get"], url_path="customer", url_name="customer")
    def link_customer(self, request, pk=None):
        return self._one_link(CustomerSerializer, "customer", "This CPE has no customer.")

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="The CPE's POTS lines (paginated)")
    @action(detail=True, methods=["get"], url_path="potses", url_name="potses")
    def link_potses(self, request, pk=None):
        cpe = self.get_object()
        lines = PotsLine.objects.for_tenant(request.tenant).filter(cpe=cpe).order_by("order", "id")
        page = self.paginate_queryset(lines)
        return self.get_paginated_response(self._nested(PotsLineSerializer, page, many=True))

    @extend_schema(responses={200: DeviceModelSerializer}, summary="The CPE's device model")
    @action(detail=True, methods=["get"], url_path="model", url_name="model")
    def link_model(self, request, pk=None):
        return Response(DeviceModelSerializer(self.get_object().model).data)

    @extend_schema(responses={200: ServiceProfileSerializer}, summary="The CPE's service profile")
    @action(detail=True, methods=["get"], url_path="profile", url_name="profile")
    def link_profile(self, request, pk=None):
        return self._one_link(ServiceProfileSerializer, "profile", "This CPE has no service profile.")

    @extend_schema(responses={200: LINKS_SCHEMA}, summary="The CPE's _links")
    @action(detail=True, methods=["get"], url_path="links", url_name="links")
    def link_links(self, request, pk=None):
        return Response(cpe_links(self.get_object().pk))

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="The device's inventory record plus Krill's live monitoring view (monitoring/cpes/{id}/info)",
    )
    @action(detail=True, methods=["get"], url_path="info", url_name="info")
    def link_info(self, request, pk=None):
        cpe = self.get_object()
        return Response(
            {
                **monitoring_info(cpe, open_alerts_of(cpe)),
                "id": cpe.pk,
                "cpename": cpe.cpename,
                "sn": cpe.sn,
                "mac": cpe.mac,
                "model": DeviceModelSerializer(cpe.model).data,
                "tech": cpe.tech,
                "active": cpe.active,
                "_services": cpe.services,
                "management": {
                    "address": cpe.management_address,
                    "port": cpe.management_port,
                    "scheme": cpe.management_scheme,
                },
            }
        )

    # -- live data (the device actions, events, logs and drift: devices.api.actions) ------

    def _not_yet(self, what: str):
        self.get_object()  # another tenant's CPE is a 404, not a 501
        return not_implemented(what)

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="The latest polled state (devices.polling)")
    @action(detail=True, methods=["get"], url_path="livestatus", url_name="livestatus")
    def livestatus(self, request, pk=None):
        cpe = self.get_object()
        status = livestatus(cpe)
        if status is None:
            status = {"id": cpe.pk, "state": "pending", "state_id": None, "output": "PENDING - not polled yet"}
        return Response(status)

    @extend_schema(responses={501: NOT_IMPLEMENTED}, summary="TR-069 information (not available yet)")
    @action(detail=True, methods=["get"], url_path="cwmp_info", url_name="cwmp_info")
    def cwmp_info(self, request, pk=None):
        return self._not_yet("cwmp_info")
