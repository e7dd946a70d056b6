// json.h — a small strict JSON reader (RFC 8259) for safetensors headers and model configs.
// Depth-limited, no exceptions escape except sdn::Error(BAD_FORMAT) with the byte offset.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sdn {

class JsonValue {
public:
    enum class Type { Null, Bool, Number, String, Array, Object };

    Type type = Type::Null;
    bool boolean = false;
    double number = 0.0;
    bool number_is_integer = false; // written without fraction or exponent
    std::string string;
    std::vector<JsonValue> array;
    std::vector<std::pair<std::string, JsonValue>> object; // in document order; duplicate keys rejected

    bool is_null() const { return type == Type::Null; }
    bool is_object() const { return type == Type::Object; }
    bool is_array() const { return type == Type::Array; }
    bool is_string() const { return type == Type::String; }
    bool is_number() const { return type == Type::Number; }
    bool is_bool() const { return type == Type::Bool; }

    const JsonValue * find(const std::string & key) const; // objects only; nullptr if absent

    // Builders, for JSON made in code (e.g. a config inferred from tensor shapes).
    static JsonValue make_bool(bool b) { JsonValue v; v.type = Type::Bool; v.boolean = b; return v; }
    static JsonValue make_number(double x) {
        JsonValue v;
        v.type = Type::Number;
        v.number = x;
        v.number_is_integer = x == static_cast<double>(static_cast<long long>(x));
        return v;
    }
    static JsonValue make_string(const std::string & s) { JsonValue v; v.type = Type::String; v.string = s; return v; }
    static JsonValue make_array() { JsonValue v; v.type = Type::Array; return v; }
    static JsonValue make_object() { JsonValue v; v.type = Type::Object; return v; }
    // Objects only: replaces the value of `key`, or appends it.
    void set(const std::string & key, JsonValue value) {
        for (auto & kv : object)
            if (kv.first == key) { kv.second = std::move(value); return; }
        object.emplace_back(key, std::move(value));
    }
};

// Parses `text` (the whole of it must be one JSON value, surrounding whitespace allowed).
// `what` names the source in error messages ("model.safetensors header").
JsonValue json_parse(const std::string & text, const std::string & what, int max_depth = 64);

const char * json_type_name(JsonValue::Type type);

// Compact JSON text of `value` (object keys in stored order; numbers as the shortest text that reads
// back exactly, integers without a fraction). Non-finite numbers are written as null.
std::string json_write(const JsonValue & value);

} // namespace sdn
