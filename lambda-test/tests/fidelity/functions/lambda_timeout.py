import time


def handler(event, context):
    print("starting wait")
    time.sleep(event["wait"])
    print("done waiting")
