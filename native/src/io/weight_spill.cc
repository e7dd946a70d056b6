#include "weight_spill.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../core/arena.h"
#include "../core/error.h"

namespace sdn {

namespace {

constexpr long kTmpfsMagic = 0x01021994, kRamfsMagic = 0x858458f6;

// An unlinked read-write file in `dir`, or -1 where the directory is memory-backed or not writable.
int unlinked_file_in(const std::string & dir) {
    struct statfs fs {};
    if (dir.empty() || statfs(dir.c_str(), &fs) != 0) return -1;
    if (static_cast<long>(fs.f_type) == kTmpfsMagic || static_cast<long>(fs.f_type) == kRamfsMagic) return -1;
#ifdef O_TMPFILE
    const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
#endif
    std::string path = dir + "/.latentflow-spill-XXXXXX"; // file systems without O_TMPFILE: create, then unlink at once
    std::vector<char> name(path.begin(), path.end());
    name.push_back('\0');
    const int fallback = mkstemp(name.data());
    if (fallback >= 0) unlink(name.data());
    return fallback;
}

std::string folder_of(const std::string & path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

std::shared_ptr<WeightSpill> WeightSpill::open(const std::string & source) {
    std::vector<std::string> candidates;
    const char * chosen = std::getenv("LATENTFLOW_SPILL_DIR");
    if (chosen && std::strcmp(chosen, "off") == 0) return nullptr;
    if (chosen && *chosen) candidates.emplace_back(chosen);
    if (!source.empty()) candidates.push_back(folder_of(source));
    if (const char * d = std::getenv("TMPDIR"); d && *d) candidates.emplace_back(d);
    candidates.emplace_back("/var/tmp");
    candidates.emplace_back("/tmp");
    for (const std::string & dir : candidates) {
        const int fd = unlinked_file_in(dir);
        if (fd >= 0) return std::shared_ptr<WeightSpill>(new WeightSpill(fd, dir));
    }
    return nullptr;
}

WeightSpill::~WeightSpill() { ::close(fd_); } // the mappings keep the file's pages; the file goes with the last

int64_t WeightSpill::pages_of(int64_t bytes) {
    const int64_t page = sysconf(_SC_PAGESIZE);
    return (bytes + page - 1) / page * page;
}

void WeightSpill::begin() { start_ = end_ = pages_of(end_); }

void WeightSpill::append(const void * data, int64_t bytes) {
    const auto * src = static_cast<const char *>(data);
    for (int64_t done = 0; done < bytes;) {
        const ssize_t n = pwrite(fd_, src + done, static_cast<size_t>(bytes - done), static_cast<off_t>(end_));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw Error(SDN_STATUS_IO_ERROR, "writing quantized weights to an unlinked file in \"" + dir_ + "\" failed (" +
                                                 (n < 0 ? std::strerror(errno) : "nothing written") +
                                                 "): free space there or set LATENTFLOW_SPILL_DIR to a disk with room, or load with weight_dtype f16");
        done += n;
        end_ += n;
    }
}

Tensor WeightSpill::map(const Shape & shape, DType dtype) {
    const int64_t bytes = static_cast<int64_t>(dtype_bytes(dtype, shape_numel(shape)));
    require(bytes == end_ - start_, SDN_STATUS_INTERNAL, "weight spill: " + std::to_string(end_ - start_) + " bytes written for a tensor of " + std::to_string(bytes));
    const size_t len = static_cast<size_t>(std::max<int64_t>(bytes, 1));
    void * p = mmap(nullptr, len, PROT_READ, MAP_SHARED, fd_, static_cast<off_t>(start_));
    require(p != MAP_FAILED, SDN_STATUS_IO_ERROR, "mapping quantized weights from \"" + dir_ + "\" failed (" + std::strerror(errno) + ")");
    mapped_bytes_add(static_cast<int64_t>(len));
    std::shared_ptr<void> owner(p, [len](void * q) {
        munmap(q, len);
        mapped_bytes_add(-static_cast<int64_t>(len));
    });
    return Tensor::view(p, shape, dtype, std::move(owner), Storage::Mapped);
}

} // namespace sdn
