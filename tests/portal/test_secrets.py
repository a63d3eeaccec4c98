"""portal.secrets: the one list of secret names and the one mask() that API, drift, results and admin share."""

import pytest
from django.contrib import admin

from devices.models import Cpe
from portal.admin_secrets import SecretFieldsAdminMixin
from portal.secrets import MASK, is_secret, mask, masked
from subscribers.models import PotsLine


@pytest.mark.parametrize(
    ("value", "expected"),
    [("s3cret", MASK), ("", ""), (None, None), (1234, MASK)],
)
def test_mask_hides_a_set_secret_and_keeps_an_unset_one(value, expected):
    assert mask(value) == expected


def test_mask_may_leave_a_tail_to_tell_keys_apart():
    assert mask("abcdef", visible=2) == MASK + "ef"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("pppoe_password", True),
        ("RegisterPswd", True),
        ("pppoe.password", True),
        ("wan.pppoe.password", True),
        ("management_password", True),
        ("pppoe_username", False),
        ("ssid", False),
    ],
)
def test_is_secret_knows_plain_and_dotted_names(name, secret):
    assert is_secret(name) is secret


def test_masked_walks_nested_configurations():
    config = {"wan": {"ppp_password": "x", "vlan": 35}, "sip": [{"RegisterPswd": "y", "user": "100"}], "key": ""}
    assert masked(config) == {
        "wan": {"ppp_password": MASK, "vlan": 35},
        "sip": [{"RegisterPswd": MASK, "user": "100"}],
        "key": "",
    }
    assert config["wan"]["ppp_password"] == "x"  # a copy: the original is untouched


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (Cpe, {"pppoe_password", "wifi_password", "management_username", "management_password"}),
        (PotsLine, {"password", "voicemail_password"}),
    ],
)
def test_admin_forms_treat_the_models_secret_fields_as_secrets(model, expected):
    class Admin(SecretFieldsAdminMixin, admin.ModelAdmin):
        pass

    assert set(Admin(model, admin.site).get_secret_fields()) == expected
    # The registered admins no longer list them: they derive the same ones.
    assert set(admin.site._registry[model].get_secret_fields()) == expected


def test_drift_and_action_results_mask_every_name_their_own_lists_had():
    # The names devices/provisioning/drift.py and devices/actions/work.py listed before portal.secrets.
    old_lists = "ppp_password password admin_password user_password RegisterPswd key pppoe.password"
    assert all(is_secret(name) for name in old_lists.split())
