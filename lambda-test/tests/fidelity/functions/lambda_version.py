"""The recorded tests deployed new code for each version; here each version's environment
says which code it stands for."""

import os


def handler(event, context):
    return {
        "version_id": os.environ["VERSION_ID"],
        "invoked_arn": context.invoked_function_arn,
        "version_from_ctx": context.function_version,
    }
