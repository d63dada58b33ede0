from __future__ import annotations

from shared.fields import FieldMapper, lookup


def test_lookup_follows_dots_and_indices_and_survives_nulls() -> None:
    payload = {"a": {"b": [{"c": 1}, {"c": 2}]}, "n": None, "s": "text"}
    assert lookup(payload, "a.b.1.c") == 2
    assert lookup(payload, "a.b.-1.c") == 2
    assert lookup(payload, "a.b.5.c") is None
    assert lookup(payload, "n.x.y") is None
    assert lookup(payload, "s.x") is None
    assert lookup(None, "a") is None


def test_first_non_empty_path_wins() -> None:
    mapper = FieldMapper({"caller": ["data.metadata.phone_call.external_number", "data.user_id"]})
    assert mapper.get({"data": {"metadata": {"phone_call": None}, "user_id": "u1"}}, "caller") == "u1"
    assert (
        mapper.get({"data": {"metadata": {"phone_call": {"external_number": ""}}, "user_id": "u1"}}, "caller") == "u1"
    )
    assert mapper.get({}, "caller", default="x") == "x"
    assert mapper.get({}, "unknown") is None


def test_text_only_returns_scalars() -> None:
    mapper = FieldMapper({"f": ["f"]})
    assert mapper.text({"f": " hi "}, "f") == "hi"
    assert mapper.text({"f": 12}, "f") == "12"
    assert mapper.text({"f": {"x": 1}}, "f") is None
    assert mapper.text({"f": True}, "f") is None
