"""A function module named like the standard library's signal."""


def handler(event, context):
    return "the function's own signal"
