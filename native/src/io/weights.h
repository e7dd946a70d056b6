// weights.h — a model's weights by name, in the storage dtype the caller chose.
//
// Matrices and kernels (rank >= 2: linear and conv weights, embeddings) are kept as `storage` says:
// F16 keeps f16 tensors as zero-copy views of the mmap'd file (f32 ones are rounded into owned f16
// memory), F32 keeps f32 views and widens f16 ones into owned f32 memory, Q8_0 quantizes them into 8-bit
// blocks (mapped from an unlinked spill file). Vectors (rank <= 1: biases,
// norm scales) are always f32. A mapped view that is not aligned to its element size (a safetensors
// header of odd length) is copied into owned memory, so kernels may assume natural alignment. Names are diffusers/transformers names (single-file checkpoints are
// mapped to them on load, see checkpoint.h).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../core/tensor.h"
#include "safetensors.h"

namespace sdn {

class WeightSpill; // weight_spill.h

// Q8_0: a UNet's (and only a UNet's) matrices and kernels quantized to 8-bit blocks at load (core/q8_0.h:
// 32 values and an f16 scale, about half of f16's bytes), written to an unlinked file on disk and mapped
// (weight_spill.h: released between the network's calls as a checkpoint's pages are; owned memory where no
// disk-backed directory is writable); every other network of the model keeps F16 (storage_for_network).
// Tensors whose element count is not a multiple of 32 stay F16.
enum class WeightStorage { F32, F16, Q8_0 };

// The storage a network of a model loaded with `storage` gets: Q8_0 is the UNet's alone (the text
// encoders' embedding tables are read row by row, and the VAE is 8% of SD 1.5's weights), the others F16.
inline WeightStorage storage_for_network(WeightStorage storage, bool unet) {
    return storage == WeightStorage::Q8_0 && !unet ? WeightStorage::F16 : storage;
}
// "f32" | "f16" | "q8_0": the loaders' weight_dtype.
const char * weight_storage_name(WeightStorage storage);

class WeightStore {
public:
    explicit WeightStore(WeightStorage storage) : storage_(storage) {}

    // A store that has every weight a network asks for, in the shape it asks for, without data: a
    // network built on it from a configuration alone can be measured (core/arena.h's ArenaMeasure),
    // never run.
    static std::shared_ptr<WeightStore> placeholder();

    WeightStorage storage() const { return storage_; }

    // Adds one tensor (a view of a mapped file or owned memory); converts it per the policy.
    // `source` names where it came from, for error messages.
    void add(const std::string & name, const Tensor & tensor, const std::string & source);
    // Adds every float tensor of `file` whose name starts with `strip_prefix`, without that prefix.
    void add_file(const std::shared_ptr<SafetensorsFile> & file, const std::string & strip_prefix = "");

    // Records a file the weights came from (named in MISSING_TENSOR messages); add_file does it itself.
    void add_source_file(const std::string & path) { source_files_.push_back(path); }

    bool has(const std::string & name) const { return placeholder_ || tensors_.count(name) != 0; }
    // The stored tensor, or null (always null for a placeholder store: its shapes are the callers').
    const Tensor * find(const std::string & name) const;
    std::vector<std::string> names() const;

    // The stored tensor; throws MISSING_TENSOR naming the model part and the sources searched.
    const Tensor & get(const std::string & name) const;
    // Same, and checks the shape (BAD_SHAPE names the tensor, the expected and the found shape).
    const Tensor & get(const std::string & name, const Shape & expected) const;
    // An f32 vector (rank <= 1 weights are always stored f32).
    const float * vec(const std::string & name, int64_t expected_numel) const;

    // Drops this store's file pages from the process (madvise MADV_DONTNEED on the whole pages inside
    // the file ranges its tensors came from, where the store still holds views of that mapping): they
    // leave the resident set and come back from the page cache (or the file) on the next access. Owned
    // (converted) weights are untouched. Returns the bytes advised.
    uint64_t release_mapped_pages() const;
    // ---- Derived forms ------------------------------------------------------------------------------
    // A form of a stored tensor made from it on first use and kept (e.g. a weight packed once for the GEMM
    // kernels, models/common/layers.cc): `make(dst)` fills `bytes` of new owned memory (64-byte aligned,
    // counted as weight memory), keyed by the tensor and `kind` (which names the form and its layout).
    // Once made, the tensor's own file pages are released (madvise, as release_mapped_pages) where it is a
    // view of a mapped file: the derived form stands in for them in the resident set, and the file pages
    // come back from the page cache if anything reads the tensor itself again. release_mapped_pages()
    // drops every derived form too (a caller still holding one keeps it alive). Thread-safe; a first use
    // makes the form under a lock (`make` may run threaded work, but must not call derived()).
    std::shared_ptr<const void> derived(const Tensor & tensor, const std::string & kind, int64_t bytes,
                                        const std::function<void(void *)> & make) const;
    // Whether a derived form of `tensor` of about its own size costs no memory: a view of a mapped file
    // of 16-bit elements, whose pages the form replaces. A placeholder store answers no (its estimates
    // then count the per-call packing buffers: an upper bound).
    bool derived_replaces(const Tensor & tensor) const;
    // Bytes of derived forms held now.
    int64_t derived_bytes() const;

    // Label used in error messages ("UNet", "VAE", "text encoder").
    void set_label(const std::string & label) { label_ = label; }

private:
    WeightStorage storage_;
    bool placeholder_ = false;
    mutable std::map<std::string, Tensor> placeholders_; // a placeholder store's answers, kept for their addresses
    std::string label_ = "model";
    std::map<std::string, Tensor> tensors_;
    std::map<std::string, std::string> sources_;
    std::vector<std::string> source_files_;
    // Where each tensor added from a mapped file lay in memory, with the mapping's owner: pages read
    // while loading (vectors converted to f32) are released with the rest.
    struct SourceRange {
        uintptr_t begin, end;
        std::weak_ptr<void> owner; // the mapping: its addresses are its own only while it lives
    };
    std::vector<SourceRange> source_ranges_;
    // Where q8_0 weights go (weight_spill.h), opened on the first one; null where no directory takes it.
    std::shared_ptr<WeightSpill> spill_;
    bool spill_tried_ = false;
    mutable std::mutex derived_mutex_;
    mutable std::map<std::pair<const Tensor *, std::string>, std::shared_ptr<const void>> derived_;
    mutable int64_t derived_bytes_ = 0;
};

} // namespace sdn
