"""Replays the fidelity rows' requests the way LocalStack's recordings made them, for `tests/fidelity.rs`.

stdin: {"endpoint": "http://127.0.0.1:<port>", "rows": [{"client": ..., "request": ..., "extract": ...}]}
stdout: a JSON list with one answer per row, in order, in the shape the recordings keep:

- client "boto3": `lambda.invoke(**request)` (`Payload` is text, or `PayloadHex` bytes in hex).
  A service error is boto3's `ClientError.response`; a success is the response with `Payload`
  read. In both, `ResponseMetadata` keeps only `HTTPStatusCode` and an empty `HTTPHeaders`,
  as LocalStack's snapshot keeps it; a body that is a JSON object is parsed, as its snapshot
  parses one. `extract: "validation_errors"` reduces the error as
  `test_function_name_and_qualifier_validation` did: the constraint clauses, sorted, and their
  count, or the code and message when there are none; `extract: "tail"` keeps the answer and
  the decoded tail log's lines, as `test_invocation_with_logs` did, and
  `"tail_without_report"` them as `test_invocation_with_qualifier` did.
- client "url": `<method, POST by default> <function URL><path>` with `headers` and `body`
  (what `requests.post(url, data=...)` sends), answered as `test_lambda_url_invocation` kept
  it: status, the `response_headers` (`Content-Type` and `Content-Length` by default), and the
  body as text (parsed like a snapshot's unless `raw`).
"""

import base64
import http.client
import json
import re
import sys
import urllib.parse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# The pattern of the recording's `_extract_from_error_message`.
CLAUSE = re.compile(r"(Value '.*?' at '.*?' failed to satisfy constraint: .+?(?=;|$))")


def make_client(endpoint):
    return boto3.session.Session().client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDFIDELITYTEST",
        aws_secret_access_key="fidelity-secret",
        config=Config(retries={"max_attempts": 0}, read_timeout=60, connect_timeout=5),
    )


def parsed(text):
    """A JSON object as its value, anything else as the text (what the snapshot does)."""
    if text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def metadata(response):
    meta = response.get("ResponseMetadata", {})
    return {"HTTPHeaders": {}, "HTTPStatusCode": meta.get("HTTPStatusCode")}


def invoke(client, request, extract):
    kwargs = dict(request)
    if "Payload" in kwargs:
        kwargs["Payload"] = kwargs["Payload"].encode("utf-8")
    if "PayloadHex" in kwargs:
        kwargs["Payload"] = bytes.fromhex(kwargs.pop("PayloadHex"))
    try:
        response = client.invoke(**kwargs)
    except ClientError as e:
        response = dict(e.response)
        if extract == "validation_errors":
            message = response["Error"]["Message"]
            code = response["Error"]["Code"]
            clauses = CLAUSE.findall(message)
            if clauses:
                return {"Code": code, "Count": len(clauses), "Errors": sorted(clauses)}
            return {"Code": code, "Message": message}
        response["ResponseMetadata"] = metadata(response)
        return response
    response = dict(response)
    response["Payload"] = parsed(response["Payload"].read().decode("utf-8", "replace"))
    response["ResponseMetadata"] = metadata(response)
    if extract == "tail":
        # As test_invocation_with_logs kept it: the response with LogResult's value
        # replaced, and the decoded log's lines.
        log = base64.b64decode(response["LogResult"]).decode("utf-8", "replace")
        response["LogResult"] = "log-result"
        return {"invoke": response, "logs": {"logs": log.splitlines(keepends=True)}}
    if extract == "tail_without_report":
        # As test_invocation_with_qualifier kept it: the tail's lines but REPORT, then the
        # response with LogResult's value replaced.
        log = base64.b64decode(response["LogResult"]).decode("utf-8", "replace")
        response["LogResult"] = "<log-result:1>"
        lines = [line for line in log.splitlines() if not line.startswith("REPORT")]
        return {"log_result": {"log_result": lines}, "invocation-response": response}
    return response


def url(endpoint, request):
    target = urllib.parse.urlsplit(endpoint)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    method = request.get("method", "POST")
    headers = dict(request.get("headers", {}))
    body = None
    if "body" in request:
        body = request["body"].encode("utf-8")
        headers["Content-Length"] = str(len(body))
    connection.request(method, request["path"], body=body, headers=headers)
    response = connection.getresponse()
    content = response.read().decode("utf-8", "replace")
    connection.close()
    names = request.get("response_headers", ["Content-Type", "Content-Length"])
    return {
        "statuscode": response.status,
        "headers": {name: response.getheader(name) for name in names},
        "content": content if request.get("raw") else parsed(content),
    }


def main():
    request = json.load(sys.stdin)
    client = make_client(request["endpoint"])
    answers = []
    for row in request["rows"]:
        if row["client"] == "boto3":
            answers.append(invoke(client, row["request"], row.get("extract")))
        elif row["client"] == "url":
            answers.append(url(request["endpoint"], row["request"]))
        else:
            raise SystemExit(f"unknown client {row['client']!r}")
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
