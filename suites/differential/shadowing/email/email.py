"""A function module named like the standard library's email."""


def handler(event, context):
    return "the function's own email"
