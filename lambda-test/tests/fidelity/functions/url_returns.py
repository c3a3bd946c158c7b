"""One handler per value the recorded Function URL functions returned."""


def dict_(event, context):
    return {"hello": "world"}


def http_response(event, context):
    return {"statusCode": 200, "body": "body123"}


def http_response_json(event, context):
    return {"statusCode": 200, "body": '{"hello": "world"}'}


def list_mixed(event, context):
    return ["hello", 3, True]


def string(event, context):
    return "hello"


def integer(event, context):
    return 3


def float_(event, context):
    return 3.1


def boolean(event, context):
    return True
