"""ISPChamp v1 IPAM (``/api/v1/ipam/...``): pools, subnets, VRFs, allocate and release.

Thin views: input is validated by serializers, every change is made by
:mod:`network.ipam.services`; the envelope, the mandatory X-Tenant-ID and
pagination come from ``portal.api.v1``. A taken address or an exhausted
pool is a 409 (``address_taken`` / ``exhausted``).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.models import Cpe
from portal.api.errors import Conflict
from portal.api.fields import TenantRelatedField
from portal.api.gate import TenantScopedMixin
from portal.api.v1 import V1Mixin
from subscribers.models import Subscriber

from .. import selectors, services
from ..addressing import parse_network
from ..choices import IpFamily, PoolPurpose
from ..models import Allocation, Pool, Subnet, Vrf


class UseFields(serializers.Serializer):
    """``used``, ``capacity``, ``free`` and ``use_percent`` of a subnet or a pool (computed once per row)."""

    used = serializers.SerializerMethodField(help_text="Addresses allocated or in quarantine")
    capacity = serializers.SerializerMethodField(
        help_text="Usable addresses: not network, broadcast, gateway, reserved"
    )
    free = serializers.SerializerMethodField()
    use_percent = serializers.SerializerMethodField()

    def use_of(self, obj) -> selectors.Use:
        if getattr(obj, "_ipam_use", None) is None:
            obj._ipam_use = selectors.pool_use(obj) if isinstance(obj, Pool) else selectors.subnet_use(obj)
        return obj._ipam_use

    def get_used(self, obj) -> int:
        return self.use_of(obj).used

    def get_capacity(self, obj) -> int:
        return self.use_of(obj).capacity

    def get_free(self, obj) -> int:
        return self.use_of(obj).free

    def get_use_percent(self, obj) -> float:
        return self.use_of(obj).percent


USE = ["used", "capacity", "free", "use_percent"]


class V1IpamVrfSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vrf
        fields = ["id", "name", "rd", "enforce_unique", "description"]


class V1IpamSubnetSerializer(UseFields, serializers.ModelSerializer):
    pool_name = serializers.CharField(source="pool.name", read_only=True)
    vrf_name = serializers.CharField(source="vrf.name", read_only=True)

    class Meta:
        model = Subnet
        fields = [
            "id",
            "cidr",
            "family",
            "pool",
            "pool_name",
            "vrf",
            "vrf_name",
            "gateway",
            "reserved",
            "description",
            *USE,
        ]
        read_only_fields = fields


class V1IpamSubnetInputSerializer(serializers.Serializer):
    cidr = serializers.CharField(max_length=43)
    gateway = serializers.IPAddressField(required=False, allow_null=True)
    reserved = serializers.ListField(child=serializers.CharField(max_length=90), required=False, default=list)
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    def validate_cidr(self, value: str) -> str:
        try:
            return str(parse_network(value))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class V1IpamPoolSubnetSerializer(UseFields, serializers.ModelSerializer):
    class Meta:
        model = Subnet
        fields = ["id", "cidr", "family", "gateway", *USE]


class V1IpamPoolSerializer(UseFields, serializers.ModelSerializer):
    vrf = TenantRelatedField(Vrf)
    vrf_name = serializers.CharField(source="vrf.name", read_only=True)
    purpose = serializers.ChoiceField(choices=PoolPurpose.choices)
    subnets = V1IpamPoolSubnetSerializer(many=True, read_only=True)
    over_threshold = serializers.SerializerMethodField()

    class Meta:
        model = Pool
        fields = [
            "id",
            "name",
            "vrf",
            "vrf_name",
            "purpose",
            "alert_threshold",
            "description",
            "subnets",
            *USE,
            "over_threshold",
            "created",
        ]
        read_only_fields = ["id", "created"]
        extra_kwargs = {"alert_threshold": {"min_value": 1, "max_value": 100}}

    def get_over_threshold(self, pool: Pool) -> bool:
        return self.use_of(pool).over(pool.alert_threshold)


class V1IpamPoolCreateSerializer(V1IpamPoolSerializer):
    subnets = V1IpamSubnetInputSerializer(many=True, allow_empty=False)

    def create(self, validated_data):
        specs = [services.SubnetSpec(**{**s, "reserved": tuple(s["reserved"])}) for s in validated_data.pop("subnets")]
        validated_data.pop("tenant", None)
        return services.create_pool(self.context["tenant"], subnets=specs, **validated_data)


class V1IpamAllocationSerializer(serializers.ModelSerializer):
    subnet_cidr = serializers.CharField(source="subnet.cidr", read_only=True)
    pool = serializers.IntegerField(source="subnet.pool_id", read_only=True)
    vrf_name = serializers.CharField(source="vrf.name", read_only=True)
    allocated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "address",
            "subnet",
            "subnet_cidr",
            "pool",
            "vrf",
            "vrf_name",
            "status",
            "subscriber",
            "cpe",
            "session_id",
            "description",
            "allocated_by",
            "allocated_at",
            "released_at",
            "quarantine_until",
        ]
        read_only_fields = fields


class V1IpamAllocateSerializer(serializers.Serializer):
    pool = TenantRelatedField(Pool, required=False, allow_null=True)
    subnet = TenantRelatedField(Subnet, required=False, allow_null=True)
    address = serializers.IPAddressField(required=False, allow_blank=True, help_text="A specific address")
    family = serializers.ChoiceField(choices=IpFamily.choices, required=False, help_text="IPv4 or IPv6 in a mixed pool")
    subscriber = TenantRelatedField(Subscriber, required=False, allow_null=True)
    cpe = TenantRelatedField(Cpe, required=False, allow_null=True)
    session_id = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    def validate(self, attrs):
        if bool(attrs.get("pool")) == bool(attrs.get("subnet")):
            raise serializers.ValidationError({"pool": ["Give a pool or a subnet (one of them)."]})
        return attrs


class V1IpamReleaseSerializer(serializers.Serializer):
    allocation = TenantRelatedField(Allocation, required=False, allow_null=True)
    address = serializers.IPAddressField(required=False, allow_blank=True)
    vrf = TenantRelatedField(Vrf, required=False, allow_null=True)

    def validate(self, attrs):
        if not attrs.get("allocation") and not (attrs.get("address") and attrs.get("vrf")):
            raise serializers.ValidationError({"address": ["Give an allocation id, or an address and its VRF."]})
        return attrs


class SubnetFilter(django_filters.FilterSet):
    pool = django_filters.NumberFilter(field_name="pool_id")
    vrf = django_filters.NumberFilter(field_name="vrf_id")
    family = django_filters.NumberFilter(field_name="family")
    contains = django_filters.CharFilter(method="filter_contains", label="contains an address or CIDR")

    class Meta:
        model = Subnet
        fields = ["pool", "vrf", "family", "contains"]

    def filter_contains(self, queryset, name, value):
        return selectors.subnets_containing(queryset, value)


class IpamV1(V1Mixin, TenantScopedMixin):
    permission_area = "ipam"


@extend_schema_view(list=extend_schema(summary="List VRFs"), retrieve=extend_schema(summary="Get a VRF"))
class VrfViewSet(IpamV1, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Vrf.objects.all()
    serializer_class = V1IpamVrfSerializer


@extend_schema_view(
    list=extend_schema(summary="List subnets (filters: pool, vrf, family, contains)"),
    retrieve=extend_schema(summary="Get a subnet with its use"),
)
class SubnetViewSet(IpamV1, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = selectors.with_use(Subnet.objects.select_related("pool", "vrf")).order_by("family", "first_key")
    serializer_class = V1IpamSubnetSerializer
    filterset_class = SubnetFilter


POOL_EXAMPLE = {
    "name": "CGNAT",
    "vrf": 1,
    "purpose": "cgnat",
    "alert_threshold": 85,
    "subnets": [{"cidr": "100.64.0.0/16", "gateway": "100.64.0.1", "reserved": ["100.64.0.2-100.64.0.9"]}],
}


@extend_schema_view(
    list=extend_schema(summary="List IP address pools"),
    retrieve=extend_schema(summary="Get a pool with its subnets and use"),
    create=extend_schema(
        summary="Create an IP pool",
        request=V1IpamPoolCreateSerializer,
        examples=[OpenApiExample("CGNAT pool", value=POOL_EXAMPLE, request_only=True)],
    ),
)
class PoolViewSet(
    IpamV1, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    queryset = selectors.pools_with_use(Pool.objects.all())
    serializer_class = V1IpamPoolSerializer
    filterset_fields = ["purpose", "vrf"]

    def get_serializer_class(self):
        return V1IpamPoolCreateSerializer if self.action == "create" else V1IpamPoolSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pool = serializer.save()
        fresh = self.get_queryset().get(pk=pool.pk)
        return Response(V1IpamPoolSerializer(fresh, context=self.get_serializer_context()).data, status=201)


def conflict(exc: services.AddressConflict) -> Conflict:
    return Conflict(exc.message, code=exc.code)


class AllocateView(IpamV1, APIView):
    """``POST /api/v1/ipam/allocate``: the next free address of a pool or subnet, or a given one."""

    v1_error_codes = {"409": "The address is taken (address_taken) or the pool is exhausted (exhausted)."}

    @extend_schema(
        summary="Allocate an IP address",
        request=V1IpamAllocateSerializer,
        responses={201: V1IpamAllocationSerializer},
        examples=[
            OpenApiExample("Next free in a pool", value={"pool": 3, "subscriber": 42}, request_only=True),
            OpenApiExample("A given address", value={"subnet": 7, "address": "192.0.2.10"}, request_only=True),
        ],
    )
    def post(self, request):
        context = {"tenant": request.tenant, "request": request}
        serializer = V1IpamAllocateSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assignment = services.Assignment(
            subscriber=data.get("subscriber"),
            cpe=data.get("cpe"),
            session_id=data.get("session_id", ""),
            description=data.get("description", ""),
        )
        try:
            allocation = services.allocate(
                request.tenant,
                pool=data.get("pool"),
                subnet=data.get("subnet"),
                address=data.get("address") or None,
                family=data.get("family"),
                assignment=assignment,
                by=request.user,
            )
        except services.AddressConflict as exc:
            raise conflict(exc) from exc
        return Response(V1IpamAllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)


class ReleaseView(IpamV1, APIView):
    """``POST /api/v1/ipam/release``: into quarantine; releasing twice answers the same allocation."""

    @extend_schema(
        summary="Release an IP address",
        request=V1IpamReleaseSerializer,
        responses={200: V1IpamAllocationSerializer},
        examples=[
            OpenApiExample("By id", value={"allocation": 12}, request_only=True),
            OpenApiExample("By address", value={"address": "100.64.0.23", "vrf": 1}, request_only=True),
        ],
    )
    def post(self, request):
        serializer = V1IpamReleaseSerializer(data=request.data, context={"tenant": request.tenant, "request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        allocation = services.release(
            request.tenant,
            allocation=data.get("allocation"),
            address=data.get("address") or "",
            vrf=data.get("vrf"),
            by=request.user,
        )
        return Response(V1IpamAllocationSerializer(allocation).data)
