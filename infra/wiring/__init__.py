"""Opt-in Pulumi resources that wire the voice platforms to the stack's own URLs (``functions.wiring`` inside).

Nothing is declared without the stack config that names a platform's agent or number and its API key
(``elevenlabsAgentId`` + ``elevenlabsApiKey``; ``vapiPhoneNumberId`` (+ ``vapiAssistantId``) + ``vapiApiKey``;
``retellAgentId`` (+ ``retellPhoneNumber``) + ``retellApiKey``). ``providers`` holds the dynamic providers
(CRUD through the platform APIs), ``resources`` the resources and the program's hook, ``checks`` the config
rules (imported by ``infra.stack_config``, so this package imports nothing itself).
"""
