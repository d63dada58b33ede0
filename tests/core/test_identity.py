from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import ConfigError, Unprocessable
from shared.identity import CallerIdentity, is_pseudonym, mask, normalize_caller
from shared.profile import AgentProfile, load_profile, resolve_profile
from shared.secrets import EnvSecrets, Secret
from tests.conftest import TEST_SECRETS

KEY_A = "pseudonym-key-a-0123456789abcdef0123456789"
KEY_B = "pseudonym-key-b-0123456789abcdef0123456789"


def pseudonymizing() -> AgentProfile:
    """The default agent type with ``identity.pseudonymize`` on."""
    base = load_profile("elevenlabs_customer_support")
    identity = base.config.identity.model_copy(update={"pseudonymize": True})
    return resolve_profile(base.name, base.config.model_copy(update={"identity": identity}))


@pytest.mark.parametrize(
    "raw",
    [
        "+15555550123",
        "+1 (555) 555-0123",
        "+1-555-555-0123",
        "(555) 555-0123",
        "555.555.0123",
        "15555550123",
        "001 555 555 0123",
        " +1 555 555 0123 ",
        "tel:+15555550123",
        "sip:+15555550123@pbx.example.com",
    ],
)
def test_phone_formats_are_one_caller(raw: str) -> None:
    assert normalize_caller(raw) == "+15555550123"


def test_other_ids_are_kept() -> None:
    assert normalize_caller("user_123") == "user_123"
    assert normalize_caller("web-visitor:42") == "web-visitor:42"


@pytest.mark.parametrize("raw", ["", "   ", "*", "a b", "+1", "x" * 200, "../etc/passwd"])
def test_garbage_is_rejected(raw: str) -> None:
    with pytest.raises(Unprocessable):
        normalize_caller(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "555-0123",  # seven digits: any area code's 555-0123, so every such caller would be one
        "+15550123",
        "02 9374 4000",  # a foreign number without its country code: no US area code starts with 0 or 1
        "+1 155 555 0123",
        "+1 555 155 0123",  # nor does an exchange
        "1001",  # an extension: the same digits on every PBX
        "911",
        "0123",
    ],
)
def test_a_number_that_is_not_one_callers_is_refused(raw: str) -> None:
    with pytest.raises(Unprocessable):
        normalize_caller(raw)


def test_pseudonymized_ids_are_stable_keyed_and_never_the_number() -> None:
    a = CallerIdentity(pseudonym_key=Secret(KEY_A))
    b = CallerIdentity(pseudonym_key=Secret(KEY_B))
    assert a.user_id("+1 555 555 0123") == a.user_id("+15555550123")
    assert a.user_id("+15555550123") != b.user_id("+15555550123")
    assert "5555550123" not in a.user_id("+15555550123")


def test_mask_never_shows_the_whole_number() -> None:
    assert mask("+15555550123") == "+155***0123"
    assert "5555550" not in mask("+15555550123")


@given(st.text(max_size=60))
def test_normalize_never_crashes(raw: str) -> None:
    try:
        result = normalize_caller(raw)
    except Unprocessable:
        return
    assert result and " " not in result


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sip:+15555550142@sip.example.com", "+15555550142"),
        ("sips:+15555550142@sip.example.com:5061;transport=tls", "+15555550142"),
        ("sip:15555550142;user=phone@sip.example.com", "+15555550142"),
        ('"Dana W" <sip:+1-555-555-0142@sip.example.com>;tag=abc', "+15555550142"),
        ("tel:+1-555-555-0142;ext=12", "+15555550142"),
        ("sip:frontdesk@PBX.example.com", "sip:frontdesk@pbx.example.com"),
        ("sip:1001@pbx.example.com:5060;transport=udp", "sip:1001@pbx.example.com"),
        ("<sip:frontdesk@pbx.example.com>", "sip:frontdesk@pbx.example.com"),
    ],
)
def test_sip_uris_are_their_number_or_an_opaque_id(raw: str, expected: str) -> None:
    assert normalize_caller(raw) == expected
    assert normalize_caller(expected) == expected  # stable: a stored id normalizes to itself


def test_an_extension_is_only_the_same_caller_on_the_same_host() -> None:
    assert normalize_caller("sip:1001@pbx-a.example.com") != normalize_caller("sip:1001@pbx-b.example.com")


@pytest.mark.parametrize(
    "raw",
    [
        "anonymous",
        "Anonymous",
        "RESTRICTED",
        "unavailable",
        "+266696687",  # Twilio's placeholders: ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN, UNAVAILABLE on a keypad
        "+7378742833",
        "+2562533",
        "+8656696",
        "+86282452253",
        "+1 000 000 0000",
        "sip:anonymous@anonymous.invalid",
        '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1',
        "sip:restricted@pbx.example.com",
        "sip:pbx.example.com",
        "tel:anonymous",
        "{{system__caller_id}}",
        "",
    ],
)
def test_withheld_and_placeholder_callers_are_not_identified(raw: str) -> None:
    with pytest.raises(Unprocessable):
        normalize_caller(raw)
    assert CallerIdentity().identify(raw) is None


def test_a_placeholder_is_only_one_with_its_own_country_code() -> None:
    """+7 378 742 833 is Twilio's RESTRICTED; the same ten digits in the US are someone's real number."""
    assert normalize_caller("+1 737 874 2833") == "+17378742833"


def test_identify_keeps_real_callers_and_ids() -> None:
    identity = CallerIdentity()
    assert identity.identify("+1 (555) 555-0123") == "+15555550123"
    assert identity.identify("user_123") == "user_123"
    assert identity.identify(None) is None


def test_a_short_pseudonymization_key_is_refused_like_a_short_caller_ref_key() -> None:
    """Any key was accepted: with a short one, whoever holds the store can hash every number and read it back."""
    short = "pseudo-key-31-chars-0123456789a"
    assert len(short) == 31
    with pytest.raises(ConfigError, match="PSEUDONYMIZATION_KEY must be at least 32 characters") as refused:
        CallerIdentity.from_profile(pseudonymizing(), EnvSecrets({**TEST_SECRETS, "PSEUDONYMIZATION_KEY": short}))
    assert short not in str(refused.value)
    enough = CallerIdentity.from_profile(
        pseudonymizing(), EnvSecrets({**TEST_SECRETS, "PSEUDONYMIZATION_KEY": short + "b"})
    )
    assert enough.user_id("+15555550123").startswith("u_")


def test_the_test_secrets_are_long_enough_for_every_keyed_hash() -> None:
    identity = CallerIdentity.from_profile(pseudonymizing(), EnvSecrets(TEST_SECRETS))
    assert identity.user_id("+15555550123") != "+15555550123"


def test_an_operator_names_a_pseudonymized_caller_by_the_stored_id_a_platform_cannot() -> None:
    platform = CallerIdentity(pseudonym_key=Secret(KEY_A))
    operator = platform.for_operators()
    stored = platform.user_id("+15555550123")
    assert is_pseudonym(stored)
    assert operator.user_id(stored) == operator.user_id(f"  {stored} ") == stored
    assert operator.user_id("+1 (555) 555-0123") == stored
    assert platform.user_id(stored) != stored  # a caller id a web page sets never reaches a stored caller
    assert CallerIdentity().for_operators().user_id(stored) == stored  # without pseudonyms an id is itself anyway


@pytest.mark.parametrize(
    "typed",
    [
        "U_" + "ab" * 20,
        "u_" + "AB" * 20,
        "u_" + "ab" * 20 + "0",
        "u_" + "ab" * 19 + "a",
        "u-" + "ab" * 20,
        "xu_" + "ab" * 20,
        "u_" + "ab" * 19 + "zz",
    ],
)
def test_only_exactly_the_pseudonym_format_is_kept(typed: str) -> None:
    operator = CallerIdentity(pseudonym_key=Secret(KEY_A)).for_operators()
    assert not is_pseudonym(typed)
    with contextlib.suppress(Unprocessable):  # or refused outright, as any malformed id
        assert operator.user_id(typed) != typed


@given(st.from_regex(r"(\+1|001|1)?[ (]?555[) .-]{0,2}555[ .-]?01\d\d", fullmatch=True))
def test_a_number_is_never_taken_for_a_pseudonym(number: str) -> None:
    platform = CallerIdentity(pseudonym_key=Secret(KEY_A))
    assert not is_pseudonym(number) and not is_pseudonym(platform.caller_id(number))
    assert platform.for_operators().user_id(number) == platform.user_id(number)


@given(st.text(alphabet="0123456789", min_size=40, max_size=40))
def test_a_pseudonym_is_never_taken_for_a_number(digits: str) -> None:
    """All 40 hex digits may be decimal ones: it is still an id of its own, never normalized to E.164."""
    pseudonym = "u_" + digits
    assert is_pseudonym(pseudonym) and normalize_caller(pseudonym) == pseudonym
    assert CallerIdentity(pseudonym_key=Secret(KEY_A)).for_operators().user_id(pseudonym) == pseudonym


@pytest.mark.parametrize(
    "spelling",
    ["+15555550123;ext=42", "+1 555 555 0123 ext. 42", "+15555550123x42", "+15555550123,42",
     "555-555-0123 extension 7", "tel:+15555550123;ext=43", "sip:+15555550123;ext=42@pbx.example.com"],
)  # fmt: skip
def test_a_number_with_an_extension_is_its_line_in_every_spelling(spelling: str) -> None:
    """The URI forms were the line and the plain forms no caller at all: one caller, whichever the platform sends."""
    assert normalize_caller(spelling) == "+15555550123"


def test_a_client_chosen_id_with_an_extension_is_still_kept_apart() -> None:
    from shared.providers.base import client_chosen

    assert client_chosen("+15555550123;ext=42") == "web:+15555550123ext42"
    assert normalize_caller("web:+15555550123ext42") == "web:+15555550123ext42"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("tel:2079460958;phone-context=+44", "+442079460958"),  # London, not Maine's +1 207
        ("tel:7946-0958;phone-context=+44-20", "+442079460958"),
        ("sip:2079460958;phone-context=+44@trunk.example.com;user=phone", "+442079460958"),
        ("tel:555-0123;phone-context=+1-555", "+15555550123"),
        ("tel:5555550123;ext=42;phone-context=%2B1", "+15555550123"),
        ("tel:+15555550123;phone-context=+44", "+15555550123"),  # a global number ignores the context
        ("sip:alice;phone-context=+1@pbx.example.com", "sip:alice@pbx.example.com"),
    ],
)
def test_a_local_number_is_read_in_its_phone_context(raw: str, expected: str) -> None:
    """RFC 3966: a local number's global ``phone-context`` is its prefix. Read in the default region instead, a UK
    caller's local number became a US caller's (two callers, one memory)."""
    assert normalize_caller(raw) == expected
    assert normalize_caller("+12079460958") != normalize_caller("tel:2079460958;phone-context=+44")
