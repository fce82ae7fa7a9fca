def handler(event, context):
    return "dotted form"

not_callable = "a string"
