def handler(event, context):
    return context.aws_request_id
