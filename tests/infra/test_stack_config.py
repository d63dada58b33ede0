"""Must show 4: an unknown agent type or a missing required secret fails with a message naming it, before any
resource; the rest of the stack config is validated whole, and errors never echo a secret."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from infra.naming import StackNames, stack_slug
from infra.spec import MAX_INSTANCES
from infra.stack_config import (
    PLAIN_KEYS,
    SECRET_CONFIG_KEYS,
    build_stack_config,
    known_keys,
    read_stack_config,
    unknown_key_problems,
)
from shared.errors import ConfigError
from tests.infra.conftest import AGENT_TYPES, PROJECT, TEST_SECRET_VALUES, RecordingMocks, stack_values


def test_unknown_agent_type_is_named_with_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        build_stack_config(stack_values("elevenlabs_customer_supprt", "aws"))
    message = str(caught.value)
    assert "agentType 'elevenlabs_customer_supprt'" in message
    assert "elevenlabs_customer_support" in message  # the known ones, to spot the typo


@pytest.mark.parametrize("agent_type", AGENT_TYPES)
def test_each_missing_required_secret_is_named(agent_type: str) -> None:
    config = build_stack_config(stack_values(agent_type, "aws", memoryBackend="mem0"))
    assert {"ADMIN_API_KEY", "MEM0_API_KEY"} <= set(config.required_secret_names)
    for name in config.required_secret_names:
        secrets = {key: value for key, value in TEST_SECRET_VALUES.items() if key != name}
        with pytest.raises(ConfigError) as caught:
            build_stack_config(stack_values(agent_type, "aws", memoryBackend="mem0", secrets=secrets))
        assert name in str(caught.value)
        assert f"--secret {SECRET_CONFIG_KEYS[name]}" in str(caught.value)


@pytest.mark.parametrize(
    ("agent_type", "needed"),
    [
        ("elevenlabs_customer_support", {"ELEVENLABS_WORKSPACE_KEY", "ELEVENLABS_HMAC_KEY"}),
        ("generic_voice_agent", {"GENERIC_API_KEY"}),
    ],
)
def test_required_secrets_follow_provider_and_backend(agent_type: str, needed: set[str]) -> None:
    mem0 = build_stack_config(stack_values(agent_type, "gcp", memoryBackend="mem0"))
    assert set(mem0.required_secret_names) == needed | {"ADMIN_API_KEY", "MEM0_API_KEY"}
    assert set(mem0.deployed_secrets) == set(mem0.required_secret_names)
    only = {name: TEST_SECRET_VALUES[name] for name in needed | {"ADMIN_API_KEY"}}
    for cloud in ("aws", "gcp"):
        own = build_stack_config(stack_values(agent_type, cloud, secrets=only))
        assert set(own.required_secret_names) == needed | {"ADMIN_API_KEY"}


@pytest.mark.parametrize(("cloud", "default"), [("aws", "dynamodb"), ("gcp", "firestore")])
def test_the_default_memory_backend_is_the_clouds_own_database(cloud: str, default: str) -> None:
    assert build_stack_config(stack_values("generic_voice_agent", cloud)).memory_backend == default
    chosen = build_stack_config(stack_values("generic_voice_agent", cloud, memoryBackend="mem0"))
    assert chosen.memory_backend == "mem0"


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_sqlite_on_a_cloud_is_refused_with_the_reason(cloud: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_stack_config(stack_values("generic_voice_agent", cloud, memoryBackend="sqlite"))
    message = str(caught.value)
    assert "sqlite" in message and "separate /tmp" in message and "never read before a call" in message
    assert ("dynamodb" if cloud == "aws" else "firestore") in message and "mem0" in message


@pytest.mark.parametrize(("cloud", "other"), [("aws", "firestore"), ("gcp", "dynamodb")])
def test_another_clouds_database_is_refused(cloud: str, other: str) -> None:
    with pytest.raises(ConfigError, match=f"memoryBackend {other} runs on"):
        build_stack_config(stack_values("generic_voice_agent", cloud, memoryBackend=other))


@pytest.mark.parametrize(
    ("cloud", "drop", "named"),
    [("aws", "aws:region", "aws:region"), ("gcp", "gcp:project", "gcp:project"), ("gcp", "gcp:region", "gcp:region")],
)
def test_cloud_needs_its_provider_config(cloud: str, drop: str, named: str) -> None:
    values = stack_values("generic_voice_agent", cloud)
    del values[drop]
    with pytest.raises(ConfigError, match=named):
        build_stack_config(values)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cloud", "azure"),
        ("warmInstances", "-1"),
        ("logRetentionDays", "13"),
        ("memoryBackend", "redis"),
        ("httpEndpoint", "alb"),
        ("alertEmail", "not-an-email"),
        ("archiveRetentionDays", "0"),
        ("secretRecoveryWindowDays", "1"),
        ("secretRecoveryWindowDays", "6"),
        ("secretRecoveryWindowDays", "31"),
    ],
)
def test_bad_values_are_named_by_their_config_key(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_stack_config({**stack_values("generic_voice_agent", "aws"), key: value})
    assert f"{PROJECT}:{key}" in str(caught.value)


@pytest.mark.parametrize("days", ["0", "7", "30"])
def test_secrets_managers_recovery_windows_are_accepted(days: str) -> None:
    config = build_stack_config(stack_values("generic_voice_agent", "aws", secretRecoveryWindowDays=days))
    assert config.secret_recovery_window_days == int(days)


@pytest.mark.parametrize(
    ("key", "too_much", "most"),
    [("warmInstances", MAX_INSTANCES + 1, MAX_INSTANCES), ("logRetentionDays", 3653, 3288)],
)
def test_gcp_refuses_what_its_functions_or_log_bucket_cannot_take(key: str, too_much: int, most: int) -> None:
    """Above the function's max instances, min > max; Cloud Logging keeps logs 3650 days at most. AWS takes both."""
    with pytest.raises(ConfigError) as caught:
        build_stack_config(stack_values("generic_voice_agent", "gcp", **{key: str(too_much)}))
    assert f"{key} {too_much}" in str(caught.value) and str(most) in str(caught.value)
    build_stack_config(stack_values("generic_voice_agent", "gcp", **{key: str(most)}))
    build_stack_config(stack_values("generic_voice_agent", "aws", **{key: str(too_much)}))


def test_secrets_are_never_echoed() -> None:
    values = stack_values("generic_voice_agent", "aws")
    config = build_stack_config(values)
    assert not any(secret in repr(config) for secret in TEST_SECRET_VALUES.values())
    values["secrets"] = {"NOT_A_SECRET_NAME": "leakcheck-unknown-value-1", **TEST_SECRET_VALUES}
    with pytest.raises(ConfigError) as caught:
        build_stack_config(values)
    assert "NOT_A_SECRET_NAME" in str(caught.value)
    assert "leakcheck" not in str(caught.value)


def _pulumi_config(**overrides: str) -> tuple[dict[str, str], list[str]]:
    config = {
        f"{PROJECT}:cloud": "gcp",
        f"{PROJECT}:agentType": "generic_voice_agent",
        f"{PROJECT}:warmInstances": "1",
        "gcp:project": "am-test-project",
        "gcp:region": "europe-west1",
        f"{PROJECT}:genericApiKey": TEST_SECRET_VALUES["GENERIC_API_KEY"],
        f"{PROJECT}:adminApiKey": TEST_SECRET_VALUES["ADMIN_API_KEY"],
        f"{PROJECT}:mem0ApiKey": TEST_SECRET_VALUES["MEM0_API_KEY"],
    }
    config.update({f"{PROJECT}:{key}": value for key, value in overrides.items()})
    return config, [f"{PROJECT}:{key}" for key in ("genericApiKey", "adminApiKey", "mem0ApiKey")]


@pulumi.runtime.test
def test_reads_the_stack_config_from_pulumi(use_stack: Any) -> pulumi.Output[None]:
    config_values, secret_keys = _pulumi_config()
    use_stack("support-prod", config_values, secret_keys)
    config = read_stack_config()
    assert (config.stack, config.cloud, config.warm_instances) == ("support-prod", "gcp", 1)
    assert all(isinstance(value, pulumi.Output) for value in config.secrets.values())

    def check(values: list[Any]) -> None:
        assert values == [TEST_SECRET_VALUES["GENERIC_API_KEY"], True]

    secret = config.secrets["GENERIC_API_KEY"]
    return pulumi.Output.all(secret, pulumi.Output.from_input(secret.is_secret())).apply(check)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"agentType": "no_such_type"}, "agentType 'no_such_type'"),
        ({"mem0ApiKey": None, "memoryBackend": "mem0"}, "mem0ApiKey"),
        ({"memoryBackend": "sqlite"}, "sqlite cannot work deployed"),
        ({"adminApiKey": None}, "ADMIN_API_KEY"),
        ({"adminApiKey": ""}, "adminApiKey is empty"),  # set, but empty or blank: the functions would not start
        ({"genericApiKey": "   "}, "genericApiKey is empty"),
    ],
)
@pulumi.runtime.test
def test_bad_pulumi_config_fails_before_any_resource(
    change: dict[str, str | None], named: str, use_stack: Any
) -> pulumi.Output[None]:
    config_values, secret_keys = _pulumi_config()
    for key, value in change.items():
        if value is None:
            del config_values[f"{PROJECT}:{key}"]
        else:
            config_values[f"{PROJECT}:{key}"] = value
    mocks: RecordingMocks = use_stack("dev", config_values, secret_keys)
    with pytest.raises(ConfigError, match=named):
        read_stack_config()
    return pulumi.Output.from_input(len(mocks.resources)).apply(lambda count: _assert_equal(count, 0))


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected


def test_plaintext_secret_in_stack_config_is_refused(use_stack: Any) -> None:
    config_values, secret_keys = _pulumi_config()
    use_stack("dev", config_values, [key for key in secret_keys if not key.endswith("adminApiKey")])
    with pytest.raises(ConfigError, match="adminApiKey must be a secret"):
        read_stack_config()


def test_stack_slug_is_safe_short_and_distinct() -> None:
    assert stack_slug("dev") == "dev"
    odd = ["Tenant_A", "tenant-a-but-a-very-long-stack-name", "tenant-a-but-a-very-long-stack-name-2", "9lives", "a-"]
    slugs = [stack_slug(name) for name in odd]
    assert len(set(slugs)) == len(slugs)
    for stack, slug in zip(odd, slugs, strict=True):
        assert len(slug) <= 18 and slug[0].isalpha() and slug.replace("-", "").isalnum() and slug == slug.lower()
        names = StackNames(stack)
        for role in ("http", "worker", "sweeper", "invoker"):
            account_id = names.name(role, max_len=30)
            assert 6 <= len(account_id) <= 30
    with pytest.raises(ValueError, match="longer than"):
        StackNames("dev").name("x" * 70)


@pytest.mark.parametrize(
    ("key", "resembles"),
    [("memorybackend", "memoryBackend"), ("warmInstance", "warmInstances"), ("adminApiKy", "adminApiKey")],
)
def test_a_misspelled_key_is_refused_with_the_key_it_resembles(key: str, resembles: str, use_stack: Any) -> None:
    config_values, secret_keys = _pulumi_config()
    config_values[f"{PROJECT}:{key}"] = "leakcheck-misspelled-value-3c"
    use_stack("dev", config_values, secret_keys)
    with pytest.raises(ConfigError) as caught:
        read_stack_config()
    message = str(caught.value)
    assert f"{PROJECT}:{key} is not a key" in message and f"did you mean {PROJECT}:{resembles}?" in message
    assert "leakcheck" not in message


def test_an_unknown_key_from_the_environment_is_refused(use_stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pulumi's language host may hand config over in ``PULUMI_CONFIG``; those keys are checked the same way."""
    config_values, secret_keys = _pulumi_config()
    use_stack("dev", config_values, secret_keys)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({f"{PROJECT}:zzzqqq": "1"}))
    with pytest.raises(ConfigError, match=rf"{PROJECT}:zzzqqq is not a key of this program \(the keys"):
        read_stack_config()


def test_other_namespaces_and_the_tenants_marker_are_not_the_programs_business(use_stack: Any) -> None:
    config_values, secret_keys = _pulumi_config(tenant="support-prod")
    config_values.update({"gcp:zone": "europe-west1-b", "aws:profile": "ops", "other-project:memorybackend": "x"})
    use_stack("dev", config_values, secret_keys)
    assert read_stack_config().cloud == "gcp"


def test_every_key_the_program_reads_is_known() -> None:
    assert unknown_key_problems([f"{PROJECT}:{key}" for key in known_keys()], PROJECT) == []
    assert set(PLAIN_KEYS) | set(SECRET_CONFIG_KEYS.values()) <= set(known_keys())


@pytest.mark.parametrize("empty", ["", "  ", "\n"])
@pytest.mark.parametrize("key", ["adminApiKey", "genericApiKey"])
@pulumi.runtime.test
def test_an_empty_secret_is_refused_by_its_key(key: str, empty: str, use_stack: Any) -> pulumi.Output[None]:
    """`printf %s "$UNSET" | pulumi config set --secret ...` stores an empty secret: deployed, no function could
    start (authentication fails closed), so the program refuses it before declaring anything."""
    config_values, secret_keys = _pulumi_config(**{key: empty})
    mocks: RecordingMocks = use_stack("dev", config_values, secret_keys)
    with pytest.raises(ConfigError, match=f"{PROJECT}:{key} is empty"):
        read_stack_config()
    return pulumi.Output.from_input(len(mocks.resources)).apply(lambda count: _assert_equal(count, 0))


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_secret_value_is_refused_when_built_directly(empty: str) -> None:
    values = stack_values("generic_voice_agent", "aws")
    values["secrets"] = {**TEST_SECRET_VALUES, "GENERIC_API_KEY": empty}
    with pytest.raises(ConfigError, match="GENERIC_API_KEY must be a non-empty string"):
        build_stack_config(values)


@pytest.mark.parametrize("where", ["agent type", "rollout"])
def test_a_gcp_stack_whose_agent_type_names_a_processor_is_refused(where: str, tmp_path: Any) -> None:
    """Processor plugins reach Lambda in its layer; Cloud Functions' generated requirements.txt carries none, so the
    functions of such a GCP stack could not start: refused with the plugin's name, while AWS takes it."""
    from shared.config.loader import DEFAULT_CONFIG_PATH

    data = json.loads(DEFAULT_CONFIG_PATH.read_text())
    agent = data["agent_types"]["generic_voice_agent"]
    if where == "agent type":
        agent.setdefault("processors", {})["post_call"] = ["redact_card_numbers"]
    else:
        agent["rollouts"] = {"redaction": {"percent": 10, "overrides": {"processors": {"post_call": ["redact_cards"]}}}}
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(data))
    plugin = "redact_card_numbers" if where == "agent type" else "redact_cards"
    with pytest.raises(ConfigError, match=f"processor plugin\\(s\\) {plugin}.*on gcp no function could start"):
        build_stack_config(stack_values("generic_voice_agent", "gcp", agent_types_path=path))
    assert build_stack_config(stack_values("generic_voice_agent", "aws", agent_types_path=path)).cloud == "aws"


@pytest.mark.parametrize(
    ("key", "value"), [("httpEndpoint", "url"), ("secretRecoveryWindowDays", 0), ("layerZip", "layer.zip")]
)
def test_an_aws_only_key_on_a_gcp_stack_is_refused_by_name(key: str, value: Any) -> None:
    """docs/deploying.md: a key nothing reads is refused, never silently ignored (a Function URL asked for on gcp)."""
    with pytest.raises(ConfigError, match=f"{key} only apply on aws"):
        build_stack_config(stack_values("generic_voice_agent", "gcp", **{key: value}))
    assert build_stack_config(stack_values("generic_voice_agent", "aws", **{key: value})).cloud == "aws"


def _pseudonymizing_agent_types(tmp_path: Any) -> Any:
    """The shipped agent types with ``generic_voice_agent`` pseudonymizing its callers."""
    from shared.config.loader import DEFAULT_CONFIG_PATH

    data = json.loads(DEFAULT_CONFIG_PATH.read_text())
    data["agent_types"]["generic_voice_agent"].setdefault("identity", {})["pseudonymize"] = True
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("short", ["leakcheck-short-pk", "x" * 31])
@pulumi.runtime.test
def test_a_short_pseudonymization_key_is_refused_before_any_resource(
    short: str, use_stack: Any, tmp_path: Any
) -> pulumi.Output[None]:
    """The functions refuse to start with a pseudonymization key under 32 characters (every call would fail), so
    the program refuses it first, naming the key and never showing it."""
    config_values, secret_keys = _pulumi_config(pseudonymizationKey=short)
    mocks: RecordingMocks = use_stack("dev", config_values, [*secret_keys, f"{PROJECT}:pseudonymizationKey"])
    with pytest.raises(ConfigError) as caught:
        read_stack_config(_pseudonymizing_agent_types(tmp_path))
    message = str(caught.value)
    assert f"{PROJECT}:pseudonymizationKey must be at least 32 characters" in message
    assert short not in message
    return pulumi.Output.from_input(len(mocks.resources)).apply(lambda count: _assert_equal(count, 0))


def test_a_long_enough_pseudonymization_key_is_deployed(use_stack: Any, tmp_path: Any) -> None:
    config_values, secret_keys = _pulumi_config(pseudonymizationKey="x" * 32)
    use_stack("dev", config_values, [*secret_keys, f"{PROJECT}:pseudonymizationKey"])
    config = read_stack_config(_pseudonymizing_agent_types(tmp_path))
    assert "PSEUDONYMIZATION_KEY" in config.deployed_secrets


@pulumi.runtime.test
def test_an_admin_key_equal_to_another_deployed_secret_is_refused(use_stack: Any) -> pulumi.Output[None]:
    """Deployed, such an admin key keeps the admin API shut (a platform's key must never open it): refused first."""
    config_values, secret_keys = _pulumi_config(adminApiKey=TEST_SECRET_VALUES["GENERIC_API_KEY"])
    mocks: RecordingMocks = use_stack("dev", config_values, secret_keys)
    with pytest.raises(ConfigError) as caught:
        read_stack_config()
    message = str(caught.value)
    assert f"{PROJECT}:adminApiKey" in message and "must differ from GENERIC_API_KEY" in message
    assert "leakcheck" not in message
    return pulumi.Output.from_input(len(mocks.resources)).apply(lambda count: _assert_equal(count, 0))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("gcp:region", "europe-west"),  # no digit: not a region
        ("gcp:region", "Europe West 1"),
        ("gcp:region", "us-central1-a"),  # a zone
        ("gcp:project", "Acme Voice Prod"),  # the project's display name
        ("gcp:project", "123456789012"),  # its number
    ],
)
@pulumi.runtime.test
def test_a_malformed_gcp_region_or_project_is_refused_before_any_resource(
    key: str, value: str, use_stack: Any
) -> pulumi.Output[None]:
    """The GCP provider takes any string: a typo would stop `pulumi up` half-way, after the APIs, secrets and service
    accounts were made, at the first bucket or function that names it."""
    config_values, secret_keys = _pulumi_config()
    config_values[key] = value
    mocks: RecordingMocks = use_stack("dev", config_values, secret_keys)
    with pytest.raises(ConfigError, match=f"stack config {key}: .*must be a"):
        read_stack_config()
    return pulumi.Output.from_input(len(mocks.resources)).apply(lambda count: _assert_equal(count, 0))


@pytest.mark.parametrize(
    ("region", "project"),
    [("northamerica-northeast1", "acme-voice-prod"), ("me-central2", "example.com:my-proj"), ("us-east5", "p12345")],
)
def test_gcp_regions_and_projects_as_gcp_names_them_are_accepted(region: str, project: str) -> None:
    config = build_stack_config(
        stack_values("generic_voice_agent", "gcp", **{"gcp:region": region, "gcp:project": project})
    )
    assert (config.gcp_region, config.gcp_project) == (region, project)
