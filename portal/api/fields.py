"""Serializer fields the apps' APIs share."""

from __future__ import annotations

from rest_framework import serializers


class TenantRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id validated against the request's tenant (another tenant's id is "does not exist")."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        return self.model.objects.for_tenant(self.context["tenant"])
