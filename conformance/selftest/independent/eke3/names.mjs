// Names (SPEC §3.5) and storage helpers (§3.6) shared by server and client.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fault } from './faults.mjs';

export const PARTIAL_PREFIX = '.sft-partial-';

// C0, DEL, C1 controls and the bidi embeddings/overrides/isolates (APP-NAME-2, -8).
const FORBIDDEN_CHARS = fault('name-no-bidi-check')
  ? /[\u0000-\u001f\u007f\\]/u
  : /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\\]/u;

/** Why a name is refused (forbidden), or null when it is acceptable. */
export function nameProblem(name) {
  const bytes = fault('r4-name-length-utf16') ? name.length : Buffer.byteLength(name, 'utf8');
  if (bytes === 0 || bytes > (fault('r2-name-limit-4095') ? 4095 : 4096)) return 'name length';
  if (name.startsWith('/')) return 'absolute name';
  if (/^[A-Za-z]:/.test(name) && !fault('r2-drive-letter-allowed')) return 'drive letter';
  if (FORBIDDEN_CHARS.test(name)) return 'forbidden character';
  if (fault('r3-name-ascii-only') && /[^\x20-\x7e]/.test(name)) return 'non-ASCII character';
  for (const part of name.split('/')) {
    if (part === '' || part === '.' || (part === '..' && !fault('name-dotdot-allowed'))) return 'bad component';
    if ((fault('r4-name-length-utf16') ? part.length : Buffer.byteLength(part, 'utf8')) > 255) return 'component too long';
  }
  return null;
}

/** A fresh temporary file in dir: exclusive, 0600 (APP-STORE-1). */
export function createPartial(dir, { server = false } = {}) {
  const tmp = path.join(dir, PARTIAL_PREFIX + crypto.randomBytes(12).toString('hex'));
  const mode = server && fault('store-temp-world-readable') ? 0o644 : 0o600;
  const fd = fs.openSync(tmp, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, mode);
  if (mode !== 0o600) fs.fchmodSync(fd, mode);
  return { tmp, fd };
}

/** fsync, then link to the final name without replacing it (APP-STORE-2). */
export function commitPartial(tmp, fd, finalPath, { replace = false } = {}) {
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  if (replace || fault('cli-overwrites-output')) fs.renameSync(tmp, finalPath);
  else {
    fs.linkSync(tmp, finalPath); // EEXIST when the name appeared meanwhile
    fs.unlinkSync(tmp);
  }
  const dfd = fs.openSync(path.dirname(finalPath), 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}

export function discardPartial(tmp, fd) {
  try {
    if (fd !== null && fd !== undefined) fs.closeSync(fd);
  } catch {}
  try {
    fs.unlinkSync(tmp);
  } catch {}
}

/** Remove .sft-partial-* files in dir older than maxAgeMs (0: all of them). */
export function sweepPartials(dir, maxAgeMs) {
  let entries = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const e of entries) {
    if (!e.startsWith(PARTIAL_PREFIX)) continue;
    const p = path.join(dir, e);
    try {
      const st = fs.lstatSync(p);
      if (st.isFile() && (maxAgeMs === 0 || now - st.mtimeMs >= maxAgeMs)) fs.unlinkSync(p); // 0: every leftover, even one dated ahead of the clock
    } catch {}
  }
}
