"""Tests for qvault.matching: origin parsing, match quality and ranking.

The tables in data/matching_cases.json hold the URL cases; the property tests check
that parsing never raises and that matching is consistent with itself.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qvault.limits import URL_MAX_CHARS
from qvault.matching import MatchQuality, Origin, match_quality, parse_origin, rank_entries

CASES = json.loads((Path(__file__).parent / "data" / "matching_cases.json").read_text("utf-8"))
PARSE_CASES = CASES["parse"]
MATCH_CASES = CASES["match"]


@pytest.mark.parametrize("case", PARSE_CASES, ids=[case["why"] for case in PARSE_CASES])
def test_parse_table(case):
    origin = parse_origin(case["url"])

    if case["origin"] is None:
        assert origin is None, f"{case['url']!r} parsed as {origin!r}"
        return
    assert origin is not None, f"{case['url']!r} did not parse"
    assert str(origin) == case["origin"]
    assert origin.site == case["site"]


@pytest.mark.parametrize("case", MATCH_CASES, ids=[case["why"] for case in MATCH_CASES])
def test_match_table(case):
    expected = None if case["expected"] is None else MatchQuality[case["expected"]]

    quality = match_quality(case["entry"], case["page"])

    assert quality is expected, f"{case['entry']!r} on {case['page']!r}: {quality!r}"


def test_parse_fields_filled():
    origin = parse_origin("HTTPS://Bücher.Example:8443/x")

    assert origin == Origin("https", "xn--bcher-kva.example", 8443, True, "xn--bcher-kva.example")


def test_parse_default_port_filled():
    assert parse_origin("http://example.com").port == 80
    assert parse_origin("https://example.com").port == 443
    assert parse_origin("https://example.com").explicit_port is False


def test_parse_origin_frozen():
    origin = parse_origin("https://example.com")

    with pytest.raises(dataclasses.FrozenInstanceError):
        origin.host = "evil.com"


def test_parse_without_assumed_https():
    assert parse_origin("github.com", False) is None
    assert parse_origin("localhost:8080", assume_https=False) is None
    assert str(parse_origin("https://github.com", False)) == "https://github.com"


def test_parse_url_length_limit():
    path = "a" * (URL_MAX_CHARS - len("https://example.com/"))

    assert parse_origin("https://example.com/" + path) is not None
    assert parse_origin("https://example.com/" + path + "a") is None


def test_parse_non_string_none():
    assert parse_origin(None) is None
    assert parse_origin(b"https://example.com") is None
    assert parse_origin(42) is None


def test_parse_results_cached():
    parse_origin.cache_clear()

    first = parse_origin("https://cache.example.com/")
    second = parse_origin("https://cache.example.com/")

    assert first is second
    assert parse_origin.cache_info().hits == 1


def test_match_quality_ordering():
    assert MatchQuality.EXACT > MatchQuality.SITE
    assert MatchQuality.SITE == 1
    assert MatchQuality.EXACT == 2


def test_rank_exact_before_site():
    entries = [
        ("site", ["https://example.com"]),
        ("other", ["https://example.org"]),
        ("exact", ["https://www.example.com/login"]),
    ]

    ranked = rank_entries(entries, "https://www.example.com/account")

    assert ranked == [
        ("exact", MatchQuality.EXACT, "https://www.example.com/login"),
        ("site", MatchQuality.SITE, "https://example.com"),
    ]


def test_rank_stable_within_quality():
    entries = [(name, ["https://example.com"]) for name in ("c", "a", "b")]

    ranked = rank_entries(entries, "https://www.example.com/")

    assert [key for key, _, _ in ranked] == ["c", "a", "b"]


def test_rank_entry_once_best_url():
    entries = [
        ("one", ["https://login.example.com", "ftp://example.com", "https://example.com/x", "https://example.com/y"]),
    ]

    ranked = rank_entries(entries, "https://example.com/")

    assert ranked == [("one", MatchQuality.EXACT, "https://example.com/x")]


def test_rank_first_site_url_kept():
    entries = [("one", ["https://a.example.com", "https://b.example.com"])]

    ranked = rank_entries(entries, "https://c.example.com/")

    assert ranked == [("one", MatchQuality.SITE, "https://a.example.com")]


def test_rank_skips_malformed_urls():
    entries = [
        ("none", None),
        ("string", "https://example.com"),
        ("number", 5),
        ("mixed", [None, 7, b"https://example.com", "https://example.com"]),
        ("empty", []),
    ]

    ranked = rank_entries(entries, "https://example.com/")

    assert ranked == [("mixed", MatchQuality.EXACT, "https://example.com")]


def test_rank_rejected_page_empty():
    entries = [("one", ["https://example.com"])]

    assert rank_entries(entries, "about:blank") == []
    assert rank_entries(entries, "example.com") == []
    assert rank_entries(entries, "http://example.com/") == []


def test_rank_accepts_generator():
    entries = ((str(index), [f"https://s{index}.example.com"]) for index in range(3))

    ranked = rank_entries(entries, "https://example.com/")

    assert [key for key, _, _ in ranked] == ["0", "1", "2"]


def test_rank_agrees_with_match_quality():
    urls = [case["entry"] for case in MATCH_CASES]
    pages = sorted({case["page"] for case in MATCH_CASES})
    entries = [(index, [url]) for index, url in enumerate(urls)]

    for page in pages:
        ranked = {key: quality for key, quality, _ in rank_entries(entries, page)}
        for index, url in enumerate(urls):
            assert ranked.get(index) is match_quality(url, page), (url, page)


# Text that looks like URLs often enough to reach the host parser.
_URL_PIECES = st.sampled_from([
    "https://", "http://", "HTTP://", "//", "\\", "/", "@", ":", "[", "]", ".", "..",
    "%", "%25", "%ff", "xn--", "-", "_", "0x", "0", "255", "65536", "::1", "#", "?",
    "example.com", "bücher", "。", "github.io", "co.uk", " ", "\t", "\u0000", "ß",
])
_URL_LIKE = st.lists(st.one_of(_URL_PIECES, st.text(max_size=5)), max_size=12).map("".join)
_ANY_TEXT = st.one_of(st.text(max_size=300), _URL_LIKE)

_HOSTS = st.sampled_from([
    "example.com", "www.example.com", "login.example.com", "example.org", "bücher.example",
    "xn--bcher-kva.example", "alice.github.io", "bob.github.io", "github.io", "bbc.co.uk",
    "news.bbc.co.uk", "co.uk", "127.0.0.1", "[::1]", "nas", "nas.lan", "EXAMPLE.COM.",
])
_VALID_URLS = st.builds(
    "{}://{}{}{}".format,
    st.sampled_from(["http", "https"]),
    _HOSTS,
    st.sampled_from(["", ":80", ":443", ":8080", ":8443"]),
    st.sampled_from(["", "/", "/login?next=/#x"]),
)


@settings(max_examples=500)
@given(_ANY_TEXT)
def test_parse_never_raises(url):
    origin = parse_origin(url)

    assert origin is None or isinstance(origin, Origin)
    if origin is not None:
        assert origin.scheme in ("http", "https")
        assert origin.host.isascii()
        assert origin.host == origin.host.lower()
        assert 0 <= origin.port <= 65535


@settings(max_examples=500)
@given(_ANY_TEXT, _ANY_TEXT)
def test_match_never_raises(entry_url, page_url):
    assert match_quality(entry_url, page_url) in (None, MatchQuality.SITE, MatchQuality.EXACT)


@settings(max_examples=300)
@given(_ANY_TEXT)
def test_parsed_url_matches_itself(url):
    if parse_origin(url, False) is not None:
        assert match_quality(url, url) is MatchQuality.EXACT


@given(_VALID_URLS)
def test_valid_url_matches_itself(url):
    assert match_quality(url, url) is MatchQuality.EXACT


@given(_VALID_URLS)
def test_serialised_origin_reparses(url):
    origin = parse_origin(url)

    assert parse_origin(str(origin)) == origin


@given(_VALID_URLS, _VALID_URLS)
def test_exact_symmetric(entry_url, page_url):
    forward = match_quality(entry_url, page_url) is MatchQuality.EXACT
    backward = match_quality(page_url, entry_url) is MatchQuality.EXACT

    assert forward == backward


@given(_VALID_URLS, _VALID_URLS)
def test_match_rules_hold(entry_url, page_url):
    entry = parse_origin(entry_url)
    page = parse_origin(page_url)

    quality = match_quality(entry_url, page_url)

    if quality is None:
        return
    if entry.scheme == "https":
        assert page.scheme == "https"
    if entry.explicit_port:
        assert entry.port == page.port
    if quality is MatchQuality.SITE:
        assert entry.site is not None
        assert entry.site == page.site
    if entry.site is None or page.site is None:
        assert quality is MatchQuality.EXACT
