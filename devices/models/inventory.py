"""Device models (hardware catalogue), provisioning profiles and CPEs (Krill's ``cpes``).

A :class:`Cpe` is the customer-premises device Krill manages: its Krill
record (serial, name, customer, profiles, PPPoE/Wi-Fi settings, location)
plus what our drivers need to reach it (management address/port/scheme,
credentials and TLS policy). Profiles are the tenant's building blocks the
provisioning code renders into device configuration.
"""

# Krill records tell null ("not set") apart from "" for many text fields, and
# integrations rely on it, so those columns are nullable on purpose.
# ruff: noqa: DJ001

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from portal.crypto import EncryptedTextField
from portal.models import TenantOwned

from ..choices import DeviceFamily, ManagementScheme, Tech, WanMode, WifiBands, WifiSecurity

VLAN_VALIDATORS = [MinValueValidator(1), MaxValueValidator(4094)]
COS_VALIDATORS = [MinValueValidator(0), MaxValueValidator(7)]


class DeviceModel(models.Model):
    """A hardware model (HL-4GMV, MAX BR1, X6 ...): shared by every tenant, like a vendor catalogue."""

    family = models.CharField("vendor family", max_length=16, choices=DeviceFamily.choices, db_index=True)
    name = models.CharField("model", max_length=64, unique=True)
    tech = models.CharField("technology", max_length=16, choices=Tech.choices)
    avatar = models.CharField("avatar", max_length=64, blank=True, help_text="picture key shown next to the device")
    is_router = models.BooleanField("is a router", default=True)
    tr069 = models.BooleanField("supports TR-069", default=False)
    ports = models.PositiveSmallIntegerField("LAN ports", default=0)
    pots_ports = models.PositiveSmallIntegerField("POTS / SIP lines", default=0)
    wifi = models.BooleanField("has Wi-Fi", default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["family", "name"]
        verbose_name = "device model"

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------
# Profiles: what the provisioning issue renders into device configuration
# ---------------------------------------------------------------------------


class Profile(TenantOwned):
    """Common shape of the tenant's provisioning profiles (abstract)."""

    name = models.CharField("name", max_length=100)
    description = models.CharField("description", max_length=255, blank=True)
    created = models.DateTimeField("created", auto_now_add=True)
    updated = models.DateTimeField("updated", auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def _name_unique(cls, label: str) -> models.UniqueConstraint:
        return models.UniqueConstraint(fields=["tenant", "name"], name=f"{label}_unique_name_per_tenant")


class ServiceProfile(Profile):
    """Krill's ``profile``: the internet service (VLAN, CoS, PPPoE or DHCP, NAT)."""

    internet_vlan = models.PositiveSmallIntegerField("internet VLAN", validators=VLAN_VALIDATORS, null=True, blank=True)
    cos = models.PositiveSmallIntegerField("CoS (802.1p)", validators=COS_VALIDATORS, default=0)
    wan_mode = models.CharField("WAN mode", max_length=8, choices=WanMode.choices, default=WanMode.PPPOE)
    nat = models.BooleanField("NAT", default=True)
    download_kbps = models.PositiveIntegerField("download (kbit/s)", null=True, blank=True)
    upload_kbps = models.PositiveIntegerField("upload (kbit/s)", null=True, blank=True)

    history = HistoricalRecords()

    class Meta(Profile.Meta):
        verbose_name = "service profile"
        constraints = [Profile._name_unique("serviceprofile")]


class TvProfile(Profile):
    """IPTV: multicast VLAN, CoS and the LAN ports bridged to it."""

    iptv_vlan = models.PositiveSmallIntegerField("IPTV VLAN", validators=VLAN_VALIDATORS)
    cos = models.PositiveSmallIntegerField("CoS (802.1p)", validators=COS_VALIDATORS, default=4)
    # LAN port numbers (1-based) bridged to the IPTV VLAN, e.g. [3, 4].
    bridge_ports = models.JSONField("bridged LAN ports", default=list, blank=True)

    history = HistoricalRecords()

    class Meta(Profile.Meta):
        verbose_name = "TV profile"
        constraints = [Profile._name_unique("tvprofile")]


class VoipProfile(Profile):
    """SIP service: registrar, VLAN, CoS and codec preference."""

    sip_server = models.CharField("SIP server", max_length=255)
    sip_port = models.PositiveIntegerField("SIP port", default=5060, validators=[MaxValueValidator(65535)])
    vlan = models.PositiveSmallIntegerField("voice VLAN", validators=VLAN_VALIDATORS, null=True, blank=True)
    cos = models.PositiveSmallIntegerField("CoS (802.1p)", validators=COS_VALIDATORS, default=5)
    # In preference order, e.g. ["PCMA", "PCMU", "G722"].
    codecs = models.JSONField("codecs", default=list, blank=True)

    history = HistoricalRecords()

    class Meta(Profile.Meta):
        verbose_name = "VoIP profile"
        constraints = [Profile._name_unique("voipprofile")]


class WifiProfile(Profile):
    """Wi-Fi: how SSIDs are named, security, bands, channel and width."""

    # Placeholders: {cpename}, {sn}, {mac4} (last 4 MAC hex digits), {surname}.
    ssid_pattern = models.CharField("SSID pattern", max_length=64, default="{cpename}")
    security = models.CharField("security", max_length=16, choices=WifiSecurity.choices, default=WifiSecurity.WPA2)
    bands = models.CharField("bands", max_length=8, choices=WifiBands.choices, default=WifiBands.DUAL)
    channel_24 = models.PositiveSmallIntegerField("2.4 GHz channel (0 = auto)", default=0)
    channel_5 = models.PositiveSmallIntegerField("5 GHz channel (0 = auto)", default=0)
    width_24 = models.PositiveSmallIntegerField("2.4 GHz width (MHz)", default=20)
    width_5 = models.PositiveSmallIntegerField("5 GHz width (MHz)", default=80)

    history = HistoricalRecords()

    class Meta(Profile.Meta):
        verbose_name = "Wi-Fi profile"
        constraints = [Profile._name_unique("wifiprofile")]


class LineProfile(Profile):
    """GPON line profile as the OLT knows it: name, T-CONT and bandwidth."""

    olt_profile_name = models.CharField("OLT line profile name", max_length=64)
    tcont = models.PositiveSmallIntegerField("T-CONT", default=1)
    dba_type = models.PositiveSmallIntegerField("DBA type", default=4, validators=[MaxValueValidator(5)])
    assured_kbps = models.PositiveIntegerField("assured bandwidth (kbit/s)", default=0)
    max_kbps = models.PositiveIntegerField("maximum bandwidth (kbit/s)", default=1_000_000)

    history = HistoricalRecords()

    class Meta(Profile.Meta):
        verbose_name = "line profile"
        constraints = [Profile._name_unique("lineprofile")]


class AddressProfile(Profile):
    """LAN addressing: subnet, DHCP range and DNS servers handed out."""

    lan_cidr = models.CharField("LAN subnet", max_length=43, default="192.168.1.1/24")
    dhcp_start = models.GenericIPAddressField("DHCP range start", protocol="IPv4", default="192.168.1.100")
    dhcp_end = models.GenericIPAddressField("DHCP range end", protocol="IPv4", default="192.168.1.199")
    dns_servers = models.JSONField("DNS servers", default=list, blank=True)

    history = HistoricalRecords()

    class Meta(Profile.Meta):
        verbose_name = "address profile"
        constraints = [Profile._name_unique("addressprofile")]


# ---------------------------------------------------------------------------
# CPE
# ---------------------------------------------------------------------------


class Cpe(TenantOwned):
    """A customer-premises device. Field names are Krill's (API v2 ``cpes``)."""

    sn = models.CharField("serial number", max_length=64)
    # Krill generates "<realm><id:04d>" when not given (see services.create_cpe).
    cpename = models.CharField("CPE name", max_length=64, blank=True)
    internal_id = models.CharField("internal id", max_length=64, blank=True)
    external_id = models.CharField("external id", max_length=100, null=True, blank=True)
    customer = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cpes",
        verbose_name="subscriber",
    )
    model = models.ForeignKey(DeviceModel, on_delete=models.PROTECT, related_name="cpes", verbose_name="model")
    tech = models.CharField("technology", max_length=16, choices=Tech.choices)
    tech_updated = models.DateTimeField("technology updated", null=True, blank=True)
    active = models.BooleanField("active", default=True)
    access = models.BooleanField("internet access", default=True)
    bridge = models.BooleanField("bridge mode", default=False)
    probe = models.BooleanField("probe", default=False)
    has_tr069 = models.BooleanField("managed over TR-069", default=False)
    disable_provision = models.BooleanField("provisioning disabled", default=False)
    disable_reconfig = models.BooleanField("reconfiguration disabled", default=False)
    enable_notifications = models.BooleanField("notifications enabled", default=False)
    external_voip = models.BooleanField("external VoIP", default=False)
    expiration_date = models.DateField("expiration date", null=True, blank=True)
    mac = models.CharField("MAC", max_length=17, null=True, blank=True, db_index=True)
    wanmac = models.CharField("WAN MAC", max_length=17, null=True, blank=True)
    mtamac = models.CharField("MTA MAC", max_length=17, null=True, blank=True)
    dsn = models.CharField("device serial (DSN)", max_length=64, null=True, blank=True)
    remote_id = models.CharField("remote id (DHCP option 82)", max_length=100, null=True, blank=True)
    me_vlan = models.PositiveSmallIntegerField("management VLAN", null=True, blank=True, validators=VLAN_VALIDATORS)
    lan_cidr = models.CharField("LAN subnet", max_length=43, null=True, blank=True)
    fixed_address = models.GenericIPAddressField("fixed WAN address", null=True, blank=True)
    topology = models.CharField("topology", max_length=255, blank=True)
    pppoe_username = models.CharField("PPPoE username", max_length=128, null=True, blank=True)
    pppoe_password = EncryptedTextField("PPPoE password", blank=True, default="")
    wifi_ssid = models.CharField("Wi-Fi SSID", max_length=64, blank=True)
    wifi_password = EncryptedTextField("Wi-Fi password", blank=True, default="")
    profile = models.ForeignKey(
        ServiceProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="profile"
    )
    line_profile = models.ForeignKey(
        LineProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="line profile"
    )
    tv_profile = models.ForeignKey(
        TvProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="TV profile"
    )
    voip_profile = models.ForeignKey(
        VoipProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="VoIP profile"
    )
    wifi_profile = models.ForeignKey(
        WifiProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="Wi-Fi profile"
    )
    address_profile = models.ForeignKey(
        AddressProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="address profile",
    )
    # Installation address (may differ from the subscriber's billing address).
    address = models.CharField("address", max_length=255, blank=True)
    city = models.CharField("city", max_length=120, blank=True)
    country = models.CharField("country", max_length=80, null=True, blank=True)
    postalcode = models.CharField("postal code", max_length=20, null=True, blank=True)
    latitude = models.DecimalField("latitude", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("longitude", max_digits=9, decimal_places=6, null=True, blank=True)
    notes = models.TextField("notes", blank=True)

    # How the portal's drivers reach the device (not part of Krill's record).
    management_address = models.GenericIPAddressField("management address", null=True, blank=True)
    management_port = models.PositiveIntegerField(
        "management port", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    management_scheme = models.CharField(
        "management scheme", max_length=8, choices=ManagementScheme.choices, default=ManagementScheme.HTTP
    )
    management_username = EncryptedTextField("device username", blank=True, default="")
    management_password = EncryptedTextField("device password", blank=True, default="")
    # TLS policy for HTTPS management: verify against the system store, a
    # pinned CA, or a pinned leaf fingerprint (devices ship self-signed certs).
    tls_verify = models.BooleanField("verify TLS certificate", default=True)
    tls_ca_pem = models.TextField("pinned CA (PEM)", blank=True)
    tls_fingerprint_sha256 = models.CharField("pinned certificate SHA-256", max_length=95, blank=True)

    created = models.DateTimeField("created", auto_now_add=True)
    updated = models.DateTimeField("updated", auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = "CPE"
        verbose_name_plural = "CPEs"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sn"], name="cpe_unique_sn_per_tenant"),
            models.UniqueConstraint(
                fields=["tenant", "cpename"], condition=~models.Q(cpename=""), name="cpe_unique_cpename_per_tenant"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "customer"], name="cpe_tenant_customer"),
            models.Index(fields=["tenant", "external_id"], name="cpe_tenant_external_id"),
            models.Index(fields=["tenant", "model"], name="cpe_tenant_model"),
            # One address:port belongs to one tenant (devices.addresses): every CPE write and every poll
            # batch looks its addresses up across all tenants, which must not scan the table.
            models.Index(fields=["management_address"], name="cpe_management_address"),
        ]

    def __str__(self) -> str:
        return self.cpename or self.sn

    @property
    def family(self) -> str:
        return self.model.family

    @property
    def services(self) -> list[str]:
        """Krill's ``_services``: what the portal can do with this device, from its model and record."""
        services = [] if self.disable_provision else ["provision"]
        if self.tech == Tech.GPON:
            services.append("txrx")  # optical levels
        if self.model.is_router and not self.bridge:
            services.append("dhcp")
        if self.model.tr069 and self.has_tr069:
            services.append("tr069")
        if self.tech == Tech.VOIP:
            services.append("voip")  # SIP registration status
        return services
