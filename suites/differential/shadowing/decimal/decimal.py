"""A function module named like the standard library's decimal."""


def handler(event, context):
    return "the function's own decimal"
