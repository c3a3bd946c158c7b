"""A Python function for the conformance tests, run by awslambdaric (a real Runtime API client).

Event keys (when the event is an object):
- `log`: lines to print first (plain `print`: awslambdaric unbuffers stdout);
- `record`: a file to append `context.aws_request_id` to, so a test sees every attempt that ran,
  including `Event` invocations running in the background;
- `action`: `echo` (default: what the function saw) or `error` (raises `ConformanceError`).
"""

import os


class ConformanceError(Exception):
    """The error type the caller should see in `errorType`."""


def handle(event, context):
    if isinstance(event, dict):
        for line in event.get("log", []):
            print(line)
        if "record" in event:
            with open(event["record"], "a", encoding="utf-8") as record:
                record.write(context.aws_request_id + "\n")
        if event.get("action") == "error":
            raise ConformanceError("the python function was asked to fail")
    client_context = context.client_context
    return {
        "event": event,
        "runtime": "awslambdaric",
        "request_id": context.aws_request_id,
        "invoked_function_arn": context.invoked_function_arn,
        "function_version": context.function_version,
        "memory_limit_in_mb": str(context.memory_limit_in_mb),
        "remaining_ms_positive": context.get_remaining_time_in_millis() > 0,
        "client_custom": client_context.custom if client_context else None,
        "pid": os.getpid(),
    }
