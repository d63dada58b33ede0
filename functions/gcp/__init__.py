"""Google Cloud: Cloud Functions entry points (``entry``) and the ports they build (archive, queue, ``ports``).

Secrets need no port: Cloud Functions mounts the stack's Secret Manager secrets as environment variables.
No google-cloud library is imported until a real client is built.
"""
