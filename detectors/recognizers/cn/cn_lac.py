"""Baidu's LAC model (lexical analysis of Chinese) run without paddle: person and place tags.

LAC 2.1.2 (PyPI `lac`, Apache-2.0) carries its trained model inside the package: a
character embedding, two bidirectional GRU layers and a CRF over 57 tags (parts of speech
and PER, LOC, ORG, TIME). Its own code runs the model through paddlepaddle's `fluid` API,
which paddle 3 no longer has, and paddle is 700 MB; so the package is installed without
paddle (pyproject's [tool.uv]) and its weight files are read here, from the installed
package. Nothing is fetched at run time. The network is small (under 1 M weights besides
the 30 MB embedding): the embedding is looked up with numpy, the GRU layers and emission
scores run in ONNX Runtime from a graph built in memory at first use (one call a batch of
clauses instead of a dozen numpy calls a GRU step; its tags are those of the step-by-step
numpy version it replaced, tests/detectors/test_cn_lac.py), the CRF's Viterbi is numpy over
the batch. The cut into LAC's mixed word and character units follows LAC's
`Segment.fast_cut`.

`entities(text)` returns the PER and LOC spans the model tags; the name and place
recognizers decide which of them to keep (cn_person_recognizer, cn_location_recognizer).
"""

from __future__ import annotations

import functools
import importlib.util
import math
import pathlib
import re
from collections.abc import Callable

import numpy as np
import onnxruntime as ort
import regex

from detectors.recognizers.base import REGEX_TIMEOUT

_HIDDEN = 128
# Clauses are tagged as one batch (a message's clauses at once): the GRU steps a message
# costs are those of its longest clause. A clause longer than this is cut.
_CLAUSE_END = regex.compile(r"(?<=[。\uff01\uff1f!?\uff1b;\n…\uff0c,])")
_MAX_CLAUSE = 40
_LATIN_OR_DIGIT = re.compile(r"[a-zA-Z0-9]")
_HAN = regex.compile(r"\p{Han}")


def model_dir() -> pathlib.Path:
    """The installed LAC package's model folder (found without importing LAC, which needs
    paddle's fluid API)."""
    spec = importlib.util.find_spec("LAC")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the `lac` package is not installed (requirements.lock)")
    return pathlib.Path(next(iter(spec.submodule_search_locations))) / "lac_model"


def _pairs(path: pathlib.Path) -> list[tuple[str, str]]:
    pairs = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        fields = line.split("\t")
        if len(fields) == 2:
            pairs.append((fields[0], fields[1]))
    return pairs


def _parameter(folder: pathlib.Path, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 tensor saved by paddle: a header, then the raw little-endian values."""
    raw = (folder / name).read_bytes()
    size = math.prod(shape)
    return np.frombuffer(raw[len(raw) - 4 * size :], dtype="<f4").reshape(shape).copy()


class LacModel:
    """LAC's `lac` model: text in, one tag per character out."""

    def __init__(self, folder: pathlib.Path | None = None) -> None:
        folder = folder or model_dir()
        conf, weights = folder / "conf", folder / "model"
        self.word_ids = {word: int(i) for i, word in _pairs(conf / "word.dic")}
        self.labels = {int(i): label for i, label in _pairs(conf / "tag.dic")}
        self.replace = dict(_pairs(conf / "q2b.dic"))
        self.oov = self.word_ids["OOV"]
        # LAC's prefix dictionary: a word's length, or 0 for a prefix of a longer word.
        self.words: dict[str, int] = {}
        total = 0
        for line in (conf / "small_seg.dic").read_text(encoding="utf-8").split("\n"):
            if not line.strip():
                continue
            word, frequency = line.strip().split(" ")
            self.words[word] = len(word)
            for i in range(1, len(word)):
                self.words.setdefault(word[:i], 0)
            total += int(frequency)
        self.log_total = math.log(total)
        vocabulary = max(self.word_ids.values()) + 1
        self.embedding = _parameter(weights, "word_emb", (vocabulary, _HIDDEN))
        d = _HIDDEN
        count = max(self.labels) + 1
        layers = []
        for layer in range(2):
            width = _HIDDEN if layer == 0 else 2 * _HIDDEN
            inputs, recurrent, biases = [], [], []
            for direction in range(2):
                n = 2 * layer + direction
                # paddle's input projection: x @ w + b, the update, reset and candidate
                # gates' columns in ONNX's order (z, r, h).
                w = _parameter(weights, f"fc_{n}.w_0", (width, 3 * d))
                b = _parameter(weights, f"fc_{n}.b_0", (3 * d,)) + _parameter(
                    weights, f"gru_{n}.b_0", (3 * d,)
                )
                # paddle's GRU weight: the update and reset gates' [d, 2d], then the
                # candidate's [d, d].
                flat = _parameter(weights, f"gru_{n}.w_0", (3 * d * d,))
                r = np.concatenate(
                    [flat[: 2 * d * d].reshape(d, 2 * d), flat[2 * d * d :].reshape(d, d)], 1
                )
                # paddle keeps u of the new state (h + u * (c - h)), ONNX z of the old
                # ((1 - z) * c + z * h): z = 1 - u = sigmoid(-(...)), the update gate negated.
                for m in (w, b, r):
                    m[..., :d] *= -1
                inputs.append(w.T)
                recurrent.append(r.T)
                biases.append(np.concatenate([b, np.zeros(3 * d, np.float32)]))
            layers.append((np.stack(inputs), np.stack(recurrent), np.stack(biases)))
        emission = (
            _parameter(weights, "fc_4.w_0", (2 * d, count)),
            _parameter(weights, "fc_4.b_0", (count,)),
        )
        self._session = _session(layers, emission)
        crf = _parameter(weights, "crfw", (count + 2, count))
        self.start, self.end, self.transitions = crf[0], crf[1], crf[2:]

    def cut(self, text: str) -> list[str]:
        """LAC's `Segment.fast_cut`: the fewest dictionary words, longer ones first; runs of
        single Latin letters and digits joined."""
        n = len(text)
        best: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)
        for i in range(n - 1, -1, -1):
            ends = [i]
            j = i + 1
            while j <= n and text[i:j] in self.words:
                if self.words[text[i:j]]:
                    ends.append(j - 1)
                j += 1
            best[i] = max(
                (
                    math.log(self.words.get(text[i : e + 1]) or 1)
                    - self.log_total
                    + best[e + 1][0],
                    e,
                )
                for e in ends
            )
        pieces: list[str] = []
        run = ""
        i = 0
        while i < n:
            e = best[i][1] + 1
            piece = text[i:e]
            if len(piece) == 1 and _LATIN_OR_DIGIT.match(piece):
                run += piece
            else:
                if run:
                    pieces.append(run)
                    run = ""
                pieces.append(piece)
            i = e
        if run:
            pieces.append(run)
        return pieces

    def _ids(self, text: str) -> tuple[list[int], list[int]]:
        ids: list[int] = []
        lengths: list[int] = []
        for piece in self.cut(text):
            if piece in self.word_ids:
                ids.append(self.word_ids.get(self.replace.get(piece, piece), self.oov))
                lengths.append(len(piece))
            else:
                for char in piece:
                    ids.append(self.word_ids.get(self.replace.get(char, char), self.oov))
                    lengths.append(1)
        return ids, lengths

    def tag(self, clauses: list[str]) -> list[list[str]]:
        """One tag per character of each clause ("PER-B", "PER-I", "n-B"...)."""
        units = [self._ids(c) for c in clauses]
        lengths = np.array([len(ids) for ids, _ in units], np.int32)
        steps = int(lengths.max(initial=0))
        if steps == 0:
            return [[] for _ in clauses]
        ids = np.zeros((steps, len(units)), np.int64)
        for b, (unit, _) in enumerate(units):
            ids[: len(unit), b] = unit
        (emissions,) = self._session.run(
            None, {"x": self.embedding[ids], "lengths": lengths}
        )  # (steps, batch, tags)
        results = []
        for path, (_, sizes) in zip(self._viterbi(emissions, lengths), units, strict=True):
            tags: list[str] = []
            for label, size in zip(path, sizes, strict=True):
                name = self.labels[label]
                tags.append(name)
                tags += [name[:-2] + "-I"] * (size - 1)
            results.append(tags)
        return results

    def _viterbi(self, emissions: np.ndarray, lengths: np.ndarray) -> list[list[int]]:
        """The best tag paths of a batch, each clause to its own length."""
        steps, batch, count = emissions.shape
        score = self.start + emissions[0]
        back = np.zeros((steps, batch, count), np.intp)
        total = np.empty((batch, count, count), np.float32)
        going = lengths[:, None] > np.arange(steps)  # (batch, steps)
        for t in range(1, steps):
            np.add(score[:, :, None], self.transitions, out=total)  # (batch, from, to)
            total.argmax(1, out=back[t])
            moved = total.max(1) + emissions[t]
            score = np.where(going[:, t : t + 1], moved, score)
        last = (score + self.end).argmax(1)
        paths = []
        for b, n in enumerate(lengths.tolist()):
            path = [int(last[b])]
            for t in range(n - 1, 0, -1):
                path.append(int(back[t, b, path[-1]]))
            paths.append(path[::-1])
        return paths


# ONNX's protobuf messages written by hand (the few fields this graph uses; field numbers
# from onnx.proto): the model is built without the `onnx` package.
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _bytes(field: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return _varint(field << 3 | 2) + _varint(len(data)) + data


_FLOAT, _INT32, _INT64 = 1, 6, 7  # TensorProto.DataType


def _tensor(name: str, array: np.ndarray) -> bytes:
    """TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian)."""
    kind = {np.dtype("float32"): _FLOAT, np.dtype("int64"): _INT64}[array.dtype]
    return (
        b"".join(_int(1, n) for n in array.shape)
        + _int(2, kind)
        + _bytes(8, name)
        + _bytes(9, array.astype(array.dtype.newbyteorder("<")).tobytes())
    )


def _node(
    op: str, inputs: list[str], outputs: list[str], **attributes: int | str | list[int]
) -> bytes:
    """NodeProto: input 1, output 2, op_type 4, attribute 5 (AttributeProto: name 1, i 3,
    s 4, ints 8, type 20: INT 2, STRING 3, INTS 7)."""
    parts = [_bytes(1, i) for i in inputs] + [_bytes(2, o) for o in outputs] + [_bytes(4, op)]
    for name, value in attributes.items():
        if isinstance(value, int):
            body = _bytes(1, name) + _int(3, value) + _int(20, 2)
        elif isinstance(value, str):
            body = _bytes(1, name) + _bytes(4, value) + _int(20, 3)
        else:
            body = _bytes(1, name) + b"".join(_int(8, v) for v in value) + _int(20, 7)
        parts.append(_bytes(5, body))
    return b"".join(parts)


def _value(name: str, kind: int, dims: list[str | int]) -> bytes:
    """ValueInfoProto: name 1, type 2 (TypeProto: tensor_type 1: elem_type 1, shape 2:
    dim 1: dim_value 1 or dim_param 2)."""
    shape = b"".join(_bytes(1, _int(1, d) if isinstance(d, int) else _bytes(2, d)) for d in dims)
    return _bytes(1, name) + _bytes(2, _bytes(1, _int(1, kind) + _bytes(2, shape)))


def _model(
    nodes: list[bytes], initializers: list[bytes], inputs: list[bytes], outputs: list[bytes]
) -> bytes:
    """ModelProto: ir_version 1 (8), opset_import 8 (version 2: 17), graph 7 (GraphProto:
    node 1, name 2, initializer 5, input 11, output 12)."""
    graph = (
        b"".join(_bytes(1, n) for n in nodes)
        + _bytes(2, "lac")
        + b"".join(_bytes(5, t) for t in initializers)
        + b"".join(_bytes(11, v) for v in inputs)
        + b"".join(_bytes(12, v) for v in outputs)
    )
    return _int(1, 8) + _bytes(8, _int(2, 17)) + _bytes(7, graph)


def _session(
    layers: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    emission: tuple[np.ndarray, np.ndarray],
) -> ort.InferenceSession:
    """The network after the embedding as an ONNX graph, built in memory: two bidirectional
    GRU layers (ONNX's GRU operator, with each clause's length) and the emission scores.
    In: x (steps, batch, 128) float32, lengths (batch,) int32; out: (steps, batch, tags)."""
    d = _HIDDEN
    nodes = []
    initializers = []
    source = "x"
    for i, (w, r, b) in enumerate(layers):
        initializers += [_tensor(f"w{i}", w), _tensor(f"r{i}", r), _tensor(f"b{i}", b)]
        nodes += [
            # y: (steps, 2, batch, d), the forward direction first
            _node(
                "GRU",
                [source, f"w{i}", f"r{i}", f"b{i}", "lengths"],
                [f"y{i}"],
                hidden_size=d,
                direction="bidirectional",
                linear_before_reset=0,
            ),
            _node("Transpose", [f"y{i}"], [f"t{i}"], perm=[0, 2, 1, 3]),
            _node("Reshape", [f"t{i}", "shape"], [f"h{i}"]),
        ]
        source = f"h{i}"
    initializers += [
        _tensor("shape", np.array([0, 0, 2 * d], np.int64)),
        _tensor("e_w", emission[0]),
        _tensor("e_b", emission[1]),
    ]
    nodes += [
        _node("MatMul", [source, "e_w"], ["scores"]),
        _node("Add", ["scores", "e_b"], ["emissions"]),
    ]
    model = _model(
        nodes,
        initializers,
        [_value("x", _FLOAT, ["steps", "batch", d]), _value("lengths", _INT32, ["batch"])],
        [_value("emissions", _FLOAT, ["steps", "batch", emission[1].shape[0]])],
    )
    options = ort.SessionOptions()
    # One message at a time on one core a worker: no threads of ORT's own.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


@functools.cache
def model() -> LacModel:
    return LacModel()


def clauses(text: str) -> list[tuple[int, str]]:
    """The clauses of a text with Han characters in them, with their offsets."""
    found = []
    start = 0
    for piece in _CLAUSE_END.split(text, timeout=REGEX_TIMEOUT.secs):
        for i in range(0, len(piece), _MAX_CLAUSE):
            part = piece[i : i + _MAX_CLAUSE]
            if _HAN.search(part, timeout=REGEX_TIMEOUT.secs):
                found.append((start + i, part))
        start += len(piece)
    return found


def has_han(text: str) -> bool:
    return _HAN.search(text, timeout=REGEX_TIMEOUT.secs) is not None


def entities(
    text: str, worth_tagging: Callable[[int, int], bool] | None = None
) -> list[tuple[int, int, str]]:
    """The PER and LOC spans LAC tags in a text: (start, end, "PER" or "LOC"). Only the
    clauses whose (start, end) `worth_tagging` accepts are tagged (the model costs a few
    milliseconds a clause on one core): the name recognizer asks for those with a candidate
    name no rule found, the place recognizer for those with a place word outside the places
    found. A clause's tags are kept for the next caller."""
    parts = [
        (o, c) for o, c in clauses(text) if worth_tagging is None or worth_tagging(o, o + len(c))
    ]
    if len(_tagged) + len(parts) > _TAGGED_KEPT:
        _tagged.clear()
    todo = list(dict.fromkeys(c for _, c in parts if c not in _tagged))
    if todo:
        for clause, tags in zip(todo, model().tag(todo), strict=True):
            _tagged[clause] = _spans(tags)
    return [(o + s, o + e, kind) for o, c in parts for s, e, kind in _tagged[c]]


# The tags of the clauses of the last messages (the name and place recognizers each ask).
_TAGGED_KEPT = 64
_tagged: dict[str, tuple[tuple[int, int, str], ...]] = {}


def _spans(tags: list[str]) -> tuple[tuple[int, int, str], ...]:
    found: list[tuple[int, int, str]] = []
    begin: int | None = None
    kind = ""
    for i, tag in enumerate([*tags, "O"]):
        label, position = (tag[:-2], tag[-1]) if tag[-2:-1] == "-" else (tag, "B")
        if begin is not None and (position == "B" or label != kind):
            found.append((begin, i, kind))
            begin = None
        if position == "B" and label in ("PER", "LOC"):
            begin, kind = i, label
    return tuple(found)
