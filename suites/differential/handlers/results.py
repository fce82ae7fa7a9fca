"""Handlers that return values of every kind: how each is encoded (or refused)."""

import collections
import datetime
import decimal
import enum
import math
import uuid as uuid_module

Point = collections.namedtuple("Point", "x y")


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Mood(str, enum.Enum):
    HAPPY = "happy"


class Plain:
    pass


class Asdict:
    def _asdict(self):
        return {"kind": "asdict", "inner": Point(1, b"two")}


class AsdictList:
    def _asdict(self):
        return [1, 2]


class AsdictArgs:
    def _asdict(self, needed):
        return {}


class LoudStr(str):
    def __str__(self):
        return "LOUD"


class ReprInt(int):
    def __repr__(self):
        return "not a number"


class Money(float):
    def __repr__(self):
        return "$$$"


class DictWithAsdict(dict):
    def _asdict(self):
        return {"from": "_asdict"}


def none(event, context):
    return None


def no_return(event, context):
    pass


def text(event, context):
    return "hello"


def unicode_text(event, context):
    return "caf\u00e9 \u2603 \U0001f600"


def control_characters(event, context):
    return "tab\there\nnewline \x00 nul \x1f"


def lone_surrogate(event, context):
    return "\ud800"


def integer(event, context):
    return 42


def big_integer(event, context):
    return 2 ** 100


def floats(event, context):
    return [0.1, 1e300, 1e-300, -0.0, 1.5]


def not_a_number(event, context):
    return [math.nan, math.inf, -math.inf]


def booleans(event, context):
    return [True, False, None]


def nested(event, context):
    return {"a": [1, {"b": [2, [3, {"c": None}]]}], "d": {}}


def a_tuple(event, context):
    return (1, "two", (3,))


def keys_of_every_kind(event, context):
    return {3: "int", 2.5: "float", True: "bool", None: "none", math.nan: "nan", "s": "str"}


def decimal_digits(event, context):
    return [decimal.Decimal("1.10"), decimal.Decimal("1E+2"), decimal.Decimal("-0"),
            decimal.Decimal("3.14159265358979323846264338327950288")]


def decimal_specials(event, context):
    return [decimal.Decimal("NaN"), decimal.Decimal("sNaN"), decimal.Decimal("Infinity"),
            decimal.Decimal("-Infinity")]


def decimal_key(event, context):
    return {decimal.Decimal("1"): "x"}


def raw_bytes(event, context):
    return b"\x00\xffraw bytes"


def a_bytearray(event, context):
    return bytearray(b"x")


def nested_bytes(event, context):
    return {"b": b"utf-8 text \xc3\xa9", "list": [b"x"]}


def nested_bytes_not_utf8(event, context):
    return [b"\xff"]


def bytes_key(event, context):
    return {b"key": 1}


def a_namedtuple(event, context):
    return Point(1, 2)


def nested_namedtuples(event, context):
    return {"p": [Point(1, Point(2, 3))]}


def an_asdict_object(event, context):
    return Asdict()


def asdict_returning_a_list(event, context):
    return AsdictList()


def asdict_with_arguments(event, context):
    return AsdictArgs()


def dict_subclass_with_asdict(event, context):
    return DictWithAsdict(a=1)


def a_set(event, context):
    return {1, 2}


def a_frozenset(event, context):
    return frozenset()


def a_datetime(event, context):
    return datetime.datetime(2024, 1, 2, 3, 4, 5)


def a_date_in_a_list(event, context):
    return [datetime.date(2024, 1, 2)]


def a_uuid(event, context):
    return uuid_module.UUID(int=1)


def an_enum(event, context):
    return Colour.RED


def an_int_enum(event, context):
    return [Level.HIGH]


def a_str_enum(event, context):
    return {"mood": Mood.HAPPY}


def a_plain_object(event, context):
    return Plain()


def a_class(event, context):
    return Plain


def a_function(event, context):
    return none


def a_complex(event, context):
    return 1j


def a_range(event, context):
    return range(3)


def a_generator(event, context):
    return (i for i in range(3))


def circular_list(event, context):
    loop = []
    loop.append(loop)
    return loop


def circular_dict(event, context):
    loop = {}
    loop["self"] = loop
    return loop


def deep_nesting(event, context):
    value = []
    for _ in range(2000):
        value = [value]
    return value


def ordered_and_default_dicts(event, context):
    return [collections.OrderedDict(b=1, a=2), collections.defaultdict(int, x=1),
            collections.Counter("aab")]


def subclasses_of_scalars(event, context):
    return [LoudStr("quiet"), ReprInt(7), Money(1.5)]


def one_megabyte(event, context):
    return "x" * (1024 * 1024)


def over_six_megabytes(event, context):
    return "x" * (6 * 1024 * 1024 + 1)


def event_itself(event, context):
    return event
