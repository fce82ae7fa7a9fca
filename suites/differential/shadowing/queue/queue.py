"""A function module named like the standard library's queue."""


def handler(event, context):
    return "the function's own queue"
