"""The bundled static embedding model: a text's vector is the mean of its WordPiece tokens' rows.

Files in ``shared/memory/model/`` (made by ``scripts/distil_model.py``, never at run time): ``vocab.txt`` (one
token a line, the row number), ``vectors.bin`` (int8 rows) and ``scales.bin`` (one float16 scale per row).
Loading reads them as bytes (no numpy, no ``tokenizers``); a row is unpacked only when a text uses its token.
Used by the worker (a memory's vector, once, when written) and by ``/retrieve`` (the query's); never imported on
the pre-call path (tests/memory/test_embedding.py proves it).
"""

from __future__ import annotations

import json
import struct
import threading
from array import array
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from shared.memory import synonyms
from shared.memory.models import Memory
from shared.memory.vectors import FIRST_GENERATION, Vector, cosine, generation, normalise, pack
from shared.memory.wordpiece import basic_words, wordpiece

MODEL_DIR = Path(__file__).with_name("model")
PIECE_CACHE = 100_000  # words whose pieces are kept
QUERY_CACHE = 4096  # query vectors kept: agents ask the same questions of many callers
WORD_CACHE = 4096  # word vectors kept as tuples (8 KB each; math.dist reads a tuple 6x faster than an array): 34 MB
PAIR_CACHE = 250_000  # word similarities kept (about 60 bytes each, one dict per question word): 15 MB at most
_LOCK = threading.Lock()


@dataclass(frozen=True)
class StaticModel:
    name: str
    generation: int
    dimensions: int
    vocab: dict[str, int]
    rows: bytes
    scales: tuple[float, ...]
    _rows: dict[int, array[float]] = field(default_factory=dict, repr=False, compare=False)
    _pieces: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, directory: Path = MODEL_DIR) -> StaticModel:
        info = json.loads((directory / "model.json").read_text())
        tokens = (directory / "vocab.txt").read_text(encoding="utf-8").split("\n")
        vocab = {token: row for row, token in enumerate(tokens) if token}
        rows = (directory / "vectors.bin").read_bytes()
        raw_scales = (directory / "scales.bin").read_bytes()
        scales = struct.unpack(f"<{len(raw_scales) // 2}e", raw_scales)
        dimensions = int(info["dimensions"])
        if len(rows) != len(scales) * dimensions or len(scales) != len(tokens):
            raise ValueError(f"the embedding model in {directory} is inconsistent")
        return cls(str(info["name"]), int(info.get("generation", FIRST_GENERATION)), dimensions, vocab, rows, scales)

    def vector(self, text: str) -> Vector | None:
        """The unit mean of the text's token rows; ``None`` when no token is known (nothing to compare)."""
        ids = [piece for word in basic_words(text) for piece in self.pieces(word)]
        if not ids:
            return None
        rows = [self.row(token) for token in ids]
        # column sums in C take half the time of adding row after row in Python (the worker's cost a memory); Python
        # 3.12's sum rounds more exactly, far below the float16 precision vectors are stored with
        return normalise(rows[0] if len(rows) == 1 else tuple(map(sum, zip(*rows, strict=True))))

    def pieces(self, word: str) -> list[int]:
        """A word's WordPiece ids (cached per word: callers and agents reuse their words)."""
        found = self._pieces.get(word)
        if found is None:
            found = wordpiece(word, self.vocab)
            if len(self._pieces) < PIECE_CACHE:
                self._pieces[word] = found
        return found

    def row(self, token: int) -> array[float]:
        """One token's row, scaled back to float32 (cached, 1 KB a row: the same words come back in every call)."""
        cached = self._rows.get(token)
        if cached is None:
            scale = self.scales[token]
            values = struct.unpack_from(f"<{self.dimensions}b", self.rows, token * self.dimensions)
            cached = self._rows[token] = array("f", (v * scale for v in values))
        return cached


@lru_cache(maxsize=1)
def _bundled() -> StaticModel:
    return StaticModel.load()


def model() -> StaticModel:
    """The bundled model, loaded once per process (thread-safe)."""
    with _LOCK:
        return _bundled()


@lru_cache(maxsize=QUERY_CACHE)
def embed_query(text: str) -> Vector | None:
    return model().vector(text)


@lru_cache(maxsize=WORD_CACHE)
def word_vector(word: str) -> Vector | None:
    return model().vector(word)


class Similarities:
    """Word similarities kept per question word: ``{question word: {word: cosine}}``, the least recently asked first.

    Agents ask the same words and callers say the same words, so most pairs come back; a dict per question word
    holds twice the pairs an ``lru_cache`` of pairs holds in the same memory (bench_serve with the recall sets'
    questions: 6 new pairs a search instead of 39), and a search reads a question word's dict without a call per
    pair."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._rows: dict[str, dict[str, float]] = {}
        self._size = 0
        self._lock = threading.Lock()  # serve's request threads and the worker share it

    def __call__(self, word: str, others: Collection[str]) -> Mapping[str, float]:
        with self._lock:
            row = self._rows.pop(word, None)
            row = self._rows[word] = {} if row is None else row
        missing = [other for other in others if other not in row]
        if missing:
            found = _cosines(word, missing)  # outside the lock: the only slow part
            with self._lock:
                before = len(row)
                row.update(found)
                if self._rows.get(word) is row:  # not evicted meanwhile by another thread
                    self._size += len(row) - before
                while self._size > self.capacity:  # a hard bound: even the row just asked goes if it alone is over
                    self._size -= len(self._rows.pop(next(iter(self._rows))))
        return row

    def __len__(self) -> int:
        """How many pairs are kept."""
        return self._size

    def words(self) -> list[str]:
        """The question words kept, the least recently asked first."""
        with self._lock:
            return list(self._rows)


def _cosines(word: str, others: Sequence[str]) -> dict[str, float]:
    """Cosines, raised to ``synonyms.SIMILARITY`` where WordNet gives ``word``'s first sense the other word."""
    mine = word_vector(word)
    found = {}
    for other in others:
        theirs = word_vector(other)
        alike = cosine(mine, theirs) if mine is not None and theirs is not None else 0.0
        found[other] = max(alike, synonyms.SIMILARITY) if synonyms.same_sense(word, other) else alike
    return found


word_similarities = Similarities(PAIR_CACHE)
"""``word_similarities(word, others)``: the cosine of ``word`` with each of ``others`` (0.0 where a word has no
known token), as a mapping holding at least ``others``; the ranking's ``word_similarities``."""


def word_similarity(a: str, b: str) -> float:
    """Cosine of two words' vectors."""
    return word_similarities(a, (b,))[b]


def embed(texts: Iterable[str]) -> list[bytes | None]:
    """Packed vectors (``shared.memory.vectors``) for texts, ``None`` where no token is known."""
    found = model()
    vectors = []
    for text in texts:
        vector = found.vector(text)
        vectors.append(None if vector is None else pack(vector, generation=found.generation))
    return vectors


def is_current(vector: bytes | None) -> bool:
    """Whether a stored vector was made by the bundled model (not missing, not an older model's)."""
    return _made_by(vector, model().generation)


def _made_by(vector: bytes | None, current: int) -> bool:
    return vector is not None and generation(vector) == current


def with_vectors(memories: Sequence[Memory]) -> list[Memory]:
    """The memories, each with a vector of the bundled model (computed where missing or made by an older one)."""
    current = model().generation  # once, not once a memory: a search passes every memory of the caller
    missing = [m for m in memories if not _made_by(m.vector, current)]
    if not missing:
        return list(memories)
    vectors = dict(zip((m.id for m in missing), embed(m.text for m in missing), strict=True))
    return [replace(m, vector=vectors[m.id]) if vectors.get(m.id) else m for m in memories]
