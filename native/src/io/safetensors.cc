#include "safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "../core/arena.h"
#include "../core/half.h"
#include "json.h"

namespace sdn {

size_t safetensors_dtype_size(const std::string & d) {
    if (d == "F64" || d == "I64" || d == "U64") return 8;
    if (d == "F32" || d == "I32" || d == "U32") return 4;
    if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
    if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2" || d == "F8_E8M0") return 1;
    return 0;
}

namespace {

// Length of the valid UTF-8 prefix of [s, s + n) (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
size_t utf8_valid_prefix(const uint8_t * s, size_t n) {
    size_t i = 0;
    while (i < n) {
        const uint8_t c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) { ++i; continue; }
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
        else return i;
        if (i + len > n) return i;
        for (size_t k = 1; k < len; ++k) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        const uint32_t min_cp = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return n;
}

std::string quoted(const std::string & s) { return "\"" + s + "\""; }

std::string json_value_str(const JsonValue & v) {
    if (!v.is_number()) return json_type_name(v.type);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v.number);
    return buf;
}

} // namespace

SafetensorsFile::~SafetensorsFile() {
    if (map_) {
        munmap(map_, map_size_);
        mapped_bytes_add(-static_cast<int64_t>(map_size_));
    }
}

const SafetensorsEntry * SafetensorsFile::find(const std::string & name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &entries_[it->second];
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string & path) {
    std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
    f->path_ = path;
    const std::string where = "safetensors file " + quoted(path);

    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    require(fd >= 0, SDN_STATUS_IO_ERROR, "cannot open " + where + ": " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        throw Error(SDN_STATUS_IO_ERROR, "cannot stat " + where + ": " + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(SDN_STATUS_IO_ERROR, where + (S_ISDIR(st.st_mode) ? " is a directory, not a file" : " is not a regular file"));
    }
    const uint64_t file_size = static_cast<uint64_t>(st.st_size);
    if (file_size < 8) {
        ::close(fd);
        throw Error(SDN_STATUS_BAD_FORMAT, file_size == 0 ? where + " is empty (0 bytes)"
                                                          : where + " is truncated: " + std::to_string(file_size) +
                                                                " bytes, shorter than the 8-byte header length");
    }
    void * map = mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int map_errno = errno;
    ::close(fd);
    require(map != MAP_FAILED, SDN_STATUS_IO_ERROR, "cannot map " + where + ": " + std::strerror(map_errno));
    f->map_ = map;
    f->map_size_ = file_size;
    mapped_bytes_add(static_cast<int64_t>(file_size));

    const uint8_t * base = static_cast<const uint8_t *>(map);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | base[i];
    require(header_len <= kMaxHeaderBytes, SDN_STATUS_BAD_FORMAT,
            where + ": header length " + std::to_string(header_len) + " exceeds the 100 MiB limit (corrupt or not a safetensors file)");
    require(header_len <= file_size - 8, SDN_STATUS_BAD_FORMAT,
            where + ": header length " + std::to_string(header_len) + " is longer than the file (" + std::to_string(file_size) +
                " bytes): the file is truncated or not a safetensors file");
    f->header_bytes_ = header_len;
    f->data_ = base + 8 + header_len;
    f->data_size_ = file_size - 8 - header_len;
    f->parse_header(where);
    return f;
}

// Conditions are tested with `if (...) fail(...)` rather than require(): the message is then built
// only on failure, which matters here (this runs for every tensor of every file opened).
void SafetensorsFile::parse_header(const std::string & where) {
    auto fail = [](const std::string & message) { throw Error(SDN_STATUS_BAD_FORMAT, message); };
    const uint8_t * header_begin = data_ - header_bytes_;
    const size_t valid = utf8_valid_prefix(header_begin, header_bytes_);
    if (valid != header_bytes_) fail(where + ": header is not valid UTF-8 (at byte " + std::to_string(valid) + " of the header)");
    const std::string header_text(reinterpret_cast<const char *>(header_begin), header_bytes_);
    JsonValue header = json_parse(header_text, where + " header");
    if (!header.is_object()) fail(where + ": header is a JSON " + json_type_name(header.type) + ", not an object of tensors");

    for (const auto & item : header.object) {
        // Named references rather than a structured binding: lambdas below capture them (C++17).
        const std::string & name = item.first;
        const JsonValue & value = item.second;
        if (name == "__metadata__") {
            if (!value.is_object()) fail(where + ": __metadata__ is a " + json_type_name(value.type) + ", it must be an object of strings");
            for (const auto & [k, v] : value.object) {
                if (!v.is_string()) fail(where + ": metadata " + quoted(k) + " is a " + json_type_name(v.type) + ", only strings are allowed");
                metadata_[k] = v.string;
            }
            continue;
        }
        auto tw = [&] { return where + ", tensor " + quoted(name); };
        if (!value.is_object())
            fail(tw() + ": entry is a " + json_type_name(value.type) + ", it must be an object with dtype, shape and data_offsets");
        const JsonValue * dtype = value.find("dtype");
        const JsonValue * shape = value.find("shape");
        const JsonValue * offsets = value.find("data_offsets");
        if (!dtype) fail(tw() + ": \"dtype\" is missing");
        if (!dtype->is_string()) fail(tw() + ": \"dtype\" must be a string");
        if (!shape) fail(tw() + ": \"shape\" is missing");
        if (!shape->is_array()) fail(tw() + ": \"shape\" must be an array of non-negative integers");
        if (!offsets) fail(tw() + ": \"data_offsets\" is missing");
        if (!offsets->is_array() || offsets->array.size() != 2) fail(tw() + ": \"data_offsets\" must be [begin, end]");

        SafetensorsEntry e;
        e.name = name;
        e.dtype = dtype->string;
        e.element_size = safetensors_dtype_size(e.dtype);
        if (e.element_size == 0) fail(tw() + ": unknown dtype " + quoted(e.dtype));

        // numel with overflow detection; below 2^53 every integer is exact in the JSON double.
        constexpr double kMaxExact = 9007199254740992.0;
        auto is_count = [&](const JsonValue & v) { return v.is_number() && v.number_is_integer && v.number >= 0 && v.number < kMaxExact; };
        uint64_t numel = 1;
        bool overflow = false;
        for (const auto & d : shape->array) {
            if (!is_count(d)) fail(tw() + ": shape entries must be non-negative integers (found " + json_value_str(d) + ")");
            const uint64_t dim = static_cast<uint64_t>(d.number);
            if (dim != 0 && numel > UINT64_MAX / dim) overflow = true;
            else numel *= dim;
            e.shape.push_back(static_cast<int64_t>(dim));
        }
        for (const auto & o : offsets->array)
            if (!is_count(o)) fail(tw() + ": data_offsets must be non-negative integers (found " + json_value_str(o) + ")");
        e.begin = static_cast<uint64_t>(offsets->array[0].number);
        e.end = static_cast<uint64_t>(offsets->array[1].number);
        if (e.begin > e.end)
            fail(tw() + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "] has begin > end");
        if (overflow || numel > UINT64_MAX / e.element_size || e.end - e.begin != numel * e.element_size)
            fail(tw() + ": data_offsets span " + std::to_string(e.end - e.begin) + " bytes, but shape " + shape_str(e.shape) + " of " +
                 e.dtype + " needs " + (overflow ? std::string("more than 2^64") : std::to_string(numel * e.element_size)));
        if (e.end > data_size_)
            fail(tw() + ": bytes [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + ") lie outside the data section of " +
                 std::to_string(data_size_) + " bytes (file truncated?)");
        // Duplicate names are already rejected by the JSON reader; keep the guard for clarity.
        if (!index_.emplace(name, entries_.size()).second) fail(tw() + ": listed twice");
        entries_.push_back(std::move(e));
    }

    // Sorted by offset, the tensors must tile [0, data_size) exactly: no overlap, no hole, no trailing bytes.
    std::vector<const SafetensorsEntry *> sorted;
    sorted.reserve(entries_.size());
    for (const auto & e : entries_) sorted.push_back(&e);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](auto * a, auto * b) { return a->begin < b->begin || (a->begin == b->begin && a->end < b->end); });
    uint64_t covered = 0;
    const SafetensorsEntry * previous = nullptr;
    for (const SafetensorsEntry * e : sorted) {
        if (e->begin < covered)
            fail(where + ": tensors " + quoted(previous ? previous->name : "?") + " and " + quoted(e->name) + " overlap (bytes [" +
                 std::to_string(e->begin) + ", " + std::to_string(std::min(covered, e->end)) + ") of the data section)");
        if (e->begin > covered)
            fail(where + ": hole of " + std::to_string(e->begin - covered) + " unused bytes in the data section before tensor " +
                 quoted(e->name) + " (bytes [" + std::to_string(covered) + ", " + std::to_string(e->begin) + "))");
        covered = e->end;
        if (e->end > e->begin) previous = e;
    }
    if (covered != data_size_)
        fail(where + ": " + std::to_string(data_size_ - covered) + " trailing bytes after the last tensor (data section is " +
             std::to_string(data_size_) + " bytes, tensors cover " + std::to_string(covered) + ")");
}

Tensor SafetensorsFile::tensor(const std::string & name) {
    const SafetensorsEntry * e = find(name);
    require(e != nullptr, SDN_STATUS_MISSING_TENSOR, "safetensors file " + quoted(path_) + " has no tensor " + quoted(name));
    DType dtype;
    if (e->dtype == "F32") dtype = DType::F32;
    else if (e->dtype == "F16") dtype = DType::F16;
    else if (e->dtype == "BF16") dtype = DType::BF16;
    else throw Error(SDN_STATUS_BAD_FORMAT, "safetensors file " + quoted(path_) + ", tensor " + quoted(name) + ": dtype " + e->dtype +
                                                " is not a float type the engine computes with (F32, F16, BF16)");
    return Tensor::view(const_cast<uint8_t *>(data_ + e->begin), e->shape, dtype, shared_from_this(), Storage::Mapped);
}

std::vector<float> SafetensorsFile::copy_f32(const std::string & name) const {
    const SafetensorsEntry * e = find(name);
    require(e != nullptr, SDN_STATUS_MISSING_TENSOR, "safetensors file " + quoted(path_) + " has no tensor " + quoted(name));
    const size_t n = static_cast<size_t>(shape_numel(e->shape));
    std::vector<float> out(n);
    const uint8_t * src = data_ + e->begin;
    if (e->dtype == "F32") {
        if (n) std::memcpy(out.data(), src, n * 4); // memcpy: the source may be unaligned
    } else if (e->dtype == "F16" || e->dtype == "BF16") {
        std::vector<uint16_t> bits(n);
        if (n) std::memcpy(bits.data(), src, n * 2);
        if (e->dtype == "F16") convert_f16_to_f32(bits.data(), out.data(), static_cast<int64_t>(n));
        else convert_bf16_to_f32(bits.data(), out.data(), static_cast<int64_t>(n));
    } else {
        throw Error(SDN_STATUS_BAD_FORMAT, "safetensors file " + quoted(path_) + ", tensor " + quoted(name) + ": dtype " + e->dtype +
                                               " cannot be read as floats (F32, F16 or BF16 only)");
    }
    return out;
}

} // namespace sdn
