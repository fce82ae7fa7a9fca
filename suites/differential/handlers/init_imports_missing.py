import a_dependency_that_is_not_deployed  # noqa: F401


def handler(event, context):
    return "never"
