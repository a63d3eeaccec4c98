"""Forms of the IPAM pages. They validate the shape; network.ipam.services decides and acts."""

from __future__ import annotations

from django import forms

from portal.pages import PageForm


class TargetField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj} ({obj.pool})" if hasattr(obj, "pool_id") else f"{obj} ({obj.get_purpose_display()})"


class AllocateForm(PageForm):
    pool = TargetField(label="Pool (next free)", queryset=None, required=False, empty_label="—")
    subnet = TargetField(label="or subnet", queryset=None, required=False, empty_label="—")
    address = forms.GenericIPAddressField(label="Address", required=False, help_text="Empty: the next free one.")
    subscriber = forms.IntegerField(label="Subscriber id", required=False, min_value=1)
    description = forms.CharField(label="Description", max_length=200, required=False)

    def __init__(self, *args, pools=None, subnets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pool"].queryset = pools
        self.fields["subnet"].queryset = subnets

    def clean(self):
        data = super().clean()
        if bool(data.get("pool")) == bool(data.get("subnet")):
            self.add_error("pool", "Choose a pool or a subnet (one of them).")
        return data
