"""A function module named like the standard library's select."""


def handler(event, context):
    return "the function's own select"
