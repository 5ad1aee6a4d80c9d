# Chinese punctuation is the data here, on purpose.
# ruff: noqa: RUF001
"""LAC's model run without paddle (cn_lac): the tags it gives sentences written here."""

from __future__ import annotations

import json
import pathlib

import pytest

from detectors.recognizers.cn import cn_lac


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我叫李华，住在广东省深圳市南山区科技园", [("李华", "PER"), ("广东省深圳市", "LOC")]),
        (
            "刘亦菲和成龙出席了在纽约举行的发布会",
            [("刘亦菲", "PER"), ("成龙", "PER"), ("纽约", "LOC")],
        ),
        ("林更新昨天在微博上发了一张照片", [("林更新", "PER")]),
        ("这件衣服的颜色很好看，尺码也合适", []),
    ],
)
def test_person_and_place_tags(text: str, expected: list[tuple[str, str]]) -> None:
    found = [(text[s:e], kind) for s, e, kind in cn_lac.entities(text)]
    for item in expected:
        assert item in found
    if not expected:
        assert found == []


def test_only_the_clauses_asked_for_are_tagged() -> None:
    text = "王小明说好。今天下雨"
    found = cn_lac.entities(text, lambda start, end: "王" in text[start:end])
    assert [(text[s:e], kind) for s, e, kind in found] == [("王小明", "PER")]


def _recorded() -> list[tuple[str, list[str]]]:
    """Sentences written here with the tags LAC's network gave them when it ran step by step
    in numpy (the port checked against LAC's own outputs); ONNX Runtime must give the same."""
    path = pathlib.Path(__file__).parent / "data" / "lac_tags.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(row["text"], row["tags"].split(" ")) for row in rows]


def test_tags_as_the_numpy_network_gave_them_one_clause_at_a_time() -> None:
    for text, tags in _recorded():
        assert cn_lac.model().tag([text]) == [tags], text


def test_tags_as_the_numpy_network_gave_them_in_one_batch_of_unequal_lengths() -> None:
    recorded = _recorded()
    texts = [text for text, _ in recorded]
    assert len({len(text) for text in texts}) > 5
    assert cn_lac.model().tag(texts) == [tags for _, tags in recorded]
    # reversed order: each clause's backward direction starts at its own last unit
    assert cn_lac.model().tag(texts[::-1]) == [tags for _, tags in recorded[::-1]]
