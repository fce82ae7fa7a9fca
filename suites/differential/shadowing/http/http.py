"""A function module named like the standard library's http."""


def handler(event, context):
    return "the function's own http"
