// Lists the addon's portable C++ sources for binding.gyp: every .cc under src/ except the
// ISA-specific folders (built in their own target with their own flags).
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const found = [];
(function walk(dir) {
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (rel !== 'src/ops/arch') walk(rel);
    } else if (entry.name.endsWith('.cc')) {
      found.push(rel);
    }
  }
})('src');
console.log(found.sort().join(' '));
