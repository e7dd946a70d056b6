import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkFileName, PathError, resolveInside, resolveSubfolder } from '../../../server/store/paths.ts';

let root: string;
let outside: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-paths-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-outside-'));
  fs.mkdirSync(path.join(root, 'sub'));
  fs.writeFileSync(path.join(root, 'sub', 'a.png'), 'x');
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  fs.symlinkSync(outside, path.join(root, 'escape'));
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'secret-link.txt'));
  fs.symlinkSync(path.join(root, 'sub'), path.join(root, 'inner-link'));
  fs.symlinkSync(path.join(outside, 'not-there.png'), path.join(root, 'dangling.png'));
  fs.symlinkSync(path.join(outside, 'no-dir'), path.join(root, 'dangling-dir'));
  fs.symlinkSync(path.join(root, 'loop'), path.join(root, 'loop'));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

describe('resolveInside', () => {
  it('resolves ordinary relative paths inside the root', () => {
    expect(resolveInside(root, 'sub/a.png', 'filename')).toBe(path.join(root, 'sub', 'a.png'));
    expect(resolveInside(root, 'new/file.png', 'filename')).toBe(path.join(root, 'new', 'file.png'));
    expect(resolveInside(root, 'inner-link/a.png', 'filename')).toBe(path.join(root, 'inner-link', 'a.png'));
    expect(resolveInside(root, '', 'subfolder', { allowEmpty: true })).toBe(root);
  });

  it.each([
    ['..', 'dot-dot'],
    ['../etc/passwd', 'dot-dot prefix'],
    ['sub/../../x', 'dot-dot in the middle'],
    ['/etc/passwd', 'absolute'],
    ['C:/Windows', 'drive letter'],
    ['sub\\..\\..\\x', 'backslashes'],
    ['a\u0000b.png', 'NUL byte'],
    ['..%2f..%2fetc', 'encoded slash'],
    ['%2e%2e/x', 'encoded dots'],
    ['escape/secret.txt', 'symlinked folder out of the root'],
    ['secret-link.txt', 'symlinked file out of the root'],
    ['', 'empty'],
    ['dangling.png', 'a link that points nowhere (a write would create its target outside)'],
    ['dangling-dir/x.png', 'a folder link that points nowhere'],
    ['loop/x.png', 'a link to itself'],
    ['sub/a.png/x.png', 'a file where a folder should be'],
  ])('refuses %j (%s)', (userPath) => {
    expect(() => resolveInside(root, userPath, 'filename')).toThrow(PathError);
  });

  it('names the parameter in the error', () => {
    expect(() => resolveInside(root, '../x', 'subfolder')).toThrow(/subfolder/);
  });
});

describe('checkFileName', () => {
  it('accepts ordinary names and refuses the rest', () => {
    expect(checkFileName('my workflow (v2).json', 'name')).toBe('my workflow (v2).json');
    expect(checkFileName('猫の絵', 'name')).toBe('猫の絵');
    for (const bad of ['', '.hidden', 'a/b', '..', 'x'.repeat(129), ' padded', 'semi;colon', 'nul\u0000', "a'&;=b%22"]) {
      expect(() => checkFileName(bad, 'name')).toThrow(PathError);
    }
  });

  it('limits names by bytes too: 66 three-byte letters (198 bytes) pass, 67 do not', () => {
    expect(checkFileName('一'.repeat(66), 'name')).toBe('一'.repeat(66));
    expect(() => checkFileName('一'.repeat(67), 'name')).toThrow(/200 bytes/);
    expect(() => checkFileName('一'.repeat(128), 'name')).toThrow(/200 bytes/);
  });
});

describe('resolveSubfolder', () => {
  it('takes folders whose every segment is a valid file name, and refuses the rest', () => {
    expect(resolveSubfolder(root, '')).toBe(root);
    expect(resolveSubfolder(root, 'sub/new folder (2)')).toBe(path.join(root, 'sub', 'new folder (2)'));
    for (const bad of ['a%2fb', "it's", '.git', 'sub/.hidden', '../x', 'dangling-dir']) expect(() => resolveSubfolder(root, bad), bad).toThrow(PathError);
  });
});
