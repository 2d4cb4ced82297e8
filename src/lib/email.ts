import { domainToASCII } from 'node:url';

/** One DNS label in ASCII form (RFC 1035 §2.3.1, with leading digits per RFC 1123 §2.1). */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The comparison key of an e-mail address: local part case-folded, domain lower-cased and
 * converted to ASCII (IDNA, UTS #46 via WHATWG URL). Provider alias rules (Gmail dots and `+tag`)
 * are not applied here (accounts keep exactly the address they sign in with); see
 * {@link supporterEmailKey} for supporters.
 * @returns null when the value is not of the form local@domain.tld (one `@`; the domain made of
 *   non-empty DNS labels, a non-numeric last label, no characters the URL host parser rewrites).
 */
export function emailKey(email: string): string | null {
  if (typeof email !== 'string') return null;
  const v = email.normalize('NFC').trim();
  const at = v.lastIndexOf('@');
  // RFC 5321 §4.5.3.1.3: a path holds at most 256 octets, so an address at most 254 characters.
  if (at < 1 || at === v.length - 1 || v.length > 254 || /\s/.test(v)) return null;
  // No control, bidirectional-control, angle-bracket or quote characters (RFC 5322 atoms exclude them;
  // quoted local parts are not accepted) — they would reach mail headers and pages.
  if (/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069<>"(),;\\[\]]/.test(v)) return null;
  const local = v.slice(0, at);
  const rawDomain = v.slice(at + 1).toLowerCase();
  if (local.includes('@') || /[%/\\?#[\]:]/.test(rawDomain)) return null;
  const domain = domainToASCII(rawDomain);
  const labels = domain.split('.');
  if (!domain || domain.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels.at(-1)!)) return null;
  return `${local.toLowerCase()}@${domain}`;
}

/**
 * Domains whose mailboxes ignore dots in the local part and everything from a `+`: one Gmail
 * mailbox answers to `soli.kreis+streik@gmail.com` and `solikreis@googlemail.com` alike
 * (Google, "Dots don't matter in Gmail addresses"; "+" sub-addressing). `googlemail.com` is the
 * same service under another name. Other providers keep dots and `+tags` as different addresses.
 */
const GMAIL_DOMAINS: ReadonlySet<string> = new Set(['gmail.com', 'googlemail.com']);

/**
 * The duplicate key of a supporter's e-mail address (case B10): {@link emailKey} (NFC, case-folded,
 * IDN domain in ASCII) plus the documented provider alias rules — for Gmail and Googlemail, dots
 * and a `+tag` are removed from the local part and the domain becomes `gmail.com`. So
 * `Soli.Kreis+streik@GMAIL.com` and `solikreis@googlemail.com` are one signer
 * (`solikreis@gmail.com`), while `soli.kreis@posteo.example` and `solikreis@posteo.example` stay two.
 * The address as typed is kept for contact; only the key is compared.
 * @returns null when `emailKey` refuses the address, or when nothing is left of a Gmail local part.
 */
export function supporterEmailKey(email: string): string | null {
  const key = emailKey(email);
  if (!key) return null;
  const at = key.lastIndexOf('@');
  const domain = key.slice(at + 1);
  if (!GMAIL_DOMAINS.has(domain)) return key;
  const local = key.slice(0, at).split('+')[0]!.replaceAll('.', '');
  return local ? `${local}@gmail.com` : null;
}
