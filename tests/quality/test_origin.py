from survey.quality.origin import keyed_hash, network_of, origin_of


def test_hashes_are_keyed_and_kept_apart_by_kind():
    a = keyed_hash("k" * 32, "device", "abc")
    assert len(a) == 64 and a != keyed_hash("j" * 32, "device", "abc") and a != keyed_hash("k" * 32, "network", "abc")
    assert "abc" not in a


def test_an_ipv6_address_stands_for_its_64_and_ipv4_for_itself():
    assert network_of("2001:db8:1:2:aaaa::1") == network_of("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert network_of("203.0.113.7") == "203.0.113.7" == network_of("::ffff:203.0.113.7")
    assert network_of("testclient") == "testclient"


def test_an_origin_without_a_cookie_has_no_device():
    origin = origin_of("k" * 32, None, "203.0.113.7")
    assert origin.device_hash is None and origin.network_hash == keyed_hash("k" * 32, "network", "203.0.113.7")
    assert origin_of("k" * 32, "dev", None).network_hash is None
