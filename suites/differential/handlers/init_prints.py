import logging

print("printed at import")
logging.warning("logged at import")


def handler(event, context):
    return "ready"
