"""A function module named like the standard library's socket."""


def handler(event, context):
    return "the function's own socket"
