import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../config/config.ts';

/**
 * Field encryption at rest: AES-256-GCM (NIST SP 800-38D) from `node:crypto`, with data keys that
 * live outside the database.
 *
 * **Keys.** A data key is 32 random bytes with a short id (`[A-Za-z0-9_-]`, 1–32 characters). Keys
 * are written one per line as `id:base64key` (standard or URL-safe base64). The **first** key is the
 * current one, used for every new seal; the lines after it only open values sealed earlier. That is
 * how a key is rotated (docs/SECURITY.md): a new line goes first, `solidaris rotate-data-key`
 * re-seals every sealed column with it, then the old line is removed. Blank lines and lines starting
 * with `#` are ignored.
 *
 * **Where keys come from** (`loadConfig` → {@link DataKeySource}), never from the database:
 * - `DATA_KEYS`: the entries themselves, separated by newlines, commas or spaces;
 * - `DATA_KEY_FILE`: a file of entries (readable by the server's user only, mode 0600);
 * - neither, and `NODE_ENV` is not `production`: a development key file beside the SQLite database
 *   (default `./data/data-keys`, mode 0600), created with a new key on first use, with a warning
 *   logged once per process, so a demo works out of the box;
 * - neither, in production: no key; sealing or opening throws a {@link DataKeyError}.
 *
 * **Envelope.** `v1.<keyId>.<iv>.<tag>.<ciphertext>`, the three binary parts in base64url (RFC 4648
 * §5) without padding; a random 96-bit IV per seal, a 128-bit tag. The associated data is
 * `v1.<keyId>.<aad>`, where the caller's `aad` names the row the value belongs to (e.g.
 * `beneficiaries:<id>`), so a value copied into another row, or its key id edited, fails to open.
 */

/** Where the data keys come from (see the module docs). */
export type DataKeySource =
  | { kind: 'env'; value: string }
  | { kind: 'file'; path: string }
  | { kind: 'dev-file'; path: string }
  | { kind: 'none' };

/** A configuration problem with the data keys (none configured, malformed entries, unreadable file). Messages never contain key material. */
export class DataKeyError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'DataKeyError';
  }
}

/** Why an envelope could not be opened. */
export type SealErrorCode =
  /** Not a `v1.` envelope of five well-formed parts. */
  | 'malformed'
  /** Sealed with a key id the keyring does not hold (removed too early, or another instance's). */
  | 'unknown_key'
  /** Authentication failed: wrong key, wrong `aad` (value moved to another row) or tampered bytes. */
  | 'auth_failed';

/** An envelope that cannot be opened. Never carries the plaintext or key material. */
export class SealError extends Error {
  readonly code: SealErrorCode;
  constructor(code: SealErrorCode, message: string) {
    super(message);
    this.name = 'SealError';
    this.code = code;
  }
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

/** A set of data keys: the current one (new seals) and older ones (opening only). Key material stays private. */
export class Keyring {
  readonly #keys: Map<string, KeyObject>;
  readonly #current: string | null;
  readonly #missing: string;

  /** @param entries `[id, 32-byte key]` pairs, current first; @param missing the error message when there is no key. */
  constructor(entries: [string, Buffer][], missing = 'no data key is configured') {
    this.#keys = new Map(entries.map(([id, key]) => [id, createSecretKey(key)]));
    this.#current = entries[0]?.[0] ?? null;
    this.#missing = missing;
  }

  /** Id of the key new seals use; null when no key is configured. */
  get currentId(): string | null {
    return this.#current;
  }

  /** Every key id, current first. */
  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  /** The current key (for sealing). @throws {DataKeyError} when no key is configured. */
  currentKey(): { id: string; key: KeyObject } {
    if (this.#current === null) throw new DataKeyError(this.#missing);
    return { id: this.#current, key: this.#keys.get(this.#current)! };
  }

  /** The key with `id` (for opening), or undefined. @throws {DataKeyError} when no key is configured. */
  key(id: string): KeyObject | undefined {
    if (this.#current === null) throw new DataKeyError(this.#missing);
    return this.#keys.get(id);
  }
}

/**
 * Parses key entries (`id:base64key`, first = current; separated by newlines, or by commas or
 * spaces when `origin` is an environment variable). Blank lines and `#` comments are skipped.
 * @param origin names the source in error messages (`DATA_KEYS`, a file path).
 * @throws {DataKeyError} naming the entry number for a malformed entry, an id outside
 *   `[A-Za-z0-9_-]{1,32}`, a key that is not exactly 32 bytes, a repeated id, or no entry at all.
 */
export function parseDataKeys(text: string, origin: string): Keyring {
  const entries: [string, Buffer][] = [];
  const lines = text.split(/\r?\n/);
  let n = 0;
  for (const rawLine of lines) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    for (const entry of line.split(/[\s,]+/).filter(Boolean)) {
      n += 1;
      const colon = entry.indexOf(':');
      const id = colon > 0 ? entry.slice(0, colon) : '';
      const b64 = colon > 0 ? entry.slice(colon + 1) : '';
      if (!KEY_ID.test(id)) throw new DataKeyError(`${origin}: entry ${n} must be id:base64key with an id of 1–32 letters, digits, - or _`);
      if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) throw new DataKeyError(`${origin}: key ${id} is not base64`);
      const key = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
      if (key.length !== KEY_BYTES) throw new DataKeyError(`${origin}: key ${id} must be ${KEY_BYTES} bytes, got ${key.length}`);
      if (entries.some(([other]) => other === id)) throw new DataKeyError(`${origin}: key id ${id} appears twice`);
      entries.push([id, key]);
    }
  }
  if (!entries.length) throw new DataKeyError(`${origin}: no data key found`);
  return new Keyring(entries);
}

/**
 * A new key entry `id:base64key` with 32 bytes from the system's CSPRNG, as `solidaris
 * generate-data-key` prints it. Default id: the UTC date and 4 random hex digits (`20261130-3fa2`),
 * so ids sort by age and two keys made on one day differ.
 * @throws {DataKeyError} for an id outside `[A-Za-z0-9_-]{1,32}`.
 */
export function generateDataKeyLine(id?: string, now: Date = new Date()): string {
  const keyId = id ?? `${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(2).toString('hex')}`;
  if (!KEY_ID.test(keyId)) throw new DataKeyError(`a key id must be 1–32 letters, digits, - or _, got ${JSON.stringify(keyId)}`);
  return `${keyId}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/** Told once per process and key file when the development key file is in use. */
export interface DevKeyFileNotice {
  path: string;
  /** True when this call created the file. */
  created: boolean;
}

const cache = new Map<string, Keyring>();
const noticed = new Set<string>();

/** Reads a key file; warns (once) when others than its owner may read it. */
function readKeyFile(path: string, warn: (message: string) => void): Keyring {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DataKeyError(`DATA_KEY_FILE ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0 && !noticed.has(`mode:${path}`)) {
    noticed.add(`mode:${path}`);
    warn(`data key file ${path} is readable by other users; chmod 600 it`);
  }
  return parseDataKeys(text, path);
}

/** Creates the development key file with one new key unless it exists; true when created. */
function ensureDevKeyFile(path: string): boolean {
  mkdirSync(dirname(path), { recursive: true });
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new DataKeyError(`the development key file ${path} cannot be created (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    writeSync(fd, `# Development data key, made by Solidaris because neither DATA_KEYS nor DATA_KEY_FILE is set.\n# Not for production: see docs/SECURITY.md.\n${generateDataKeyLine()}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600);
  return true;
}

/**
 * The keyring of `source`, read once per process and cached (restart the servers after editing
 * the key file). For `dev-file`, creates the file with a new key on first use (mode 0600) and calls
 * `o.onDevKeyFile` once per process and path (default: a warning on stderr). For `none` the
 * keyring is empty: {@link seal} and {@link open} then throw a {@link DataKeyError}.
 * @param o.warn receives other operator warnings (a key file readable by other users); default stderr.
 * @throws {DataKeyError} for malformed entries or an unreadable key file.
 */
export function loadKeyring(
  source: DataKeySource,
  o: { onDevKeyFile?: (notice: DevKeyFileNotice) => void; warn?: (message: string) => void } = {},
): Keyring {
  const warn = o.warn ?? ((m: string) => process.emitWarning(m, 'SolidarisDataKeys'));
  if (source.kind === 'none') {
    return new Keyring([], 'no data key is configured: set DATA_KEY_FILE (or DATA_KEYS) to the data keys; with NODE_ENV=production Solidaris never makes one itself (docs/SECURITY.md)');
  }
  const cacheKey = source.kind === 'env' ? `env:${source.value}` : `file:${source.path}`;
  let keyring = cache.get(cacheKey);
  let created = false;
  if (!keyring) {
    if (source.kind === 'env') keyring = parseDataKeys(source.value, 'DATA_KEYS');
    else {
      if (source.kind === 'dev-file') created = ensureDevKeyFile(source.path);
      keyring = readKeyFile(source.path, warn);
    }
    cache.set(cacheKey, keyring);
  }
  if (source.kind === 'dev-file' && !noticed.has(cacheKey)) {
    noticed.add(cacheKey);
    const notice = { path: source.path, created };
    if (o.onDevKeyFile) o.onDevKeyFile(notice);
    else warn(`using the development data key file ${source.path}${created ? ' (created)' : ''}; set DATA_KEY_FILE for real data (docs/SECURITY.md)`);
  }
  return keyring;
}

function associatedData(keyId: string, aad: string): Buffer {
  if (typeof aad !== 'string' || aad === '') throw new TypeError('seal/open need a non-empty aad naming the row');
  return Buffer.from(`${VERSION}.${keyId}.${aad}`, 'utf8');
}

/**
 * Seals `plaintext` with the keyring's current key, bound to `aad`.
 * @param plaintext text (stored as UTF-8), or an object stored as its JSON (read it back with {@link openJson}).
 * @param aad what the value belongs to, e.g. `beneficiaries:<id>`; the same string must be given to {@link open}.
 * @returns `v1.<keyId>.<iv>.<tag>.<ciphertext>` (ASCII; about 4/3 of the plaintext's bytes plus ~60).
 * @throws {DataKeyError} when no key is configured; TypeError for an empty `aad`.
 */
export function seal(keyring: Keyring, plaintext: string | object, aad: string): string {
  const { id, key } = keyring.currentKey();
  const text = typeof plaintext === 'string' ? plaintext : JSON.stringify(plaintext);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(id, aad));
  const ciphertext = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, id, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
}

interface Envelope {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

function parseEnvelope(envelope: string): Envelope {
  const parts = typeof envelope === 'string' ? envelope.split('.') : [];
  const [version, keyId, iv, tag, ciphertext] = parts;
  if (parts.length !== 5 || version !== VERSION || !KEY_ID.test(keyId!) || ![iv, tag, ciphertext].every((p) => B64URL.test(p!))) {
    throw new SealError('malformed', 'not a v1 sealed value');
  }
  const parsed = { keyId: keyId!, iv: Buffer.from(iv!, 'base64url'), tag: Buffer.from(tag!, 'base64url'), ciphertext: Buffer.from(ciphertext!, 'base64url') };
  if (parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES) throw new SealError('malformed', 'sealed value has a wrong IV or tag length');
  return parsed;
}

/**
 * Opens an envelope made by {@link seal}, with whichever key of the keyring sealed it.
 * @returns the plaintext (the JSON text for a sealed object).
 * @throws {SealError} `malformed`, `unknown_key`, or `auth_failed` (wrong key, wrong `aad`, tampered
 *   envelope); {@link DataKeyError} when no key is configured.
 */
export function open(keyring: Keyring, envelope: string, aad: string): string {
  const e = parseEnvelope(envelope);
  const key = keyring.key(e.keyId);
  if (!key) throw new SealError('unknown_key', `sealed with key ${e.keyId}, which is not among the data keys`);
  const decipher = createDecipheriv('aes-256-gcm', key, e.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(e.keyId, aad));
  decipher.setAuthTag(e.tag);
  try {
    return Buffer.concat([decipher.update(e.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new SealError('auth_failed', 'sealed value failed authentication (wrong key or row, or altered)');
  }
}

/**
 * {@link open} for a value sealed from an object: its parsed JSON.
 * @throws as {@link open}; SealError `malformed` when the plaintext is not JSON.
 */
export function openJson<T = unknown>(keyring: Keyring, envelope: string, aad: string): T {
  const text = open(keyring, envelope, aad);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new SealError('malformed', 'sealed value is not JSON');
  }
}

/**
 * True when `envelope` was sealed with a key other than the keyring's current one (it should be
 * re-sealed: `solidaris rotate-data-key`). Does not authenticate the envelope.
 * @throws {SealError} `malformed`; {@link DataKeyError} when no key is configured.
 */
export function needsReseal(keyring: Keyring, envelope: string): boolean {
  return parseEnvelope(envelope).keyId !== keyring.currentKey().id;
}

/** The key id an envelope was sealed with. @throws {SealError} `malformed`. */
export function sealedKeyId(envelope: string): string {
  return parseEnvelope(envelope).keyId;
}
