import { Type } from 'typebox';

/**
 * TypeBox schemas of the signing API (`/api/v1/campaigns/:slug/signatures…`), shown in
 * `/api/openapi.json`. Signing is anonymous (no account needed) and answers the same for a new
 * signer, a repeat signer and a filled honeypot, so the answer never tells whether an address has
 * signed; confirmation and withdrawal need the token from the mail.
 */

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullable = <T extends ReturnType<typeof Type.String>>(s: T) => Type.Union([s, Type.Null()]);

export const SignParams = Type.Object({ slug: str({ maxLength: 200 }) });
export const SignatureParams = Type.Object({ slug: str({ maxLength: 200 }), id: str({ maxLength: 64, description: 'id of the signature, from the link in the mail' }) });

/** The honeypot field: hidden from people by CSS on the form; a bot that fills it is answered like a signer and nothing is stored. */
export const HONEYPOT_FIELD = 'website';

/** Body of `POST /api/v1/campaigns/:slug/signatures`. */
export const SignBody = Type.Object(
  {
    name: str({ maxLength: 400, description: 'name as it may be listed (at most 200 characters after trimming)' }),
    email: str({ maxLength: 320, description: 'e-mail address; the confirmation mail goes there. Duplicates are found on a normalized key (case, Unicode NFC, IDN, Gmail dots and +tags)' }),
    country: str({ maxLength: 2, description: 'ISO 3166-1 alpha-2' }),
    city: Type.Optional(nullable(str({ maxLength: 400, description: 'at most 200 characters after trimming' }))),
    affiliation: Type.Optional(nullable(str({ maxLength: 400, description: 'organization the signer belongs to, free text' }))),
    listPublicly: Type.Optional(Type.Boolean({ description: 'consent to appear on the public list of supporters (default false)' })),
    contactOk: Type.Optional(Type.Boolean({ description: 'consent to be contacted by the campaign (default false)' })),
    lang: Type.Optional(str({ maxLength: 35, description: "BCP 47 tag of the signer's language (mails go out in it); default: the request's negotiated language" })),
    [HONEYPOT_FIELD]: Type.Optional(str({ maxLength: 2000, description: 'leave empty (honeypot)' })),
  },
  { additionalProperties: false },
);

/** The answer to every accepted signing request, whatever happened behind it. */
export const SignAccepted = Type.Object({
  status: Type.Literal('received'),
  message: str({ description: 'what happens next, in the request language (a confirmation mail)' }),
});

/** An RFC 9457 problem (the per-domain cap: 429 with a field error on `email`). */
export const Problem = Type.Object({
  type: str(),
  title: str(),
  status: Type.Integer(),
  code: str(),
  errors: Type.Optional(Type.Array(Type.Object({ field: str(), code: str(), detail: str() }))),
});

/** Body of the confirm and withdraw calls. */
export const TokenBody = Type.Object({ token: str({ maxLength: 100, description: 'the token of the link in the mail' }) }, { additionalProperties: false });

export const ConfirmOut = Type.Object({
  status: Type.Union([Type.Literal('confirmed'), Type.Literal('already_confirmed')]),
});

export const WithdrawOut = Type.Object({ status: Type.Literal('withdrawn') });
