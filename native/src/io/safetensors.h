// safetensors.h — a reader for the safetensors format on mmap, with zero-copy tensor views.
//
// File layout: u64 little-endian N | N bytes of JSON header | data section.
// Header: { "__metadata__": {string: string}?, "<name>": {"dtype": D, "shape": [..], "data_offsets": [begin, end]} }
// with offsets relative to the start of the data section.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../core/tensor.h"

namespace sdn {

struct SafetensorsEntry {
    std::string name;
    std::string dtype;   // as written: "F32", "F16", "BF16", "I64", ...
    size_t element_size; // bytes per element of `dtype`
    Shape shape;
    uint64_t begin, end; // byte range inside the data section
};

class SafetensorsFile : public std::enable_shared_from_this<SafetensorsFile> {
public:
    // Maps and validates the file; throws sdn::Error (IO_ERROR or BAD_FORMAT) naming the file.
    static std::shared_ptr<SafetensorsFile> open(const std::string & path);
    ~SafetensorsFile();

    const std::string & path() const { return path_; }
    const std::vector<SafetensorsEntry> & entries() const { return entries_; }
    const std::map<std::string, std::string> & metadata() const { return metadata_; }
    const SafetensorsEntry * find(const std::string & name) const;

    // A zero-copy view of an F32/F16/BF16 tensor; keeps the mapping alive.
    Tensor tensor(const std::string & name);
    // Raw bytes of any tensor (integer tensors included).
    const uint8_t * bytes(const SafetensorsEntry & entry) const { return data_ + entry.begin; }

    SafetensorsFile(const SafetensorsFile &) = delete;
    SafetensorsFile & operator=(const SafetensorsFile &) = delete;

private:
    SafetensorsFile() = default;
    std::string path_;
    void * map_ = nullptr;
    size_t map_size_ = 0;
    const uint8_t * data_ = nullptr; // start of the data section
    uint64_t data_size_ = 0;
    std::vector<SafetensorsEntry> entries_;
    std::map<std::string, size_t> index_;
    std::map<std::string, std::string> metadata_;
};

// Element size of a safetensors dtype name, or 0 if unknown.
size_t safetensors_dtype_size(const std::string & dtype);

} // namespace sdn
