"""Runs InvokeWithResponseStream calls with boto3 and prints what boto3 parsed, as JSON, for the
Rust tests: boto3 reads the event stream with botocore's own parser (botocore.eventstream).

stdin: {"endpoint": "http://127.0.0.1:<port>", "calls": [<invoke_with_response_stream kwargs>, ...]}
       (`Payload` is text; every other key is passed as is)
stdout: a JSON list with one result per call, in order:
  success: {"status", "keys" (response keys besides EventStream/ResponseMetadata), "response",
            "events" (event names in order), "chunks" (number of PayloadChunk events),
            "payload" (the joined chunks, as text), "payload_len",
            "complete" (the InvokeComplete members, LogResult decoded, or null),
            "headers", "request_id"}
  service error: {"error": {"code", "message"}, "status", "headers", "request_id"}
Retries are off, so every request reaches the server exactly once.
"""

import base64
import json
import sys

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


def call(client, kwargs):
    kwargs = dict(kwargs)
    if "Payload" in kwargs:
        kwargs["Payload"] = kwargs["Payload"].encode("utf-8")
    try:
        response = client.invoke_with_response_stream(**kwargs)
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
        }
    meta = response.pop("ResponseMetadata")
    stream = response.pop("EventStream", None)
    events, chunks, complete = [], [], None
    for event in stream or []:
        for name, members in event.items():
            events.append(name)
            if name == "PayloadChunk":
                chunks.append(members["Payload"])
            elif name == "InvokeComplete":
                complete = dict(members)
                if "LogResult" in complete:
                    complete["LogResult"] = base64.b64decode(complete["LogResult"]).decode(
                        "utf-8", "replace"
                    )
    payload = b"".join(chunks)
    return {
        "status": meta["HTTPStatusCode"],
        "keys": sorted(response),
        "response": response,
        "events": events,
        "chunks": len(chunks),
        "payload": payload.decode("utf-8", "replace"),
        "payload_len": len(payload),
        "complete": complete,
        "headers": meta["HTTPHeaders"],
        "request_id": meta.get("RequestId"),
    }


def main():
    request = json.load(sys.stdin)
    client = make_client(request["endpoint"])
    json.dump([call(client, kwargs) for kwargs in request["calls"]], sys.stdout)


if __name__ == "__main__":
    main()
