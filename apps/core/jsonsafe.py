"""JSON from outside, parsed with a bound on nesting.

Python's JSON decoder recurses once per level: a body of a thousand `[` raises RecursionError
(a 500, and whatever was meant to log the call never runs), and a few hundred levels that do
parse still make every recursive reader after it (encoders, validators, templates) fragile.
Anything that parses a body it did not produce itself goes through `json_loads_limited`, which
refuses such a document with a `JSONTooDeep` (a ValueError, so existing "not JSON" handling
catches it) naming the limit.
"""

import json

MAX_DEPTH = 64  # objects and arrays inside each other; real payloads stay far below
MSG_TOO_DEEP = "The JSON is nested more than {max_depth} levels deep."


class JSONTooDeep(ValueError):
    def __init__(self, max_depth: int):
        super().__init__(MSG_TOO_DEEP.format(max_depth=max_depth))
        self.max_depth = max_depth


def json_loads_limited(raw: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH, **kwargs):
    """json.loads, refusing documents nested deeper than `max_depth` with JSONTooDeep.

    Raises ValueError (json.JSONDecodeError, UnicodeDecodeError or JSONTooDeep) for anything that
    is not an acceptable JSON document; never RecursionError.
    """
    opening = (
        raw.count(b"[") + raw.count(b"{") if isinstance(raw, bytes | bytearray) else raw.count("[") + raw.count("{")
    )
    try:
        document = json.loads(raw, **kwargs)
    except RecursionError:
        raise JSONTooDeep(max_depth) from None
    # Fewer brackets in the whole text than the limit: it cannot be deeper (no walk needed).
    if opening > max_depth and json_depth(document) > max_depth:
        raise JSONTooDeep(max_depth)
    return document


def json_depth(document) -> int:
    """How many objects/arrays deep the parsed document goes (a scalar is 0); no recursion."""
    deepest = 0
    stack = [(document, 1)] if isinstance(document, dict | list) else []
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest
