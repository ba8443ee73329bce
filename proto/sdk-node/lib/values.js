'use strict';
// JSON ⇄ google.protobuf.Value ⇄ google.protobuf.Any: how args and data cross the plugin
// boundary. Jank packs every args/data entry as a Value inside an Any; this is the Node twin of
// the Java SDK's JsonValues, with the same rules (numbers are doubles on the wire, an Any that
// holds anything but a Value is the peer's protocol error).
const protobuf = require('protobufjs');

const VALUE_TYPE_URL = 'type.googleapis.com/google.protobuf.Value';
const Value = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/struct.proto'))
  .lookupType('google.protobuf.Value');
const NULL_VALUE = 0;

/** A JSON value (what JSON.parse makes) as a plain google.protobuf.Value object. */
function toValue(json) {
  if (json === null || json === undefined) {
    return { nullValue: NULL_VALUE };
  }
  switch (typeof json) {
    case 'boolean':
      return { boolValue: json };
    case 'number':
      if (!Number.isFinite(json)) {
        throw new TypeError(`${json} is not a JSON number`);
      }
      return { numberValue: json };
    case 'bigint':
      // Value holds a double; past 2^53 precision goes, as in any JSON-via-double system.
      return { numberValue: Number(json) };
    case 'string':
      return { stringValue: json };
    case 'object':
      if (Array.isArray(json)) {
        return { listValue: { values: json.map(toValue) } };
      }
      if (typeof json.toJSON === 'function') {
        return toValue(json.toJSON());
      }
      return { structValue: { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, toValue(v)])) } };
    default:
      throw new TypeError(`a ${typeof json} cannot be sent as JSON`);
  }
}

/** A google.protobuf.Value (decoded message or plain object) as a JSON value. */
function fromValue(value) {
  // Decoded with {oneofs: true}, `kind` names the member that is set, even when it holds its
  // default ('' , 0, false); plain objects without it are read by which member is present.
  const kind = value.kind || ['structValue', 'listValue', 'stringValue', 'boolValue', 'numberValue', 'nullValue']
    .find((member) => value[member] !== undefined && value[member] !== null);
  switch (kind) {
    case 'structValue':
      return Object.fromEntries(Object.entries(value.structValue.fields || {}).map(([k, v]) => [k, fromValue(v)]));
    case 'listValue':
      return (value.listValue.values || []).map(fromValue);
    case 'stringValue':
    case 'boolValue':
    case 'numberValue':
      return value[kind];
    default:
      return null; // nullValue, or no kind set
  }
}

/** One JSON value packed as Any({type_url: Value, value: bytes}), the shape @grpc/proto-loader uses. */
function toAny(json) {
  return { type_url: VALUE_TYPE_URL, value: Buffer.from(Value.encode(Value.fromObject(toValue(json))).finish()) };
}

function fromAny(key, any) {
  const typeUrl = any.type_url || '';
  if (typeUrl.slice(typeUrl.lastIndexOf('/') + 1) !== 'google.protobuf.Value') {
    throw new InvalidArgs(`entry '${key}' holds ${typeUrl || 'an Any without a type'}, expected google.protobuf.Value`);
  }
  let decoded;
  try {
    decoded = Value.toObject(Value.decode(any.value || Buffer.alloc(0)), { oneofs: true });
  } catch (e) {
    throw new InvalidArgs(`entry '${key}' is not a valid google.protobuf.Value: ${e.message}`);
  }
  return fromValue(decoded);
}

/** A JSON object's fields as Jank's map<string, Any>. null/undefined is the empty map. */
function toAnyMap(object) {
  if (object === null || object === undefined) {
    return {};
  }
  if (typeof object !== 'object' || Array.isArray(object)) {
    throw new TypeError(`expected a JSON object, got ${Array.isArray(object) ? 'an array' : typeof object}`);
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toAny(v)]));
}

/** Jank's map<string, Any> as a JSON object; an entry that is not a Value throws InvalidArgs. */
function fromAnyMap(map) {
  return Object.fromEntries(Object.entries(map || {}).map(([k, any]) => [k, fromAny(k, any)]));
}

/** The peer sent something that is not Jank's contract: answered with INVALID_ARGUMENT. */
class InvalidArgs extends Error {}

module.exports = { toValue, fromValue, toAny, fromAny, toAnyMap, fromAnyMap, InvalidArgs, VALUE_TYPE_URL };
