"""Krill v2 ``/api/v2/isp/customers/`` and ``/api/v2/isp/potses/`` (see portal.api.krill for the dialect)."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers

from portal.api.gate import TenantModelViewSet
from portal.api.krill import KRILL_QUERY_PARAMETERS, Join, KrillModelSerializer, KrillViewSetMixin, SecretField
from subscribers import services
from subscribers.filters import CustomerFilter, PotsLineFilter
from subscribers.models import PotsLine, Subscriber

CPE_SERIALIZER = "devices.api.cpes.CpeSerializer"


def _cpes_prefetch() -> Prefetch:
    from devices.models import Cpe

    return Prefetch("cpes", queryset=Cpe.objects.select_related("model").order_by("id"))


class CustomerSerializer(KrillModelSerializer):
    """Krill's customer record; ``email``, ``phone`` and ``status`` are portal extensions (ask with attrs)."""

    realm = serializers.SerializerMethodField()

    krill_extra_fields = ("email", "phone", "status")
    krill_joins = {
        "cpes": Join(CPE_SERIALIZER, many=True, permission="devices.view", prefetch=_cpes_prefetch),
    }

    class Meta:
        model = Subscriber
        fields = [
            "id",
            "name",
            "surname",
            "address",
            "city",
            "country",
            "postalcode",
            "latitude",
            "longitude",
            "external_id",
            "comment",
            "realm",
            "created",
            "updated",
            "email",
            "phone",
            "status",
        ]
        read_only_fields = ["id", "realm", "created", "updated"]

    def get_realm(self, obj) -> str:
        # Every row of a response belongs to the request's tenant: no join needed.
        tenant = self.context.get("tenant")
        return tenant.realm if tenant is not None else obj.tenant.realm

    def validate_external_id(self, value):
        if value:
            tenant = self.context["tenant"]
            clash = Subscriber.objects.for_tenant(tenant).filter(external_id=value)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError("A customer with this external_id already exists.")
        return value


class PotsLineSerializer(KrillModelSerializer):
    """Krill's POTS line; ``password`` and ``voicemail_password`` are secrets (masked)."""

    password = SecretField(allow_null=True)
    voicemail_password = SecretField(allow_null=True)
    lineid = serializers.CharField(max_length=80, required=False, allow_blank=True)

    krill_joins = {
        "cpe": Join(CPE_SERIALIZER, permission="devices.view", select_related=("cpe__model",)),
    }

    class Meta:
        model = PotsLine
        fields = [
            "id",
            "cpe",
            "cli",
            "context",
            "contextname",
            "custom_digitmap",
            "dtmf",
            "label",
            "language",
            "lineid",
            "order",
            "password",
            "pbx_extension",
            "username",
            "voicemail",
            "voicemail_password",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"order": {"required": False}}
        # (cpe, order) uniqueness is checked in validate(), after the order is defaulted.
        validators = []

    def validate(self, attrs):
        cpe = attrs.get("cpe", getattr(self.instance, "cpe", None))
        order = attrs.get("order", getattr(self.instance, "order", None))
        if cpe is not None and order:
            clash = PotsLine.objects.filter(cpe=cpe, order=order)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError({"order": [f"CPE {cpe} already has a line number {order}."]})
        lineid = attrs.get("lineid")
        if lineid:
            clash = PotsLine.objects.for_tenant(self.context["tenant"]).filter(lineid=lineid)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError({"lineid": ["A line with this lineid already exists."]})
        return attrs


CUSTOMER_EXAMPLE = {
    "address": "Calle Bolivia nº 21 3ºB",
    "city": "Coslada, Madrid",
    "comment": "",
    "country": "Spain",
    "created": "2019-11-08T15:57:08+01:00",
    "external_id": None,
    "id": 65,
    "latitude": None,
    "longitude": None,
    "name": "Incredulo",
    "postalcode": None,
    "realm": "pim",
    "surname": "Trotamundos",
    "updated": "2019-11-08T15:57:08+01:00",
}
POTS_EXAMPLE = {
    "cli": None,
    "context": None,
    "contextname": None,
    "cpe": 74,
    "custom_digitmap": None,
    "dtmf": "auto",
    "id": 138,
    "label": None,
    "language": None,
    "lineid": "pim0074-1",
    "order": 1,
    "password": None,
    "pbx_extension": False,
    "username": None,
    "voicemail": False,
    "voicemail_password": None,
}


@extend_schema_view(
    list=extend_schema(
        parameters=KRILL_QUERY_PARAMETERS,
        examples=[
            OpenApiExample(
                "Customers page",
                value={"count": 1, "next": None, "previous": None, "results": [CUSTOMER_EXAMPLE]},
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        parameters=KRILL_QUERY_PARAMETERS,
        examples=[OpenApiExample("Customer", value=CUSTOMER_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        examples=[
            OpenApiExample(
                "New customer",
                value={"name": "Incredulo", "surname": "Trotamundos", "city": "Coslada, Madrid", "country": "Spain"},
                request_only=True,
            )
        ]
    ),
)
class CustomerViewSet(KrillViewSetMixin, TenantModelViewSet):
    """Krill customers (our subscribers)."""

    queryset = Subscriber.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    permission_area = "subscribers"

    def perform_create(self, serializer):
        serializer.instance = services.create_subscriber(tenant=self.request.tenant, data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_subscriber(serializer.instance, serializer.validated_data)


@extend_schema_view(
    list=extend_schema(
        parameters=KRILL_QUERY_PARAMETERS,
        examples=[
            OpenApiExample(
                "POTS lines page",
                value={"count": 1, "next": None, "previous": None, "results": [POTS_EXAMPLE]},
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        parameters=KRILL_QUERY_PARAMETERS,
        examples=[OpenApiExample("POTS line", value=POTS_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        examples=[OpenApiExample("Second line of a CPE", value={"cpe": 74, "order": 2}, request_only=True)]
    ),
)
class PotsLineViewSet(KrillViewSetMixin, TenantModelViewSet):
    """Krill potses: telephone lines on CPEs (``lineid`` defaults to ``<cpename>-<order>``)."""

    queryset = PotsLine.objects.all()
    serializer_class = PotsLineSerializer
    filterset_class = PotsLineFilter
    permission_area = "subscribers"

    def perform_create(self, serializer):
        serializer.instance = services.create_pots_line(tenant=self.request.tenant, data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_pots_line(serializer.instance, serializer.validated_data)
