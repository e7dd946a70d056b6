// safetensors.h — a reader for the safetensors format on mmap, with zero-copy tensor views.
//
// File layout: u64 little-endian N | N bytes of JSON header (UTF-8) | data section.
// Header: { "__metadata__": {string: string}?, "<name>": {"dtype": D, "shape": [..], "data_offsets": [begin, end]} }
// with offsets relative to the start of the data section.
//
// Validation is as strict as the reference implementation (huggingface/safetensors `validate`):
// header length <= 100 MiB and inside the file, header valid UTF-8 JSON object without duplicate keys,
// metadata only strings, known dtypes, end - begin == numel(shape) * dtype size, and the tensors,
// sorted by offset, tile the data section exactly (no overlap, no hole, no trailing bytes).
// Any violation throws sdn::Error(BAD_FORMAT) whose message names the file, the tensor and the problem;
// a file that cannot be opened or mapped throws IO_ERROR.
//
// Tensor bytes start wherever the header ends, so they are not necessarily aligned to their element
// size: read them with memcpy (copy_f32 below), or check alignment before casting (WeightStore does).
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
    // The largest header accepted (as the reference implementation).
    static constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

    // Maps and validates the file; throws sdn::Error (IO_ERROR or BAD_FORMAT) naming the file.
    static std::shared_ptr<SafetensorsFile> open(const std::string & path);
    ~SafetensorsFile();

    const std::string & path() const { return path_; }
    uint64_t header_bytes() const { return header_bytes_; } // N, the JSON header's length
    uint64_t data_bytes() const { return data_size_; }
    // Entries in header order (__metadata__ excluded).
    const std::vector<SafetensorsEntry> & entries() const { return entries_; }
    const std::map<std::string, std::string> & metadata() const { return metadata_; }
    const SafetensorsEntry * find(const std::string & name) const;

    // A zero-copy view of an F32/F16/BF16 tensor; keeps the mapping alive. The view may be unaligned.
    Tensor tensor(const std::string & name);
    // Raw bytes of any tensor (integer tensors included); possibly unaligned.
    const uint8_t * bytes(const SafetensorsEntry & entry) const { return data_ + entry.begin; }
    // An f32 copy of an F32/F16/BF16 tensor (widened), read with unaligned-safe loads.
    std::vector<float> copy_f32(const std::string & name) const;

    SafetensorsFile(const SafetensorsFile &) = delete;
    SafetensorsFile & operator=(const SafetensorsFile &) = delete;

private:
    SafetensorsFile() = default;
    void parse_header(const std::string & where);
    std::string path_;
    void * map_ = nullptr;
    size_t map_size_ = 0;
    uint64_t header_bytes_ = 0;
    const uint8_t * data_ = nullptr; // start of the data section
    uint64_t data_size_ = 0;
    std::vector<SafetensorsEntry> entries_;
    std::map<std::string, size_t> index_;
    std::map<std::string, std::string> metadata_;
};

// Element size of a safetensors dtype name, or 0 if unknown.
size_t safetensors_dtype_size(const std::string & dtype);

} // namespace sdn
