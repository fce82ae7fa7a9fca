"""The trivial handler the cold-start benchmark runs: nothing to import, nothing to do."""


def handler(event, context):
    return None


def http(event, context):
    """The trivial handler behind an API: a proxy response with a short body."""
    return {"statusCode": 200, "body": "ok"}
