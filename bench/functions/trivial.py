"""The trivial handler the cold-start benchmark runs: nothing to import, nothing to do."""


def handler(event, context):
    return None
