"""A Python function run by awslambdaric, a real Runtime API client."""

import os


def handle(event, context):
    if isinstance(event, dict) and event.get("action") == "error":
        raise ValueError("the python probe was asked to fail")
    print("python got", event)
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "invoked_function_arn": context.invoked_function_arn,
        "version": os.environ.get("AWS_LAMBDA_FUNCTION_VERSION"),
        "remaining_ms_positive": context.get_remaining_time_in_millis() > 0,
    }
