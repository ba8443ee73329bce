"""JSON <-> google.protobuf.Value <-> google.protobuf.Any: how arguments and results cross the
plugin boundary, with the same rules as the runner's own conversion (io.jankrunner.protocol.JsonValues).

Jank packs every args/data entry as a Value inside an Any. JSON here means what the json module
reads and writes: dict (string keys), list/tuple, str, int, float, bool and None.

Value has only a double for numbers: integral doubles within +-2**53 come back as int, so 42
round-trips as 42, not 42.0; beyond 2**53 integers lose precision as in any JSON-via-double system.
"""

import math

from google.protobuf import any_pb2, struct_pb2

# Beyond +-2**53 a double no longer holds every integer; such numbers stay floats.
_MAX_EXACT_INTEGER = 2 ** 53


def to_value(data, path="$"):
    """A JSON value as a protobuf Value; ValueError, naming where (path), for what JSON cannot hold."""
    value = struct_pb2.Value()
    _fill(value, data, path)
    return value


def _fill(value, data, path):
    # bool before int: True is an int in Python.
    if data is None:
        value.null_value = struct_pb2.NULL_VALUE
    elif isinstance(data, bool):
        value.bool_value = data
    elif isinstance(data, (int, float)):
        number = float(data)
        if math.isnan(number) or math.isinf(number):
            raise ValueError(f"{path} is {data}, which JSON cannot hold")
        value.number_value = number
    elif isinstance(data, str):
        value.string_value = data
    elif isinstance(data, (list, tuple)):
        value.list_value.SetInParent()  # an empty list is an empty list, not an unset Value
        values = value.list_value.values
        for index, element in enumerate(data):
            _fill(values.add(), element, f"{path}[{index}]")
    elif isinstance(data, dict):
        fields = value.struct_value.fields
        value.struct_value.SetInParent()  # an empty dict is an empty struct, not an unset Value
        for key, element in data.items():
            if not isinstance(key, str):
                raise ValueError(f"{path} has the key {key!r}; JSON object keys are strings")
            _fill(fields[key], element, f"{path}.{key}")
    else:
        raise ValueError(f"{path} is a {type(data).__name__}, which is not JSON")


def from_value(value):
    """A protobuf Value as JSON."""
    kind = value.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    if kind == "bool_value":
        return value.bool_value
    if kind == "string_value":
        return value.string_value
    if kind == "number_value":
        return _number(value.number_value)
    if kind == "list_value":
        return [from_value(element) for element in value.list_value.values]
    return {key: from_value(field) for key, field in value.struct_value.fields.items()}


def _number(number):
    if (math.isfinite(number) and number == math.floor(number) and abs(number) <= _MAX_EXACT_INTEGER
            and not (number == 0 and math.copysign(1.0, number) < 0)):
        return int(number)
    return number


def to_any_map(data):
    """A JSON object's fields as Jank's map<string, Any>, each value a packed Value."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object (dict), got {type(data).__name__}")
    packed = {}
    for key, element in data.items():
        if not isinstance(key, str):
            raise ValueError(f"the key {key!r} is not a string; JSON object keys are strings")
        entry = any_pb2.Any()
        entry.Pack(to_value(element, key))
        packed[key] = entry
    return packed


def from_any_map(entries):
    """Jank's map<string, Any> as a dict. Each Any must hold a google.protobuf.Value; anything
    else is a protocol violation by the peer (ValueError)."""
    data = {}
    for key, entry in entries.items():
        if not entry.Is(struct_pb2.Value.DESCRIPTOR):
            raise ValueError(f"entry '{key}' holds {entry.type_url}, expected google.protobuf.Value")
        value = struct_pb2.Value()
        if not entry.Unpack(value):
            raise ValueError(f"entry '{key}' is not a valid google.protobuf.Value")
        data[key] = from_value(value)
    return data
