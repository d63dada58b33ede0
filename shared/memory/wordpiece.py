"""BERT's uncased WordPiece tokenizer in pure Python: what the bundled static model was distilled with.

Lower-case, strip accents, split on spaces and punctuation, then the longest vocabulary piece first with ``##``
continuations. A word that cannot be spelt from the vocabulary is dropped (the static model has no use for
``[UNK]``). Pure Python so the function layer needs no ``tokenizers`` wheel (see docs/recall.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

MAX_WORD = 100


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


_ASCII_WORD = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")


def basic_words(text: str) -> list[str]:
    """BERT's basic tokenizer (uncased): words and single punctuation marks (ASCII text: one regex)."""
    text = text.lower()
    if text.isascii():
        return [w for w in _ASCII_WORD.findall(text) if w.isprintable()]
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    words: list[str] = []
    current: list[str] = []
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            if current:
                words.append("".join(current))
                current = []
        elif _is_punctuation(char) or _is_cjk(ord(char)):
            if current:
                words.append("".join(current))
                current = []
            words.append(char)
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


def wordpiece(word: str, vocab: Mapping[str, int]) -> list[int]:
    """The vocabulary ids spelling ``word``, longest piece first; none if it cannot be spelt."""
    if len(word) > MAX_WORD:
        return []
    ids: list[int] = []
    start = 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            found = vocab.get(piece)
            if found is not None:
                break
            end -= 1
        if found is None:
            return []
        ids.append(found)
        start = end
    return ids


def tokenize(text: str, vocab: Mapping[str, int]) -> list[int]:
    return [piece for word in basic_words(text) for piece in wordpiece(word, vocab)]
