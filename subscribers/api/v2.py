"""Krill v2 ``/api/v2/isp/customers/`` and ``/api/v2/isp/potses/`` (see portal.api.krill for the dialect)."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers

from portal.api.gate import TenantModelViewSet, WrittenByServicesMixin
from portal.api.krill import KrillModelSerializer, KrillViewSetMixin, SecretField
from subscribers import extensions, services
from subscribers.choices import SubscriberStatus
from subscribers.filters import CustomerFilter, PotsLineFilter
from subscribers.models import PotsLine, Subscriber

from .schema import customer_schema_view, pots_line_schema_view

STATUS_READ_ONLY = (
    "status is read-only here. Change it with POST /api/v1/subscribers/<id>/activate or "
    "/api/v1/subscribers/<id>/suspend, or deactivate with DELETE /api/v1/subscribers/<id>: "
    "those record the service event the network acts on."
)


class CustomerSerializer(KrillModelSerializer):
    """Krill's customer record; ``email``, ``phone`` and ``status`` are portal extensions (ask with attrs)."""

    realm = serializers.SerializerMethodField()

    krill_extra_fields = ("email", "phone", "status")
    krill_joins = extensions.CUSTOMER_JOINS  # devices adds "cpes" at ready()

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
        # status is read-only: a change must go through the status service (event, rules, signal).
        read_only_fields = ["id", "realm", "created", "updated", "status"]

    def to_internal_value(self, data):
        # Echoing the current status back (GET → edit → PUT) is fine; asking for another one is a 400
        # rather than a silent no-op, so an integration learns where status changes live.
        if isinstance(data, Mapping) and "status" in data:
            current = self.instance.status if self.instance is not None else SubscriberStatus.ACTIVE
            if data["status"] != current:
                raise serializers.ValidationError({"status": [STATUS_READ_ONLY]})
        return super().to_internal_value(data)

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

    krill_joins = extensions.POTS_LINE_JOINS  # devices adds "cpe" at ready()

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
        if cpe is not None and order and self.taken(PotsLine.objects.filter(cpe=cpe, order=order)):
            raise serializers.ValidationError({"order": [f"CPE {cpe} already has a line number {order}."]})
        lineid = attrs.get("lineid")
        if lineid and self.taken(PotsLine.objects.for_tenant(self.context["tenant"]).filter(lineid=lineid)):
            raise serializers.ValidationError({"lineid": ["A line with this lineid already exists."]})
        return attrs


@customer_schema_view
class CustomerViewSet(WrittenByServicesMixin, KrillViewSetMixin, TenantModelViewSet):
    """Krill customers (our subscribers)."""

    queryset = Subscriber.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    permission_area = "subscribers"
    writes = (services.create_subscriber, services.update_subscriber)


@pots_line_schema_view
class PotsLineViewSet(WrittenByServicesMixin, KrillViewSetMixin, TenantModelViewSet):
    """Krill potses: telephone lines on CPEs (``lineid`` defaults to ``<cpename>-<order>``)."""

    queryset = PotsLine.objects.all()
    serializer_class = PotsLineSerializer
    filterset_class = PotsLineFilter
    permission_area = "subscribers"
    writes = (services.create_pots_line, services.update_pots_line)
    # A POTS line is rendered into its CPE's configuration: writing one is a device change
    # (the billing role, which may change subscribers, never touches devices).
    action_permissions = dict.fromkeys(("create", "update", "partial_update", "destroy"), "devices.change")
