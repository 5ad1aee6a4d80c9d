"""Longest-match lookup of dictionary terms in a text, left to right, without regex
alternations: a dict of term lengths per first character, tried longest first."""

from __future__ import annotations

from collections.abc import Mapping


class LongestMatch[V]:
    """Finds the terms of `entries` (term -> value) in a text: at each position the longest
    term that starts there, and the scan goes on after it (no overlaps)."""

    def __init__(self, entries: Mapping[str, V]) -> None:
        self.entries = dict(entries)
        lengths: dict[str, set[int]] = {}
        for term in self.entries:
            lengths.setdefault(term[0], set()).add(len(term))
        self._lengths = {c: sorted(ls, reverse=True) for c, ls in lengths.items()}

    def find(self, text: str) -> list[tuple[int, int, V]]:
        """Non-overlapping (start, end, value), left to right."""
        found: list[tuple[int, int, V]] = []
        index = 0
        while index < len(text):
            for length in self._lengths.get(text[index], ()):
                value = self.entries.get(text[index : index + length])
                if value is not None:
                    found.append((index, index + length, value))
                    index += length
                    break
            else:
                index += 1
        return found
