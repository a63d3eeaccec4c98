"""Admin forms for models with encrypted secrets: never render a stored secret back.

A secret field shows an empty password input with "(set)" / "(not set)";
leaving it blank keeps the stored value, typing replaces it. Which fields are
secrets: the model's fields named in portal.secrets.SECRET_FIELD_NAMES, unless
the ModelAdmin lists them itself.
"""

from __future__ import annotations

from django import forms

from portal.secrets import is_secret


class SecretFieldsAdminMixin:
    """Masks the model's secret fields; ``secret_fields = ("pppoe_password", ...)`` on a ModelAdmin overrides which."""

    secret_fields: tuple[str, ...] | None = None

    def get_secret_fields(self) -> tuple[str, ...]:
        if self.secret_fields is not None:
            return tuple(self.secret_fields)
        return tuple(f.name for f in self.model._meta.concrete_fields if is_secret(f.name))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.get_secret_fields():
            return forms.CharField(
                label=db_field.verbose_name.capitalize(),
                required=False,
                strip=False,
                widget=forms.PasswordInput(render_value=False),
                help_text="Leave blank to keep the stored value.",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name in self.get_secret_fields():
            if name in form.base_fields:
                state = "set" if obj is not None and getattr(obj, name) else "not set"
                form.base_fields[name].help_text = f"Currently {state}. Leave blank to keep the stored value."
        return form

    def save_model(self, request, obj, form, change):
        secret_fields = self.get_secret_fields()
        if change and secret_fields:
            stored = type(obj).objects.filter(pk=obj.pk).values_list(*secret_fields).first() or ()
            for name, old in zip(secret_fields, stored, strict=False):
                if not form.cleaned_data.get(name):
                    # The stored (decrypted) value: values_list goes through from_db_value.
                    setattr(obj, name, old)
        super().save_model(request, obj, form, change)
