"""Handlers that look at the context object and at what the runtime set up."""

import os


def attributes(event, context):
    return list(vars(context))


def representation(event, context):
    return repr(context)


def values(event, context):
    remaining = context.get_remaining_time_in_millis()
    return {
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "log_group_name": context.log_group_name,
        "tenant_id": context.tenant_id,
        "remaining_is_int": isinstance(remaining, int),
        "remaining_positive": remaining > 0,
        "client_context": repr(context.client_context),
        "identity": repr(context.identity),
    }


def client_context(event, context):
    cc = context.client_context
    return {
        "repr": repr(cc),
        "custom": cc.custom,
        "env": cc.env,
        "client": repr(cc.client),
        "slots": type(cc).__slots__,
        "client_slots": type(cc.client).__slots__ if cc.client is not None else None,
    }


def set_unknown_attribute(event, context):
    context.identity.something = 1


def set_attribute_on_context(event, context):
    context.something = 1
    return context.something


def trace_id(event, context):
    return os.environ.get("_X_AMZN_TRACE_ID")
