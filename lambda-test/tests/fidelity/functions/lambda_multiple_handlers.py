def handler(event, context):
    return {"handler": "handler"}


def handler_two(event, context):
    return {"handler": "handler_two"}
