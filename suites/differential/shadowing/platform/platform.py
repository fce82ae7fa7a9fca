"""A function module named like the standard library's platform."""


def handler(event, context):
    return "the function's own platform"
