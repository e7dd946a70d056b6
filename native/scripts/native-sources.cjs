// Lists C++ sources for binding.gyp: `node scripts/native-sources.cjs engine` prints every .cc under
// src/ except the N-API binding (src/binding) and the ISA-specific folders (src/ops/arch, built in
// their own targets with their own flags); `... <dir>` prints the .cc files directly in <dir>
// (relative to native/, e.g. src/ops/arch/x86/avx512 or ../test/native/ops).
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const what = process.argv[2] ?? 'engine';
const found = [];
if (what === 'engine') {
  (function walk(dir) {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (rel !== 'src/ops/arch' && rel !== 'src/binding') walk(rel);
      } else if (entry.name.endsWith('.cc')) {
        found.push(rel);
      }
    }
  })('src');
} else {
  for (const entry of fs.readdirSync(path.join(root, what), { withFileTypes: true }))
    if (entry.isFile() && entry.name.endsWith('.cc')) found.push(path.posix.join(what, entry.name));
}
console.log(found.sort().join(' '));
