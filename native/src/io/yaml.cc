#include "yaml.h"

#include <cmath>
#include <cstdlib>
#include <vector>

#include "../core/error.h"

namespace sdn {

namespace {

struct Line {
    int indent;          // leading spaces
    std::string content; // without indentation, comment and trailing spaces
    int number;          // 1-based, for messages
};

class YamlParser {
public:
    YamlParser(const std::string & text, const std::string & what) : what_(what) { split_lines(text); }

    JsonValue parse_document() {
        if (lines_.empty()) return JsonValue{};
        JsonValue v = parse_block(lines_[0].indent);
        if (pos_ < lines_.size()) fail(lines_[pos_], "unexpected indentation (expected a key at column " + std::to_string(lines_[0].indent + 1) + ")");
        return v;
    }

private:
    [[noreturn]] void fail(int line, const std::string & why) const {
        throw Error(SDN_STATUS_BAD_FORMAT, what_ + ": line " + std::to_string(line) + ": " + why);
    }
    [[noreturn]] void fail(const Line & line, const std::string & why) const { fail(line.number, why); }

    // Position of a `#` that starts a comment (outside quotes, at the start or after whitespace), or npos.
    static size_t comment_start(const std::string & s) {
        char quote = 0;
        for (size_t i = 0; i < s.size(); ++i) {
            const char c = s[i];
            if (quote) {
                if (c == quote) {
                    if (quote == '\'' && i + 1 < s.size() && s[i + 1] == '\'') { ++i; continue; }
                    quote = 0;
                } else if (c == '\\' && quote == '"') {
                    ++i;
                }
                continue;
            }
            if ((c == '"' || c == '\'') && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '[' || s[i - 1] == '{' || s[i - 1] == ',' ||
                                            s[i - 1] == ':' || s[i - 1] == '-'))
                quote = c;
            else if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t'))
                return i;
        }
        return std::string::npos;
    }

    static std::string trim(const std::string & s) {
        size_t b = 0, e = s.size();
        while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
        while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
        return s.substr(b, e - b);
    }

    void split_lines(const std::string & text) {
        size_t start = 0;
        int number = 0;
        bool document_started = false;
        while (start <= text.size()) {
            size_t end = text.find('\n', start);
            if (end == std::string::npos) end = text.size();
            std::string raw = text.substr(start, end - start);
            start = end + 1;
            ++number;
            const size_t hash = comment_start(raw);
            if (hash != std::string::npos) raw.resize(hash);
            size_t indent = 0;
            while (indent < raw.size() && raw[indent] == ' ') ++indent;
            std::string content = trim(raw.substr(indent));
            if (content.empty()) continue;
            if (indent < raw.size() && raw[indent] == '\t') fail(number, "tab in indentation (YAML allows spaces only)");
            if (content == "---" && indent == 0) {
                if (document_started || !lines_.empty()) fail(number, "several YAML documents in one file are not supported");
                document_started = true;
                continue;
            }
            if (content == "..." && indent == 0) break;
            lines_.push_back(Line{static_cast<int>(indent), content, number});
            if (start > text.size()) break;
        }
    }

    static bool is_sequence_item(const std::string & c) { return c == "-" || c.compare(0, 2, "- ") == 0; }

    JsonValue parse_block(int indent) {
        const Line & first = lines_[pos_];
        if (first.indent != indent) fail(first, "unexpected indentation");
        return is_sequence_item(first.content) ? parse_sequence(indent) : parse_mapping(indent);
    }

    // Finds the `:` that ends a mapping key (followed by a space or the end of the line, outside quotes
    // and brackets), or npos when the text is not `key: value`.
    static size_t key_colon(const std::string & c) {
        if (c.empty() || c[0] == '[' || c[0] == '{') return std::string::npos;
        size_t i = 0;
        if (c[0] == '"' || c[0] == '\'') { // quoted key
            const char q = c[0];
            for (i = 1; i < c.size(); ++i) {
                if (c[i] == '\\' && q == '"') { ++i; continue; }
                if (c[i] == q) {
                    if (q == '\'' && i + 1 < c.size() && c[i + 1] == '\'') { ++i; continue; }
                    break;
                }
            }
            if (i >= c.size()) return std::string::npos;
            ++i;
            while (i < c.size() && c[i] == ' ') ++i;
            return i < c.size() && c[i] == ':' && (i + 1 == c.size() || c[i + 1] == ' ') ? i : std::string::npos;
        }
        for (i = 0; i < c.size(); ++i)
            if (c[i] == ':' && (i + 1 == c.size() || c[i + 1] == ' ')) return i;
        return std::string::npos;
    }

    JsonValue parse_mapping(int indent) {
        JsonValue map;
        map.type = JsonValue::Type::Object;
        while (pos_ < lines_.size() && lines_[pos_].indent == indent && !is_sequence_item(lines_[pos_].content)) {
            const Line line = lines_[pos_];
            const size_t colon = key_colon(line.content);
            if (colon == std::string::npos) fail(line, "expected \"key: value\", found \"" + line.content + "\"");
            std::string key_text = trim(line.content.substr(0, colon));
            const std::string key = key_text.empty() ? key_text : scalar_string(key_text, line);
            for (const auto & kv : map.object)
                if (kv.first == key) fail(line, "duplicate key \"" + key + "\"");
            const std::string rest = trim(line.content.substr(colon + 1));
            ++pos_;
            JsonValue value;
            if (!rest.empty()) {
                value = parse_inline(rest, line);
            } else if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
                value = parse_block(lines_[pos_].indent);
            } else if (pos_ < lines_.size() && lines_[pos_].indent == indent && is_sequence_item(lines_[pos_].content)) {
                value = parse_sequence(indent); // "key:\n- a\n- b" (sequence at the key's indentation)
            } // else: null
            map.object.emplace_back(key, std::move(value));
        }
        if (pos_ < lines_.size() && lines_[pos_].indent > indent) fail(lines_[pos_], "unexpected indentation");
        return map;
    }

    JsonValue parse_sequence(int indent) {
        JsonValue seq;
        seq.type = JsonValue::Type::Array;
        while (pos_ < lines_.size() && lines_[pos_].indent == indent && is_sequence_item(lines_[pos_].content)) {
            Line & line = lines_[pos_];
            if (line.content == "-") {
                ++pos_;
                if (pos_ < lines_.size() && lines_[pos_].indent > indent) seq.array.push_back(parse_block(lines_[pos_].indent));
                else seq.array.emplace_back();
                continue;
            }
            size_t offset = 2;
            while (offset < line.content.size() && line.content[offset] == ' ') ++offset;
            const std::string item = line.content.substr(offset);
            if (key_colon(item) != std::string::npos || is_sequence_item(item)) {
                // "- key: value" (or "- - x"): the item is a block starting at the item's column.
                line.indent += static_cast<int>(offset);
                line.content = item;
                seq.array.push_back(parse_block(line.indent));
            } else {
                ++pos_;
                seq.array.push_back(parse_inline(item, line));
            }
        }
        if (pos_ < lines_.size() && lines_[pos_].indent > indent) fail(lines_[pos_], "unexpected indentation");
        return seq;
    }

    // A value written on one line: a flow collection or a scalar.
    JsonValue parse_inline(const std::string & text, const Line & line) {
        const char c = text[0];
        if (c == '&' || c == '*') fail(line, "anchors and aliases are not supported");
        if (c == '!') fail(line, "tags are not supported");
        if (c == '|' || c == '>') fail(line, "block scalars (| and >) are not supported");
        if (c == '[' || c == '{') {
            size_t p = 0;
            JsonValue v = parse_flow(text, p, line, 0);
            while (p < text.size() && text[p] == ' ') ++p;
            if (p != text.size()) fail(line, "unexpected text after a flow collection: \"" + text.substr(p) + "\"");
            return v;
        }
        return scalar(text, line);
    }

    JsonValue parse_flow(const std::string & s, size_t & p, const Line & line, int depth) {
        if (depth > 32) fail(line, "flow collection nested too deeply");
        auto skip = [&] { while (p < s.size() && s[p] == ' ') ++p; };
        skip();
        if (p >= s.size()) fail(line, "unterminated flow collection (multi-line flow collections are not supported)");
        if (s[p] == '[' || s[p] == '{') {
            const char close = s[p] == '[' ? ']' : '}';
            JsonValue v;
            v.type = close == ']' ? JsonValue::Type::Array : JsonValue::Type::Object;
            ++p;
            skip();
            if (p < s.size() && s[p] == close) { ++p; return v; }
            for (;;) {
                if (close == ']') {
                    v.array.push_back(parse_flow(s, p, line, depth + 1));
                } else {
                    skip();
                    const size_t key_start = p;
                    while (p < s.size() && s[p] != ':' && s[p] != ',' && s[p] != '}') ++p;
                    if (p >= s.size() || s[p] != ':') fail(line, "expected \"key: value\" in a flow mapping");
                    const std::string key = scalar_string(trim(s.substr(key_start, p - key_start)), line);
                    ++p;
                    for (const auto & kv : v.object)
                        if (kv.first == key) fail(line, "duplicate key \"" + key + "\"");
                    v.object.emplace_back(key, parse_flow(s, p, line, depth + 1));
                }
                skip();
                if (p < s.size() && s[p] == ',') { ++p; skip(); if (p < s.size() && s[p] == close) { ++p; return v; } continue; }
                if (p < s.size() && s[p] == close) { ++p; return v; }
                if (p >= s.size()) fail(line, "unterminated flow collection (multi-line flow collections are not supported)");
                fail(line, std::string("expected ',' or '") + close + "' in a flow collection");
            }
        }
        // A scalar inside a flow collection ends at , ] } (quoted scalars may contain them).
        const size_t start = p;
        if (s[p] == '"' || s[p] == '\'') {
            const char q = s[p++];
            while (p < s.size()) {
                if (s[p] == '\\' && q == '"') { p += 2; continue; }
                if (s[p] == q) {
                    if (q == '\'' && p + 1 < s.size() && s[p + 1] == '\'') { p += 2; continue; }
                    break;
                }
                ++p;
            }
            if (p >= s.size()) fail(line, "unterminated quoted string");
            ++p;
        } else {
            while (p < s.size() && s[p] != ',' && s[p] != ']' && s[p] != '}') ++p;
        }
        return scalar(trim(s.substr(start, p - start)), line);
    }

    // The text of a scalar used as a key or string (quotes removed, escapes decoded).
    std::string scalar_string(const std::string & text, const Line & line) {
        JsonValue v = scalar(text, line);
        if (v.is_string()) return v.string;
        return text; // a plain key like 123 or true stays its text
    }

    JsonValue scalar(const std::string & text, const Line & line) {
        JsonValue v;
        if (text.empty()) return v; // null
        if (text[0] == '"') {
            if (text.size() < 2 || text.back() != '"') fail(line, "unterminated double-quoted string");
            // Double-quoted YAML escapes are a superset of JSON's: reuse the JSON reader for the common ones.
            v = json_parse(text, what_ + ": line " + std::to_string(line.number));
            return v;
        }
        if (text[0] == '\'') {
            if (text.size() < 2 || text.back() != '\'') fail(line, "unterminated single-quoted string");
            v.type = JsonValue::Type::String;
            for (size_t i = 1; i + 1 < text.size(); ++i) {
                v.string += text[i];
                if (text[i] == '\'') ++i; // '' is an escaped quote
            }
            return v;
        }
        if (text[0] == '&' || text[0] == '*') fail(line, "anchors and aliases are not supported");
        if (text[0] == '!') fail(line, "tags are not supported");
        if (text == "null" || text == "Null" || text == "NULL" || text == "~") return v;
        if (text == "true" || text == "True" || text == "TRUE") { v.type = JsonValue::Type::Bool; v.boolean = true; return v; }
        if (text == "false" || text == "False" || text == "FALSE") { v.type = JsonValue::Type::Bool; v.boolean = false; return v; }
        if (is_integer(text)) {
            v.type = JsonValue::Type::Number;
            v.number = std::strtod(text.c_str(), nullptr);
            v.number_is_integer = true;
            return v;
        }
        if (is_float(text)) {
            v.type = JsonValue::Type::Number;
            std::string t = text;
            if (t == ".inf" || t == "+.inf" || t == ".Inf" || t == "+.Inf") v.number = INFINITY;
            else if (t == "-.inf" || t == "-.Inf") v.number = -INFINITY;
            else if (t == ".nan" || t == ".NaN" || t == ".NAN") v.number = NAN;
            else v.number = std::strtod(t.c_str(), nullptr);
            return v;
        }
        v.type = JsonValue::Type::String;
        v.string = text;
        return v;
    }

    static bool is_digit(char c) { return c >= '0' && c <= '9'; }

    static bool is_integer(const std::string & t) {
        size_t i = t[0] == '-' || t[0] == '+' ? 1 : 0;
        if (i >= t.size()) return false;
        for (; i < t.size(); ++i)
            if (!is_digit(t[i])) return false;
        return true;
    }

    // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?  or .inf / .nan
    static bool is_float(const std::string & t) {
        if (t == ".inf" || t == "+.inf" || t == "-.inf" || t == ".Inf" || t == "+.Inf" || t == "-.Inf" || t == ".nan" ||
            t == ".NaN" || t == ".NAN")
            return true;
        size_t i = t[0] == '-' || t[0] == '+' ? 1 : 0;
        size_t digits = 0;
        while (i < t.size() && is_digit(t[i])) { ++i; ++digits; }
        if (i < t.size() && t[i] == '.') {
            ++i;
            while (i < t.size() && is_digit(t[i])) { ++i; ++digits; }
        }
        if (digits == 0) return false;
        if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
            ++i;
            if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
            size_t exp_digits = 0;
            while (i < t.size() && is_digit(t[i])) { ++i; ++exp_digits; }
            if (exp_digits == 0) return false;
        }
        return i == t.size();
    }

    std::string what_;
    std::vector<Line> lines_;
    size_t pos_ = 0;
};

} // namespace

JsonValue yaml_parse(const std::string & text, const std::string & what) { return YamlParser(text, what).parse_document(); }

} // namespace sdn
