"""A function module named like the standard library's logging."""


def handler(event, context):
    return "the function's own logging"
