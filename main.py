"""Google Cloud Functions entry: the deployed function names these targets (``--target http|worker|sweeper``)."""

import flask

from functions.gcp.entry import http, sweeper, worker
from functions.http_edge import answer_errors_in_json

if flask.has_app_context():  # functions-framework runs this file inside its app's context: its errors in JSON too
    answer_errors_in_json(flask.current_app)

__all__ = ["http", "sweeper", "worker"]
