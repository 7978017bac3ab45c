"""Events out, what is pure (chalicelib/domain/webhooks.py, chalicelib/reporting/chat.py): where
a delivery may never go, the retry schedule, and the robots' messages whatever people typed.
The use cases are tested in tests/unit/use_cases/test_webhooks.py."""

from __future__ import annotations

import pytest

from chalicelib.domain import webhooks as hooks
from chalicelib.reporting.chat import WECOM_LIMIT, robot_message


# -- where a delivery may go ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "address, reason",
    [
        ("127.0.0.1", "loopback"),
        ("127.1.2.3", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.0.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.170.2", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.1.1", "link_local"),
        ("fe80::1", "link_local"),
        ("100.64.0.1", "shared"),
        ("100.127.255.254", "shared"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "private"),
        ("255.255.255.255", "private"),
        ("192.0.2.10", "private"),  # documentation
        ("198.18.0.1", "private"),  # benchmarking
        ("2001:db8::1", "private"),  # documentation
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "metadata"),
        ("::10.0.0.1", "private"),  # IPv4-compatible
        ("::127.0.0.1", "loopback"),
        ("64:ff9b::10.0.0.1", "private"),  # NAT64 of a private address
        ("64:ff9b::169.254.169.254", "metadata"),
        ("64:ff9b:1::1", "nat64"),
        ("2002:a00:1::1", "private"),  # 6to4 of 10.0.0.1
        ("2002:7f00:1::", "loopback"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo"),
        ("fe80::1%eth0", "link_local"),
        ("not an address", "not_an_address"),
    ],
)
def test_no_private_loopback_link_local_metadata_or_wrapped_address_is_reachable(address, reason):
    assert hooks.address_refusal(address) == reason


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_reachable(address):
    assert hooks.address_refusal(address) is None


def test_the_default_schedule_grows_and_lasts_at_least_a_day():
    delays = hooks.DEFAULT_RETRY_DELAYS
    assert all(a < b for a, b in zip(delays, delays[1:], strict=False))
    assert sum(delays) >= 24 * 3600
    assert hooks.parse_delays(None) == delays and hooks.parse_delays("1,2,3") == (1, 2, 3)


def test_robot_messages_stay_within_wecoms_limit_whatever_people_typed():
    data = {
        "id": "C1",
        "title": "长" * 5000 + "[click](http://evil)",
        "owner": {"id": "u", "name": "名" * 5000},
        "org": "CN/EAST",
        "customer": {"id": "K", "name": "客" * 5000},
        "requested_amount": 300000,
        "decision": {"comment": "\n".join(["意见"] * 3000)},
    }
    for event_type in ("campaign.submitted", "campaign.rejected"):
        content = robot_message("wecom", event_type, data, "https://c.example/console/")["markdown"]["content"]
        assert len(content.encode("utf-8")) <= WECOM_LIMIT
        assert "](http://evil)" not in content


def test_report_ready_names_the_period():
    message = robot_message("dingtalk", "report.ready", {"period": "2026-11", "scope": "CN"}, None)
    assert message["markdown"]["title"] == "报告已生成：2026-11"
