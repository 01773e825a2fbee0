"""JSON from outside is parsed with a bound on nesting: too deep is a ValueError naming the limit, never a RecursionError."""

import pytest

from apps.core.jsonsafe import MAX_DEPTH, MSG_TOO_DEEP, JSONTooDeep, json_depth, json_loads_limited


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_too_deep_is_a_value_error_naming_the_limit(depth):
    with pytest.raises(JSONTooDeep) as refused:
        json_loads_limited(nested(depth).encode())
    assert isinstance(refused.value, ValueError)
    assert str(refused.value) == MSG_TOO_DEEP.format(max_depth=MAX_DEPTH)


def test_up_to_the_limit_parses_as_json_loads_does():
    assert json_depth(json_loads_limited(nested(MAX_DEPTH))) == MAX_DEPTH
    assert json_loads_limited(b'{"order": {"lines": [{"sku": "A", "qty": 2}]}, "x": "[[[["}') == {
        "order": {"lines": [{"sku": "A", "qty": 2}]},
        "x": "[[[[",
    }
    with pytest.raises(JSONTooDeep):
        json_loads_limited('{"a": {"b": [1]}}', max_depth=2)


def test_not_json_is_still_a_value_error():
    for raw in (b"{", b"\xff", "nan?"):
        with pytest.raises(ValueError):
            json_loads_limited(raw)
