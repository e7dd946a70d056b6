// Fuzz target: the safetensors reader (native/src/io/safetensors.cc) on arbitrary bytes.
//
// The input is the whole file: u64 header length | JSON header | data. The reader must either accept
// it or throw sdn::Error (BAD_FORMAT / IO_ERROR). Anything else is a finding: a sanitizer report
// (out-of-bounds read of the mapping, overflow, UB), an uncaught exception of another type, or an
// accepted file whose entries break the invariants checked below.
#include <cstring>

#include "fuzz_files.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    static const std::string path = fuzz::scratch_dir() + "/input.safetensors";
    fuzz::write_file(path, data, size);
    std::shared_ptr<sdn::SafetensorsFile> file;
    try {
        file = sdn::SafetensorsFile::open(path);
    } catch (const sdn::Error &) {
        return 0; // refused with a status and a message: the expected outcome for most inputs
    }
    // Accepted: every entry lies inside the data section, the entries tile it, and reading each
    // tensor touches only its own bytes (ASan checks the reads against the mapping).
    uint64_t covered = 0;
    for (const sdn::SafetensorsEntry & e : file->entries()) {
        if (e.begin > e.end || e.end > file->data_bytes()) __builtin_trap();
        covered += e.end - e.begin;
        if (file->find(e.name) != &e) __builtin_trap();
        try {
            std::vector<float> values = file->copy_f32(e.name);
            volatile float sink = 0;
            for (float v : values) sink = sink + v;
            sdn::Tensor t = file->tensor(e.name);
            if (t.numel() * static_cast<int64_t>(e.element_size) != static_cast<int64_t>(e.end - e.begin)) __builtin_trap();
        } catch (const sdn::Error &) {
            // integer dtypes cannot be read as floats: a documented refusal
        }
    }
    if (covered != file->data_bytes()) __builtin_trap();
    return 0;
}
