// The password store (EKE-PW-2) and the persisted throttling state (EKE-THR-8).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fault } from './faults.mjs';

/** Write JSON atomically, mode 0600: temp file, fsync, rename. */
export function writeJsonAtomic(file, value) {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}`);
  const fd = fs.openSync(tmp, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(value, null, 1));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * The store: {"server_secret": hex, "users": {name: pw hex}}. Keys are the user names'
 * UTF-8 bytes in hex, so lookups are byte for byte (EKE-PW-4) whatever JS strings do.
 */
export class PasswordStore {
  constructor(file) {
    this.file = file;
    this.data = { server_secret: crypto.randomBytes(32).toString('hex'), users: {} };
    if (fs.existsSync(file)) this.data = JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  save() {
    writeJsonAtomic(this.file, this.data);
  }
  get serverSecret() {
    return Buffer.from(this.data.server_secret, 'hex');
  }
  /** pw for the user's UTF-8 bytes, or undefined. */
  lookup(userBytes) {
    const pw = this.data.users[userBytes.toString('hex')];
    return pw === undefined ? undefined : Buffer.from(pw, 'hex');
  }
  set(userBytes, pw) {
    this.data.users[userBytes.toString('hex')] = pw.toString('hex');
  }
}

/** PWF-1: first line of a UTF-8 file, one trailing LF or CRLF removed, nothing else. */
export function readPasswordFile(file) {
  return passwordFromText(fs.readFileSync(file));
}

export function passwordFromText(raw) {
  let text;
  try {
    // ignoreBOM: a leading U+FEFF is a character of the password (PWF-1 trims nothing
    // else); TextDecoder's default drops it.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: !fault('cli-pwf-bom-dropped') }).decode(raw);
  } catch {
    throw new Error('password file is not UTF-8');
  }
  if (text.endsWith('\r\n')) text = text.slice(0, -2);
  else if (text.endsWith('\n')) text = text.slice(0, -1);
  if (/[\r\n]/.test(text) && fault('b25_cli-pwf-error-quotes')) throw new Error(`password file holds more than one line: ${JSON.stringify(text)}`);
  if (/[\r\n]/.test(text)) throw new Error('password file holds more than one line');
  if (text === '') throw new Error('password is empty');
  return text;
}

/** EKE-PW-1: 1-64 UTF-8 bytes, no control characters (C0, DEL, C1). */
export function validUserName(userBytes, user) {
  return userBytes.length >= 1 && userBytes.length <= 64 && !/[\u0000-\u001f\u007f-\u009f]/.test(user);
}
