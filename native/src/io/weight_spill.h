// weight_spill.h — weights the loader made (quantized to q8_0) kept in an unlinked file on disk and mapped,
// so that their pages behave as a checkpoint's own: released from the process while another network runs
// (WeightStore::release_mapped_pages), back from the page cache on the next call, evictable by the kernel.
// Owned memory would stay resident for the model's life, through every other network's call.
//
// The file is created with O_TMPFILE (or created and unlinked at once): nothing is left on disk when the
// process ends, however it ends. It lives in the first writable directory on a disk-backed file system
// (not tmpfs or ramfs, whose pages are memory) of: $LATENTFLOW_SPILL_DIR, the checkpoint's own folder,
// $TMPDIR, /var/tmp, /tmp. LATENTFLOW_SPILL_DIR=off keeps such weights in owned memory (no disk writes).
#pragma once

#include <memory>
#include <string>

#include "../core/tensor.h"

namespace sdn {

class WeightSpill {
public:
    // A spill file for weights read from `source` (a checkpoint file: its folder is a candidate); null when
    // no candidate directory takes one, or LATENTFLOW_SPILL_DIR is "off" (the caller keeps the weights in
    // owned memory). The environment is read on every call.
    static std::shared_ptr<WeightSpill> open(const std::string & source);
    ~WeightSpill();
    WeightSpill(const WeightSpill &) = delete;
    WeightSpill & operator=(const WeightSpill &) = delete;

    // One tensor's bytes, written in pieces: begin() starts it at the next page boundary of the file, append()
    // adds bytes (throws IO_ERROR naming the directory when a write fails, e.g. a full disk), map() maps what
    // was appended since begin() read-only: a Mapped view of `shape` and `dtype` (their bytes).
    void begin();
    void append(const void * data, int64_t bytes);
    Tensor map(const Shape & shape, DType dtype);
    // `bytes` rounded up to whole pages: the extent of a mapping map() made (its last page is the tensor's alone).
    static int64_t pages_of(int64_t bytes);

private:
    WeightSpill(int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}
    int fd_;
    std::string dir_;
    int64_t start_ = 0, end_ = 0; // the tensor being written: [start_, end_)
};

} // namespace sdn
