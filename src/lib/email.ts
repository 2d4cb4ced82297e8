import { domainToASCII } from 'node:url';

/** One DNS label in ASCII form (RFC 1035 §2.3.1, with leading digits per RFC 1123 §2.1). */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The comparison key of an e-mail address: local part case-folded, domain lower-cased and
 * converted to ASCII (IDNA, UTS #46 via WHATWG URL). Provider alias rules (Gmail dots and `+tag`)
 * are not applied here; they matter for supporters (a later module), not for accounts.
 * @returns null when the value is not of the form local@domain.tld (one `@`; the domain made of
 *   non-empty DNS labels, a non-numeric last label, no characters the URL host parser rewrites).
 */
export function emailKey(email: string): string | null {
  const v = email.normalize('NFC').trim();
  const at = v.lastIndexOf('@');
  if (at < 1 || at === v.length - 1 || /\s/.test(v)) return null;
  const local = v.slice(0, at);
  const rawDomain = v.slice(at + 1).toLowerCase();
  if (local.includes('@') || /[%/\\?#[\]:]/.test(rawDomain)) return null;
  const domain = domainToASCII(rawDomain);
  const labels = domain.split('.');
  if (!domain || domain.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels.at(-1)!)) return null;
  return `${local.toLowerCase()}@${domain}`;
}
