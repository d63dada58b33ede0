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


def test_an_extraction_reads_as_fields_of_plain_text() -> None:
    from shared.providers.payload import extracted_fields, scalar_text

    assert scalar_text(["latex", " penicillin ", 3]) == "latex, penicillin, 3"
    assert scalar_text([]) is None
    assert scalar_text([{"a": 1}]) == '[{"a":1}]'
    assert scalar_text(False) == "false"
    assert extracted_fields({"customer": {"name": "Dana", "age": 41, "gone": None}, "party_size": 4}, "x") == {
        "customer_name": "Dana",
        "customer_age": "41",
        "party_size": "4",
    }
    assert extracted_fields({"visit": {"tooth": {"number": 14}}}, "x") == {"visit": '{"tooth":{"number":14}}'}
    assert extracted_fields("a free-text extraction", "structured_data") == {
        "structured_data": "a free-text extraction"
    }
    assert extracted_fields(None, "structured_data") == {}


def test_a_placeholder_for_not_said_is_no_value() -> None:
    from shared.memory.from_call import says_nothing

    for placeholder in (
        "N/A",
        "n/a",
        "null",
        "Unknown",
        "Not mentioned.",
        "not provided by the caller",
        "-",
        "No information",
        "{{ customer.number }}",
        "{{system__caller_id}}",
        "{% if customer.name %}{{ customer.name }}{% endif %}",
    ):
        assert says_nothing(placeholder), placeholder
    for value in (
        "none",
        "No",
        "penicillin",
        "Not sure",
        "not interested",
        "no preference",
        "0",
        "false",
        "Nate",
        "{curly} Sue",
    ):
        assert not says_nothing(value), value


def test_a_number_json_cannot_hold_is_no_value() -> None:
    """``{"caller_id": 1e999}`` parses as infinity: it is no caller, never the caller "inf"."""
    import json

    mapper = FieldMapper({"caller": ["caller_id"]})
    assert mapper.text(json.loads('{"caller_id": 1e999}'), "caller") is None
    assert mapper.text(json.loads('{"caller_id": -1e999}'), "caller") is None
    assert mapper.text({"caller_id": 15555550123}, "caller") == "15555550123"
