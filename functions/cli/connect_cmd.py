"""``agentic-memory connect elevenlabs|vapi|retell``: point a platform's agent at a memory service in one command.

For a local ``serve`` behind a tunnel or any deployed URL. The platform's API key comes from the environment
(``ELEVENLABS_API_KEY``, ``VAPI_API_KEY``, ``RETELL_API_KEY``), a file (``--api-key-file``) or a hidden prompt,
never from argv. The service's own secrets (``ELEVENLABS_WORKSPACE_KEY``, ``VAPI_SECRET``) come from the
environment or the data dir's ``secrets.json`` that ``serve`` reads; the HMAC key ElevenLabs generates goes
there too (or to ``--hmac-key-file``). What was created and what was there before is kept in
``<data dir>/connect/`` so a re-run changes nothing and ``--undo`` puts the earlier settings back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from functions.cli.options import (
    ConfigOption,
    DataDirOption,
    check_output,
    console,
    errors,
    fail,
    local_settings,
)
from shared.errors import ConfigError
from shared.secrets import Secret

app = typer.Typer(help="Wire a voice platform's agent to a memory service (URLs, secret headers, tool, webhooks).")

UrlOption = Annotated[
    str,
    typer.Option(
        "--url",
        help=(
            "The memory service's base URL: https://host or https://host:port, with its stage prefix if it has one;"
            " no webhook path (http:// for localhost)."
        ),
    ),
]
KeyFileOption = Annotated[
    Path | None, typer.Option("--api-key-file", help="File holding the platform's API key (else env or a prompt).")
]
UndoOption = Annotated[bool, typer.Option("--undo", help="Put back what was there before and delete what was created.")]
ApiUrlOption = Annotated[str | None, typer.Option("--api-url", help="The platform's API base URL (e.g. a region).")]

API_KEY_ENV = {"elevenlabs": "ELEVENLABS_API_KEY", "vapi": "VAPI_API_KEY", "retell": "RETELL_API_KEY"}


def api_key(platform: str, key_file: Path | None, environ: dict[str, str] | None = None) -> Secret:
    """The platform key: file, then environment, then a hidden prompt; never an argument."""
    environ = dict(os.environ) if environ is None else environ
    if key_file is not None:
        try:
            value = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            fail(f"--api-key-file {key_file}: cannot be read ({exc.strerror})")
        if not value:
            fail(f"--api-key-file {key_file} is empty")
        if any(char.isspace() for char in value):  # it goes into a header: one line, the key alone (never shown)
            fail(f"--api-key-file {key_file} holds more than the key (spaces or several lines): put only the key in it")
        return Secret(value)
    if environ.get(API_KEY_ENV[platform]):
        return Secret(environ[API_KEY_ENV[platform]])
    value = typer.prompt(f"{platform} API key", hide_input=True, default="", show_default=False).strip()
    if not value:
        fail(f"no {platform} API key: set {API_KEY_ENV[platform]}, pass --api-key-file, or type it at the prompt")
    return Secret(value)


def _service_secret(name: str, data_dir: Path) -> Secret:
    """The secret the service checks (env first, as ``serve`` reads it), generated into secrets.json if absent."""
    from functions.local import GeneratedSecrets

    if os.environ.get(name):
        return Secret(os.environ[name])
    return Secret(GeneratedSecrets(data_dir / "secrets.json").ensure([name])[name])


def _run(
    platform: str,
    target_id: str,
    data_dir: Path,
    key: Secret,
    undo: bool,
    wire: Callable[[Any, dict[str, Any] | None], Any],
    api_url: str | None,
    hmac_file: Path | None = None,
) -> None:
    from functions.wiring import PLATFORMS, WiringError
    from functions.wiring.state import load_state, save_state, state_path

    module = PLATFORMS[platform]
    path = state_path(data_dir, platform, target_id)
    try:
        state = load_state(path)
    except WiringError as exc:
        fail(str(exc))
    client = module.api(key, api_url or module.API_URL)
    try:
        with client:
            if undo:
                if state is None:
                    fail(f"nothing to undo: no {path}")
                for line in module.unwire(client, state):
                    console.print(f"  {line}", highlight=False)
                path.unlink()
                console.print(f"[green]{platform}: earlier settings restored[/green]")
                return
            wired = wire(client, state)
    except WiringError as exc:
        fail(str(exc))
    try:  # the platform shows a generated key once: kept first, and a failure to keep it is said, never "up to date"
        for name, value in wired.generated.items():
            _store_generated(name, value, data_dir, hmac_file)
    except OSError as exc:
        save_state(path, wired.state)
        fail(
            f"{name} could not be written ({exc.strerror or type(exc).__name__}): the platform shows it only once; "
            f"run this command again with --undo, then connect again"
        )
    save_state(path, wired.state)
    for line in wired.changes:
        console.print(f"  {line}", highlight=False)
    for note in wired.notes:
        errors.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    summary = "up to date, nothing sent" if not wired.changes else f"{len(wired.changes)} change(s)"
    console.print(f"[green]{platform}: wired ({summary}); state in {path}[/green]", highlight=False)


def _endpoints(url: str) -> Any:
    """The checked base URL, before any prompt or platform call: a path or query would wire broken webhooks."""
    from functions.wiring import Endpoints
    from functions.wiring.model import base_url

    try:
        return Endpoints(base_url(url))
    except ValueError as exc:
        fail(f"--url: {exc}")


def _store_generated(name: str, value: Secret, data_dir: Path, target: Path | None) -> None:
    from functions.local import GeneratedSecrets
    from functions.wiring.state import save_state

    if target is not None:
        save_state(target, {name: value.reveal()})
        console.print(f"  {name} written to {target} (mode 0600): store it in the deployment's secrets")
        return
    GeneratedSecrets(data_dir / "secrets.json").store(name, value.reveal())
    console.print(f"  {name} written to {data_dir / 'secrets.json'} (read by serve)")
    if os.environ.get(name):
        errors.print(f"[yellow]note:[/yellow] {name} is set in the environment and overrides the new key: unset it")


def _keep_signing_key(name: str, key: Secret, data_dir: Path) -> None:
    """Retell signs every request with the API key ``connect`` called it with: ``serve`` must verify with that key,
    not one it generated (each request refused 401), so it goes into the secrets ``serve`` reads (never printed)."""
    from functions.local import GeneratedSecrets

    secrets = GeneratedSecrets(data_dir / "secrets.json")
    stored = secrets.get(name)
    if stored is None or stored.reveal() != key.reveal():
        try:
            secrets.store(name, key.reveal())
        except OSError as exc:
            fail(
                f"{name} could not be written to {data_dir / 'secrets.json'} ({exc.strerror or type(exc).__name__}): "
                f"give serve the key Retell signs with in the environment ({name})"
            )
        console.print(f"  {name} written to {data_dir / 'secrets.json'} (read by serve: restart it)", highlight=False)
    if os.environ.get(name) and os.environ[name] != key.reveal():
        errors.print(
            f"[yellow]note:[/yellow] {name} is set in the environment to another key, which serve would verify "
            "Retell's signatures with: unset it",
            highlight=False,
        )


def _data_dir(
    data_dir: Path | None, config: Path | None, agent_type: str | None, platform: str, undo: bool
) -> tuple[Path, Any, Any]:
    """The data dir, the agent type's profile (the provider's defaults filled in) and the credential it checks, for
    the platform: the wiring must send what the service of that agent type accepts. An undo needs neither."""
    from functions.wiring import WiringError
    from functions.wiring.service import check_agent_type, expected_auth
    from shared.profile import load_profile

    settings = local_settings(agent_type, config, data_dir)
    if undo:
        return settings.data_dir, None, None
    if not (agent_type or os.environ.get("AGENT_TYPE")):
        settings = local_settings(_platform_agent_type(platform, settings.config_path), config, data_dir)
    try:
        profile = load_profile(settings.agent_type, settings.config_path)
        check_agent_type(profile, platform)
        auth = expected_auth(profile, platform)
    except (ConfigError, WiringError) as exc:
        fail(str(exc))
    return settings.data_dir, profile, auth


def _platform_agent_type(platform: str, config: Path | None) -> str | None:
    """Without --agent-type or $AGENT_TYPE: the default agent type when it is this platform's, else the config's one
    agent type of this platform (``None``: the default, refused by the check with a message naming the option)."""
    from functions.cli.options import DEFAULT_AGENT_TYPE
    from shared.config.loader import load_agent_types

    try:
        types = load_agent_types(config).agent_types
    except ConfigError as exc:
        fail(str(exc))
    mine = [name for name, agent in types.items() if agent.provider == platform]
    if DEFAULT_AGENT_TYPE in mine or len(mine) != 1:
        return None
    return mine[0]


AgentTypeOption = Annotated[
    str | None,
    typer.Option(
        "--agent-type",
        "-a",
        help="The agent type the service runs (default: $AGENT_TYPE, else the config's one of the platform).",
    ),
]


@app.command("elevenlabs")
def elevenlabs(
    url: UrlOption,
    agent_id: Annotated[str, typer.Option("--agent-id", help="The ElevenLabs agent id.")],
    api_key_file: KeyFileOption = None,
    hmac_key_file: Annotated[
        Path | None, typer.Option("--hmac-key-file", help="Write the generated HMAC key here (default: secrets.json).")
    ] = None,
    undo: UndoOption = False,
    api_url: ApiUrlOption = None,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """HMAC post-call webhook, initiation webhook with X-Workspace-Key, override switches, memory server tool."""
    from functions.wiring import apply
    from functions.wiring import elevenlabs as module
    from functions.wiring.elevenlabs import ElevenLabsTarget

    endpoints = _endpoints(url)
    if hmac_key_file is not None and not undo:
        check_output(hmac_key_file, "--hmac-key-file")  # before anything is created: the key is shown only once
    directory, profile, auth = _data_dir(data_dir, config, agent_type, "elevenlabs", undo)
    key = api_key("elevenlabs", api_key_file)
    target = ElevenLabsTarget(
        agent_id=agent_id,
        workspace_key=_service_secret(auth.secret, directory) if not undo else Secret("-"),
        first_message=profile.config.response.send_first_message if profile else True,
        prompt=bool(profile.config.response.prompt_override) if profile else False,
        header=auth.header if auth else module.HEADER,
    )

    def wire(client: Any, state: dict[str, Any] | None) -> Any:
        wired = apply(module, client, target, endpoints, state)
        if auth and "ELEVENLABS_HMAC_KEY" in wired.generated:  # kept under the name the agent type checks it with
            wired.generated = {auth.signing_secret: wired.generated["ELEVENLABS_HMAC_KEY"]}
        return wired

    _run("elevenlabs", agent_id, directory, key, undo, wire, api_url, hmac_key_file)


@app.command("vapi")
def vapi(
    url: UrlOption,
    phone_number_id: Annotated[str, typer.Option("--phone-number-id", help="The Vapi phone number id.")],
    assistant_id: Annotated[
        str | None, typer.Option("--assistant-id", help="Also wire this assistant (end-of-call-report, tool).")
    ] = None,
    api_key_file: KeyFileOption = None,
    undo: UndoOption = False,
    api_url: ApiUrlOption = None,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """The number's server URL and X-Vapi-Secret, the memory function tool, the assistant's server messages."""
    from functions.wiring import apply
    from functions.wiring import vapi as module
    from functions.wiring.vapi import VapiTarget

    endpoints = _endpoints(url)
    directory, profile, auth = _data_dir(data_dir, config, agent_type, "vapi", undo)
    key = api_key("vapi", api_key_file)
    target = VapiTarget(
        phone_number_id=phone_number_id,
        secret=_service_secret(auth.secret, directory) if not undo else Secret("-"),
        assistant_id=assistant_id,
        answer_assistant_id=profile.config.response.assistant_id if profile else None,
        header=auth.header if auth else module.HEADER,
    )
    _run(
        "vapi",
        phone_number_id,
        directory,
        key,
        undo,
        lambda client, state: apply(module, client, target, endpoints, state),
        api_url,
    )


@app.command("retell")
def retell(
    url: UrlOption,
    agent_id: Annotated[str, typer.Option("--agent-id", help="The Retell agent id.")],
    phone_number: Annotated[
        str | None, typer.Option("--phone-number", help="Also set this number's inbound webhook (E.164).")
    ] = None,
    api_key_file: KeyFileOption = None,
    undo: UndoOption = False,
    api_url: ApiUrlOption = None,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """The agent's webhook URL, the Retell LLM's custom function, the number's inbound webhook."""
    from functions.wiring import apply
    from functions.wiring import retell as module
    from functions.wiring.retell import RetellTarget

    endpoints = _endpoints(url)
    directory, _, auth = _data_dir(data_dir, config, agent_type, "retell", undo)
    key = api_key("retell", api_key_file)
    target = RetellTarget(agent_id=agent_id, phone_number=phone_number)
    _run(
        "retell",
        agent_id,
        directory,
        key,
        undo,
        lambda client, state: apply(module, client, target, endpoints, state),
        api_url,
    )
    if auth is not None:
        _keep_signing_key(auth.signing_secret, key, directory)
