"""The coarse area agents see before consent: about 1 km, the same for nearby points."""

from __future__ import annotations

import math

import pytest

from chat_service.policy.location import coarse_area, normalised


def _distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


@pytest.mark.parametrize(
    ("lat", "lng"),
    [
        (31.2304, 121.4737),
        (39.9042, 116.4074),
        (-33.8688, 151.2093),
        (0.0, 0.0),
        (-0.0001, -0.0001),
    ],
)
def test_the_area_covers_the_point_and_hides_it_within_a_kilometre(lat: float, lng: float) -> None:
    area = coarse_area(lat, lng)
    distance = _distance_m(lat, lng, area["lat"], area["lng"])
    assert distance <= area["radius_m"] + 1
    assert 500 <= area["radius_m"] <= 1000


def test_nearby_points_share_an_area_and_far_ones_do_not() -> None:
    home = coarse_area(31.23041, 121.47371)
    assert coarse_area(31.23449, 121.47899) == home  # ~600 m away, same cell
    assert coarse_area(31.24041, 121.47371) != home  # ~1.1 km north


@pytest.mark.parametrize(("lat", "lng"), [(90.0, 180.0), (-90.0, -180.0), (89.9999, 179.9999)])
def test_the_poles_and_the_antimeridian_stay_in_range(lat: float, lng: float) -> None:
    area = coarse_area(lat, lng)
    assert -90 <= area["lat"] <= 90
    assert -180 <= area["lng"] <= 180


def test_a_point_is_kept_to_six_decimals() -> None:
    assert normalised(31.230412345, 180.0, 12.345) == {
        "lat": 31.230412,
        "lng": -180.0,
        "accuracy_m": 12.3,
    }
