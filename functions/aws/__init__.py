"""AWS: Lambda entry points (``entry``) and the ports they build (archive, queue, secrets, ``ports``).

Each module imports boto3 only when a real client is built, never at import time.
"""
