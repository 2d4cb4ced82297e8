import { createHash, hkdfSync, timingSafeEqual, type Hash, type KeyObject } from 'node:crypto';
import { supporterEmailKey } from '../../lib/email.ts';
import type { Keyring } from '../../lib/sealed.ts';

/**
 * Keyed hashes and link tokens for supporters, derived from the data keys (lib/sealed.ts), so
 * nothing that identifies a supporter is stored in the clear and no extra secret has to be kept.
 *
 * For each data key, HKDF-SHA256 (RFC 5869, `node:crypto`) derives one HMAC-SHA256 key per purpose
 * (`info` = `solidaris supporters <purpose>`, empty salt). Values carry the id of the data key they
 * were made with, `<keyId>.<base64url MAC>`, so after a key rotation the values made with the older
 * key still verify until `rotate-data-key` has rewritten them.
 *
 * - **E-mail hash**: HMAC of {@link supporterEmailKey} (NFC, case-folded, IDN in ASCII, Gmail
 *   alias rules; case B10). Unique per campaign: one person, one signature.
 * - **Domain hash**: HMAC of the address's domain in ASCII form; the per-domain cap on unconfirmed
 *   signatures counts on it without storing domains in the clear.
 * - **Link tokens** (confirm, withdraw): HMAC of `<purpose>:<supporterId>`. Nothing is stored; the
 *   link in a mail is recomputed when the mail is sent and checked when it is opened.
 */

type Purpose = 'email' | 'domain' | 'confirm' | 'withdraw';

/**
 * HMAC-SHA256 (RFC 2104) of one derived key, with the padded key already hashed in: `inner` has
 * absorbed K ⊕ ipad, `outer` K ⊕ opad, and each MAC copies them (`Hash.copy()`). Same bytes as
 * `createHmac('sha256', K)`, at a third of its cost — `createHmac` prepares the key anew on every
 * call, and the signing path hashes every request twice.
 */
interface MacState {
  inner: Hash;
  outer: Hash;
}

const derived = new WeakMap<KeyObject, Map<Purpose, MacState>>();

function macState(key: KeyObject, purpose: Purpose): MacState {
  let byPurpose = derived.get(key);
  if (!byPurpose) {
    byPurpose = new Map();
    derived.set(key, byPurpose);
  }
  let state = byPurpose.get(purpose);
  if (!state) {
    // 32 bytes, shorter than SHA-256's 64-byte block: padded with zeros, never hashed first.
    const k = Buffer.from(hkdfSync('sha256', key.export(), Buffer.alloc(0), `solidaris supporters ${purpose}`, 32));
    const ipad = Buffer.alloc(64, 0x36);
    const opad = Buffer.alloc(64, 0x5c);
    for (let i = 0; i < k.length; i++) {
      ipad[i]! ^= k[i]!;
      opad[i]! ^= k[i]!;
    }
    state = { inner: createHash('sha256').update(ipad), outer: createHash('sha256').update(opad) };
    byPurpose.set(purpose, state);
  }
  return state;
}

function mac(id: string, key: KeyObject, purpose: Purpose, message: string): string {
  const s = macState(key, purpose);
  const inner = s.inner.copy().update(message, 'utf8').digest();
  return `${id}.${s.outer.copy().update(inner).digest('base64url')}`;
}

/** The domain part (ASCII) of a normalized key `local@domain`. */
function domainOf(key: string): string {
  return key.slice(key.lastIndexOf('@') + 1);
}

/** The keyed hashes of one address under one data key. */
export interface SupporterHashes {
  /** `<keyId>.<MAC>` of the duplicate key. */
  emailHash: string;
  /** `<keyId>.<MAC>` of the ASCII domain. */
  domainHash: string;
}

/**
 * The keyed hashes of `email` under the keyring's current key (for storing).
 * @returns null when `supporterEmailKey` refuses the address (not local@domain.tld).
 * @throws {DataKeyError} when no data key is configured.
 */
export function supporterHashes(keyring: Keyring, email: string): SupporterHashes | null {
  const key = supporterEmailKey(email);
  if (!key) return null;
  const { id, key: k } = keyring.currentKey();
  return { emailHash: mac(id, k, 'email', key), domainHash: mac(id, k, 'domain', domainOf(key)) };
}

/**
 * The keyed hashes of `email` under every key of the keyring, current first (for looking up: a
 * row hashed before a rotation still matches).
 * @returns [] when the address is refused.
 * @throws {DataKeyError} when no data key is configured.
 */
export function supporterHashesAllKeys(keyring: Keyring, email: string): SupporterHashes[] {
  const key = supporterEmailKey(email);
  if (!key) return [];
  keyring.currentKey();
  return keyring.ids.map((id) => {
    const k = keyring.key(id)!;
    return { emailHash: mac(id, k, 'email', key), domainHash: mac(id, k, 'domain', domainOf(key)) };
  });
}

/** The associated data of a supporter's `email_sealed`: `supporters:<id>`. */
export function supporterAad(id: string): string {
  return `supporters:${id}`;
}

/** What a supporter link allows. */
export type SupporterLinkPurpose = 'confirm' | 'withdraw';

/**
 * The token of a confirmation or withdrawal link for supporter `supporterId`, made with the
 * current key: `<keyId>.<MAC>` (URL-safe).
 * @throws {DataKeyError} when no data key is configured.
 */
export function supporterLinkToken(keyring: Keyring, purpose: SupporterLinkPurpose, supporterId: string): string {
  const { id, key } = keyring.currentKey();
  return mac(id, key, purpose, `${purpose}:${supporterId}`);
}

/**
 * True when `token` is the `purpose` link token of `supporterId` under any key of the keyring
 * (compared in constant time). False for a malformed token or an unknown key id.
 * @throws {DataKeyError} when no data key is configured.
 */
export function verifySupporterLinkToken(keyring: Keyring, purpose: SupporterLinkPurpose, supporterId: string, token: string): boolean {
  if (typeof token !== 'string' || token.length > 100) return false;
  const dot = token.indexOf('.');
  if (dot < 1) return false;
  const key = keyring.key(token.slice(0, dot));
  if (!key) return false;
  const expected = Buffer.from(mac(token.slice(0, dot), key, purpose, `${purpose}:${supporterId}`));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
