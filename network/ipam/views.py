"""IPAM pages: pools and subnets with use bars, a subnet with its allocations, allocate and release.

Built from the page toolkit (:mod:`portal.pages`): the page gate scopes every
query to the active tenant (a foreign subnet or allocation answers 404), lists
are :class:`~portal.pages.FilteredListView` with an htmx ``results`` partial,
and every change goes through :mod:`network.ipam.services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views import View

from portal.inputs import parse_id
from portal.pages import FilteredListView, TenantViewMixin
from subscribers.models import Subscriber

from . import selectors, services
from .filters import AllocationPageFilter, PoolPageFilter, SubnetPageFilter
from .forms import AllocateForm
from .models import Allocation, Pool, Subnet


class IpamPageMixin(TenantViewMixin):
    permission = "ipam.view"


def _with_use(subnets) -> None:
    for subnet in subnets:
        subnet.use = selectors.subnet_use(subnet)


class PoolListView(IpamPageMixin, FilteredListView):
    model = Pool
    template_name = "ipam/pool_list.html"
    context_object_name = "pools"
    filterset_class = PoolPageFilter

    def list_rows(self, matching):
        return selectors.pools_with_use(matching).order_by("name", "id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for pool in context["pools"]:
            pool.use = selectors.pool_use(pool)
            pool.over = pool.use.over(pool.alert_threshold)
            _with_use(pool.subnets.all())
        return context


class SubnetListView(IpamPageMixin, FilteredListView):
    model = Subnet
    template_name = "ipam/subnet_list.html"
    context_object_name = "subnets"
    filterset_class = SubnetPageFilter

    def list_rows(self, matching):
        return selectors.with_use(matching.select_related("pool", "vrf")).order_by("vrf__name", "family", "first_key")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        _with_use(context["subnets"])
        return context


class SubnetDetailView(IpamPageMixin, FilteredListView):
    """A subnet and its allocations (search by address, subscriber or description)."""

    model = Allocation
    template_name = "ipam/subnet_detail.html"
    context_object_name = "allocations"
    filterset_class = AllocationPageFilter

    def get(self, request, *args, **kwargs):
        subnets = selectors.with_use(self.scoped(Subnet).select_related("pool", "vrf"))
        self.subnet = get_object_or_404(subnets, pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def base_rows(self):
        return self.scoped(Allocation).filter(subnet=self.subnet)

    def list_rows(self, matching):
        return matching.select_related("subscriber", "cpe", "allocated_by").order_by("key", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.subnet.use = selectors.subnet_use(self.subnet)
        context.update(subnet=self.subnet, can_change=self.can("ipam.change"))
        return context


class AllocateView(IpamPageMixin, View):
    """The allocate form; ``?pool=``, ``?subnet=`` and ``?subscriber=`` preselect it (404 if not the tenant's)."""

    permission = "ipam.change"
    template_name = "ipam/allocate_form.html"

    def make_form(self, data=None, initial=None) -> AllocateForm:
        return AllocateForm(
            data,
            initial=initial,
            pools=self.scoped(Pool).order_by("name"),
            subnets=self.scoped(Subnet).select_related("pool").order_by("family", "first_key"),
        )

    def render(self, request: HttpRequest, form: AllocateForm, status: int = 200) -> HttpResponse:
        return TemplateResponse(request, self.template_name, {"form": form}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {}
        for name, model in (("pool", Pool), ("subnet", Subnet), ("subscriber", Subscriber)):
            pk = parse_id(request.GET.get(name, ""))
            if pk is not None:
                initial[name] = get_object_or_404(self.scoped(model), pk=pk).pk
        return self.render(request, self.make_form(initial=initial))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render(request, form, status=400)
        data = form.cleaned_data
        subscriber = None
        if data["subscriber"]:
            subscriber = self.scoped(Subscriber).filter(pk=data["subscriber"]).first()
            if subscriber is None:
                form.add_error("subscriber", "No such subscriber.")
                return self.render(request, form, status=400)
        try:
            allocation = services.allocate(
                self.tenant,
                pool=data["pool"],
                subnet=data["subnet"],
                address=data["address"] or None,
                assignment=services.Assignment(subscriber=subscriber, description=data["description"]),
                by=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.render(request, form, status=400)
        except services.AddressConflict as exc:
            form.add_error("address" if data["address"] else None, exc.message)
            return self.render(request, form, status=409)
        messages.success(request, f"Allocated {allocation.address} from {allocation.subnet.cidr}.")
        return redirect("ipam:subnet", pk=allocation.subnet_id)


class ReleaseView(IpamPageMixin, View):
    permission = "ipam.change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        allocation = get_object_or_404(self.scoped(Allocation), pk=pk)
        allocation = services.release(self.tenant, allocation=allocation, by=request.user)
        if allocation.quarantine_until:
            until = f"{allocation.quarantine_until:%Y-%m-%d %H:%M} UTC"
            messages.success(request, f"Released {allocation.address}: in quarantine until {until}.")
        else:
            messages.success(request, f"Released {allocation.address}.")
        return redirect("ipam:subnet", pk=allocation.subnet_id)
