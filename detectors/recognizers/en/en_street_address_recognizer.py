# Chinese punctuation and full-width characters are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""STREET_ADDRESS (English): US and UK delivery addresses (Presidio has no address recognizer).

Shape: optional flat/unit, a house number, one to four capitalised words and a street
suffix (USPS Publication 28 suffixes and common UK ones), then optionally an apartment, a
town, a US state code with ZIP code or a UK postcode. A UK address without a house number is
accepted when it starts with Flat/Studio/Apartment or ends with a postcode.
"""

from __future__ import annotations

from typing import ClassVar

import regex

from detectors.recognizers.base import PatternSpec, ProjectPatternRecognizer

SUFFIXES = [
    "Alley",
    "Avenue",
    "Ave",
    "Branch",
    "Bridge",
    "Brook",
    "Brooks",
    "Burg",
    "Burgs",
    "Bypass",
    "Camp",
    "Canyon",
    "Cape",
    "Causeway",
    "Center",
    "Centers",
    "Circle",
    "Circles",
    "Cir",
    "Cliff",
    "Cliffs",
    "Close",
    "Club",
    "Common",
    "Corner",
    "Corners",
    "Course",
    "Court",
    "Courts",
    "Ct",
    "Cove",
    "Coves",
    "Creek",
    "Crescent",
    "Crest",
    "Crossing",
    "Crossroad",
    "Curve",
    "Dale",
    "Dam",
    "Divide",
    "Drive",
    "Drives",
    "Dr",
    "Estate",
    "Estates",
    "Expressway",
    "Extension",
    "Extensions",
    "Fall",
    "Falls",
    "Ferry",
    "Field",
    "Fields",
    "Flat",
    "Flats",
    "Ford",
    "Fords",
    "Forest",
    "Forge",
    "Forges",
    "Fork",
    "Forks",
    "Fort",
    "Freeway",
    "Garden",
    "Gardens",
    "Gateway",
    "Glen",
    "Glens",
    "Green",
    "Greens",
    "Grove",
    "Groves",
    "Harbor",
    "Harbors",
    "Haven",
    "Heights",
    "Highway",
    "Hwy",
    "Hill",
    "Hills",
    "Hollow",
    "Inlet",
    "Island",
    "Islands",
    "Isle",
    "Junction",
    "Junctions",
    "Key",
    "Keys",
    "Knoll",
    "Knolls",
    "Lake",
    "Lakes",
    "Land",
    "Landing",
    "Lane",
    "Ln",
    "Light",
    "Lights",
    "Loaf",
    "Lock",
    "Locks",
    "Lodge",
    "Loop",
    "Mall",
    "Manor",
    "Manors",
    "Meadow",
    "Meadows",
    "Mews",
    "Mill",
    "Mills",
    "Mission",
    "Motorway",
    "Mount",
    "Mountain",
    "Mountains",
    "Neck",
    "Orchard",
    "Oval",
    "Overpass",
    "Park",
    "Parks",
    "Parkway",
    "Parkways",
    "Pkwy",
    "Pass",
    "Passage",
    "Path",
    "Pike",
    "Pine",
    "Pines",
    "Place",
    "Pl",
    "Plain",
    "Plains",
    "Plaza",
    "Point",
    "Points",
    "Port",
    "Ports",
    "Prairie",
    "Radial",
    "Ramp",
    "Ranch",
    "Rapid",
    "Rapids",
    "Rest",
    "Ridge",
    "Ridges",
    "River",
    "Road",
    "Roads",
    "Rd",
    "Route",
    "Row",
    "Rue",
    "Run",
    "Shoal",
    "Shoals",
    "Shore",
    "Shores",
    "Skyway",
    "Spring",
    "Springs",
    "Spur",
    "Spurs",
    "Square",
    "Squares",
    "Sq",
    "Station",
    "Stravenue",
    "Stream",
    "Street",
    "Streets",
    "St",
    "Summit",
    "Terrace",
    "Throughway",
    "Trace",
    "Track",
    "Trafficway",
    "Trail",
    "Tunnel",
    "Turnpike",
    "Underpass",
    "Union",
    "Unions",
    "Valley",
    "Valleys",
    "Via",
    "Viaduct",
    "View",
    "Views",
    "Village",
    "Villages",
    "Ville",
    "Vista",
    "Walk",
    "Walks",
    "Wall",
    "Way",
    "Ways",
    "Well",
    "Wells",
    "Boulevard",
    "Blvd",
]

_SUFFIX = "(?:" + "|".join(sorted(SUFFIXES, key=len, reverse=True)) + r")\.?"
_WORD = r"[A-Z][a-z'’]+"
_STREET = rf"(?:{_WORD}\s){{1,3}}{_SUFFIX}(?![A-Za-z])(?:\s(?:[NS][EW]?|[EW])\.?(?![A-Za-z]))?"
_UNIT = r"(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Studio|Room|Rm\.?|#)\s?[0-9]+[A-Za-z]?"
_TOWN = rf"{_WORD}(?:\s{_WORD}){{0,2}}"
_US_TAIL = r"[A-Z]{2}\s\d{5}(?:-\d{4})?"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_SEP = r"(?:,\s?|\s|\n)"

_US_FULL = (
    rf"(?<![0-9A-Za-z_-])\d{{1,6}}[A-Za-z]?\s{_STREET}(?:{_SEP}{_UNIT})?"
    rf"(?:{_SEP}{_TOWN},?\s{_US_TAIL}|{_SEP}(?:{_TOWN}{_SEP})?{_UK_POSTCODE}(?![A-Za-z0-9]))"
)
_STREET_ONLY = rf"(?<![0-9A-Za-z_-])\d{{2,6}}[A-Za-z]?\s{_STREET}(?:{_SEP}{_UNIT})?"
_STREET_ONLY_SHORT = rf"(?<![0-9A-Za-z_-])\d[A-Za-z]?\s{_STREET}(?:{_SEP}{_UNIT})?"
_UK_FLAT = (
    rf"(?<![0-9A-Za-z_-])(?:Flat|Studio|Apartment|Apt\.?|Unit)\s[0-9]+[A-Za-z]?{_SEP}(?:\d{{1,5}}\s)?{_STREET}"
    rf"(?:{_SEP}{_TOWN})?(?:{_SEP}{_UK_POSTCODE}(?![A-Za-z0-9])|{_SEP}?,?\s?{_US_TAIL})?"
)
_UK_POSTCODE_TAIL = rf"(?<![0-9A-Za-z_-]){_STREET}{_SEP}{_TOWN}{_SEP}{_UK_POSTCODE}(?![A-Za-z0-9])"
_PO_BOX = (
    rf"(?<![0-9A-Za-z_-])(?:P\.?\s?O\.?\s?Box|PO Box)\s\d{{1,6}}(?:,\s?{_TOWN},?\s{_US_TAIL})?"
)
# US forces' mail: a ship ("USNS Saibara", "USCGC Aslakhanov") or a unit, PSC or CMR with its
# box, then APO/FPO/DPO, AA/AE/AP and a ZIP code; in any case ("uscgc aslakhanov\nfpo ae 44941").
_MILITARY = (
    r"(?<![0-9A-Za-z_-])(?i:(?:USNS|USNV|USS|USCGC)[ \t]\p{L}[\p{L}'’\-]*(?:[ \t]\p{L}[\p{L}'’\-]*)?"
    r"|(?:PSC|Unit|CMR)[ \t]\d{1,5}(?:,?[ \t]?Box[ \t]\d{1,5})?)"
    r"(?:,[ \t]?|[ \t]*\n[ \t]*|[ \t])(?i:FPO|APO|DPO)[ \t](?i:AA|AE|AP)[ \t]\d{5}(?![0-9])"
)


class EnStreetAddressRecognizer(ProjectPatternRecognizer):
    ENTITY = "STREET_ADDRESS"
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        ("street_town_postcode", _US_FULL, 0.75),
        ("street_number_2plus_digits", _STREET_ONLY, 0.5),
        ("street_number_1_digit", _STREET_ONLY_SHORT, 0.3),
        ("uk_flat", _UK_FLAT, 0.65),
        ("uk_postcode_tail", _UK_POSTCODE_TAIL, 0.7),
        ("po_box", _PO_BOX, 0.5),
        ("military", _MILITARY, 0.7),
    )
    CONTEXT_WORDS = (
        "address", "ship to", "deliver to", "delivery", "live at", "send it to", "street",
        "地址", "收货地址", "寄到", "送到",
    )  # fmt: skip
    FLAGS = regex.MULTILINE
