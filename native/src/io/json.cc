#include "json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

#include "../core/error.h"

namespace sdn {

const JsonValue * JsonValue::find(const std::string & key) const {
    for (const auto & [k, v] : object)
        if (k == key) return &v;
    return nullptr;
}

const char * json_type_name(JsonValue::Type type) {
    switch (type) {
        case JsonValue::Type::Null: return "null";
        case JsonValue::Type::Bool: return "boolean";
        case JsonValue::Type::Number: return "number";
        case JsonValue::Type::String: return "string";
        case JsonValue::Type::Array: return "array";
        case JsonValue::Type::Object: return "object";
    }
    return "?";
}

namespace {

class Parser {
public:
    Parser(const std::string & text, const std::string & what, int max_depth)
        : s_(text), what_(what), max_depth_(max_depth) {}

    JsonValue parse_document() {
        skip_ws();
        JsonValue v = parse_value(0);
        skip_ws();
        if (pos_ != s_.size()) fail("unexpected text after the JSON value");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string & why) {
        throw Error(SDN_STATUS_BAD_FORMAT, what_ + ": invalid JSON at byte " + std::to_string(pos_) + ": " + why);
    }

    void skip_ws() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
    }

    bool consume(const char * lit) {
        size_t n = std::char_traits<char>::length(lit);
        if (s_.compare(pos_, n, lit) == 0) { pos_ += n; return true; }
        return false;
    }

    JsonValue parse_value(int depth) {
        if (depth > max_depth_) fail("nested deeper than " + std::to_string(max_depth_) + " levels");
        if (pos_ >= s_.size()) fail("unexpected end of input");
        JsonValue v;
        char c = s_[pos_];
        if (c == '{') {
            v.type = JsonValue::Type::Object;
            std::unordered_set<std::string> seen;
            ++pos_;
            skip_ws();
            if (pos_ < s_.size() && s_[pos_] == '}') { ++pos_; return v; }
            for (;;) {
                skip_ws();
                if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key");
                std::string key = parse_string();
                // Duplicate check: a linear scan for small objects, a set for big ones (safetensors headers).
                if (v.object.size() < 16) {
                    for (const auto & kv : v.object)
                        if (kv.first == key) fail("duplicate key \"" + key + "\"");
                } else {
                    if (seen.empty())
                        for (const auto & kv : v.object) seen.insert(kv.first);
                    if (!seen.insert(key).second) fail("duplicate key \"" + key + "\"");
                }
                skip_ws();
                if (pos_ >= s_.size() || s_[pos_] != ':') fail("expected ':'");
                ++pos_;
                skip_ws();
                v.object.emplace_back(std::move(key), parse_value(depth + 1));
                skip_ws();
                if (pos_ < s_.size() && s_[pos_] == ',') { ++pos_; continue; }
                if (pos_ < s_.size() && s_[pos_] == '}') { ++pos_; return v; }
                fail("expected ',' or '}'");
            }
        }
        if (c == '[') {
            v.type = JsonValue::Type::Array;
            ++pos_;
            skip_ws();
            if (pos_ < s_.size() && s_[pos_] == ']') { ++pos_; return v; }
            for (;;) {
                skip_ws();
                v.array.push_back(parse_value(depth + 1));
                skip_ws();
                if (pos_ < s_.size() && s_[pos_] == ',') { ++pos_; continue; }
                if (pos_ < s_.size() && s_[pos_] == ']') { ++pos_; return v; }
                fail("expected ',' or ']'");
            }
        }
        if (c == '"') {
            v.type = JsonValue::Type::String;
            v.string = parse_string();
            return v;
        }
        if (consume("true")) { v.type = JsonValue::Type::Bool; v.boolean = true; return v; }
        if (consume("false")) { v.type = JsonValue::Type::Bool; v.boolean = false; return v; }
        if (consume("null")) return v;
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
        fail(std::string("unexpected character '") + c + "'");
    }

    JsonValue parse_number() {
        size_t start = pos_;
        bool integer = true;
        if (s_[pos_] == '-') ++pos_;
        if (pos_ >= s_.size()) fail("bad number");
        if (s_[pos_] == '0') ++pos_;
        else if (s_[pos_] >= '1' && s_[pos_] <= '9') while (pos_ < s_.size() && isdigit(s_[pos_])) ++pos_;
        else fail("bad number");
        if (pos_ < s_.size() && s_[pos_] == '.') {
            integer = false;
            ++pos_;
            if (pos_ >= s_.size() || !isdigit(s_[pos_])) fail("bad number");
            while (pos_ < s_.size() && isdigit(s_[pos_])) ++pos_;
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            integer = false;
            ++pos_;
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            if (pos_ >= s_.size() || !isdigit(s_[pos_])) fail("bad number");
            while (pos_ < s_.size() && isdigit(s_[pos_])) ++pos_;
        }
        JsonValue v;
        v.type = JsonValue::Type::Number;
        v.number = std::strtod(s_.substr(start, pos_ - start).c_str(), nullptr);
        v.number_is_integer = integer;
        if (!std::isfinite(v.number)) fail("number out of range");
        return v;
    }

    static bool isdigit(char c) { return c >= '0' && c <= '9'; }

    unsigned parse_hex4() {
        if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            char c = s_[pos_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= c - '0';
            else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
            else fail("bad \\u escape");
        }
        return v;
    }

    void append_utf8(std::string & out, unsigned cp) {
        if (cp < 0x80) out += static_cast<char>(cp);
        else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
        else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    std::string parse_string() {
        ++pos_; // opening quote
        std::string out;
        for (;;) {
            if (pos_ >= s_.size()) fail("unterminated string");
            // Copy the run of plain characters in one go.
            size_t run = pos_;
            while (run < s_.size() && s_[run] != '"' && s_[run] != '\\' && static_cast<unsigned char>(s_[run]) >= 0x20) ++run;
            out.append(s_, pos_, run - pos_);
            pos_ = run;
            if (pos_ >= s_.size()) fail("unterminated string");
            unsigned char c = static_cast<unsigned char>(s_[pos_++]);
            if (c == '"') return out;
            if (c < 0x20) fail("control character in string");
            if (c != '\\') { out += static_cast<char>(c); continue; }
            if (pos_ >= s_.size()) fail("unterminated escape");
            char e = s_[pos_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned cp = parse_hex4();
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (!(pos_ + 1 < s_.size() && s_[pos_] == '\\' && s_[pos_ + 1] == 'u')) fail("lone surrogate");
                        pos_ += 2;
                        unsigned lo = parse_hex4();
                        if (lo < 0xDC00 || lo > 0xDFFF) fail("bad surrogate pair");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        fail("lone surrogate");
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: fail(std::string("bad escape '\\") + e + "'");
            }
        }
    }

    const std::string & s_;
    const std::string & what_;
    int max_depth_;
    size_t pos_ = 0;
};

} // namespace

JsonValue json_parse(const std::string & text, const std::string & what, int max_depth) {
    return Parser(text, what, max_depth).parse_document();
}

namespace {

void write_string(std::string & out, const std::string & s) {
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}

void write_value(std::string & out, const JsonValue & v) {
    switch (v.type) {
        case JsonValue::Type::Null: out += "null"; break;
        case JsonValue::Type::Bool: out += v.boolean ? "true" : "false"; break;
        case JsonValue::Type::Number: {
            if (!std::isfinite(v.number)) { out += "null"; break; }
            char buf[40];
            if (v.number_is_integer && std::fabs(v.number) < 9.0e15) std::snprintf(buf, sizeof buf, "%.0f", v.number);
            else {
                for (int precision = 1; precision <= 17; ++precision) { // shortest text that reads back exactly
                    std::snprintf(buf, sizeof buf, "%.*g", precision, v.number);
                    if (std::strtod(buf, nullptr) == v.number) break;
                }
            }
            out += buf;
            break;
        }
        case JsonValue::Type::String: write_string(out, v.string); break;
        case JsonValue::Type::Array:
            out += '[';
            for (size_t i = 0; i < v.array.size(); ++i) {
                if (i) out += ',';
                write_value(out, v.array[i]);
            }
            out += ']';
            break;
        case JsonValue::Type::Object:
            out += '{';
            for (size_t i = 0; i < v.object.size(); ++i) {
                if (i) out += ',';
                write_string(out, v.object[i].first);
                out += ':';
                write_value(out, v.object[i].second);
            }
            out += '}';
            break;
    }
}

} // namespace

std::string json_write(const JsonValue & value) {
    std::string out;
    write_value(out, value);
    return out;
}

} // namespace sdn
