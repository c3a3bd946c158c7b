"""Python's own HTTP client (urllib) and botocore's SigV4 signer against a Function URL, as
the Function URL tests run them: prints one JSON object of what came back.

    url_client.py get <url> [<json body>]
    url_client.py stream <url> <gate file>     reads chunk by chunk; opens the gate after the first
    url_client.py signed <url> <key> <secret>  GET signed for service `lambda` in us-east-1
"""

import json
import pathlib
import sys
import urllib.error
import urllib.request


def send(request):
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def show(status, headers, body):
    print(json.dumps({
        "status": status,
        "headers": {k.lower(): v for k, v in headers.items()},
        "body": body.decode("utf-8", "replace"),
    }))


def get(url, body=None):
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if data:
        request.add_header("Content-Type", "application/json")
    show(*send(request))


def stream(url, gate):
    """The first chunk must arrive while the function waits at the gate."""
    body = json.dumps({"gate": gate}).encode()
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    chunks = []
    with urllib.request.urlopen(request, timeout=20) as response:
        first = response.read1(65536)
        chunks.append(first.decode())
        gate_was_shut = not pathlib.Path(gate).exists()
        pathlib.Path(gate).write_text("")
        while chunk := response.read1(65536):
            chunks.append(chunk.decode())
        print(json.dumps({
            "status": response.status,
            "content_type": response.headers.get("content-type"),
            "first": first.decode(),
            "gate_was_shut_at_first_chunk": gate_was_shut,
            "body": "".join(chunks),
        }))


def signed(url, key, secret):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key, secret), "lambda", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(url, method="GET", headers=dict(request.headers.items()))
    show(*send(prepared))


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    {"get": get, "stream": stream, "signed": signed}[mode](*args)
