"""Fanvil driver against the Fanvil simulator, over real loopback sockets.

Each test starts its own simulated phone on 127.30.0.x with a free port and
drives it with :class:`FanvilDriver` exactly as the action engine would. The
pure XML functions (hardened parser, tolerant item/RetCode reading) are
tested without a network.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web

from devices.drivers.base import (
    CAP_APPLY,
    CAP_FACTORY_RESET,
    CAP_READ_CONFIG,
    CAP_REBOOT,
    CAP_SIP,
    ConfigSection,
    DeviceAuthError,
    DeviceConfig,
    DeviceEndpoint,
    DeviceProtocolError,
    DeviceRejected,
    DeviceTimeout,
    DeviceUnreachable,
    Unsupported,
)
from devices.drivers.fanvil import (
    ExecuteNotAllowed,
    FanvilDriver,
    InvalidConfig,
    build_configuration_request,
    build_execute_request,
    parse_item,
    parse_response,
    parse_uptime,
    parse_xml,
)
from simulators.base import RunningDevice, SimDevice
from simulators.cpe.fanvil import FanvilSimulator

USER, PASSWORD = "admin", "s3cret-pw"
_hosts = itertools.count(10)

# Fast, deterministic phones unless a test says otherwise.
QUICK = {"register_delay_s": 0.0, "reregister_rate": 0.0, "reboot_s": 0.4}


def free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


StartPhone = Callable[..., Awaitable[RunningDevice]]


@pytest.fixture
async def start_phone() -> AsyncIterator[StartPhone]:
    running: list[RunningDevice] = []

    async def start(model: str = "X6", **extra: Any) -> RunningDevice:
        address = f"127.30.0.{next(_hosts) % 240 + 10}"
        device = SimDevice(
            vendor="fanvil",
            model=model,
            serial=f"FV{len(running):06d}",
            mac="00:A8:59:C6:01:02",
            address=address,
            port=free_port(address),
            username=USER,
            password=PASSWORD,
            firmware="2.12.2.16",
            seed=7,
            extra={**QUICK, **extra},
        )
        phone = RunningDevice(FanvilSimulator(device))
        # A short graceful-shutdown window: the "timeout" fault leaves a
        # handler sleeping that the default 60 s window would wait for.
        phone.runner = web.AppRunner(
            phone.simulator.make_app(), access_log=None, handle_signals=False, shutdown_timeout=0.1
        )
        await phone.runner.setup()
        await phone.start()
        running.append(phone)
        return phone

    yield start
    for phone in running:
        await phone.stop()


def endpoint_of(phone: RunningDevice, **overrides: Any) -> DeviceEndpoint:
    values = {
        "address": phone.device.address,
        "port": phone.device.port,
        "username": USER,
        "password": PASSWORD,
        "connect_timeout": 1.0,
        "timeout": 2.0,
    }
    values.update(overrides)
    return DeviceEndpoint(**values)


def driver_of(phone: RunningDevice, *, auth: str = "auto", **overrides: Any) -> FanvilDriver:
    return FanvilDriver(endpoint_of(phone, **overrides), model=phone.device.model, auth=auth)


def sim(phone: RunningDevice) -> FanvilSimulator:
    assert isinstance(phone.simulator, FanvilSimulator)
    return phone.simulator


SIP1 = {
    "EnableReg": "1",
    "RegisterAddr": "sip.example-isp.net",
    "RegisterPort": "5060",
    "PhoneNumber": "48221234567",
    "RegisterUser": "u48221234567",
    "RegisterPswd": "pa$$ <&> word",
    "DisplayName": "Kowalski & Sons <Front>",
}


# ---------------------------------------------------------------------------
# Reads and authentication
# ---------------------------------------------------------------------------


async def test_info_reports_model_mac_serial_firmware(start_phone: StartPhone) -> None:
    phone = await start_phone(model="X4U")
    async with driver_of(phone) as driver:
        info = await driver.info()
    assert (info.vendor, info.model, info.serial) == ("fanvil", "X4U", phone.device.serial)
    assert info.mac == "00:A8:59:C6:01:02"
    assert info.firmware == "2.12.2.16"
    assert info.hardware == "1.0"
    assert info.uptime_s is not None and 0 <= info.uptime_s < 60
    assert info.extra["brand"] == "Fanvil"
    assert info.extra["mem_free"].endswith("M")


async def test_info_query_uses_the_seed_keys(start_phone: StartPhone) -> None:
    phone = await start_phone(model="X3SG")
    async with driver_of(phone) as driver:
        values = await driver.query_info(["info.dev.Model", "info.dev.Mac", "info.sys.MemFree"])
        with pytest.raises(InvalidConfig):
            await driver.query_info(["sip.PNPIP"])
    assert values["info.dev.Model"] == "X3SG"
    assert values["info.dev.Mac"] == "00a859c60102"


@pytest.mark.parametrize(
    ("device_auth", "driver_auth"),
    [
        ("basic", "basic"),
        ("basic", "auto"),
        ("digest", "digest"),
        ("digest", "auto"),
        ("both", "basic"),
        ("both", "digest"),
        ("both", "auto"),
    ],
)
async def test_basic_and_digest_auth(start_phone: StartPhone, device_auth: str, driver_auth: str) -> None:
    phone = await start_phone(auth=device_auth)
    async with driver_of(phone, auth=driver_auth) as driver:
        # Several requests: Digest must keep working on the cached challenge
        # with an increasing nonce count.
        for _ in range(3):
            assert (await driver.info()).model == "X6"


async def test_digest_sha256_and_stale_nonce_renewal(start_phone: StartPhone) -> None:
    phone = await start_phone(auth="digest", digest_algorithm="SHA-256", nonce_ttl_s=0.2)
    async with driver_of(phone, auth="digest") as driver:
        await driver.info()
        await asyncio.sleep(0.3)
        # The cached nonce is stale now; the phone says stale=true and httpx
        # answers the fresh challenge without bothering the caller.
        assert (await driver.info()).model == "X6"


async def test_digest_only_phone_refuses_basic(start_phone: StartPhone) -> None:
    phone = await start_phone(auth="digest")
    async with driver_of(phone, auth="basic") as driver:
        with pytest.raises(DeviceAuthError):
            await driver.info()


async def test_401_without_credentials(start_phone: StartPhone) -> None:
    phone = await start_phone()
    async with httpx.AsyncClient(base_url=endpoint_of(phone).base_url) as client:
        response = await client.post("/xmlService", content=build_configuration_request("get", ["info.dev.Model"]))
    assert response.status_code == 401
    challenges = response.headers.get_list("www-authenticate")
    assert challenges[0].startswith("Digest ") and 'qop="auth"' in challenges[0]
    assert challenges[1].startswith("Basic ")
    async with driver_of(phone, username="", password="") as driver:
        with pytest.raises(DeviceAuthError):
            await driver.info()


@pytest.mark.parametrize("auth", ["basic", "digest", "auto"])
async def test_wrong_password_is_an_auth_error(start_phone: StartPhone, auth: str) -> None:
    phone = await start_phone()
    async with driver_of(phone, auth=auth, password="wrong") as driver:
        with pytest.raises(DeviceAuthError) as caught:
            await driver.info()
    assert not caught.value.retryable


async def test_captured_digest_header_cannot_be_replayed(start_phone: StartPhone) -> None:
    phone = await start_phone(auth="digest")
    sent: list[str] = []

    async def capture(request: httpx.Request) -> None:
        if "authorization" in request.headers:
            sent.append(request.headers["authorization"])

    body = build_configuration_request("get", ["info.dev.Model"])
    base_url = endpoint_of(phone).base_url
    async with httpx.AsyncClient(
        base_url=base_url, auth=httpx.DigestAuth(USER, PASSWORD), event_hooks={"request": [capture]}
    ) as client:
        assert (await client.post("/xmlService", content=body)).status_code == 200
    async with httpx.AsyncClient(base_url=base_url) as attacker:
        replay = await attacker.post("/xmlService", content=body, headers={"Authorization": sent[-1]})
        other_uri = await attacker.post("/xmlService?x=1", content=body, headers={"Authorization": sent[-1]})
    assert replay.status_code == 401
    assert other_uri.status_code == 401


async def test_push_xml_server_ip_restricts_callers(start_phone: StartPhone) -> None:
    phone = await start_phone(push_xml_server_ip="127.99.99.99")
    async with driver_of(phone) as driver:
        with pytest.raises(DeviceAuthError):
            await driver.info()


def test_capabilities() -> None:
    assert FanvilDriver.capabilities == {CAP_REBOOT, CAP_FACTORY_RESET, CAP_APPLY, CAP_READ_CONFIG, CAP_SIP}
    with pytest.raises(ValueError):
        FanvilDriver(DeviceEndpoint("127.0.0.1", 80, username="a", password="b"), auth="ntlm")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# get / set / del and lists
# ---------------------------------------------------------------------------


async def test_get_set_del_configuration(start_phone: StartPhone) -> None:
    phone = await start_phone(model="X3SG")
    async with driver_of(phone) as driver:
        assert await driver.config_get(["sip.PNPIP", "call.port.1.EnableDND"]) == {
            "sip.PNPIP": "224.0.1.75",
            "call.port.1.EnableDND": "0",
        }
        await driver.config_set({"sip.PNPIP": "224.0.1.80", "call.port.1.EnableDND": True, "tr069.Enabled": 1})
        values = await driver.config_get(["sip.PNPIP", "call.port.1.EnableDND", "tr069.", "no.such.Param"])
        assert values["sip.PNPIP"] == "224.0.1.80"
        assert values["call.port.1.EnableDND"] == "1"
        assert values["tr069.Enabled"] == "1" and values["tr069.ACSURL"] == ""
        # Seed 2.1.1: a parameter in error comes back emptied, not as a failure.
        assert values["no.such.Param"] == ""
        line = await driver.config_get(["sip.line.1."])
        assert {"sip.line.1.RegisterAddr", "sip.line.1.RegisterPswd", "sip.line.1.EnableReg"} <= set(line)
        # The seed writes "Sip.line.1."; names match case-insensitively.
        assert (await driver.config_get(["Sip.line.1.RegisterPort"])) == {"Sip.line.1.RegisterPort": "5060"}
        assert await driver.config_get(["nothing.here."]) == {"nothing.here.": ""}
        registration = await driver.config_get(["info.sip.line."])
        assert set(registration) == {f"info.sip.line.{n}.registerCode" for n in range(1, 5)}
        everything = await driver.config_get(["."])
        assert len(everything) > len(line) and "sip.line.4.EnableReg" in everything

        # Seed 2.1.2: a bad parameter stops the SET; nothing of it is applied.
        with pytest.raises(DeviceRejected) as caught:
            await driver.config_set({"sip.PNPIP": "224.0.1.99", "sip.line.1.RegisterPort": "70000"})
        assert "sip.line.1.RegisterPort" in caught.value.message
        assert not caught.value.retryable
        with pytest.raises(DeviceRejected, match=r"unknown parameter: bogus\.Key"):
            await driver.config_set({"bogus.Key": "1"})
        assert (await driver.config_get(["sip.PNPIP"]))["sip.PNPIP"] == "224.0.1.80"

        # DEL only deletes list data; the top node is refused before sending.
        with pytest.raises(DeviceRejected):
            await driver.config_del(["sip.PNPIP"])
        with pytest.raises(InvalidConfig):
            await driver.config_del(["."])
        with pytest.raises(InvalidConfig):
            await driver.config_get(["sip.line.1 = x"])


async def test_list_add_insert_delete_clear(start_phone: StartPhone) -> None:
    phone = await start_phone()
    a = {"StartIP": "172.16.7.1", "EndIP": "172.16.7.255"}
    b = {"StartIP": "172.16.6.1", "EndIP": "172.16.6.255"}
    c = {"StartIP": "10.0.0.1", "EndIP": "10.0.0.9"}
    async with driver_of(phone) as driver:
        assert await driver.list_records("mmifilter") == []
        assert await driver.list_add("mmifilter", [a, b]) == 1
        assert await driver.list_records("mmifilter") == [a, b]
        # Seed 2.1.4: a valid index inserts there, the rest move down.
        assert await driver.list_add("mmifilter", [c], index=1) == 1
        assert await driver.list_records("mmifilter") == [c, a, b]
        assert await driver.list_add("mmifilter", [c]) == 4
        await driver.list_delete("mmifilter", 1)
        assert await driver.list_records("mmifilter") == [a, b, c]
        with pytest.raises(DeviceRejected, match="no record 9"):
            await driver.list_delete("mmifilter", 9)
        await driver.list_delete("mmifilter")  # "mmifilter." clears the list
        assert await driver.list_records("mmifilter") == []
        with pytest.raises(InvalidConfig):
            await driver.list_add("mmi filter", [a])
    assert sim(phone).lists["mmifilter"] == []


async def test_list_add_past_the_end_appends(start_phone: StartPhone) -> None:
    phone = await start_phone(lists={"mmifilter": [{"StartIP": "1.1.1.1", "EndIP": "1.1.1.2"}]})
    async with driver_of(phone) as driver:
        await driver.list_add("mmifilter", [{"StartIP": "2.2.2.1", "EndIP": "2.2.2.2"}], index=7)
        records = await driver.list_records("mmifilter")
    assert [r["StartIP"] for r in records] == ["1.1.1.1", "2.2.2.1"]


# ---------------------------------------------------------------------------
# SIP lines: apply, read back, registration status
# ---------------------------------------------------------------------------


async def test_apply_sip_line_reads_back_and_registers(start_phone: StartPhone) -> None:
    phone = await start_phone()
    steps: list[tuple[str, str]] = []
    desired = DeviceConfig(
        sections=[
            ConfigSection("sip/1", SIP1),
            ConfigSection("sip/2", {"EnableReg": False, "RegisterAddr": "backup.example-isp.net"}),
        ]
    )
    async with driver_of(phone, auth="digest") as driver:
        result = await driver.apply(desired, on_step=lambda level, message: steps.append((level, message)))
        assert result.written == ["sip/1", "sip/2"] and result.applied == ["sip/1", "sip/2"]
        assert steps and steps[0][0] == "info"

        running = await driver.read_config(["sip/1", "sip/2"])
        assert running.as_dict()["sip/1"] == {**SIP1, "RegisterTTL": "3600"}
        assert running.as_dict()["sip/2"]["EnableReg"] == "0"
        everything = await driver.read_config()
        assert [s.path for s in everything.sections] == [f"sip/{n}" for n in range(1, 7)]

        status = await driver.status()
    assert status.online and status.firmware == "2.12.2.16"
    line1, line2 = status.sip_lines[0], status.sip_lines[1]
    assert (line1.line, line1.enabled, line1.registered) == (1, True, True)
    assert (line1.account, line1.server, line1.state) == ("48221234567", "sip.example-isp.net", "registered")
    assert (line2.enabled, line2.registered, line2.state) == (False, False, "disabled")
    assert len(status.sip_lines) == 6
    assert sim(phone).config["sip.line.1.DisplayName"] == SIP1["DisplayName"]


async def test_registration_takes_time_and_can_fail(start_phone: StartPhone) -> None:
    phone = await start_phone(register_delay_s=0.3, sip_fail_codes={"bad.example.net": 403})
    desired = DeviceConfig(
        sections=[
            ConfigSection("sip/1", {"EnableReg": 1, "RegisterAddr": "sip.example-isp.net", "RegisterUser": "100"}),
            ConfigSection("sip/2", {"EnableReg": 1, "RegisterAddr": "bad.example.net", "RegisterUser": "200"}),
        ]
    )
    async with driver_of(phone) as driver:
        await driver.apply(desired)
        first = await driver.status()
        assert [(s.state, s.registered) for s in first.sip_lines[:2]] == [("registering", False)] * 2
        await asyncio.sleep(0.35)
        later = await driver.status()
    assert (later.sip_lines[0].state, later.sip_lines[0].registered) == ("registered", True)
    assert (later.sip_lines[1].state, later.sip_lines[1].registered) == ("failed (403)", False)
    assert later.sip_lines[0].account == "100"  # no PhoneNumber: the auth user is the account


async def test_apply_validates_every_section_before_sending(start_phone: StartPhone) -> None:
    phone = await start_phone()
    before = dict(sim(phone).config)
    bad_configs = [
        [ConfigSection("sip/1", SIP1), ConfigSection("wan/1", {"x": "1"})],
        [ConfigSection("sip/1", SIP1), ConfigSection("sip/2", {"RegisterPort": "http"})],
        [ConfigSection("sip/1", SIP1), ConfigSection("sip/2", {"Shell": "rm -rf /"})],
        [ConfigSection("sip/1", SIP1), ConfigSection("sip/2", {"DisplayName": "line\nbreak"})],
        [ConfigSection("sip/1", SIP1), ConfigSection("sip/1", SIP1)],
    ]
    async with driver_of(phone) as driver:
        for sections in bad_configs:
            with pytest.raises(InvalidConfig) as caught:
                await driver.apply(DeviceConfig(sections=sections))
            assert caught.value.step == sections[1].path
            assert isinstance(caught.value, ValueError) and not caught.value.retryable
        with pytest.raises(InvalidConfig):
            await driver.read_config(["wan/1"])
    assert sim(phone).config == before


async def test_apply_refused_by_phone_names_the_section(start_phone: StartPhone) -> None:
    phone = await start_phone(model="X3S")  # two lines only
    desired = DeviceConfig(sections=[ConfigSection("sip/1", SIP1), ConfigSection("sip/9", {"EnableReg": "1"})])
    async with driver_of(phone) as driver:
        with pytest.raises(DeviceRejected) as caught:
            await driver.apply(desired)
        with pytest.raises(DeviceRejected, match="no SIP line 9"):
            await driver.read_config(["sip/9"])
    assert caught.value.step == "sip/9"
    assert caught.value.code == 3
    assert sim(phone).config["sip.line.1.EnableReg"] == "0"  # one SET, refused as a whole


# ---------------------------------------------------------------------------
# Execute: reboot, factory reset, Shell
# ---------------------------------------------------------------------------


async def test_reboot_goes_dark_then_comes_back(start_phone: StartPhone) -> None:
    phone = await start_phone()
    async with driver_of(phone) as driver:
        await driver.info()
        await driver.reboot()
        assert sim(phone).executed == ["Cmd:reboot"]
        with pytest.raises(DeviceUnreachable) as caught:
            await driver.info()
        assert caught.value.retryable
        await asyncio.sleep(0.5)
        info = await driver.info()
    assert info.uptime_s is not None and info.uptime_s < 5


async def test_factory_reset_restores_defaults(start_phone: StartPhone) -> None:
    phone = await start_phone(config={"sip.line.1.RegisterAddr": "old.example.net", "sip.line.1.EnableReg": "1"})
    async with driver_of(phone) as driver:
        assert (await driver.config_get(["sip.line.1.RegisterAddr"]))["sip.line.1.RegisterAddr"] == "old.example.net"
        await driver.factory_reset()
        await asyncio.sleep(0.5)
        values = await driver.config_get(["sip.line.1.RegisterAddr", "sip.line.1.EnableReg"])
    assert values == {"sip.line.1.RegisterAddr": "", "sip.line.1.EnableReg": "0"}
    assert sim(phone).executed == ["Cmd:reset"]


@pytest.mark.parametrize("uri", ["Shell:reboot", "shell:cat /etc/passwd", " SHELL : id", "S hell:id", "Key:F1", "Cmd:"])
async def test_driver_never_sends_shell_or_unlisted_execute(start_phone: StartPhone, uri: str) -> None:
    phone = await start_phone(auth="none")
    requests_before = sim(phone).executed[:]
    async with driver_of(phone) as driver:
        with pytest.raises(Unsupported):
            await driver.execute(uri)
        with pytest.raises(ValueError):
            await driver.execute(uri)
    with pytest.raises(ExecuteNotAllowed):
        build_execute_request(["Cmd:reboot", uri])
    assert sim(phone).executed == requests_before


async def test_phone_refuses_a_shell_request(start_phone: StartPhone) -> None:
    phone = await start_phone(auth="none")
    # Built by hand: the driver has no way to produce this document.
    body = (
        b'<?xml version="1.0" encoding="UTF-8" ?>\n<FanvilPhoneExecute beep="yes">'
        b'<ExecuteItem>URI="Cmd:reboot"</ExecuteItem><ExecuteItem>URI="Shell:id"</ExecuteItem>'
        b"</FanvilPhoneExecute>"
    )
    async with httpx.AsyncClient(base_url=endpoint_of(phone).base_url) as client:
        response = await client.post("/xmlService", content=body)
    decoded = parse_response(response.content)
    assert response.status_code == 200 and decoded.ret_code == 6
    assert "Shell" in decoded.info_text
    assert sim(phone).executed == []  # the reboot in the same request did not run either


# ---------------------------------------------------------------------------
# Parsing tolerance and the hardened parser
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [{"terse": True}, {"doc_quirks": True}, {"terse": True, "doc_quirks": True}])
async def test_driver_tolerates_firmware_variants(start_phone: StartPhone, extra: dict[str, Any]) -> None:
    phone = await start_phone(**extra)
    async with driver_of(phone) as driver:
        info = await driver.info()
        await driver.apply(DeviceConfig(sections=[ConfigSection("sip/1", SIP1)]))
        status = await driver.status()
        with pytest.raises(DeviceRejected, match="unknown parameter"):
            await driver.config_set({"bogus.Key": "1"})
    assert info.model == "X6" and info.mac == "00:A8:59:C6:01:02"
    assert status.sip_lines[0].registered


def test_simulator_variants_emit_what_the_seed_shows() -> None:
    device = SimDevice("fanvil", "X6", "FV1", "00:A8:59:C6:01:02", "127.0.0.1", 1, "a", "b", extra={"terse": True})
    body = FanvilSimulator(device)._reply("FanvilConfiguration", "get", items=[("info.dev.Model", "X6")]).body
    assert b"<RetCode>" not in body and b"<Item>info.dev.Model=X6</Item>" in body
    device.extra = {"doc_quirks": True}
    body = FanvilSimulator(device)._reply("FanvilConfiguration", "get", items=[("info.dev.Model", "X6")]).body
    assert body.startswith(
        b'<?xml version="1.0" encoding="UTF-8" ?>\n<FanvilConfiguration cmd=\xe2\x80\x9dget\xe2\x80\x9d >'
    )
    assert body.endswith(b"</ FanvilConfiguration >")
    assert b"<Item> info.dev.Model = X6 </Item>" in body


SEED_GET_RESPONSE = """<?xml version="1.0" encoding="UTF-8" ?>
<FanvilConfiguration cmd=”get” >
<RetCode>0</RetCode>
<info>
<Item> info. dev.Model = X6 </Item>
<Item> info. dev.Mac = 00a859c60102 </Item>
<Item> info.sys.MemFree = 1.6M </Item>
</info>
</FanvilConfiguration>""".encode()


SEED_SET_RESPONSE = """<?xml version="1.0" encoding="UTF-8" ?>
<FanvilConfiguration cmd=”set”>
<RetCode>0</RetCode>
</ FanvilConfiguration >""".encode()

SEED_GET_REQUEST = """<?xml version="1.0" encoding="UTF-8" ?>
<FanvilConfiguration Beep=“yes”cmd=”get” >
<Item> sip.line.1. </Item>
</FanvilConfiguration>""".encode()


def test_parse_seed_response_literally() -> None:
    decoded = parse_response(SEED_GET_RESPONSE)
    assert decoded.ok and decoded.ret_code == 0 and decoded.cmd == "get"
    assert decoded.items == {"info.dev.Model": "X6", "info.dev.Mac": "00a859c60102", "info.sys.MemFree": "1.6M"}
    assert parse_response(SEED_SET_RESPONSE).ok


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" sip.line.1.RegisterAddr = 172.16.1.2 ", ("sip.line.1.RegisterAddr", "172.16.1.2")),
        ("sip.line.1.RegisterAddr=172.16.1.2", ("sip.line.1.RegisterAddr", "172.16.1.2")),
        ("tr069.ACSURL = http://acs.example/x?a=b", ("tr069.ACSURL", "http://acs.example/x?a=b")),
        ("info. dev.Model = X6", ("info.dev.Model", "X6")),
        (" sip.line.1. ", ("sip.line.1.", None)),
        ("x.y =", ("x.y", "")),
    ],
)
def test_parse_item(text: str, expected: tuple[str, str | None]) -> None:
    assert parse_item(text) == expected


def test_missing_retcode_is_success_and_failure_carries_info_text() -> None:
    terse = parse_response(b"<FanvilConfiguration><info><Item>info.dev.Model=X6</Item></info></FanvilConfiguration>")
    assert terse.ok and terse.ret_code is None and terse.items == {"info.dev.Model": "X6"}
    failed = parse_response(
        b'<FanvilConfiguration cmd="set"><RetCode>4</RetCode><Info>invalid value for x</Info></FanvilConfiguration>'
    )
    assert not failed.ok and failed.ret_code == 4 and failed.info_text == "invalid value for x"
    with pytest.raises(DeviceProtocolError):
        parse_response(b"<FanvilConfiguration><RetCode>zero</RetCode></FanvilConfiguration>")
    with pytest.raises(DeviceProtocolError):
        parse_response(b"<html><body>login</body></html>")
    with pytest.raises(DeviceProtocolError):
        parse_response(b"<FanvilPhoneExecute/>", expect_root="FanvilConfiguration")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<FanvilConfiguration cmd="get"><RetCode>0</RetCode>
<info><Item>info.dev.Model = &lol9;</Item></info></FanvilConfiguration>"""

XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<FanvilConfiguration cmd="get"><info><Item>info.dev.Model = &xxe;</Item></info></FanvilConfiguration>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_hardened_parser_refuses_dtd_and_entities(payload: bytes, encoding: str) -> None:
    body = payload if encoding == "utf-8" else payload.decode().replace("UTF-8", "UTF-16").encode("utf-16")
    started = time.perf_counter()
    with pytest.raises(DeviceProtocolError) as caught:
        parse_response(body)
    if encoding == "utf-8":
        assert "DTD" in str(caught.value)  # refused before the parser ever runs
    # UTF-16 hides the declaration from the byte scan: the parser runs without
    # resolving entities and the DTD is refused afterwards (libxml2 may stop the
    # billion laughs itself first). Either way: an error, fast, nothing expanded.
    assert "lollol" not in str(caught.value)
    assert time.perf_counter() - started < 0.5
    with pytest.raises(DeviceProtocolError):
        parse_xml(body)


def test_request_builder_escapes_values() -> None:
    body = build_configuration_request("set", ['sip.line.1.DisplayName = a<b>&"c"'])
    root = parse_xml(body)
    assert root.get("cmd") == "set" and root[0].text == 'sip.line.1.DisplayName = a<b>&"c"'
    assert b"<b>" not in body
    with pytest.raises(ValueError):
        build_configuration_request("exec", [])


def test_parse_uptime_formats() -> None:
    assert parse_uptime("2 days 01:02:03") == 2 * 86400 + 3723
    assert parse_uptime("1d 00:00:05") == 86405
    assert parse_uptime("00:10:00") == 600
    assert parse_uptime("4242") == 4242
    assert parse_uptime("soon") is None


async def test_phone_answers_a_dtd_request_with_an_error_retcode(start_phone: StartPhone) -> None:
    phone = await start_phone(auth="none")
    async with httpx.AsyncClient(base_url=endpoint_of(phone).base_url) as client:
        response = await client.post("/xmlService", content=XXE)
        literal = await client.post("/xmlService", content=SEED_GET_REQUEST)
    decoded = parse_response(response.content)
    assert decoded.ret_code == 1 and "DTD" in decoded.info_text
    # The seed's own request text, curly quotes and all, is understood.
    assert parse_response(literal.content).items["sip.line.1.RegisterPort"] == "5060"


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------


async def test_fault_latency_slows_but_answers(start_phone: StartPhone) -> None:
    phone = await start_phone()
    async with driver_of(phone, auth="basic") as driver:
        phone.device.faults.latency_ms = 200
        started = time.perf_counter()
        assert (await driver.info()).model == "X6"
    assert time.perf_counter() - started >= 0.2


async def test_fault_timeout(start_phone: StartPhone) -> None:
    phone = await start_phone()
    phone.device.faults.timeout = True
    async with driver_of(phone, timeout=0.3) as driver:
        with pytest.raises(DeviceTimeout) as caught:
            await driver.info()
    assert caught.value.retryable


async def test_fault_refuse_via_unbind(start_phone: StartPhone) -> None:
    phone = await start_phone()
    phone.device.faults.refuse = True
    await phone.unbind()
    async with driver_of(phone) as driver:
        with pytest.raises(DeviceUnreachable):
            await driver.info()
    phone.device.faults.refuse = False
    await phone.start()
    async with driver_of(phone) as driver:
        assert (await driver.info()).model == "X6"


@pytest.mark.parametrize(
    ("faults", "error", "retryable"),
    [
        ({"drop": True}, DeviceUnreachable, True),
        ({"rebooting_for_s": 5}, DeviceUnreachable, True),
        ({"http_status": 503}, DeviceRejected, True),
        ({"auth_failure": True}, DeviceAuthError, False),
        ({"malformed": True}, DeviceProtocolError, False),
    ],
)
@pytest.mark.parametrize("auth", ["basic", "digest"])
async def test_faults_map_to_typed_errors(
    start_phone: StartPhone, faults: dict[str, Any], error: type[Exception], retryable: bool, auth: str
) -> None:
    phone = await start_phone()
    phone.device.faults.update(faults)
    async with driver_of(phone, auth=auth) as driver:
        with pytest.raises(error) as caught:
            await driver.status()
    assert caught.value.retryable is retryable  # type: ignore[attr-defined]
    if faults.get("http_status"):
        assert caught.value.code == 503  # type: ignore[attr-defined]
