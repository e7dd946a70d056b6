# The native engine. Portable sources build with -O3 for any x86-64 (or other) CPU; the files under
# src/ops/arch/x86/ build in their own target with -mavx2 -mfma -mf16c and are only called after a
# run-time CPU check (src/core/cpu.cc), so the addon loads and works on CPUs without AVX2.
# Note: gyp's "!" lists remove a flag everywhere, also where we add it, so -O2/-O3 must not be in them
# (they were, and the whole addon built at -O0).
# LATENTFLOW_SANITIZE=1 (npm run test:asan, in CI): -O1 (after -O3, so it wins; what ASan recommends, and
# the sanitized build compiles in far less time) and -g1 (function names and line tables for reports).
{
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "include_dirs": ["include", "<!@(node -p \"require('node-addon-api').include_dir\")"],
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
      "target_name": "sdn_x86",
      "type": "static_library",
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-fPIC"],
      "sources": ["<!@(node -e \"console.log(require('fs').readdirSync('src/ops/arch/x86').filter(f=>f.endsWith('.cc')).map(f=>'src/ops/arch/x86/'+f).join(' '))\")"]
    },
    {
      "target_name": "latentflow",
      "dependencies": ["sdn_x86"],
      "sources": ["<!@(node scripts/native-sources.cjs)"],
      "libraries": ["-lpthread"]
    }
  ]
}
