def handler(event, context):
    print("generating bytes...")
    return "a" * event["bytenum"]
