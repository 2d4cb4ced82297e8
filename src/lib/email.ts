import { domainToASCII } from 'node:url';

/**
 * The comparison key of an e-mail address: local part case-folded, domain lower-cased and
 * converted to ASCII (IDNA, UTS #46 via WHATWG URL). Provider alias rules (Gmail dots and `+tag`)
 * are not applied here; they matter for supporters (a later module), not for accounts.
 * @returns null when the value is not of the form local@domain.
 */
export function emailKey(email: string): string | null {
  const v = email.normalize('NFC').trim();
  const at = v.lastIndexOf('@');
  if (at < 1 || at === v.length - 1 || /\s/.test(v)) return null;
  const domain = domainToASCII(v.slice(at + 1).toLowerCase());
  if (!domain || !domain.includes('.')) return null;
  return `${v.slice(0, at).toLowerCase()}@${domain}`;
}
