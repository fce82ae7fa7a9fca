def handler(event, context):
    return "path form"
