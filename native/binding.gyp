# The native engine, its N-API addon, and the C++ programs that test and measure its kernels.
#
#   sdn_engine      static library: every portable source (src/ except binding/ and ops/arch/), -O3,
#                   for any x86-64 (or other) CPU
#   sdn_avx2        static library: src/ops/arch/x86/avx2/, built with -mavx2 -mfma -mf16c
#   sdn_avx512      static library: src/ops/arch/x86/avx512/, built with AVX-512 F/BW/VL/DQ/BF16/VNNI and AMX-TILE/BF16
#                   The kernels of the two ISA libraries are only called after the run-time CPU check
#                   (src/core/cpu.cc), so everything built here loads and works on CPUs without them.
#                   (-Wno-maybe-uninitialized: GCC 12 warns inside its own AVX-512 intrinsics.)
#   latentflow      the addon (src/binding/ on the libraries above)
#   sdn_ops_test    the op test program (test/native/ops/: every op case on every ISA path against its
#                   naive twin), run by `npm test` through test/native/ops/ops.test.ts
#   sdn_ops_bench   the kernels' benchmark program (bench/native/), run by bench/gemm.ts,
#                   bench/conv-winograd.ts and bench/speed.ts
# Note: gyp's "!" lists remove a flag everywhere, also where we add it, so -O2/-O3 must not be in them
# (they were, and the whole addon built at -O0).
# LATENTFLOW_SANITIZE=1 (npm run test:asan, in CI): -O1 (after -O3, so it wins; what ASan recommends, and
# the sanitized build compiles in far less time) and -g1 (function names and line tables for reports).
{
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-fexceptions", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "include_dirs": ["include"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "conditions": [
      ["'<!(echo $LATENTFLOW_SANITIZE)'=='1'", {
        "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-O1", "-g1"],
        "ldflags": ["-fsanitize=address,undefined"]
      }]
    ]
  },
  "targets": [
    {
      "target_name": "sdn_avx2",
      "type": "static_library",
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c"],
      "sources": ["<!@(node scripts/native-sources.cjs src/ops/arch/x86/avx2)"]
    },
    {
      "target_name": "sdn_avx512",
      "type": "static_library",
      "cflags_cc": ["-Wno-maybe-uninitialized", "-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512bf16", "-mavx512vnni", "-mamx-tile", "-mamx-bf16"],
      "sources": ["<!@(node scripts/native-sources.cjs src/ops/arch/x86/avx512)"]
    },
    {
      "target_name": "sdn_engine",
      "type": "static_library",
      "dependencies": ["sdn_avx2", "sdn_avx512"],
      "export_dependent_settings": ["sdn_avx2", "sdn_avx512"],
      "sources": ["<!@(node scripts/native-sources.cjs engine)"],
      "link_settings": { "libraries": ["-lpthread"] }
    },
    {
      "target_name": "latentflow",
      "dependencies": ["sdn_engine"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include_dir\")"],
      "sources": ["<!@(node scripts/native-sources.cjs src/binding)"]
    },
    {
      "target_name": "sdn_ops_test",
      "type": "executable",
      "dependencies": ["sdn_engine"],
      "include_dirs": ["src"],
      "sources": ["<!@(node scripts/native-sources.cjs ../test/native/ops)"]
    },
    {
      "target_name": "sdn_t2i_adapter_test",
      "type": "executable",
      "dependencies": ["sdn_engine"],
      "include_dirs": ["src"],
      "sources": ["<!@(node scripts/native-sources.cjs ../test/native/models/t2i_adapter)"]
    },
    {
      "target_name": "sdn_ops_bench",
      "type": "executable",
      "dependencies": ["sdn_engine"],
      "include_dirs": ["src"],
      "sources": ["<!@(node scripts/native-sources.cjs ../bench/native)"]
    }
  ]
}
