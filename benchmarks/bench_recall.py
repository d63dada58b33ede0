"""Recall on an invented evaluation set, through the real ``serve`` (issue 12, "Must show" 1 and 2).

Ingests ``benchmarks/recall/*.yaml`` (callers, their calls, questions) as signed post-call events over HTTP into
``agentic-memory serve``, waits for the worker, then asks every question on ``/retrieve`` and every caller's pre-call
on ``/client-data``, in one platform's wire format (``--platform``: ElevenLabs by default, Vapi or Retell; see
``recall_platforms.py``). Prints per category recall@1, recall@3 and MRR (top 3), the stale rate
(a replaced value ranked above the current one, unmarked), negatives answered with nothing / with a misleading
memory, how often a question for a replaced value ("previous plan") finds it, and pre-call correctness (current
name in the greeting, latest summary, no replaced value shown as current) with the context's length. In the same
run it ranks the very same stored memories with two baselines:
plain BM25 (words only) and embeddings only (the bundled model's cosine), both top 3 with no threshold.

    .venv/bin/python benchmarks/bench_recall.py                 # all thirty sets (dev, held-out, blind...)
    .venv/bin/python benchmarks/bench_recall.py --set heldout   # one set
    .venv/bin/python benchmarks/bench_recall.py --file my.yaml  # a set of your own, in the same format
    .venv/bin/python benchmarks/bench_recall.py --platform vapi  # the same calls as Vapi sends them
    .venv/bin/python benchmarks/bench_recall.py --small-talk     # ... with "Okay, thanks." between the turns
    .venv/bin/python benchmarks/bench_recall.py --json out.json

Exit status 0 unless ``--strict`` and a target fails; 2 if the benchmark could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import yaml

from benchmarks.bench_serve import BenchmarkError, start_server, wait_for_worker
from benchmarks.recall_platforms import PLATFORMS, Platform
from shared.memory.embedding import embed_query
from shared.memory.from_call import says_nothing
from shared.memory.models import Memory, field_label
from shared.memory.names import CALLER_NAME_FIELDS
from shared.memory.ranking import RankSettings, rank
from shared.memory.sqlite import SqliteMemoryStore

SETS = Path(__file__).resolve().parent / "recall"
ALL_SETS = (
    "dev",
    "heldout",
    "validation",
    "blind1",
    "blind2",
    "blind3",
    "blind4",
    "blind5",
    "blind6",
    "blind7",
    "blind8",
    "blind9",
    "blind10",
    "blind11",
    "blind12",
    "blind13",
    "blind14",
    "blind15",
    "blind16",
    "blind17",
    "blind18",
    "blind19",
    "blind20",
    "blind21",
    "blind22",
    "blind23",
    "blind24",
    "blind25",
    "blind26",
    "blind27",
)
PROBE_SETS = ("long26",)
"""Sets outside the issue's shape, run only when named (``--set long26``): callers of 12 to 16 calls."""
CATEGORIES = ("lexical", "morphological", "paraphrase", "temporal", "negative")
TOP = 3
# The baselines are the plain methods, top 3: none of the product's rules (threshold, current facts first, one copy,
# another kind, closest or alike memories, newest first in near ties, kind of value asked for, the caller's name
# left out).
_PLAIN = {
    "min_score": 1e-9,
    "supersede": False,
    "dedupe": False,
    "skip_small_talk": False,
    "general_summaries": False,
    "contrast_similarity": 0.0,
    "closest_limit": 0,
    "alike_gap": 0.0,
    "recency_tie": 0.0,
    "answer_kind_weight": 0.0,
    "caller_name_fields": frozenset(),
}
BM25_ONLY = RankSettings(semantic=False, lexical_weight=1, semantic_weight=0, word_weight=0, recency_weight=0, **_PLAIN)
EMBEDDINGS_ONLY = RankSettings(
    lexical_weight=0, semantic_weight=1, word_weight=0, recency_weight=0, semantic_floor=0, **_PLAIN
)
TARGETS = {"paraphrase_r3": 0.80, "overall_r3": 0.90, "stale_max": 0.05, "misleading_max": 0.05}


@dataclass
class Outcome:
    """One system's answers to every question of a set."""

    ranks: dict[str, list[int | None]] = field(default_factory=lambda: {c: [] for c in CATEGORIES})
    stale: list[bool] = field(default_factory=list)
    empty: list[bool] = field(default_factory=list)
    misleading: list[bool] = field(default_factory=list)

    def add(self, question: dict[str, Any], texts: Sequence[str]) -> None:
        texts = [t.lower() for t in texts[:TOP]]
        if question["category"] == "negative":
            self.empty.append(not texts)
            traps = [str(t).lower() for t in question.get("traps") or []]
            self.misleading.append(any(trap in text for trap in traps for text in texts))
            return
        wanted = [str(e).lower() for e in question["expect"]]
        first = next((i for i, t in enumerate(texts) if any(w in t for w in wanted)), None)
        self.ranks[question["category"]].append(first)
        if question.get("stale"):
            old = [str(s).lower() for s in question["stale"]]
            stale_at = next(
                (i for i, t in enumerate(texts) if any(s in t for s in old) and not t.startswith("previously:")), None
            )
            self.stale.append(stale_at is not None and (first is None or stale_at < first))

    @property
    def asked(self) -> int:
        return len(self.empty) + sum(len(ranks) for ranks in self.ranks.values())

    def figures(self) -> dict[str, Any]:
        def summary(ranks: list[int | None]) -> dict[str, float]:
            n = len(ranks) or 1
            return {
                "r1": sum(r == 0 for r in ranks) / n,
                "r3": sum(r is not None for r in ranks) / n,
                "mrr": sum(1 / (r + 1) for r in ranks if r is not None) / n,
                "n": len(ranks),
            }

        answered = [r for c in CATEGORIES for r in self.ranks[c]]
        out: dict[str, Any] = {c: summary(self.ranks[c]) for c in CATEGORIES if c != "negative"}
        out["overall"] = summary(answered)
        out["stale_rate"] = sum(self.stale) / (len(self.stale) or 1)
        out["negative"] = {
            "nothing": sum(self.empty) / (len(self.empty) or 1),
            "misleading": sum(self.misleading) / (len(self.misleading) or 1),
            "n": len(self.empty),
        }
        return out


def load_set(name: str) -> list[dict[str, Any]]:
    """A set by name (``benchmarks/recall/<name>.yaml``) or by path (any file in the same format)."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else SETS / f"{name}.yaml"
    callers: list[dict[str, Any]] = yaml.safe_load(path.read_text())["callers"]
    numbers = [c["caller"] for c in callers]
    if len(set(numbers)) != len(numbers):
        raise BenchmarkError(f"{path.name}: a caller number appears twice")
    return callers


SMALL_TALK = (
    "Yeah.",
    "Okay.",
    "Mm-hm.",
    "Hello?",
    "Yes, that's right.",
    "Okay, thank you so much.",
    "Sorry, what was that?",
    "Uh, hold on a second.",
    "No, that's it.",
    "Great, bye.",
    "Can you hear me?",
    "Sure.",
    "Perfect, thanks.",
)


def with_small_talk(callers: list[dict[str, Any]], seed: int = 7) -> list[dict[str, Any]]:
    """The same calls with what real callers also say: small talk before, between (six turns in ten) and after."""
    chosen = random.Random(seed)
    talkative = []
    for caller in callers:
        calls = []
        for call in caller["calls"]:
            turns = [chosen.choice(SMALL_TALK)]
            for turn in call.get("turns") or []:
                turns.append(turn)
                if chosen.random() < 0.6:
                    turns.append(chosen.choice(SMALL_TALK))
            calls.append({**call, "turns": [*turns, chosen.choice(SMALL_TALK)]})
        talkative.append({**caller, "calls": calls})
    return talkative


WORDINGS = SETS / "wordings.yaml"
WAYS = ("short", "question", "about past calls")  # the order of each question's other wordings in WORDINGS


def load_wordings(path: Path = WORDINGS) -> dict[tuple[str, str], list[str]]:
    """Other wordings of some of the sets' questions, by (caller, question): as agents' LLMs put them in a tool's
    ``query`` ("tretinoin strength", "her tretinoin strength from earlier calls"), one per way in ``WAYS``."""
    rows = yaml.safe_load(path.read_text())["wordings"]
    found = {(str(row["caller"]), str(row["q"])): [str(q) for q in row["as"]] for row in rows}
    if any(len(ways) != len(WAYS) for ways in found.values()):
        raise BenchmarkError(f"{path.name}: each question needs {len(WAYS)} other wordings")
    return found


_OWN_NAME = {field_label(name) for name in CALLER_NAME_FIELDS}  # "caller name", "customer name", "name"...
EARLIER_FORMS = ("previous {}", "what was the old {}", "{} as it was originally")


def _field_history(caller: dict[str, Any]) -> dict[str, list[str]]:
    """Each collected field's values in the order the calls gave them, a repeat of the same value once; an
    extractor's "N/A" or "Not mentioned" is no value the caller gave."""
    history: dict[str, list[str]] = {}
    for call in sorted(caller["calls"], key=lambda c: -float(c["days_ago"])):
        for name, value in (call.get("fields") or {}).items():
            if says_nothing(str(value)):
                continue
            values = history.setdefault(name, [])
            if not values or values[-1] != str(value):
                values.append(str(value))
    return history


def earlier_questions(caller: dict[str, Any]) -> list[tuple[str, str]]:
    """For each field a later call replaced (but the caller's name), three ways to ask for the value it had
    ("previous plan"), each with that value: the old value should be among the answers, marked as past."""
    return [
        (form.format(field_label(name)), values[-2])
        for name, values in _field_history(caller).items()
        if len(values) > 1 and field_label(name).lower() not in _OWN_NAME
        for form in EARLIER_FORMS
    ]


def pre_call_checks(caller: dict[str, Any], variables: dict[str, str], greeting: str) -> dict[str, bool | int]:
    """The greeting names the caller as expected, the summary is the latest call's, no replaced value is current."""
    calls = sorted(caller["calls"], key=lambda c: -float(c["days_ago"]))
    history = _field_history(caller)
    context = variables.get("memory_context", "")
    lines = [line.strip() for line in context.splitlines()]
    superseded_current = False
    for name, values in history.items():
        label = field_label(name)
        for old in values[:-1]:
            if old != values[-1] and any(
                line == f"- {label}: {old}" or line.startswith(f"- {label}: {old} (") for line in lines
            ):
                superseded_current = True
    return {
        "name": caller["name"].lower() in greeting.lower(),
        "summary": variables.get("memory_summary") == calls[-1]["summary"],
        "no_superseded_as_current": not superseded_current,
        "length": len(context),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    platform = PLATFORMS[args.platform]()
    env = {**os.environ, **platform.keys, "PYTHONUNBUFFERED": "1"}
    env.pop("AGENTIC_MEMORY_DATA_DIR", None)
    sets = {name: load_set(name)[: args.callers] for name in args.sets}
    if args.small_talk:
        sets = {name: with_small_talk(callers) for name, callers in sets.items()}
    numbers = [c["caller"] for callers in sets.values() for c in callers]
    if len(set(numbers)) != len(numbers):
        raise BenchmarkError("two sets use the same caller number: run them apart (--set or --file once each)")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-recall-") as tmp:
        data_dir = Path(tmp)
        server = start_server(argparse.Namespace(agent_type=platform.agent_type, threads=None), data_dir, env)
        try:
            now = time.time()
            with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
                for callers in sets.values():
                    for caller in callers:
                        for index, call in enumerate(caller["calls"]):
                            body, headers = platform.post_call(caller["caller"], index, call, now)
                            answer = http.post("/post-call", content=body, headers=headers)
                            if answer.status_code != 200:
                                raise BenchmarkError(f"/post-call answered {answer.status_code}: {answer.text[:200]}")
                wait_for_worker(data_dir, 300)
                store = SqliteMemoryStore(data_dir / "memories.db")
                for name, callers in sets.items():
                    results[name] = evaluate(callers, http, platform, store)
                store.close()
            logged = server.logged_since_start()
        finally:
            server.stop()
    results["serve_logged"] = len(logged)
    results["platform"] = platform.name
    return results


def _answer(http: httpx.Client, route: str, request: tuple[bytes, dict[str, str]]) -> dict[str, Any]:
    response = http.post(route, content=request[0], headers=request[1])
    if response.status_code != 200:
        raise BenchmarkError(f"{route} answered {response.status_code}: {response.text[:200]}")
    answer: dict[str, Any] = response.json()
    return answer


def evaluate(
    callers: list[dict[str, Any]], http: httpx.Client, platform: Platform, store: SqliteMemoryStore
) -> dict[str, Any]:
    product, bm25, embeddings = Outcome(), Outcome(), Outcome()
    wordings = load_wordings()
    worded = {way: Outcome() for way in ("as written", *WAYS)}  # the questions that have other wordings, each way
    checks: list[dict[str, bool | int]] = []
    earlier: dict[str, list[bool]] = {"product": [], "bm25": [], "embeddings": []}
    now = datetime.now(UTC)
    for caller in callers:
        number = caller["caller"]
        variables, greeting = platform.pre_call_answer(_answer(http, "/client-data", platform.pre_call(number)))
        checks.append(pre_call_checks(caller, variables, greeting))
        memories: list[Memory] = store.get_all(number, platform.agent_type, now=now)
        for question in caller["questions"]:
            found = _answer(http, "/retrieve", platform.ask(number, question["q"]))
            product.add(question, platform.found(found))
            ways = wordings.get((number, question["q"]))
            if ways:
                worded["as written"].add(question, platform.found(found))
                for way, query in zip(WAYS, ways, strict=True):
                    worded[way].add(question, platform.found(_answer(http, "/retrieve", platform.ask(number, query))))
            vector = embed_query(question["q"])
            for outcome, settings in ((bm25, BM25_ONLY), (embeddings, EMBEDDINGS_ONLY)):
                ranked = rank(question["q"], memories, now=now, settings=settings, query_vector=vector, limit=TOP)
                outcome.add(question, [s.text for s in ranked])
        for query, value in earlier_questions(caller):
            texts = {"product": platform.found(_answer(http, "/retrieve", platform.ask(number, query)))}
            vector = embed_query(query)
            for system, settings in (("bm25", BM25_ONLY), ("embeddings", EMBEDDINGS_ONLY)):
                ranked = rank(query, memories, now=now, settings=settings, query_vector=vector, limit=TOP)
                texts[system] = [s.text for s in ranked]
            for system, found in texts.items():
                earlier[system].append(any(value.lower() in text.lower() for text in found[:TOP]))
    n = len(checks) or 1
    pre_call = {
        "current_name": sum(bool(c["name"]) for c in checks) / n,
        "latest_summary": sum(bool(c["summary"]) for c in checks) / n,
        "no_superseded_as_current": sum(bool(c["no_superseded_as_current"]) for c in checks) / n,
        "context_chars_mean": sum(int(c["length"]) for c in checks) / n,
        "callers": len(checks),
    }
    return {
        "product": product.figures(),
        "bm25": bm25.figures(),
        "embeddings": embeddings.figures(),
        "pre_call": pre_call,
        "earlier": {
            **{system: sum(hits) / (len(hits) or 1) for system, hits in earlier.items()},
            "n": len(earlier["product"]),
        },
        "wordings": {way: outcome.figures() for way, outcome in worded.items()} if worded["as written"].asked else {},
    }


def report(name: str, figures: dict[str, Any]) -> list[str]:
    lines = [f"\n== {name} set: {figures['pre_call']['callers']} callers =="]
    header = f"{'category':<14}" + "".join(f"{system:>26}" for system in ("product", "BM25 only", "embeddings only"))
    lines += [header, f"{'':<14}" + "   r@1   r@3   MRR    n " * 3]
    for category in (*CATEGORIES[:-1], "overall"):
        row = f"{category:<14}"
        for system in ("product", "bm25", "embeddings"):
            f = figures[system][category]
            row += f"  {f['r1']:.2f}  {f['r3']:.2f}  {f['mrr']:.2f} {f['n']:>4} "
        lines.append(row)
    lines.append(
        f"{'stale rate':<14}" + "".join(f"{figures[s]['stale_rate']:>26.2f}" for s in ("product", "bm25", "embeddings"))
    )
    for key in ("nothing", "misleading"):
        lines.append(
            f"{'neg. ' + key:<14}"
            + "".join(f"{figures[s]['negative'][key]:>26.2f}" for s in ("product", "bm25", "embeddings"))
        )
    e = figures["earlier"]
    lines.append(
        f"{'old value':<14}" + "".join(f"{e[s]:>26.2f}" for s in ("product", "bm25", "embeddings")) + f"   ({e['n']} "
        'questions asking for a replaced value: "previous plan")'
    )
    w = figures.get("wordings")
    if w:
        recalled = ", ".join(f"{way} {f['overall']['r3']:.2f}" for way, f in w.items())
        misleading = ", ".join(f"{f['negative']['misleading']:.2f}" for f in w.values())
        lines.append(
            f"other wordings: {recalled}   (recall@3 of {w['as written']['overall']['n']} questions as agents' "
            f"LLMs word them; misleading {misleading} of {w['as written']['negative']['n']} negatives)"
        )
    p = figures["pre_call"]
    lines.append(
        f"pre-call: current name {p['current_name']:.2f}, latest summary {p['latest_summary']:.2f}, no superseded "
        f"fact as current {p['no_superseded_as_current']:.2f}, memory_context {p['context_chars_mean']:.0f} chars"
    )
    return lines


def pooled_wordings(figures: list[dict[str, Any]]) -> dict[str, float]:
    """Recall@3 of the questions with other wordings, over every set run, each way: a set holds a dozen or so."""
    found = [f["wordings"] for f in figures if f.get("wordings")]
    if not found:
        return {}
    asked = sum(w["as written"]["overall"]["n"] for w in found) or 1
    return {way: sum(w[way]["overall"]["r3"] * w[way]["overall"]["n"] for w in found) / asked for way in found[0]}


def failures(figures: dict[str, Any]) -> list[str]:
    product = figures["product"]
    failed = []
    if product["paraphrase"]["r3"] < TARGETS["paraphrase_r3"]:
        failed.append("paraphrase recall@3")
    overall = product["overall"]["r3"]
    if overall < TARGETS["overall_r3"] or overall <= max(figures[b]["overall"]["r3"] for b in ("bm25", "embeddings")):
        failed.append("overall recall@3")
    if product["stale_rate"] > TARGETS["stale_max"]:
        failed.append("stale rate")
    if product["negative"]["misleading"] > TARGETS["misleading_max"]:
        failed.append("misleading negatives")
    if figures["pre_call"]["no_superseded_as_current"] < 1.0:
        failed.append("superseded fact shown as current")
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        choices=ALL_SETS + PROBE_SETS,
        help="default: all thirty; long26 (long histories) only when named",
    )
    parser.add_argument("--file", dest="sets", action="append", help="a set of your own in the same format (a path)")
    parser.add_argument(
        "--platform",
        choices=sorted(PLATFORMS),
        default="elevenlabs",
        help="the wire format the calls and questions arrive in (default: elevenlabs)",
    )
    parser.add_argument(
        "--small-talk", action="store_true", help='add small talk to the caller\'s turns ("Okay, thanks.")'
    )
    parser.add_argument("--callers", type=int, default=None, help="only the first N callers of each set (smoke)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args(argv)
    args.sets = args.sets or list(ALL_SETS)
    try:
        results = run(args)
    except BenchmarkError as exc:
        print(f"benchmark could not run: {exc}", file=sys.stderr)
        return 2
    failed = []
    for name in args.sets:
        print("\n".join(report(name, results[name])))
        failed += [f"{name}: {f}" for f in failures(results[name])]
    pooled = pooled_wordings([results[name] for name in args.sets])
    if pooled:
        print("\nother wordings, all sets: " + ", ".join(f"{way} {rate:.2f}" for way, rate in pooled.items()))
    print(
        f"\n{results['platform']} wire format; serve logged {results['serve_logged']} line(s); targets: "
        + ("all met" if not failed else "FAILED " + ", ".join(failed))
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    raise SystemExit(main())
