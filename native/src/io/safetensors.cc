#include "safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "../core/arena.h"
#include "json.h"

namespace sdn {

size_t safetensors_dtype_size(const std::string & d) {
    if (d == "F64" || d == "I64" || d == "U64") return 8;
    if (d == "F32" || d == "I32" || d == "U32") return 4;
    if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
    if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
    return 0;
}

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
    const std::string where = "safetensors file \"" + path + "\"";

    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    require(fd >= 0, SDN_STATUS_IO_ERROR, "cannot open " + where + ": " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(SDN_STATUS_IO_ERROR, where + " is not a regular file");
    }
    const uint64_t file_size = static_cast<uint64_t>(st.st_size);
    if (file_size < 8) {
        ::close(fd);
        throw Error(SDN_STATUS_BAD_FORMAT, where + " is truncated: " + std::to_string(file_size) + " bytes, the 8-byte header length is missing");
    }
    void * map = mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    require(map != MAP_FAILED, SDN_STATUS_IO_ERROR, "cannot map " + where + ": " + std::strerror(errno));
    f->map_ = map;
    f->map_size_ = file_size;
    mapped_bytes_add(static_cast<int64_t>(file_size));

    const uint8_t * base = static_cast<const uint8_t *>(map);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | base[i];
    constexpr uint64_t kMaxHeader = 100u << 20; // 100 MiB, as the reference implementation
    require(header_len <= kMaxHeader, SDN_STATUS_BAD_FORMAT,
            where + ": header length " + std::to_string(header_len) + " exceeds the 100 MiB limit");
    require(header_len <= file_size - 8, SDN_STATUS_BAD_FORMAT,
            where + ": header length " + std::to_string(header_len) + " is longer than the file (" + std::to_string(file_size) + " bytes)");
    f->data_ = base + 8 + header_len;
    f->data_size_ = file_size - 8 - header_len;

    const std::string header_text(reinterpret_cast<const char *>(base + 8), header_len);
    JsonValue header = json_parse(header_text, where + " header");
    require(header.is_object(), SDN_STATUS_BAD_FORMAT, where + ": header is a JSON " + json_type_name(header.type) + ", not an object");

    for (const auto & [name, value] : header.object) {
        if (name == "__metadata__") {
            require(value.is_object(), SDN_STATUS_BAD_FORMAT, where + ": __metadata__ must be an object of strings");
            for (const auto & [k, v] : value.object) {
                require(v.is_string(), SDN_STATUS_BAD_FORMAT, where + ": metadata \"" + k + "\" is a " + json_type_name(v.type) + ", only strings are allowed");
                f->metadata_[k] = v.string;
            }
            continue;
        }
        const std::string tw = where + ", tensor \"" + name + "\"";
        require(value.is_object(), SDN_STATUS_BAD_FORMAT, tw + ": entry must be an object");
        const JsonValue * dtype = value.find("dtype");
        const JsonValue * shape = value.find("shape");
        const JsonValue * offsets = value.find("data_offsets");
        require(dtype && dtype->is_string(), SDN_STATUS_BAD_FORMAT, tw + ": \"dtype\" missing or not a string");
        require(shape && shape->is_array(), SDN_STATUS_BAD_FORMAT, tw + ": \"shape\" missing or not an array");
        require(offsets && offsets->is_array() && offsets->array.size() == 2, SDN_STATUS_BAD_FORMAT,
                tw + ": \"data_offsets\" must be [begin, end]");
        SafetensorsEntry e;
        e.name = name;
        e.dtype = dtype->string;
        e.element_size = safetensors_dtype_size(e.dtype);
        require(e.element_size != 0, SDN_STATUS_BAD_FORMAT, tw + ": unknown dtype \"" + e.dtype + "\"");
        uint64_t numel = 1;
        for (const auto & d : shape->array) {
            require(d.is_number() && d.number_is_integer && d.number >= 0 && d.number < 9.0e15, SDN_STATUS_BAD_FORMAT,
                    tw + ": shape entries must be non-negative integers");
            const uint64_t dim = static_cast<uint64_t>(d.number);
            require(dim == 0 || numel <= UINT64_MAX / dim, SDN_STATUS_BAD_FORMAT, tw + ": shape overflows");
            numel *= dim;
            e.shape.push_back(static_cast<int64_t>(dim));
        }
        for (const auto & o : offsets->array)
            require(o.is_number() && o.number_is_integer && o.number >= 0 && o.number < 1.8e19, SDN_STATUS_BAD_FORMAT,
                    tw + ": data_offsets must be non-negative integers");
        e.begin = static_cast<uint64_t>(offsets->array[0].number);
        e.end = static_cast<uint64_t>(offsets->array[1].number);
        require(e.begin <= e.end, SDN_STATUS_BAD_FORMAT, tw + ": data_offsets begin > end");
        require(e.end <= f->data_size_, SDN_STATUS_BAD_FORMAT,
                tw + ": bytes [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + ") lie outside the data section of " +
                    std::to_string(f->data_size_) + " bytes (file truncated?)");
        require(numel <= UINT64_MAX / e.element_size && e.end - e.begin == numel * e.element_size, SDN_STATUS_BAD_FORMAT,
                tw + ": " + std::to_string(e.end - e.begin) + " bytes for shape " + shape_str(e.shape) + " of " + e.dtype +
                    " (needs " + std::to_string(numel * e.element_size) + ")");
        f->index_[name] = f->entries_.size();
        f->entries_.push_back(std::move(e));
    }

    // No two tensors may share bytes.
    std::vector<const SafetensorsEntry *> sorted;
    for (const auto & e : f->entries_) sorted.push_back(&e);
    std::sort(sorted.begin(), sorted.end(), [](auto * a, auto * b) { return a->begin < b->begin || (a->begin == b->begin && a->end < b->end); });
    for (size_t i = 1; i < sorted.size(); ++i)
        require(sorted[i]->begin >= sorted[i - 1]->end || sorted[i - 1]->begin == sorted[i - 1]->end || sorted[i]->begin == sorted[i]->end,
                SDN_STATUS_BAD_FORMAT, where + ": tensors \"" + sorted[i - 1]->name + "\" and \"" + sorted[i]->name + "\" overlap");
    return f;
}

Tensor SafetensorsFile::tensor(const std::string & name) {
    const SafetensorsEntry * e = find(name);
    require(e != nullptr, SDN_STATUS_MISSING_TENSOR, "safetensors file \"" + path_ + "\" has no tensor \"" + name + "\"");
    DType dtype;
    if (e->dtype == "F32") dtype = DType::F32;
    else if (e->dtype == "F16") dtype = DType::F16;
    else if (e->dtype == "BF16") dtype = DType::BF16;
    else throw Error(SDN_STATUS_BAD_FORMAT, "safetensors file \"" + path_ + "\", tensor \"" + name + "\": dtype " + e->dtype + " is not a float type the engine computes with");
    return Tensor::view(const_cast<uint8_t *>(data_ + e->begin), e->shape, dtype, shared_from_this(), Storage::Mapped);
}

} // namespace sdn
