"""One ranking for every store we run ourselves: pure functions over one caller's live memories.

The API (stable; stores and benchmarks call only this)::

    rank(query, memories, *, now, settings=RankSettings(), query_vector=None, word_similarities=None, limit=3)
        -> list[ScoredMemory]
    past_values(memories) -> dict[memory id, datetime]      # superseded field values -> when they stopped
    stating_values(memories, past, calls=None) -> (past, current)  # summaries and turns stating a field's old/new value
    restating_values(memories, past, calls=None) -> {id: [(field, words)]}  # ... a replaced value in other words
    collecting_calls(memories) -> {field memory id: the calls that collected its text}  # ``calls`` above
    RankSettings                                            # weights and switches, from the agent type's config

A store loads the caller's live memories (tens to a few hundred) and hands them to ``rank``; the query's vector (of
``names.without_callers_name(query, memories)``) comes from ``shared.memory.embedding.embed`` (the caller of
``rank`` embeds, so this module never loads a model), each memory's from ``Memory.vector``
(``shared.memory.vectors``) and how alike a question's word is to other words from ``word_similarities``
(``shared.memory.embedding.word_similarities``). The score of a memory is

    lexical_weight * BM25 (this caller's statistics, stems, stop words)      in [0, 1]
  + semantic_weight * cosine rescaled above ``semantic_floor``               in [0, 1]
  + word_weight * each query word's closest memory word by meaning         in [0, 1]
  + recency_weight * 0.5 ** (age / recency_half_life_days)

The caller's own name is left out of the question first ("Tobias Okafor policy number" searches "policy number"),
and a name field the question already says is no answer, nor the caller's own name field to anything but a
question for the caller's name (``shared.memory.names``). Then: a memory naming another
kind of what is asked ("term life insurance" for "pet insurance") is left out
(``another_kind``); the same text from several calls counts once (the newest); a caller's turn of small talk only
("Okay, thank you.") is never ranked; a question about the caller in general ("caller history") gets the calls'
summaries, newest first; a field value replaced by a newer
value of the same field never ranks above that value and is returned marked as past (``ScoredMemory.until``); a
summary or turn stating only a replaced value is returned marked as past too, and ranks under what states the
current one when the question is about that field; asked for a value as it was ("previous plan"), the field named
comes first, its current value then its replaced ones (``asks_earlier``); an answer stating the kind of value
asked for (an address for "where does she live": ``shared.memory.answer_kinds``) gains ``answer_kind_weight``, and
a question for a phone number or an email address is answered only by a memory stating one (``answer_kinds.required``);
nothing under ``min_score`` is returned, so an unrelated question gets no answer rather than the least bad three;
answers whose scores are within ``recency_tie`` of the one above them come newest first (``_newest_first_in_ties``).
Under it, two kinds of memory still answer: the caller's closest memory when it stands out and nothing else passed
(``_closest``), and memories as close in meaning as an answer that passed (``_alike``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import pairwise

from shared.memory import answer_kinds, vectors
from shared.memory.models import Memory, ScoredMemory, field_key, field_label
from shared.memory.names import (
    CALLER_NAME_FIELDS,
    asks_another_persons_name,
    asks_the_callers_name,
    is_name_field,
    known_names,
    name_fields_said,
    names_someone,
    part_of_name,
    without_callers_name,
)
from shared.memory.numbers import NUMBER_WORDS, SPELT_DIGITS, digit_words, spelt_numbers
from shared.memory.subjects import about_another, same_subject, subjects
from shared.memory.terms import (
    MIN_PREFIX,
    NEVER_A_KIND,
    SELECTORS,
    STOP_WORDS,
    about_the_caller,
    query_terms,
    related,
    small_talk,
    stem,
    terms,
    words,
)

K1 = 1.2
B = 0.3  # mild length normalisation: a short old field value should not beat a fuller current one


# An address is asked for in so few words ("where does she live") that a static model finds "term life insurance"
# nearer than "address: 12 Elm Street": a memory stating one counts twice the other kinds of value, from a lower
# score (with "live" asking for an address only beside "where"). On the thirty recall sets nine answers rank higher
# and one is lost (blind21, "the elderly woman living there", found before through the address in its summary).
ADDRESS_KIND_FACTOR = 2.0
ADDRESS_KIND_FLOOR = 0.05


@dataclass(frozen=True)
class RankSettings:
    semantic: bool = True
    lexical_weight: float = 0.2
    semantic_weight: float = 0.6
    word_weight: float = 0.15
    recency_weight: float = 0.05
    recency_half_life_days: float = 180.0
    semantic_floor: float = 0.5
    word_floor: float = 0.5
    min_score: float = 0.14
    contrast_similarity: float = 0.4
    closest_limit: int = 1
    closest_margin: float = 0.06
    alike_gap: float = 0.04
    recency_tie: float = 0.02  # answers this close in score are told apart by date, the newest first
    answer_kind_weight: float = 0.15
    supersede: bool = True
    dedupe: bool = True
    skip_small_talk: bool = True
    general_summaries: bool = True  # a question about the caller in general gets the calls' summaries, newest first
    caller_name_fields: frozenset[str] = CALLER_NAME_FIELDS  # empty: names in a question count like other words


DEFAULT_SETTINGS = RankSettings()


def field_name(memory: Memory) -> str | None:
    """The collected field a memory records (``credit_limit``), if it is one, however the schema wrote it
    (``creditLimit``, ``Credit Limit``): a later call's value replaces an earlier one's under either spelling."""
    name = memory.metadata.get("field")
    return field_key(name) if isinstance(name, str) and name else None


def _value_key(memory: Memory) -> str:
    value = memory.metadata.get("value")
    return " ".join(digit_words(value if isinstance(value, str) else memory.text))  # case, punctuation, "1,000" aside


def past_values(memories: Sequence[Memory], about: Mapping[str | None, str] | None = None) -> dict[str, datetime]:
    """Field memories replaced by a later, different value of the same field -> when the next value came (a call
    about another pet or child replaces nothing of the first's: ``subjects.same_subject``). ``about``: whom each
    call is about, when read from more memories than these (``rank`` keeps one copy of a repeated text: the
    caller's name said on every call would otherwise name only the last)."""
    by_field: dict[str, list[Memory]] = {}
    for memory in memories:
        name = field_name(memory)
        if name:
            by_field.setdefault(name, []).append(memory)
    past: dict[str, datetime] = {}
    about = subjects(memories) if about is None else about
    for name, group in by_field.items():
        group.sort(key=lambda m: m.created_at)
        for index, memory in enumerate(group):
            key = _value_key(memory)
            later = next(
                (
                    m
                    for m in group[index + 1 :]
                    if m.created_at > memory.created_at
                    and _value_key(m) != key
                    and same_subject(name, memory, m, about)
                    and not part_of_name(name, str(m.metadata.get("value", "")), str(memory.metadata.get("value", "")))
                ),
                None,
            )
            if later is not None:
                past[memory.id] = later.created_at
    return past


@lru_cache(maxsize=16_384)
def _text_key(text: str) -> str:
    return " ".join(words(text))


def _deduplicated(memories: Sequence[Memory]) -> list[Memory]:
    """One memory per text (case, punctuation and spacing aside): the newest."""
    newest: dict[str, Memory] = {}
    for memory in memories:
        key = _text_key(memory.text)
        kept = newest.get(key)
        if kept is None or memory.created_at > kept.created_at:
            newest[key] = memory
    return list(newest.values())


Calls = Mapping[str, Collection[str | None]]
"""A field memory's id -> every call that collected the same value (its copies, before ``_deduplicated``)."""


def collecting_calls(memories: Sequence[Memory]) -> dict[str, frozenset[str | None]]:
    """For each field memory, the calls that collected its very text: a dose repeated over three calls keeps only
    its newest copy, yet a turn of the first of them ("the twenty-seven") still speaks of the value it collected."""
    by_text: dict[str, set[str | None]] = {}
    for memory in memories:
        if field_name(memory):
            by_text.setdefault(_text_key(memory.text), set()).add(memory.conversation_id)
    return {m.id: frozenset(by_text[_text_key(m.text)]) for m in memories if field_name(m)}


def _collected_in(field: Memory, calls: Calls | None) -> Collection[str | None]:
    return calls.get(field.id, (field.conversation_id,)) if calls else (field.conversation_id,)


def _matching(query: Sequence[str], docs: Sequence[Sequence[str]]) -> list[dict[int, int]]:
    """For each query stem: document index -> how often a related stem occurs in it (the same stem, or one that
    extends it or that it extends, sharing ``MIN_PREFIX`` letters)."""
    exact: dict[str, list[int]] = {}
    by_prefix: dict[str, list[int]] = {}
    for i, q in enumerate(query):
        exact.setdefault(q, []).append(i)
        if len(q) >= MIN_PREFIX:
            by_prefix.setdefault(q[:MIN_PREFIX], []).append(i)
    found: list[dict[int, int]] = [{} for _ in query]
    for position, doc in enumerate(docs):
        for term in doc:
            same = exact.get(term)
            near = by_prefix.get(term[:MIN_PREFIX]) if len(term) >= MIN_PREFIX else None
            if same is None and near is None:
                continue
            hits = set(same or ())
            if near:
                hits.update(i for i in near if term.startswith(query[i]) or query[i].startswith(term))
            for i in hits:
                found[i][position] = found[i].get(position, 0) + 1
    return found


def lexical(query: str, texts: Sequence[str]) -> list[float]:
    """BM25 with this caller's statistics, as the share of the query's weight matched: each in [0, 1]."""
    wanted = query_terms(query)
    docs = [terms(text) for text in texts]
    if not wanted or not docs:
        return [0.0] * len(docs)
    total = len(docs)
    average = sum(len(d) for d in docs) / total or 1.0
    scores = [0.0] * total
    weight = 0.0
    for counts in _matching(wanted, docs):
        # a word no memory has weighs as a rare one (not more); one every memory has still counts a little
        idf = math.log(1 + (total + 1) / (max(len(counts), 1) + 1))
        weight += idf
        for position, tf in counts.items():
            norm = 1 - B + B * len(docs[position]) / average
            scores[position] += idf * min(1.0, tf * (K1 + 1) / (tf + K1 * norm))
    return [min(score / weight, 1.0) if weight else 0.0 for score in scores]


def cosines(query_vector: Sequence[float] | None, memories: Sequence[Memory]) -> list[float | None]:
    """Each memory's cosine with the question; ``None`` without a vector on either side."""
    if query_vector is None:
        return [None] * len(memories)
    return vectors.cosines(query_vector, [m.vector for m in memories])


def semantic(similarities: Sequence[float | None], floor: float) -> list[float]:
    """Cosine rescaled so ``floor`` (what unrelated texts share) is 0 and identical is 1."""
    return [max(0.0, ((c or 0.0) - floor) / (1 - floor)) for c in similarities]


WordSimilarities = Callable[[str, Collection[str]], Mapping[str, float]]
"""How alike a question's word is to each of some words by meaning: a mapping word -> cosine holding at least them
(one call per question word, not per pair: a search compares a question's words with a hundred others)."""
QUERY_WORDS = 16  # words of a question compared by meaning (lexical search takes 16 terms too): bounded cost


@lru_cache(maxsize=16_384)
def _meaning_words(text: str) -> tuple[str, ...]:
    """A text's distinct content words (cached: a call searches the same caller's memories several times)."""
    return tuple(w for w in dict.fromkeys(words(text)) if w not in STOP_WORDS and len(w) > 1 and not w.isdigit())


def word_meaning(query: str, texts: Sequence[str], similarity: WordSimilarities | None, floor: float) -> list[float]:
    """For each query word, its closest word in the memory by meaning, rescaled above ``floor`` and averaged.

    A text's mean vector dilutes one telling word among many ("my wife Maribel doesn't eat meat, she's vegetarian,
    so..." for "spouse"); word against word, "spouse" meets "wife"."""
    wanted = _meaning_words(query)[:QUERY_WORDS] if similarity is not None else []
    if not wanted or similarity is None:
        return [0.0] * len(texts)
    found = [_meaning_words(text) for text in texts]
    # each question word against each distinct word of the caller's memories once, rescaled above the floor
    distinct = {w for f in found for w in f}
    scale = 1 / (1 - floor)
    totals = [0.0] * len(found)
    for q in wanted:
        alike = similarity(q, distinct).__getitem__
        for i, f in enumerate(found):
            best = max(map(alike, f), default=floor)
            if best > floor:
                totals[i] += (best - floor) * scale
    return [total / len(wanted) for total in totals]


WORD_CANDIDATES = 16  # memories compared word by word: those that words and whole-text meaning rank highest


def _word_meaning_of_closest(
    query: str, texts: Sequence[str], first_pass: Sequence[float], similarity: WordSimilarities | None, floor: float
) -> list[float]:
    """``word_meaning`` for the ``WORD_CANDIDATES`` texts that words and whole-text meaning rank highest, 0 for the
    rest: every question word against every word of a caller's few hundred memories would cost milliseconds. On
    the fifteen recall sets (28 memories a caller, median) the cut loses no answer; 2 of 3,785 questions get
    another third memory."""
    if len(texts) <= WORD_CANDIDATES:
        return word_meaning(query, texts, similarity, floor)
    closest = sorted(range(len(texts)), key=lambda i: -first_pass[i])[:WORD_CANDIDATES]
    scores = [0.0] * len(texts)
    for index, score in zip(closest, word_meaning(query, [texts[i] for i in closest], similarity, floor), strict=True):
        scores[index] = score
    return scores


def _content(word: str) -> bool:
    """A word that can name a kind: not a stop word, a number ("five days") or a digit."""
    return word not in STOP_WORDS and word not in NUMBER_WORDS and word.isalpha() and len(word) > 1


def another_kind(query: str, texts: Sequence[str], similarity: WordSimilarities | None, below: float) -> list[bool]:
    """Texts that name another kind of what the question asks about, and so answer it in words only.

    "pet insurance" against "product: term life insurance": the question's noun is there, but the word before it
    is another ("life"), and the question's own word ("pet") is in none of this caller's memories. Returned, it
    misleads an agent asking whether the caller has pet insurance. A word before the noun at least ``below``
    similar to the question's is taken as another word for the same kind ("cellphone plan", "mobile plan"); measured
    on the recall sets (docs/recall.md), that cut sits low, where other kinds and other words for one kind meet.
    Words that pick one thing among its kind ("next", "new", ``SELECTORS``) are never taken for a kind."""
    if below <= 0:
        return [False] * len(texts)
    sides = _sided(words(query))
    flagged = [bool(sides) and _other_side(sides, text, similarity) for text in texts]
    if similarity is None:
        return flagged
    asked = words(query)
    pairs = [
        (x, h)
        for x, h in pairwise(asked)
        if _content(x) and _content(h) and x not in SELECTORS and not {x, h} & NEVER_A_KIND
    ]
    if not pairs:
        return flagged
    said = {t for text in texts for t in terms(text) if t.isalpha()}
    foreign = [(x, stem(h)) for x, h in pairs if not _any_related(stem(x), said)]
    if not foreign:
        return flagged
    own = [stem(w) for w in asked if _content(w)]
    for index, text in enumerate(texts):
        stems = terms(text)
        heads = [(x, head) for x, head in foreign if _any_related(head, stems)]
        if heads and not flagged[index]:
            flagged[index] = any(_names_another(x, head, words(text), own, similarity, below) for x, head in heads)
    return flagged


_SIDES = {"left": "right", "right": "left", "upper": "lower", "lower": "upper", "top": "bottom", "bottom": "top"}


def _sided(said: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Each side word of a text with the next two content words it may qualify ("upper right tooth pain": upper and
    right, each with tooth and pain)."""
    found = []
    for index, word in enumerate(said):
        if word in _SIDES:
            after = tuple(w for w in said[index + 1 : index + 5] if w not in _SIDES and _content(w))[:2]
            if after:
                found.append((word, after))
    return found


def _other_side(asked: Sequence[tuple[str, tuple[str, ...]]], text: str, similarity: WordSimilarities | None) -> bool:
    """A memory about the other side of what is asked: "lost left hearing aid" for "right hearing aid", "right aid
    cuts out" for "problems with the left hearing aid". Left and right, upper and lower, top and bottom never name
    the same thing; the memory must qualify the same thing (its word after the side word is one of the question's,
    or as good as the same) and never say the question's side. ``asked``: the question's side words (``_sided``)."""
    said = words(text)
    sides = set(said)
    for side, things in asked:
        if side in sides:
            continue
        for other, qualified in _sided(said):
            if other != _SIDES[side]:
                continue
            for thing in qualified[:1]:
                if any(related(stem(thing), stem(t)) for t in things):
                    return True
                if similarity is not None and any(similarity(t, (thing,))[thing] >= FIELD_SYNONYM for t in things):
                    return True
    return False


def _any_related(word: str, pool: Collection[str]) -> bool:
    """``related(word, t)`` for some ``t`` of ``pool``, without comparing words that cannot be."""
    if word in pool:
        return True
    if len(word) < MIN_PREFIX:
        return False
    prefix = word[:MIN_PREFIX]
    return any(t.startswith(prefix) and related(word, t) for t in pool)


def _names_another(
    x: str, head: str, found: Sequence[str], own: Sequence[str], similarity: WordSimilarities, below: float
) -> bool:
    """Whether the text says ``head`` right after a word of its own that is not like ``x``."""
    return any(
        related(head, stem(word))
        and not _verb_form(word)
        and _content(before)
        and before not in SELECTORS
        and not any(related(stem(before), q) for q in own)
        and similarity(x, (before,))[before] < below
        for before, word in pairwise(found)
    )


def _verb_form(word: str) -> bool:
    """A word like "spilled" or "enrolled" is a verb: the word before it is its subject ("Bridget"), not a kind."""
    return len(word) > 4 and word.endswith("ed")


def rank(
    query: str,
    memories: Sequence[Memory],
    *,
    now: datetime,
    settings: RankSettings = DEFAULT_SETTINGS,
    query_vector: Sequence[float] | None = None,
    word_similarities: WordSimilarities | None = None,
    limit: int = 3,
) -> list[ScoredMemory]:
    """The caller's memories that answer ``query``, best first, at most ``limit``; expired ones never."""
    live = [m for m in memories if not m.is_expired(now)]
    if not query.strip() or limit <= 0 or not live:
        return []
    candidates = _deduplicated(live) if settings.dedupe else live
    if settings.skip_small_talk:  # "Okay, thank you." answers nothing, nor may it pull the caller's median down
        candidates = [m for m in candidates if not _small_talk(m)]
    named: frozenset[str] | None = None  # when a relative's or a role's name is asked: the names already known
    not_answers: set[str] = set()  # scored with the others, never returned: the caller's name when not asked
    if settings.caller_name_fields:
        said = name_fields_said(query, candidates)  # "caller name: Tobias Okafor" answers no "Tobias Okafor policy no."
        callers_name = {m.id for m in candidates if is_name_field(m, settings.caller_name_fields)}
        if not asks_the_callers_name(query, candidates, settings.caller_name_fields):  # nor "Tobias's job"
            not_answers = callers_name
        if asks_another_persons_name(query):  # nor "Tobias's adjuster's name": a memory naming no one is no answer
            said |= callers_name
            # the names known are the caller's own, not an alias naming the daughter asked for, nor her mother who
            # called before from the same phone: a memory naming them answers
            named = known_names(query, candidates, settings.caller_name_fields)
        query = without_callers_name(query, candidates, settings.caller_name_fields)  # nor does the caller's name
        candidates = [m for m in candidates if m.id not in said]
    not_answers |= about_another(query, candidates, live)  # "Otis's weight": not Juniper's, from her call
    texts = [m.text for m in candidates]
    lex = lexical(query, texts)
    similarities = cosines(query_vector if settings.semantic else None, candidates)
    sem = semantic(similarities, settings.semantic_floor)
    similarity = word_similarities if settings.semantic and settings.word_weight > 0 else None
    first_pass = [settings.lexical_weight * w + settings.semantic_weight * m for w, m in zip(lex, sem, strict=True)]
    by_word = _word_meaning_of_closest(query, texts, first_pass, similarity, settings.word_floor)
    other_kind = another_kind(query, texts, similarity, settings.contrast_similarity)
    scores: dict[str, float] = {}
    for memory, lexical_score, semantic_score, word_score, other in zip(
        candidates, lex, sem, by_word, other_kind, strict=True
    ):
        if other:
            continue
        relevance = (
            settings.lexical_weight * lexical_score
            + settings.semantic_weight * semantic_score
            + settings.word_weight * word_score
        )
        if relevance <= 0:
            continue
        age_days = max((now - memory.created_at).total_seconds(), 0.0) / 86_400
        recency = 0.5 ** (age_days / settings.recency_half_life_days) if settings.recency_half_life_days else 0.0
        scores[memory.id] = relevance + settings.recency_weight * recency
    kinds = answer_kinds.asked(query) if settings.answer_kind_weight > 0 else frozenset()
    needed = answer_kinds.required(query) if kinds else frozenset()
    if kinds:  # among the answers, those stating the kind of value asked for ("where does she live": an address)
        for memory in candidates:
            score = scores.get(memory.id, 0.0)
            stated = answer_kinds.stated(memory.text) if score > 0 else frozenset()
            address = answer_kinds.ADDRESS in kinds & stated
            floor = ADDRESS_KIND_FLOOR if address else settings.min_score
            if (score >= floor and kinds & stated) or (needed and needed <= stated):
                scores[memory.id] += settings.answer_kind_weight * (ADDRESS_KIND_FACTOR if address else 1.0)
    general = settings.general_summaries and about_the_caller(query)
    if general:  # "caller history", "what happened on the last call": what each call was about, the newest first
        summaries = [m for m in candidates if m.metadata.get("source") == "summary"] or _calls_in_words(candidates)
        general = bool(summaries)
        if general:
            scores = dict.fromkeys((m.id for m in summaries), 1.0)
    past = past_values(candidates, subjects(candidates, callers_from=live)) if settings.supersede else {}
    until = dict(past)
    stated_fields: dict[str, list[str]] = {}
    if past:
        about = _field_asked(query, similarity)
        earlier = asks_earlier(query)
        wanted = query_terms(query)
        calls = collecting_calls(live) if settings.dedupe else None  # the copies ``_deduplicated`` left out
        stating = _below_current(
            scores, candidates, past, settings.min_score, about, wanted, earlier, calls, stated_fields
        )
        until = stating | past
    if settings.supersede and not asks_earlier(query):  # "her previous address": the field named so answers it
        _below_named_current(scores, candidates, past)
    for memory_id in not_answers:
        scores.pop(memory_id, None)
    kept = [m for m in candidates if scores.get(m.id, 0.0) >= settings.min_score and m.id in scores]
    # ties (a call's memories share its time) by text, never by the order the store read them in: ids come from the
    # platform's event key, so an order by id made the same call ranked differently from another platform's wire
    kept.sort(key=lambda m: (-scores[m.id], -m.created_at.timestamp(), m.text))
    kept = _newest_first_in_ties(kept[:limit], scores, until, settings.recency_tie) + kept[limit:]
    excluded = {m.id for m, other in zip(candidates, other_kind, strict=True) if other} | set(past) | not_answers
    if not kept and settings.closest_limit > 0:
        kept = _closest(similarities, candidates, excluded, settings.closest_margin)[: settings.closest_limit]
    if 0 < len(kept) < limit and settings.alike_gap > 0 and not general:
        kept = kept + _alike(similarities, candidates, kept, excluded, settings.alike_gap)
    if needed:  # "Pieter's phone number": a memory naming Pieter without a number is no answer
        kept = [m for m in kept if needed <= answer_kinds.stated(m.text)]
    if named is not None:  # "her doctor's name": a memory that names no one ("the doctor bumped it up") is no answer
        kept = [m for m in kept if names_someone(m.text, named)]
    found = kept[:limit]
    return [
        ScoredMemory(m, scores.get(m.id, 0.0), until.get(m.id), _changed(stated_fields.get(m.id, ()))) for m in found
    ]


def _changed(names: Sequence[str]) -> str | None:
    """Which of the values a summary or turn states were replaced ("party size"): said beside it, so the agent knows
    which part of it is past, and that the rest ("for her mother's birthday") may well still hold. The new value is
    not repeated there: it is an answer of its own, ranked above."""
    return ", ".join(field_label(name) for name in dict.fromkeys(names)) or None


def _newest_first_in_ties(
    ranked: Sequence[Memory], scores: Mapping[str, float], marked: Collection[str], tie: float
) -> list[Memory]:
    """The answers in date order, newest first, where each scores within ``tie`` of the one above it.

    A score a few hundredths apart says nothing about which memory answers better, but the newer one is more likely
    what holds now: "invoices now go to Ravi" after "invoices go to Lorna", in two summaries that score alike. Only
    the order of the answers already chosen changes, and a memory marked past never moves up."""
    if tie <= 0:
        return list(ranked)
    ordered: list[Memory] = []
    run: list[Memory] = []
    for memory in [*ranked, None]:
        if run and (memory is None or memory.id in marked or scores[run[-1].id] - scores[memory.id] >= tie):
            ordered += sorted(run, key=lambda m: -m.created_at.timestamp())
            run = []
        if memory is not None and memory.id in marked:
            ordered.append(memory)
        elif memory is not None:
            run.append(memory)
    return ordered


def _calls_in_words(memories: Sequence[Memory]) -> list[Memory]:
    """Each call's longest turn of the caller, for a platform that sends no summaries: "caller history" answered
    nothing (small talk is already left out of ``memories``)."""
    longest: dict[str | None, Memory] = {}
    for memory in memories:
        if memory.metadata.get("source") != "caller_turn":
            continue
        call = memory.conversation_id or memory.metadata.get("event") or memory.id
        best = longest.get(call)
        if best is None or (len(memory.text), memory.text) > (len(best.text), best.text):
            longest[call] = memory
    return list(longest.values())


def _small_talk(memory: Memory) -> bool:
    return memory.metadata.get("source") == "caller_turn" and small_talk(memory.text)


def _alike(
    similarities: Sequence[float | None],
    memories: Sequence[Memory],
    answers: Sequence[Memory],
    excluded: set[str],
    gap: float,
) -> list[Memory]:
    """When fewer answers than asked for reach ``min_score``: other memories as close in meaning to the question as
    the closest answer, within ``gap`` of its cosine, closest first. A paraphrase's answer can sit just under the
    threshold beside one that passed on a shared word ("event type: wedding reception" passes for "bride";
    "Leopold and his fiancee Camila toured the venue" does not)."""
    known = {m.id: c for m, c in zip(memories, similarities, strict=True) if c is not None}
    best = max((known[m.id] for m in answers if m.id in known), default=None)
    if best is None:
        return []
    taken = excluded | {m.id for m in answers}
    found = [m for m in memories if m.id in known and m.id not in taken and known[m.id] >= best - gap]
    return sorted(found, key=lambda m: -known[m.id])


def _closest(
    similarities: Sequence[float | None], memories: Sequence[Memory], excluded: set[str], margin: float
) -> list[Memory]:
    """When nothing reaches ``min_score``: the memories closest in meaning, if they stand out from the caller's others
    (a cosine at least ``margin`` above the median of all of them), closest first.

    A question in other words than the caller's ("duplicate transaction" for "a charge from Casavera Bistro twice")
    shares no word and sits at a low absolute cosine, yet the answer is often the caller's closest memory."""
    known = {m.id: c for m, c in zip(memories, similarities, strict=True) if c is not None}
    if len(known) < 3:
        return []
    middle = sorted(known.values())[len(known) // 2]
    found = [m for m in memories if m.id in known and m.id not in excluded and known[m.id] - middle >= margin]
    return sorted(found, key=lambda m: -known[m.id])


EARLIER_WORDS = frozenset("old previous previously prior former formerly earlier original originally".split())
CALL_WORDS = frozenset("call calls conversation conversations chat chats".split())
"""After an earlier word they say where to look ("in previous calls"), not which value ("old visit date" does)."""


def asks_earlier(query: str) -> bool:
    """Whether a question asks for a value as it was ("what was her old address", "previous plan"); "how old" asks
    an age, "before" is as often a time ("fasting before the procedure"), and "in previous calls" says where to look,
    not which value ("what did she say about her diet in previous calls")."""
    said = words(query)
    return any(
        w in EARLIER_WORDS
        and not (w == "old" and i and said[i - 1] == "how")
        and not (i + 1 < len(said) and said[i + 1] in CALL_WORDS)
        for i, w in enumerate(said)
    )


FIELD_SYNONYM = 0.6  # two words this alike name the same thing ("gift" and "donation")


def _field_asked(query: str, similarity: WordSimilarities | None) -> Callable[[str], bool]:
    """Whether the question is about a field: it says one of the field's words ("which bus" and ``bus_route``), or
    a word the model holds as good as the same as the field's last word, its kind ("what will it cost" and
    ``repair_price``). A question that only shares a broader topic ("the old car" and ``vehicle_interest``) is
    not."""
    wanted = query_terms(query)
    asked_words = _meaning_words(query)[:QUERY_WORDS]

    def asked(name: str) -> bool:
        label = field_label(name)
        if any(related(q, t) for q in wanted for t in terms(label)):
            return True
        return similarity is not None and any(
            similarity(q, (w,))[w] >= FIELD_SYNONYM for q in asked_words for w in _meaning_words(label)[-1:]
        )

    return asked


def _below_current(
    scores: dict[str, float],
    memories: Sequence[Memory],
    past: Mapping[str, datetime],
    min_score: float,
    asked: Callable[[str], bool] = lambda name: True,
    wanted: Sequence[str] = (),
    earlier: bool = False,
    calls: Calls | None = None,
    stated_fields: dict[str, list[str]] | None = None,
) -> dict[str, datetime]:
    """A past value scores just under its field's current value (never above it, even if it matched better).

    So does a summary or a turn that states a replaced value without the current one ("an A1C of 8.2" once the
    ``a1c`` field says 7.1): under the best memory that states the current value, when the question is about the
    field: that memory is itself an answer and the question names the field (``_field_asked``). A summary states
    many facts; a question about another of them ("his son's name" of "a party for his son Mateo, 8 people")
    leaves it in place. So, too, does one from the call that collected a replaced value and says it in other words,
    by the words in which it differs from the current value (``restating_values``), unless the question says those
    words: "furnace ignition problem" asks about the old issue. Returns the memories stating only replaced values ->
    when the first of them was replaced: whatever the question, they are returned marked as past, so no old value
    reads as current; a value in other words is only ranked under, as it may say more than the value.

    ``earlier`` (the question asks for a value as it was): the field the question names comes first with its current
    value, and the replaced values of the fields asked about right under it, whatever their own score.
    ``stated_fields``, if given, receives the fields whose replaced values each such memory states."""
    current: dict[str, float] = {}
    for memory in memories:
        name = field_name(memory)
        if name and memory.id not in past:
            current[name] = max(current.get(name, 0.0), scores.get(memory.id, 0.0))
    if earlier:  # "her previous address": the field's current value first, then its old ones, above the rest
        named = _named_fields(wanted, {name for m in memories if m.id in past and (name := field_name(m))})
        top = max(scores.values(), default=0.0)
        for memory in memories:
            name = field_name(memory)
            if name in named and memory.id not in past and current.get(name, 0.0) >= min_score:
                scores[memory.id] = current[name] = max(scores.get(memory.id, 0.0), top)
    for memory in memories:
        name = field_name(memory)
        if not name or memory.id not in past:
            continue
        if earlier and asked(name) and current.get(name, 0.0) >= min_score:  # "her previous address": the old one
            scores[memory.id] = current[name] * 0.99  # the newest first: ties go by date
        elif memory.id in scores:
            scores[memory.id] = min(scores[memory.id], current.get(name, 0.0) * 0.99)
    stating_past, stating_current = stating_values(memories, past, calls)
    for memory_id, names in stating_current.items():
        for name in names:
            current[name] = max(current.get(name, 0.0), scores.get(memory_id, 0.0))
    replaced: dict[str, datetime] = {}
    for memory in memories:
        name = field_name(memory)
        if name and memory.id in past:
            replaced[name] = min(replaced.get(name, past[memory.id]), past[memory.id])
    stated: dict[str, datetime] = {}
    if stated_fields is not None:
        stated_fields.update(stating_past)
    for memory_id, names in stating_past.items():
        stated[memory_id] = min(replaced[name] for name in names)
        for name in names:
            if memory_id in scores and current.get(name, 0.0) >= min_score and asked(name):
                scores[memory_id] = min(scores[memory_id], current[name] * 0.98)
    for memory_id, changes in restating_values(memories, past, calls).items():
        for name, changed in changes:
            if memory_id in stated or memory_id not in scores or current.get(name, 0.0) < min_score:
                continue
            if asked(name) and not any(related(q, stem(w)) for q in wanted for w in changed):
                scores[memory_id] = min(scores[memory_id], current[name] * 0.98)
    return stated


PAST_PREFIXES = frozenset({"previous", "prior", "former", "old"})


def _below_named_current(scores: dict[str, float], memories: Sequence[Memory], past: Mapping[str, datetime]) -> None:
    """A field the schema itself names as past (``previous_address``, ``old_phone``) scores just under the current
    value of the field it was replaced by (``home_address``, ``phone``), collected in the same or a later call: "where
    does she live" must not answer the address she moved from first. Its text already says it is past."""
    current: dict[str, list[Memory]] = {}
    for memory in memories:
        name = field_name(memory)
        if name and name.partition("_")[0] not in PAST_PREFIXES and memory.id not in past:
            current.setdefault(name, []).append(memory)
    for memory in memories:
        prefix, _, replaced = (field_name(memory) or "").partition("_")
        if prefix not in PAST_PREFIXES or not replaced or memory.id not in scores:
            continue
        best = max(
            (
                scores.get(m.id, 0.0)
                for name, group in current.items()
                if name == replaced or name.endswith("_" + replaced) or replaced.endswith("_" + name)
                for m in group
                if m.created_at >= memory.created_at
            ),
            default=0.0,
        )
        if best > 0:
            scores[memory.id] = min(scores[memory.id], best * 0.99)


def _named_fields(wanted: Sequence[str], names: Collection[str]) -> set[str]:
    """The fields a question names in their own words, not a synonym's: those of which it says the largest share
    of words ("previous service date": ``service_date``, not ``service_time``; "old address": ``home_address``)."""
    share = {}
    for name in names:
        label = terms(field_label(name))
        said = sum(1 for t in label if any(related(q, t) for q in wanted))
        if said:
            share[name] = said / len(label)
    best = max(share.values(), default=0.0)
    return {name for name, part in share.items() if part == best}


def _names_someone(field: str) -> bool:
    """A field naming a person, a pet or a business (``caller_name``, ``dog_name``): a summary or turn that says the
    name is about them, not a statement of the field's value. A second dog (``dog_name: Pistache``) or a new married
    name leaves what was said of Mango, or under the old name, as current as it was."""
    return field.endswith("name")


def _current_fields(memories: Sequence[Memory], past: Mapping[str, datetime]) -> dict[str, Memory]:
    """Each field's current value: its latest memory that no later value replaced."""
    current: dict[str, Memory] = {}
    for memory in memories:
        name = field_name(memory)
        if name and memory.id not in past and (name not in current or memory.created_at > current[name].created_at):
            current[name] = memory
    return current


def restating_values(
    memories: Sequence[Memory], past: Mapping[str, datetime], calls: Calls | None = None
) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Summaries and turns of the call that collected a since-replaced value which say the words in which it differs
    from the current value -> (the field, those words). "the half-day morning session" restates ``program: pre-K
    half-day morning`` once ``program: pre-K full day`` replaced it: the call's own words for its value."""
    current = _current_fields(memories, past)
    found: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    said: dict[str, set[str]] = {}
    for old in memories:
        name = field_name(old)
        collected = set(_collected_in(old, calls)) - {None}
        if not name or _names_someone(name) or old.id not in past or name not in current or not collected:
            continue
        new = set(_value_key(current[name]).split())
        changed = tuple(w for w in _value_key(old).split() if w not in new and w not in STOP_WORDS and len(w) > 2)
        if not changed:
            continue
        for memory in memories:
            if field_name(memory) or memory.conversation_id not in collected:
                continue
            if memory.id not in said:
                said[memory.id] = set(digit_words(memory.text))
            if said[memory.id].issuperset(changed):
                found.setdefault(memory.id, []).append((name, changed))
    return found


def stating_values(
    memories: Sequence[Memory], past: Mapping[str, datetime], calls: Calls | None = None
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Memories that are not field values but state a field's value: (those stating a replaced value and not the
    current one, those stating the current value), each memory id -> the fields. A field that names someone is left
    out (``_names_someone``)."""
    current = {
        name: (memory, tuple(_value_key(memory).split()))
        for name, memory in _current_fields(memories, past).items()
        if not _names_someone(name)
    }
    replaced: dict[str, list[tuple[Memory, tuple[str, ...]]]] = {}
    for memory in memories:
        name = field_name(memory)
        if name and not _names_someone(name) and memory.id in past:
            value = tuple(_value_key(memory).split())
            if value:
                replaced.setdefault(name, []).append((memory, value))
    stating_past: dict[str, list[str]] = {}
    stating_current: dict[str, list[str]] = {}
    if not replaced:
        return stating_past, stating_current
    for memory in memories:
        if field_name(memory):
            continue
        text = digit_words(memory.text)  # "size forty-four" states 44
        for name, values in replaced.items():
            now_value = current.get(name)
            label = tuple(words(field_label(name)))
            if now_value is None:
                continue
            if _states_value(memory, text, label, *now_value, calls):
                stating_current.setdefault(memory.id, []).append(name)
            elif any(_states_value(memory, text, label, *value, calls) for value in values):
                stating_past.setdefault(memory.id, []).append(name)
    return stating_past, stating_current


def _states_value(
    memory: Memory, text: Sequence[str], label: Sequence[str], field: Memory, value: Sequence[str], calls: Calls | None
) -> bool:
    """Whether ``memory`` (its words ``text``) states ``value``, the value of ``field``. In the call that collected the
    value, saying its numbers is enough (those of three digits or more, when it has some: the PO of "net-30, PO
    VR-2291"): "the, um, the five hundred" for a dosage of "500 mg twice daily", "the headcount rose to 75" for a
    guest count of 75, a copy of the value collected again in a later call included (``calls``); in another call a
    lone number means too many other things. Words
    alone are not: a value without numbers ("furnace not igniting") is often an event, which a later one follows
    rather than corrects."""
    if _states(text, label, value):
        return True
    if memory.conversation_id is None or memory.conversation_id not in _collected_in(field, calls):
        return False
    numbers = {w for w in value if w.isdigit()}
    numbers = {n for n in numbers if len(n) >= SPELT_DIGITS} or numbers  # "net-30, PO VR-2291": the PO says it
    if not numbers:
        return False
    said = set(text)
    spelt = spelt_numbers(text) if not numbers <= said else set()  # "V R dash two two nine one" says VR-2291
    return all(n in said or (len(n) >= SPELT_DIGITS and any(n in run for run in spelt)) for n in numbers)


AMOUNTS = frozenset({"dollars", "dollar", "bucks", "euros", "pounds", "percent", "people", "guests"})
VALUE_GAP = 3  # other words a stated schedule, time or amount may have among its own


def _states(text: Sequence[str], label: Sequence[str], value: Sequence[str]) -> bool:
    """Whether a text states a field's value: the value's words together, or, for a lone short number ("8", "14":
    said in too many other senses), beside the field's name ("bus route 14", "2 lines") or an amount's unit ("25
    dollars", "8 people")."""
    if not (len(value) == 1 and value[0].isdigit() and len(value[0]) < 3):
        return _says(text, value)
    n, number = len(label), value[0]
    for i, word in enumerate(text):
        if word != number:
            continue
        after = text[i + 1 : i + 1 + n]
        if list(after) == list(label) or (after and after[0] in AMOUNTS) or label[-1:] == after[:1]:
            return True
        if any(list(text[j : j + n]) == list(label) for j in range(max(0, i - n - 2), i - n + 1)):
            return True
    return False


def _says(text: Sequence[str], value: Sequence[str]) -> bool:
    """Whether the words of ``value`` occur together, in order, in ``text``; a value with a number or a day or month
    in it may have up to ``VALUE_GAP`` other words among its own ("weekly mowing on Tuesdays" states "weekly,
    Tuesdays", "Sunday brunch at 11:00 am" states "Sunday 11:00 am"). A value in words alone must be said as it is:
    "mice in the garage" is an event, which a later call follows rather than corrects."""
    n = len(value)
    if n > 0 and any(text[i : i + n] == value for i in range(len(text) - n + 1)):
        return True
    if n < 2 or not any(w.isdigit() or w in answer_kinds.CALENDAR for w in value):
        return False
    for start, word in enumerate(text):
        if word == value[0]:
            found = iter(text[start : start + n + VALUE_GAP])
            if all(any(w == wanted for w in found) for wanted in value):  # in order: ``found`` is consumed
                return True
    return False
