"""A function module named like the standard library's uuid."""


def handler(event, context):
    return "the function's own uuid"
