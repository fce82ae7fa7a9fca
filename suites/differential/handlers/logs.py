"""Handlers that write to the log in every way a handler can."""

import logging
import sys
import threading

logger = logging.getLogger("app")


def print_line(event, context):
    print("printed")


def print_without_newline(event, context):
    print("no newline", end="")


def print_to_stderr(event, context):
    print("to stderr", file=sys.stderr)


def info(event, context):
    logging.info("at info")


def warning(event, context):
    logging.warning("at warning %s", 1)


def error(event, context):
    logging.error("at error")


def critical(event, context):
    logging.critical("at critical")


def debug_and_info_and_warning(event, context):
    logger.debug("at debug")
    logger.info("at info")
    logger.warning("at warning")


def exception_with_traceback(event, context):
    try:
        {}["missing"]
    except KeyError:
        logging.exception("caught")


def bad_arguments(event, context):
    logging.warning("%d", "not a number")
    return "logged"


def too_few_arguments(event, context):
    logging.warning("%s %s", "one")
    return "logged"


def named_logger_with_extra(event, context):
    logger.warning("with extra", extra={"order": 7, "items": [1, 2], "who": {"n": "x"}})


def extra_that_cannot_be_encoded(event, context):
    logger.warning("bad extra", extra={"s": {1, 2}})
    return "logged"


def reserved_extras_none(event, context):
    logger.warning("reserved", extra={"location": None, "errorType": None, "stackTrace": None})


def reserved_extras_set(event, context):
    logger.warning("reserved", extra={"location": "here", "errorType": "T"})


def multiline_message(event, context):
    logging.warning("line one\nline two")


def unicode_message(event, context):
    logging.warning("caf\u00e9 \u2603")


def context_log(event, context):
    context.log("via context")
    context.log(42)


def stdout_write_value(event, context):
    return repr(sys.stdout.write(""))


def stdout_as_context_manager(event, context):
    with sys.stdout as out:
        out.write("inside with\n")
    return "done"


def stdout_attributes(event, context):
    return [type(sys.stdout).__name__, hasattr(sys.stdout, "stream"), sys.stdout.encoding]


def from_a_thread(event, context):
    thread = threading.Thread(target=lambda: logging.warning("from a thread"))
    thread.start()
    thread.join()


def own_handler_on_a_logger(event, context):
    mine = logging.getLogger("mine")
    if not mine.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("MINE %(levelname)s %(message)s"))
        mine.addHandler(handler)
        mine.propagate = False
    mine.warning("own handler")


def basic_config(event, context):
    logging.basicConfig(level=logging.DEBUG, format="BASIC %(message)s")
    logging.info("after basicConfig")


def root_setup(event, context):
    root = logging.getLogger()
    handler = root.handlers[0]
    return {
        "level": root.level,
        "handlers": [type(h).__name__ for h in root.handlers],
        "filters": [type(f).__name__ for f in handler.filters],
        "formatter": type(handler.formatter).__name__,
        "sink": type(handler.log_sink).__name__,
        "format": getattr(handler.formatter, "_fmt", None),
        "datefmt": handler.formatter.datefmt,
    }


def set_level_then_log(event, context):
    logging.getLogger().setLevel(logging.INFO)
    logging.info("now visible")
