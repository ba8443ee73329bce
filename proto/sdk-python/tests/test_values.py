"""JSON <-> Value <-> Any: the same rules as the runner's JsonValues (run with the SDK's directory
on sys.path: PYTHONPATH=. python3 -m unittest discover -s tests)."""

import math
import unittest

from google.protobuf import any_pb2, struct_pb2, wrappers_pb2

from jankrunner_sdk import values


class ValuesTest(unittest.TestCase):

    def test_every_json_type_round_trips(self):
        data = {"null": None, "true": True, "false": False, "zero": 0, "int": 42, "negative": -7,
                "big": 2 ** 53, "float": 3.25, "tiny": 1e-10, "string": "plain", "empty": "",
                "unicode": "héllo 世界 🎉 \u0000 \"quoted\" \n newline",
                "list": [1, "two", [3.5, None], {"four": False}], "emptyList": [], "emptyObject": {},
                "nested": {"a": {"b": {"c": [{"d": "deep"}]}}}}
        self.assertEqual(data, values.from_any_map(values.to_any_map(data)))

    def test_integral_numbers_come_back_as_int_and_others_as_float(self):
        self.assertIs(type(values.from_value(values.to_value(42))), int)
        self.assertIs(type(values.from_value(values.to_value(42.0))), int)
        self.assertIs(type(values.from_value(values.to_value(2.5))), float)
        self.assertIs(type(values.from_value(values.to_value(2 ** 60))), float)
        negative_zero = values.from_value(values.to_value(-0.0))
        self.assertIs(type(negative_zero), float)
        self.assertEqual(-1.0, math.copysign(1.0, negative_zero))

    def test_booleans_stay_booleans(self):
        self.assertEqual("bool_value", values.to_value(True).WhichOneof("kind"))
        self.assertIs(values.from_value(values.to_value(True)), True)

    def test_tuples_are_lists(self):
        self.assertEqual([1, 2], values.from_value(values.to_value((1, 2))))

    def test_an_empty_list_and_object_are_set_not_null(self):
        self.assertEqual("list_value", values.to_value([]).WhichOneof("kind"))
        self.assertEqual("struct_value", values.to_value({}).WhichOneof("kind"))

    def test_what_json_cannot_hold_is_refused_naming_where(self):
        for bad, where in (({"x": float("nan")}, "x"), ({"x": [float("inf")]}, "x[0]"),
                           ({"x": {"y": object()}}, "x.y"), ({"x": {1: "one"}}, "x")):
            with self.assertRaises(ValueError) as raised:
                values.to_any_map(bad)
            self.assertIn(where, str(raised.exception))
        with self.assertRaises(ValueError):
            values.to_any_map(["not", "an", "object"])

    def test_none_is_an_empty_map(self):
        self.assertEqual({}, values.to_any_map(None))

    def test_an_any_that_is_not_a_value_is_refused(self):
        entry = any_pb2.Any()
        entry.Pack(wrappers_pb2.StringValue(value="x"))
        with self.assertRaises(ValueError) as raised:
            values.from_any_map({"key": entry})
        self.assertIn("google.protobuf.StringValue", str(raised.exception))

    def test_an_unset_value_is_null(self):
        self.assertIsNone(values.from_value(struct_pb2.Value()))


if __name__ == "__main__":
    unittest.main()
