"""The moto front door's own answers (moto_server.py), in each protocol's wire format: AWS's
errors for a throttled, denied or failed call."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape

from moto_config import IAM_PREFIX, QUERY_SERVICES

# --------------------------------------------------------------------------------------------
# Answers in each protocol's wire format
# --------------------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def error_reply(service: str, status: int, code: str, message: str, **extra: str) -> Reply:
    """An error as AWS sends it: awsJson1_1 body + x-amzn-ErrorType, or awsQuery XML."""
    request_id = str(uuid.uuid4())
    if service in QUERY_SERVICES:
        kind = "Receiver" if status >= 500 else "Sender"
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>{kind}</Type><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    else:
        body = json.dumps({"__type": code, "message": message, **extra}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"),
                   ("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code)]
    headers.append(("Content-Length", str(len(body))))
    return Reply(status, headers, body)


def throttled_reply(service: str) -> Reply:
    # Organizations models its throttle as TooManyRequestsException (HTTP 400), STS answers the
    # query-protocol code "Throttling", the others ThrottlingException; the Rust SDK's retry
    # classifier treats all three as throttling errors.
    if service == "organizations":
        return error_reply(service, 400, "TooManyRequestsException",
                           "You have sent too many requests in too short a period of time. "
                           "Try again later.")
    if service == "sts":
        return error_reply(service, 400, "Throttling", "Rate exceeded")
    return error_reply(service, 400, "ThrottlingException", "Rate exceeded")


def denied_reply(service: str, operation: str, account_id: str) -> Reply:
    action = f"{IAM_PREFIX[service]}:{operation}"
    caller = f"arn:aws:sts::{account_id}:assumed-role/idc-credential-report/emulator"
    message = (f"User: {caller} is not authorized to perform: {action} "
               f"because no identity-based policy allows the {action} action")
    code = "AccessDenied" if service == "sts" else "AccessDeniedException"
    return error_reply(service, 403 if service == "sts" else 400, code, message)


def internal_error_reply(service: str) -> Reply:
    codes = {"organizations": "ServiceException", "sts": "InternalFailure"}
    return error_reply(service, 500, codes.get(service, "InternalServerException"),
                       "The request processing has failed because of an unknown error.")
