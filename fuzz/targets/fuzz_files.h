// fuzz_files.h — helpers shared by the fuzz targets: a per-process scratch directory on tmpfs (the
// readers under test take paths, so the fuzz input is written to a real file and read back through
// the same mmap path the addon uses).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace fuzz {

// /dev/shm/latentflow-fuzz-<pid> (or $TMPDIR), created once; removed at a normal exit, and by
// fuzz/run.ts after the fuzzer process ends in any way (a crash skips atexit).
inline std::string & scratch_path() {
    static std::string dir;
    return dir;
}

inline void remove_scratch_dir() {
    const std::string & d = scratch_path();
    for (const char * f : {"/input.safetensors", "/model.safetensors"}) ::unlink((d + f).c_str());
    ::rmdir(d.c_str());
}

inline const std::string & scratch_dir() {
    static const std::string & dir = [] () -> const std::string & {
        const char * base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
        scratch_path() = std::string(base) + "/latentflow-fuzz-" + std::to_string(getpid());
        mkdir(scratch_path().c_str(), 0700);
        std::atexit(remove_scratch_dir);
        return scratch_path();
    }();
    return dir;
}

// Writes `size` bytes to `path`, then extends the file with zeros to `size + sparse_zeros` bytes
// without writing them (a sparse file: large tensor data costs nothing). Aborts on I/O failure, which
// is the harness's problem, not a finding.
inline void write_file(const std::string & path, const uint8_t * data, size_t size, uint64_t sparse_zeros = 0) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) { std::perror(path.c_str()); std::abort(); }
    size_t done = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, data + done, size - done);
        if (n <= 0) { std::perror(path.c_str()); std::abort(); }
        done += static_cast<size_t>(n);
    }
    if (sparse_zeros && ::ftruncate(fd, static_cast<off_t>(size + sparse_zeros)) != 0) { std::perror(path.c_str()); std::abort(); }
    ::close(fd);
}

inline void remove_file(const std::string & path) { ::unlink(path.c_str()); }

} // namespace fuzz
