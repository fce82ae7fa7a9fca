"""Handlers that fail in every way a handler can."""

import os
import sys


class MyError(Exception):
    pass


class WithDictArgument(Exception):
    pass


class StrRaises(Exception):
    def __str__(self):
        raise RuntimeError("str failed")


class CustomStr(Exception):
    def __str__(self):
        return "custom text"


class NotAnException(BaseException):
    pass


def value_error(event, context):
    raise ValueError("boom")


def custom_error(event, context):
    raise MyError("mine")


def no_message(event, context):
    raise RuntimeError()


def several_arguments(event, context):
    raise ValueError("a", 2, None)


def dict_argument(event, context):
    raise WithDictArgument({"k": [1]})


def key_error(event, context):
    d = {"a": 1}
    return d["a"] + d["b"]


def _inner():
    raise KeyError("deep")


def _middle():
    _inner()


def nested_calls(event, context):
    _middle()


def chained(event, context):
    try:
        raise KeyError("first")
    except KeyError as exc:
        raise ValueError("second") from exc


def in_a_lambda(event, context):
    return (lambda: 1 / 0)()


def in_a_generator(event, context):
    def gen():
        yield 1
        raise StopIteration("x")

    return list(gen())


def syntax_at_run_time(event, context):
    return eval("1 +")


def recursion(event, context):
    return recursion(event, context)


def huge_message(event, context):
    raise ValueError("x" * (2 * 1024 * 1024))


def large_message(event, context):
    raise ValueError("y" * 100000)


def unicode_message(event, context):
    raise ValueError("caf\u00e9 \u2603")


def multiline_message(event, context):
    raise ValueError("line one\nline two")


def custom_str(event, context):
    raise CustomStr("ignored")


def str_raises(event, context):
    raise StrRaises()


def base_exception(event, context):
    raise NotAnException("not caught")


def system_exit_zero(event, context):
    sys.exit(0)


def system_exit_one(event, context):
    sys.exit(1)


def system_exit_message(event, context):
    sys.exit("leaving")


def os_exit(event, context):
    os._exit(3)


def keyboard_interrupt(event, context):
    raise KeyboardInterrupt()


def assertion(event, context):
    assert event == "something else", "not equal"


def import_inside(event, context):
    import this_module_does_not_exist  # noqa: F401


def attribute_error(event, context):
    return None.missing


def type_error_call(event, context):
    return len(5)


def zero_division(event, context):
    return 1 / 0


def exception_group(event, context):
    raise ExceptionGroup("several", [ValueError("a"), TypeError("b")])


def long_traceback(event, context):
    def down(n):
        if n == 0:
            raise ValueError("bottom")
        down(n - 1)

    down(50)


def message_with_lone_surrogate(event, context):
    raise ValueError("\udc80")
