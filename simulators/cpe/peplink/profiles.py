"""What each simulated router model has, and the cellular world it sees (carriers, bands, nearby clients)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelProfile:
    name: str
    has_ethernet_wan: bool
    gps: bool
    five_g: bool
    lite_supported: bool  # "lite" has no effect on MAX devices (seed note)
    sim_slots: int = 2


MODELS: dict[str, ModelProfile] = {
    "MAX BR1": ModelProfile("MAX BR1", True, gps=True, five_g=False, lite_supported=False),
    "MAX BR1 Pro 5G": ModelProfile("MAX BR1 Pro 5G", True, gps=True, five_g=True, lite_supported=False),
    "Balance 20X": ModelProfile("Balance 20X", True, gps=False, five_g=False, lite_supported=True),
}

CARRIERS = [
    # name, country, mcc, mnc
    ("Vodafone", "Germany", "262", "02"),
    ("Telekom.de", "Germany", "262", "01"),
    ("Orange", "Poland", "260", "03"),
    ("Play", "Poland", "260", "06"),
    ("T-Mobile", "United States", "310", "260"),
]

LTE_BANDS = ["LTE Band 3 (1800 MHz)", "LTE Band 7 (2600 MHz)", "LTE Band 20 (800 MHz)", "LTE Band 1 (2100 MHz)"]
NR_BANDS = ["5G NR Band n78 (3500 MHz)", "5G NR Band n28 (700 MHz)"]

CLIENT_NAMES = [
    "iPhone",
    "Galaxy-S23",
    "POS-terminal",
    "IPCAM-lobby",
    "Laptop-ops",
    "Android client",
    "Printer",
    "Pixel-8",
    "Thermostat",
    "Smart-TV",
    "MacBook-Air",
    "VoIP-phone",
]

WIFI_UPLINK = ("HOME-5G", "wpa-psk")  # what an enabled Wi-Fi WAN is joined to
SSID_KEY = re.compile(r"^(?:.{8,63}|[0-9a-fA-F]{64})$")
SMS_ADDRESS = re.compile(r"^\+[1-9][0-9]{1,14}$")


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
