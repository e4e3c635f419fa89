from __future__ import annotations

import pytest

from portlint.netscope import classify_bind, classify_sources, is_internet_literal


@pytest.mark.parametrize("sources, scope", [
    (["0.0.0.0/0"], "internet"),
    (["::/0"], "internet"),
    (["*"], "internet"),
    (["Internet"], "internet"),
    (["any"], "internet"),
    (["0.0.2.0/0"], "internet"),                       # host bits set, still /0
    (["0.0.0.0/1", "128.0.0.0/1"], "internet"),        # the internet in two halves
    (["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2"], "internet"),
    (["16.0.0.0/4"], "internet"),                      # a sixteenth of IPv4
    (["2000::/3"], "internet"),                        # all IPv6 global unicast
    (["::/1"], "internet"),
    (["203.0.113.0/24"], "restricted-public"),
    (["198.51.100.7/32", "203.0.113.0/24"], "restricted-public"),
    (["52.0.0.0/8"], "restricted-public"),
    (["2001:db8::/32"], "restricted-public"),
    (["10.0.0.0/8"], "private"),
    (["172.16.0.0/12", "192.168.1.0/24"], "private"),
    (["100.64.0.0/10"], "private"),
    (["fd00::/8"], "private"),
    (["VirtualNetwork"], "private"),
    (["AzureLoadBalancer"], "private"),
    (["127.0.0.1/32"], "local"),
    (["::1"], "local"),
    (["10.0.0.0/8", "203.0.113.5/32"], "restricted-public"),
    (["var.cidr"], "unknown"),
    (["var.cidr", "10.0.0.0/8"], "unknown"),
    (["var.cidr", "0.0.0.0/0"], "internet"),
    ([], "unknown"),
])
def test_classify_sources(sources, scope):
    assert classify_sources(sources) == scope


def test_unresolved_flag_downgrades_known_private():
    assert classify_sources(["10.0.0.0/8"], unresolved=True) == "unknown"
    assert classify_sources(["0.0.0.0/0"], unresolved=True) == "internet"


@pytest.mark.parametrize("address, scope", [
    ("0.0.0.0", "internet"), ("::", "internet"), ("127.0.0.1", "local"), ("::1", "local"),
    ("10.0.0.5", "private"), ("192.168.1.10", "private"), ("203.0.113.10", "internet"),
    ("::ffff:127.0.0.1", "local"), ("localhost", "local"), ("not-an-ip", "unknown"),
])
def test_classify_bind(address, scope):
    assert classify_bind(address) == scope


@pytest.mark.parametrize("text, expected", [
    ("0.0.0.0/0", True), ("::/0", True), ("*", True), ("0.0.0.0/1", False), ("10.0.0.0/8", False),
])
def test_internet_literal(text, expected):
    assert is_internet_literal(text) is expected
