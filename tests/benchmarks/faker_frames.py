"""Share of Faker values of every locale touched by a finding, in sentences written here
(run by hand).

    .venv/bin/python tests/benchmarks/faker_frames.py \
        [--kinds address,street,city,given,surname,phone] [--misses N]

A development aid for issue 15, beside detection_quality.py: Faker 40.54.0's values of each
of its locales whose values are in Latin script (phones: every locale), 16-24 per locale,
put in 8-10 sentence frames of this file (not the corpora's), and detected one message at
a time through the real detector. It prints, per kind, the share of values touched by any
finding and (addresses) covered to 90 % of their characters, per frame, and the first
misses. The frames are few and ours, so a rule that only fits them would score here and
nowhere else: read these figures beside the corpora's (detectors/README.md).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import faker.config  # noqa: E402
from faker import Faker  # noqa: E402

from detectors import Detector, default_config_dir, load_detection_config  # noqa: E402

ADDRESS_FRAMES = (
    "Please send the parcel to {v}.",
    "I live at {v}",
    "my new address: {v} thanks",
    "Could you deliver to {v} tomorrow?",
    "The letter arrived at {v} last night.",
    "{n}\n{v}",
    "We moved to {v} last week",
    "billing address is {v}, card ends 1234",
)
PLACE_FRAMES = (
    "I live in {v}",
    "I was born in {v}.",
    "we're visiting {v} in May",
    "my sister lives near {v}",
    "{v} is where I grew up",
    "Greetings from {v}!",
    "I moved from {v} last year",
    "the weather in {v} is awful today",
    "She flew to {v} on Monday.",
    "Her family comes from {v}, originally.",
)
NAME_FRAMES = (
    "Please ask {v} to call me back",
    "I spoke with {v} yesterday",
    "{v} will pick up the parcel",
    "Thanks {v}!",
    "is {v} available today?",
    "{v} and I ordered the same jacket",
    "the parcel is for {v}",
    "Dear {v},\nyour order shipped.",
    "{v}'s phone broke again",
    "we met {v} at the market",
)
PHONE_FRAMES = (
    "call me on {v} after 6",
    "my number is {v}",
    "Mobile: {v}",
    "you can reach her at {v}.",
    "Tel {v} (office)",
    "{v} is my cell",
    "text {v} when you arrive",
    "phone: {v}\nemail: a@b.com",
)
KINDS: dict[str, tuple[tuple[str, ...], Callable[[Faker], str], int, bool]] = {
    # kind: frames, value, values per locale, Latin script only
    "address": (ADDRESS_FRAMES, lambda f: f.address(), 24, True),
    "street": (ADDRESS_FRAMES, lambda f: f.street_address(), 24, True),
    "city": (PLACE_FRAMES, lambda f: f.city(), 20, True),
    "given": (NAME_FRAMES, lambda f: f.first_name(), 20, True),
    "surname": (NAME_FRAMES, lambda f: f.last_name(), 20, True),
    "phone": (PHONE_FRAMES, lambda f: f.phone_number(), 16, False),
}


def latin(value: str) -> bool:
    return all(not c.isalpha() or "LATIN" in unicodedata.name(c, "") for c in value)


def cases(kind: str) -> list[tuple[str, int, int, str]]:
    frames, make, per_locale, latin_only = KINDS[kind]
    out = []
    for locale in faker.config.AVAILABLE_LOCALES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fake = Faker(locale)
        fake.seed_instance(11)
        for i in range(per_locale):
            try:
                value = make(fake)
            except AttributeError:
                break  # a locale without this provider
            if latin_only and not latin(value):
                break
            frame = frames[i % len(frames)]
            if not frame.startswith("{n}"):
                value = value.replace("\n", ", ")
            text = frame.format(v=value, n=fake.name())
            start = text.index(value)
            out.append((text, start, start + len(value), frame))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--misses", type=int, default=0)
    args = parser.parse_args()
    detector = Detector(load_detection_config(default_config_dir()))
    for kind in args.kinds.split(","):
        items = cases(kind)
        found = detector.detect_batch([(text, None, None) for text, *_ in items])
        touched: Counter[str] = Counter()
        covered: Counter[str] = Counter()
        total: Counter[str] = Counter()
        misses = []
        for (text, start, end, frame), findings in zip(items, found, strict=True):
            total[frame] += 1
            hits = [f for f in findings if f.start < end and start < f.end]
            chars = {i for f in hits for i in range(max(start, f.start), min(end, f.end))}
            touched[frame] += bool(hits)
            covered[frame] += len(chars) >= 0.9 * (end - start)
            if not hits:
                misses.append(text)
        n = sum(total.values())
        print(
            f"{kind}: {n} values, touched {sum(touched.values()) / n:.3f}, "
            f"covered 90% {sum(covered.values()) / n:.3f}"
        )
        for frame in total:
            print(f"  {frame!r}: touched {touched[frame] / total[frame]:.2f}")
        for text in misses[: args.misses]:
            print(f"  MISS {text!r}")


if __name__ == "__main__":
    main()
