"""The recall benchmark: its scoring, its evaluation set's shape, and a quick run through a real ``serve``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_recall import (
    ALL_SETS,
    CATEGORIES,
    PROBE_SETS,
    WAYS,
    Outcome,
    earlier_questions,
    load_set,
    load_wordings,
    pooled_wordings,
    pre_call_checks,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_sets_are_the_size_the_issue_asks_for() -> None:
    numbers: list[str] = []
    for name in ALL_SETS:
        callers = load_set(name)
        assert all(2 <= len(c["calls"]) <= 6 for c in callers)
        assert {q["category"] for c in callers for q in c["questions"]} == set(CATEGORIES)
        numbers += [c["caller"] for c in callers]
    assert all(len(load_set(name)) >= 30 for name in ALL_SETS if name != "heldout")
    assert len(set(numbers)) == len(numbers)  # the benchmark ingests every set into one serve


def test_the_long_history_probe_holds_repeat_callers_apart_from_the_sets() -> None:
    numbers = {c["caller"] for name in ALL_SETS for c in load_set(name)}
    for name in PROBE_SETS:
        callers = load_set(name)
        assert all(len(c["calls"]) >= 10 for c in callers)
        assert {q["category"] for c in callers for q in c["questions"]} == set(CATEGORIES)
        assert numbers.isdisjoint(c["caller"] for c in callers)  # runs beside every set in one serve


def test_every_other_wording_is_of_a_question_the_sets_ask() -> None:
    asked = {(c["caller"], q["q"]) for name in ALL_SETS for c in load_set(name) for q in c["questions"]}
    wordings = load_wordings()
    assert len(wordings) >= 150 and set(wordings) <= asked
    assert all(len(ways) == len(WAYS) and all(way.strip() for way in ways) for ways in wordings.values())


def test_other_wordings_pool_by_how_many_questions_each_set_asked() -> None:
    def one(rate: float, n: int) -> dict[str, Any]:
        return {"overall": {"r3": rate, "n": n}}

    figures = [
        {"wordings": {"as written": one(1.0, 10), "short": one(0.5, 10)}},
        {"wordings": {"as written": one(0.5, 30), "short": one(1.0, 30)}},
        {"wordings": {}},
    ]
    assert pooled_wordings(figures) == {"as written": 0.625, "short": 0.875}
    assert pooled_wordings([{"wordings": {}}]) == {}


def test_a_set_of_your_own_loads_by_path(tmp_path: Path) -> None:
    own = tmp_path / "own.yaml"
    own.write_text((ROOT / "benchmarks" / "recall" / "heldout.yaml").read_text())
    assert load_set(str(own)) == load_set("heldout")


def test_scoring_counts_ranks_stale_values_and_traps() -> None:
    outcome = Outcome()
    outcome.add({"category": "paraphrase", "expect": ["Biscuit"]}, ["lives in Lyon", "my dog Biscuit"])
    outcome.add({"category": "lexical", "expect": ["Lyon"]}, [])
    outcome.add({"category": "temporal", "expect": [8000], "stale": [5000]}, ["limit: 5000", "limit: 8000"])
    outcome.add({"category": "temporal", "expect": [8000], "stale": [5000]}, ["limit: 8000", "previously: 5000"])
    outcome.add({"category": "negative", "traps": ["parking ticket"]}, ["issue: parking ticket dispute"])
    outcome.add({"category": "negative"}, [])
    figures = outcome.figures()
    assert figures["paraphrase"] == {"r1": 0.0, "r3": 1.0, "mrr": 0.5, "n": 1}
    assert figures["lexical"]["r3"] == 0.0
    assert figures["stale_rate"] == 0.5  # the marked past value does not count as stale
    assert figures["negative"] == {"nothing": 0.5, "misleading": 0.5, "n": 2}


def test_pre_call_checks_catch_a_superseded_value_shown_as_current() -> None:
    caller = {
        "name": "Priya",
        "calls": [
            {"days_ago": 40, "summary": "Booked for eight.", "fields": {"party_size": "8"}},
            {"days_ago": 38, "summary": "Now six.", "fields": {"party_size": "6"}},
        ],
    }
    good = {"memory_summary": "Now six.", "memory_context": "- party size: 6 (previously: 8 until 2026-01-01)"}
    bad = {"memory_summary": "Booked for eight.", "memory_context": "- party size: 6\n- party size: 8"}
    assert pre_call_checks(caller, good, "Hello Priya!") == {
        "name": True,
        "summary": True,
        "no_superseded_as_current": True,
        "length": len(good["memory_context"]),
    }
    checked = pre_call_checks(caller, bad, "Hello!")
    assert (checked["name"], checked["summary"], checked["no_superseded_as_current"]) == (False, False, False)


def _quick_run(tmp_path: Path, platform: str, *extra: str, callers: int = 3) -> tuple[dict[str, Any], str]:
    out = tmp_path / f"recall-{platform}{''.join(extra)}.json"
    command = [
        sys.executable,
        "benchmarks/bench_recall.py",
        "--set",
        "dev",
        "--callers",
        str(callers),
        "--json",
        str(out),
    ]
    done = subprocess.run(
        [*command, "--platform", platform, *extra], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    figures: dict[str, Any] = json.loads(out.read_text())
    return figures, done.stdout


def test_quick_run_through_serve(tmp_path: Path) -> None:
    figures, stdout = _quick_run(tmp_path, "elevenlabs")
    assert figures["serve_logged"] == 0
    dev = figures["dev"]
    assert dev["pre_call"]["callers"] == 3 and dev["pre_call"]["latest_summary"] == 1.0
    assert dev["product"]["overall"]["n"] > 0
    assert "paraphrase" in stdout and "embeddings only" in stdout and "old value" in stdout
    assert 0.0 <= dev["earlier"]["product"] <= 1.0 and dev["earlier"]["n"] == sum(
        len(earlier_questions(c)) for c in load_set("dev")[:3]
    )


@pytest.mark.parametrize("platform", ["vapi", "retell"])
def test_the_same_calls_on_another_platform_give_the_same_figures(tmp_path: Path, platform: str) -> None:
    """Each platform's own events, pre-call and tool call: what is stored and found must not depend on the wire."""
    reference, _ = _quick_run(tmp_path, "elevenlabs")
    figures, stdout = _quick_run(tmp_path, platform)
    assert (figures["platform"], figures["serve_logged"]) == (platform, 0)
    assert f"{platform} wire format" in stdout
    assert figures["dev"]["product"]["overall"]["n"] > 0
    assert figures["dev"] == reference["dev"]


def test_the_baselines_are_the_plain_methods_without_the_products_rules() -> None:
    from dataclasses import fields

    from benchmarks.bench_recall import BM25_ONLY, EMBEDDINGS_ONLY
    from shared.memory.ranking import RankSettings

    rules = {
        "supersede",
        "dedupe",
        "skip_small_talk",
        "general_summaries",
        "contrast_similarity",
        "closest_limit",
        "alike_gap",
        "recency_tie",
        "answer_kind_weight",
    }
    assert rules <= {f.name for f in fields(RankSettings)}
    for baseline in (BM25_ONLY, EMBEDDINGS_ONLY):
        assert not any(getattr(baseline, rule) for rule in rules)
        assert baseline.min_score < 1e-6  # top 3, no threshold


def test_small_talk_between_the_callers_turns_changes_no_figure(tmp_path: Path) -> None:
    """With "Okay, thanks." and "Can you hear me?" between the turns, every figure of dev is as without them."""
    reference, _ = _quick_run(tmp_path, "elevenlabs", callers=32)
    talkative, _ = _quick_run(tmp_path, "elevenlabs", "--small-talk", callers=32)
    assert talkative["dev"]["product"] == reference["dev"]["product"]
    assert talkative["dev"]["pre_call"]["no_superseded_as_current"] == 1.0


def test_small_talk_is_added_to_every_call() -> None:
    from benchmarks.bench_recall import SMALL_TALK, with_small_talk

    callers = load_set("dev")[:2]
    talkative = with_small_talk(callers)
    for before, after in zip(callers, talkative, strict=True):
        for call, said in zip(before["calls"], after["calls"], strict=True):
            turns = call.get("turns") or []
            assert [t for t in said["turns"] if t not in SMALL_TALK] == turns
            assert said["turns"][0] in SMALL_TALK and said["turns"][-1] in SMALL_TALK
            assert said["summary"] == call["summary"] and said.get("fields") == call.get("fields")


def test_a_replaced_field_is_asked_for_in_three_ways_with_its_old_value() -> None:
    caller = {
        "calls": [
            {"days_ago": 30, "fields": {"caller_name": "Dana Whitfield", "party_size": "8", "city": "Lyon"}},
            {"days_ago": 10, "fields": {"caller_name": "Dana W.", "party_size": "2", "city": "Lyon"}},
        ]
    }
    assert earlier_questions(caller) == [
        ("previous party size", "8"),
        ("what was the old party size", "8"),
        ("party size as it was originally", "8"),
    ]
