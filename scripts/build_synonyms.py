"""Make the bundled synonym table (shared/memory/model/synonyms.txt.gz) from WordNet 3.0. Never run at run time or CI.

    apt-get download wordnet-base && dpkg-deb -x wordnet-base_*.deb /tmp/wn   # or Princeton's WordNet-3.0 tarball
    python3 scripts/build_synonyms.py /tmp/wn/usr/share/wordnet

Each line is a word, then the other one-word lemmas of its *first* sense in each part of speech ("commode": toilet,
can, crapper, pot...; its second sense, a chest of drawers, is left out) and the forms WordNet derives from the word
in that sense ("carpentry": carpenter; "died": death): the first sense is the most frequent in
WordNet's tagged corpus, and measured on benchmarks/recall/ every further sense lost more answers than it found
(docs/recall.md). Lines starting with ``=`` are WordNet's irregular forms ("pried pry", "geese goose") whose base is
in the table. The run-time reader is shared/memory/synonyms.py. Gzipped (1.6 MB of text, 0.5 MB in the code zip,
which stores its files uncompressed), with no timestamp, so the same WordNet gives the same bytes.

WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved. Its licence (permission to use, copy,
modify and distribute, with the notice kept) is at the top of the table and in docs/recall.md.
"""

from __future__ import annotations

import argparse
import gzip
from dataclasses import dataclass
from pathlib import Path

PARTS = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
OUT = Path(__file__).resolve().parent.parent / "shared" / "memory" / "model" / "synonyms.txt.gz"
NOTICE = """\
# Synonyms of each word's first sense, from WordNet 3.0 (scripts/build_synonyms.py).
# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# Permission to use, copy, modify and distribute this software and database and its documentation for any purpose
# and without fee or royalty is hereby granted, provided that you agree to comply with the following copyright
# notice and statements, including the disclaimer, and that the same appear on ALL copies of the software, database
# and documentation, including modifications that you make for internal use or for distribution.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES,
# EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR
# WARRANTIES OF MERCHANTABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE OF THE LICENSED SOFTWARE,
# DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR OTHER RIGHTS.
# The name of Princeton University or Princeton may not be used in advertising or publicity pertaining to
# distribution of the software and/or database. Title to copyright in this software, database and any associated
# documentation shall at all times remain with Princeton University and LICENSEE agrees to preserve same.
"""


def _one_word(lemma: str) -> bool:
    return lemma.isalpha() and lemma.isascii()


FILE_OF = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}  # a pointer's part of speech -> its file


@dataclass
class Synset:
    lemmas: list[str]  # lowercased, as written ("Wi-Fi" and multi-word lemmas are dropped later)
    derived: dict[int, list[tuple[str, str, int]]]  # lemma number -> (file, offset, lemma number) of its "+" forms


def _synsets(folder: Path) -> dict[tuple[str, str], Synset]:
    """(file, offset) -> the synset, from WordNet's data files."""
    found = {}
    for part in PARTS.values():
        for line in (folder / f"data.{part}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue
            fields = line.split(" | ")[0].split()
            count = int(fields[3], 16)
            lemmas = [fields[4 + 2 * i].lower().split("(")[0] for i in range(count)]
            derived: dict[int, list[tuple[str, str, int]]] = {}
            at = 4 + 2 * count
            for i in range(int(fields[at])):
                symbol, offset, pos, ends = fields[at + 1 + 4 * i : at + 5 + 4 * i]
                if symbol == "+":  # a derivationally related form: "carpentry" and "carpenter"
                    derived.setdefault(int(ends[:2], 16), []).append((FILE_OF[pos], offset, int(ends[2:], 16)))
            found[(part, fields[0])] = Synset(lemmas, derived)
    return found


def first_senses(folder: Path) -> dict[str, set[str]]:
    """Each one-word lemma -> the other lemmas of its first sense in each part of speech, and their derived forms."""
    synsets = _synsets(folder)
    table: dict[str, set[str]] = {}
    for part in PARTS.values():
        for line in (folder / f"index.{part}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue
            fields = line.split()
            lemma, pointers = fields[0], int(fields[3])
            if not _one_word(lemma):
                continue
            first = synsets[(part, fields[4 + pointers + 2])]
            others = set(first.lemmas)
            for number in (n for n, w in enumerate(first.lemmas, 1) if w == lemma):
                others.update(synsets[(f, o)].lemmas[t - 1] for f, o, t in first.derived.get(number, []))
            others = {w for w in others if _one_word(w) and w != lemma}
            if others:
                table.setdefault(lemma, set()).update(others)
    return table


def irregular_forms(folder: Path, known: set[str]) -> dict[str, str]:
    forms = {}
    for part in PARTS.values():
        for line in (folder / f"{part}.exc").read_text(encoding="latin-1").splitlines():
            form, *bases = line.split()
            base = next((b for b in bases if b in known), None)
            if base and _one_word(form) and form != base:
                forms.setdefault(form, base)
    return forms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wordnet", type=Path, help="WordNet 3.0's dict folder (index.noun, data.noun, noun.exc...)")
    args = parser.parse_args()
    table = first_senses(args.wordnet)
    known = set(table) | {w for others in table.values() for w in others}
    forms = irregular_forms(args.wordnet, known)
    lines = [f"{word} {' '.join(sorted(others))}" for word, others in sorted(table.items())]
    lines += [f"={form} {base}" for form, base in sorted(forms.items())]
    OUT.write_bytes(gzip.compress((NOTICE + "\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{OUT}: {len(table)} words, {len(forms)} irregular forms, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
