"""A Python function that logs through `logging`, run by awslambdaric: in the JSON log format
awslambdaric writes each record as a JSON line and sets the root logger's level from
AWS_LAMBDA_LOG_LEVEL."""

import logging

logger = logging.getLogger()


def handle(event, context):
    logger.debug("checking stock")
    logger.info("order received")
    logger.warning("low stock", extra={"sku": "A-1"})
    logger.error("payment declined")
    print("a plain print")
    return {"ok": True}
