"""Matching typed place names against the official list of provinces and communes (since 1/7/2025)."""

from __future__ import annotations

import pytest

from content import places


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Hà Nội", "Thành phố Hà Nội"),
        ("ha noi", "Thành phố Hà Nội"),
        ("TP.HCM", "Thành phố Hồ Chí Minh"),
        ("sai gon", "Thành phố Hồ Chí Minh"),
        ("tinh nghe an", "Nghệ An"),
        ("Nghe Ann", "Nghệ An"),  # typo
        ("Bình Dương", "Thành phố Hồ Chí Minh"),  # merged on 1/7/2025
        ("quang nam", "Thành phố Đà Nẵng"),
    ],
)
def test_province_matches(typed: str, expected: str) -> None:
    assert [p.province_name for p in places.match_province(typed)] == [expected]


def test_ambiguous_abbreviation_offers_every_candidate() -> None:
    names = {p.province_name for p in places.match_province("ĐN")}
    assert names == {"Thành phố Đà Nẵng", "Đồng Nai"}


def test_unknown_province_matches_nothing() -> None:
    assert places.match_province("xyzxyz") == []
    assert places.match_province("   ") == []


@pytest.mark.parametrize("typed", ["Hoàn Kiếm", "hoan kiem", "P. Hoàn Kiếm", "phuong hoan kiem"])
def test_ward_matches_with_or_without_prefix_and_diacritics(typed: str) -> None:
    (ward,) = places.match_ward(1, typed)
    assert ward.ward_name == "Phường Hoàn Kiếm"
    assert ward.full_name == "Phường Hoàn Kiếm, Thành phố Hà Nội"
    assert places.ward(ward.ward_code or 0) == ward


def test_ward_is_searched_in_its_province_only() -> None:
    assert places.match_ward(79, "hoan kiem") == []


def test_every_province_has_wards() -> None:
    assert len(places.provinces()) == 34
    assert all(places.wards_of(p.province_code) for p in places.provinces())
