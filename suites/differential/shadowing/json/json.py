"""A function module named like the standard library's json."""


def handler(event, context):
    return "the function's own json"
