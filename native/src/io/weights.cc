#include "weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

#include "../core/arena.h"
#include "../core/half.h"
#include "../core/q8_0.h"
#include "weight_spill.h"

namespace sdn {

const char * weight_storage_name(WeightStorage storage) {
    switch (storage) {
        case WeightStorage::F32: return "f32";
        case WeightStorage::F16: return "f16";
        case WeightStorage::Q8_0: return "q8_0";
    }
    return "?";
}

static Tensor convert(const Tensor & t, DType to) {
    if (t.dtype == to) return t;
    Tensor out = Tensor::empty_weights(t.shape, to);
    const int64_t n = t.numel();
    if (to == DType::F32) {
        if (t.dtype == DType::F16) convert_f16_to_f32(t.u16(), out.f32(), n);
        else convert_bf16_to_f32(t.u16(), out.f32(), n);
    } else if (to == DType::F16) {
        if (t.dtype == DType::F32) {
            convert_f32_to_f16(t.f32(), static_cast<uint16_t *>(out.data), n);
        } else { // bf16 -> f32 -> f16
            Tensor wide = to_f32(t);
            convert_f32_to_f16(wide.f32(), static_cast<uint16_t *>(out.data), n);
        }
    } else {
        throw Error(SDN_STATUS_INTERNAL, std::string("weights cannot be stored as ") + dtype_name(to));
    }
    return out;
}

// `t` quantized to q8_0 a piece at a time (a few hundred KiB: no copy of the whole tensor is ever made, in f32
// or q8_0), each piece's blocks handed to `put` in order.
static void quantize_pieces(const Tensor & t, const std::function<void(const uint8_t * blocks, int64_t bytes)> & put) {
    constexpr int64_t chunk = kQ8Block * 4096;
    std::vector<float> wide(static_cast<size_t>(chunk));
    std::vector<uint8_t> blocks(static_cast<size_t>(q8_0_bytes(chunk)));
    const int64_t n = t.numel();
    for (int64_t i = 0; i < n; i += chunk) {
        const int64_t m = std::min(chunk, n - i);
        if (t.dtype == DType::F32) std::memcpy(wide.data(), t.f32() + i, sizeof(float) * static_cast<size_t>(m));
        else if (t.dtype == DType::F16) convert_f16_to_f32(t.u16() + i, wide.data(), m);
        else convert_bf16_to_f32(t.u16() + i, wide.data(), m);
        quantize_q8_0(wide.data(), blocks.data(), m);
        put(blocks.data(), q8_0_bytes(m));
    }
}

// `t` as q8_0: in the spill file, mapped (spill not null), else in owned memory.
static Tensor quantize(const Tensor & t, WeightSpill * spill) {
    if (!spill) {
        Tensor out = Tensor::empty_weights(t.shape, DType::Q8_0);
        auto * at = static_cast<uint8_t *>(out.data);
        quantize_pieces(t, [&](const uint8_t * blocks, int64_t bytes) {
            std::memcpy(at, blocks, static_cast<size_t>(bytes));
            at += bytes;
        });
        return out;
    }
    spill->begin();
    quantize_pieces(t, [&](const uint8_t * blocks, int64_t bytes) { spill->append(blocks, bytes); });
    return spill->map(t.shape, DType::Q8_0);
}

// safetensors data starts right after a header of any length, so a mapped view may be misaligned for
// its element type; kernels (and the compiler's vectorizer) assume natural alignment. Such a tensor is
// copied into owned, 64-byte aligned memory. Files written by the safetensors library pad the header
// to a multiple of 8 bytes, so their views stay zero-copy.
static Tensor aligned(const Tensor & t) {
    if (reinterpret_cast<uintptr_t>(t.data) % dtype_size(t.dtype) == 0) return t;
    Tensor out = Tensor::empty_weights(t.shape, t.dtype);
    std::memcpy(out.data, t.data, t.nbytes());
    return out;
}

namespace {

// Releases the whole pages inside [begin, end) of a read-only file mapping: they leave the resident set
// and come back from the page cache on the next read. Returns the bytes advised.
uint64_t release_range(uintptr_t begin, uintptr_t end) {
    const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
    if (last <= first) return 0;
    // Advice only: a failure (never expected for a read-only file mapping) leaves the pages resident.
    return madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED) == 0 ? last - first : 0;
}

// Owned memory for a derived form, mapped on its own so that dropping the form returns its pages to the
// system at once (malloc would keep a large freed block in its heap, still resident).
std::shared_ptr<const void> derived_block(int64_t bytes) {
    const size_t n = static_cast<size_t>(std::max<int64_t>(bytes, 1));
    void * p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    require(p != MAP_FAILED, SDN_STATUS_OUT_OF_MEMORY, "out of memory allocating " + std::to_string(bytes >> 20) + " MiB of packed weights");
    weights_bytes_add(bytes);
    return std::shared_ptr<const void>(p, [n, bytes](const void * q) {
        munmap(const_cast<void *>(q), n);
        weights_bytes_add(-bytes);
    });
}

} // namespace

void WeightStore::add(const std::string & name, const Tensor & tensor, const std::string & source) {
    require(tensor.is_contiguous(), SDN_STATUS_INTERNAL, label_ + ": weight \"" + name + "\" is not contiguous");
    const DType want = tensor.rank() <= 1 || storage_ == WeightStorage::F32 ? DType::F32
                       : storage_ == WeightStorage::Q8_0 && tensor.numel() % kQ8Block == 0 ? DType::Q8_0
                                                                                      : DType::F16;
    Tensor stored;
    if (want == DType::Q8_0) {
        if (!spill_tried_) spill_ = WeightSpill::open(source), spill_tried_ = true;
        stored = quantize(aligned(tensor), spill_.get());
        // Spilled: released between this network's calls as a file's pages are. The mapping is the tensor's own,
        // from a page boundary, so its last page goes too.
        if (stored.storage == Storage::Mapped) {
            const auto begin = reinterpret_cast<uintptr_t>(stored.data);
            source_ranges_.push_back({begin, begin + static_cast<uintptr_t>(WeightSpill::pages_of(static_cast<int64_t>(stored.nbytes()))), stored.owner});
        }
    } else {
        stored = convert(aligned(tensor), want);
    }
    tensors_[name] = stored;
    sources_[name] = source;
    if (tensor.storage == Storage::Mapped && tensor.data) {
        const auto begin = reinterpret_cast<uintptr_t>(tensor.data);
        source_ranges_.push_back({begin, begin + tensor.nbytes(), tensor.owner});
        // A converted tensor (widened, quantized, copied) never reads its file pages again: drop them now. Left
        // to release_mapped_pages, they would stay resident while the rest loads, and for good where this store
        // keeps no view of the file but another network's store keeps it mapped (a single-file checkpoint).
        if (stored.data != tensor.data) release_range(begin, begin + tensor.nbytes());
    }
}

void WeightStore::add_file(const std::shared_ptr<SafetensorsFile> & file, const std::string & strip_prefix) {
    source_files_.push_back(file->path());
    for (const auto & e : file->entries()) {
        if (e.name.compare(0, strip_prefix.size(), strip_prefix) != 0) continue;
        if (e.dtype != "F32" && e.dtype != "F16" && e.dtype != "BF16") continue; // e.g. int64 position_ids buffers
        add(e.name.substr(strip_prefix.size()), file->tensor(e.name), file->path());
    }
}

std::shared_ptr<WeightStore> WeightStore::placeholder() {
    auto store = std::make_shared<WeightStore>(WeightStorage::F32);
    store->placeholder_ = true;
    store->label_ = "configuration";
    return store;
}

const Tensor * WeightStore::find(const std::string & name) const {
    auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
}

std::vector<std::string> WeightStore::names() const {
    std::vector<std::string> out;
    for (const auto & kv : tensors_) out.push_back(kv.first);
    return out;
}

const Tensor & WeightStore::get(const std::string & name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) {
        std::string files;
        for (const auto & f : source_files_) files += (files.empty() ? "" : ", ") + ("\"" + f + "\"");
        throw Error(SDN_STATUS_MISSING_TENSOR, label_ + ": weight \"" + name + "\" is missing" +
                                                   (files.empty() ? "" : " from " + files) +
                                                   " (is this a Stable Diffusion 1.x model?)");
    }
    return it->second;
}

const Tensor & WeightStore::get(const std::string & name, const Shape & expected) const {
    if (placeholder_) {
        Tensor & t = placeholders_[name];
        t.shape = expected;
        t.strides = Tensor::contiguous_strides(expected);
        return t;
    }
    const Tensor & t = get(name);
    require(t.shape == expected, SDN_STATUS_BAD_SHAPE,
            label_ + ": weight \"" + name + "\" has shape " + shape_str(t.shape) + ", the configuration expects " +
                shape_str(expected) + " (from \"" + sources_.at(name) + "\")");
    return t;
}

const float * WeightStore::vec(const std::string & name, int64_t expected_numel) const {
    const Tensor & t = get(name, Shape{expected_numel});
    return t.f32();
}


bool WeightStore::derived_replaces(const Tensor & tensor) const {
    if (placeholder_) return false; // unknown: estimates from a configuration assume packing per call (an upper bound)
    return tensor.storage == Storage::Mapped && (tensor.dtype == DType::F16 || tensor.dtype == DType::BF16);
}

std::shared_ptr<const void> WeightStore::derived(const Tensor & tensor, const std::string & kind, int64_t bytes,
                                                 const std::function<void(void *)> & make) const {
    require(!placeholder_, SDN_STATUS_INTERNAL, "a placeholder store has no data to derive from");
    std::lock_guard<std::mutex> lock(derived_mutex_);
    auto & slot = derived_[{&tensor, kind}];
    if (slot) return slot;
    std::shared_ptr<const void> block = derived_block(bytes);
    make(const_cast<void *>(block.get()));
    slot = block;
    derived_bytes_ += bytes;
    if (tensor.storage == Storage::Mapped && tensor.data) {
        const auto begin = reinterpret_cast<uintptr_t>(tensor.data);
        release_range(begin, begin + tensor.nbytes());
    }
    return slot;
}

int64_t WeightStore::derived_bytes() const {
    std::lock_guard<std::mutex> lock(derived_mutex_);
    return derived_bytes_;
}

uint64_t WeightStore::release_mapped_pages() const {
    {
        std::lock_guard<std::mutex> lock(derived_mutex_);
        derived_.clear();
        derived_bytes_ = 0;
    }
    // Only mappings still alive (held by this store's views, or by another network's when this one converted
    // all of its tensors) are advised, and kept alive while they are: a file unmapped since may have its
    // addresses reused by other memory that must not be touched.
    std::vector<std::shared_ptr<void>> alive;
    // The source ranges, merged where they touch (tensors lie back to back in a file), so pages
    // spanning two tensors of this store are released too; pages shared with another store (another
    // network's tensors in the same file) are kept.
    std::vector<std::pair<uintptr_t, uintptr_t>> ranges;
    for (const SourceRange & r : source_ranges_)
        if (std::shared_ptr<void> mapping = r.owner.lock()) {
            ranges.emplace_back(r.begin, r.end);
            alive.push_back(std::move(mapping));
        }
    std::sort(ranges.begin(), ranges.end());
    uint64_t advised = 0;
    for (size_t i = 0; i < ranges.size();) {
        uintptr_t begin = ranges[i].first, end = ranges[i].second;
        for (++i; i < ranges.size() && ranges[i].first <= end; ++i) end = std::max(end, ranges[i].second);
        advised += release_range(begin, end);
    }
    return advised;
}

} // namespace sdn
