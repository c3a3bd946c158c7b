"""Runs Lambda Invoke calls with boto3 and prints what boto3 returned, as JSON, for the Rust tests.

stdin: {"endpoint": "http://127.0.0.1:<port>", "parallel": false, "calls": [<Invoke kwargs>, ...]}
       (`Payload` is text; every other key is passed to `invoke` as is)
stdout: a JSON list with one result per call, in order:
  success: {"status", "keys" (response keys besides Payload/ResponseMetadata), "response",
            "payload" (text), "log" (decoded LogResult or null), "log_len", "headers", "request_id"}
  service error: {"error": {"code", "message"}, "status", "headers", "request_id",
                  "body" (the modeled members boto3 puts beside "Error": Type, message, Reason...)}
  and in both, "elapsed_ms": how long the call took.

`parallel` runs every call at once (one client per thread, released together by a barrier).
Retries are off, so every request the tests make reaches the server exactly once.
"""

import base64
import json
import sys
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def make_client(endpoint):
    return boto3.session.Session().client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDCONFORMANCETEST",
        aws_secret_access_key="conformance-secret",
        config=Config(retries={"max_attempts": 0}, read_timeout=30, connect_timeout=5),
    )


def invoke(client, kwargs):
    started = time.monotonic()
    result = call(client, kwargs)
    result["elapsed_ms"] = (time.monotonic() - started) * 1000
    return result


def call(client, kwargs):
    kwargs = dict(kwargs)
    if "Payload" in kwargs:
        kwargs["Payload"] = kwargs["Payload"].encode("utf-8")
    try:
        response = client.invoke(**kwargs)
    except ClientError as e:
        meta = e.response.get("ResponseMetadata", {})
        return {
            "error": {
                "code": e.response["Error"].get("Code"),
                "message": e.response["Error"].get("Message"),
            },
            "status": meta.get("HTTPStatusCode"),
            "headers": meta.get("HTTPHeaders", {}),
            "request_id": meta.get("RequestId"),
            "body": {
                k: v for k, v in e.response.items() if k not in ("Error", "ResponseMetadata")
            },
        }
    meta = response.pop("ResponseMetadata")
    payload = response.pop("Payload").read()
    log = response.get("LogResult")
    log_bytes = base64.b64decode(log) if log is not None else None
    return {
        "status": meta["HTTPStatusCode"],
        "keys": sorted(response),
        "response": response,
        "payload": payload.decode("utf-8", "replace"),
        "log": log_bytes.decode("utf-8", "replace") if log_bytes is not None else None,
        "log_len": len(log_bytes) if log_bytes is not None else None,
        "headers": meta["HTTPHeaders"],
        "request_id": meta.get("RequestId"),
    }


def main():
    request = json.load(sys.stdin)
    calls = request["calls"]
    if not request.get("parallel"):
        client = make_client(request["endpoint"])
        results = [invoke(client, call) for call in calls]
    else:
        clients = [make_client(request["endpoint"]) for _ in calls]
        results = [None] * len(calls)
        barrier = threading.Barrier(len(calls))

        def run(i):
            barrier.wait()
            results[i] = invoke(clients[i], calls[i])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
