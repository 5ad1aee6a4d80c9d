"""A customer's location: the precise point is sensitive (policy 2.3), a coarse area is not.

Before consent, agents see only the cell of a 0.01-degree grid that holds the point (about
1.1 km north-south, less east-west away from the equator), given as the cell's centre and
a radius that covers the cell. The cell depends only on the point, so sending the same place
twice reveals nothing more, and nearby points share a cell. Coordinates are kept to six
decimal places (about 0.1 m): finer digits are noise from the device, not information.
"""

from __future__ import annotations

import math
from typing import Final, TypedDict

AREA_DEGREES: Final = 0.01
STORED_DECIMALS: Final = 6
_METRES_PER_DEGREE: Final = 111_320.0


class StoredPoint(TypedDict):
    lat: float
    lng: float
    accuracy_m: float | None


class Area(TypedDict):
    """A grid cell: its centre and a radius in metres that covers it."""

    lat: float
    lng: float
    radius_m: float


def normalised(lat: float, lng: float, accuracy_m: float | None) -> StoredPoint:
    """The point as stored: rounded to `STORED_DECIMALS`; longitude 180 folded to -180."""
    lng = -180.0 if lng == 180.0 else lng
    return {
        "lat": round(lat, STORED_DECIMALS),
        "lng": round(lng, STORED_DECIMALS),
        "accuracy_m": None if accuracy_m is None else round(accuracy_m, 1),
    }


def coarse_area(lat: float, lng: float) -> Area:
    """The grid cell holding the point: its centre and a radius (metres) covering it."""
    cells = round(1 / AREA_DEGREES)
    lat_cell = min(math.floor(lat * cells), 90 * cells - 1)
    lng_cell = min(math.floor(lng * cells), 180 * cells - 1)
    centre_lat = (lat_cell + 0.5) / cells
    centre_lng = (lng_cell + 0.5) / cells
    half_ns = AREA_DEGREES / 2 * _METRES_PER_DEGREE
    half_ew = half_ns * math.cos(math.radians(centre_lat))
    return {
        "lat": round(centre_lat, 3),
        "lng": round(centre_lng, 3),
        "radius_m": round(math.hypot(half_ns, half_ew), -1),
    }
