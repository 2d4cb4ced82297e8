import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { doneNotice, dotted, vocabularyOptions } from '../../web/components.ts';
import type { FieldError } from '../../http/errors.ts';
import { CONTRIBUTOR_KINDS } from './entries.service.ts';
import type { PactRecord } from './pacts.service.ts';
import type { EntryView } from './pacts.repo.ts';
import { currencySelectOptions, money } from './pacts.views.ts';
import { conversionNode, exchangeForm, transferForm } from './exchanges.views.ts';
import { pactHeading, pactNav } from './pact-nav.views.ts';

/** Confirmations after recording on the ledger (`?done=…`, see `withNotice`). */
export const LEDGER_NOTICES: Record<string, string> = {
  recorded: 'pacts.notices.recorded',
  reversed: 'pacts.notices.reversed',
  exchanged: 'pacts.notices.exchanged',
};

/**
 * After a transfer form (`?done=transfer_proposed`): the transfer is only proposed; the notice
 * links to the disbursements page where a second coordinator approves it.
 */
function transferProposedNotice(ctx: PageContext, slug: string): VNode | null {
  const q = ctx.url.indexOf('?');
  if (q < 0 || new URLSearchParams(ctx.url.slice(q + 1)).get('done') !== 'transfer_proposed') return null;
  const link = html`<a href=${`/pacts/${slug}/disbursements`}>${ctx.tr.t('pacts.notices.transfer_proposed_link')}</a>`;
  return html`<p class="flash" role="status">${ctx.tr.tRich('pacts.notices.transfer_proposed', { link })}</p>`;
}

/** A ledger form coming back: what was typed and why it was refused. */
type FormState = { values: Record<string, string | undefined>; errors: ErrorMap };

const CONTRIBUTION_LABELS: Record<string, string> = {
  amount: 'pacts.contribution.amount',
  currency: 'pacts.contribution.currency',
  valueDate: 'pacts.contribution.value_date',
  contributorKind: 'pacts.contribution.contributor_kind',
  organization: 'pacts.contribution.organization',
  name: 'pacts.contribution.name',
  reference: 'pacts.contribution.reference',
  pledge: 'pacts.contribution.pledge',
  fee: 'pacts.contribution.fee',
  description: 'pacts.contribution.description',
};

/** A signed amount for the ledger: `+€12.34` in, `-€12.34` out (the sign always shown). */
export function signedMoney(ctx: PageContext, minor: number, currency: string): string {
  const text = money(ctx, minor, currency);
  return minor > 0 ? `+${text}` : text;
}

/** The "From or to" cell: a visible organization or pact by name; a person's name only for coordinators. */
function counterpartyNode(ctx: PageContext, e: EntryView): unknown {
  const { t } = ctx.tr;
  const c = e.counterparty;
  if (c.kind === 'organization') return c.organization && c.name ? html`<a href=${`/organizations/${c.organization}`}><${U}>${c.name}<//></a>` : t('pacts.counterparty.organization');
  if (c.kind === 'pact') return c.pact && c.name ? html`<a href=${`/pacts/${c.pact}`}><${U}>${c.name}<//></a>` : t('pacts.counterparty.pact');
  if (c.kind === 'person') return c.name ? html`<${U}>${c.name}<//>` : t(c.formerMember ? 'pacts.counterparty.former_member' : 'pacts.counterparty.person');
  if (c.kind === 'beneficiary') return c.beneficiary ? html`<code>${c.beneficiary}</code>` : t('pacts.counterparty.beneficiary');
  return c.name ? html`<${U}>${c.name}<//>` : null;
}

/** A link to another entry of the ledger, on the page where it is listed. */
function entryLink(ctx: PageContext, slug: string, seq: number): VNode {
  return html`<a href=${`/pacts/${slug}/ledger?before=${seq + 1}#entry-${seq}`}>${ctx.tr.t('pacts.ledger.seq', { seq })}</a>`;
}

/** What a failed reversal form needs to come back open, with its message, at its entry. */
export interface ReverseState {
  entryId: string;
  values: Record<string, string | undefined>;
  errors: FieldError[];
}

/**
 * The reverse form of one entry (coordinators), folded in a `<details>` that opens when the form
 * comes back with an error. Field ids carry the entry's number, so the forms of one page never
 * share an id.
 */
function reverseForm(ctx: PageContext, slug: string, e: EntryView, state: ReverseState | undefined): VNode {
  const { t } = ctx.tr;
  const id = `r${e.seq}`;
  const error = state?.errors[0];
  const errorId = `${id}-error`;
  return html`<details class="reverse" open=${!!state}>
    <summary>${t('pacts.reverse.summary', { seq: e.seq })}</summary>
    <form method="post" action=${`/pacts/${slug}/ledger/${e.id}/reverse#entry-${e.seq}`} novalidate>
      ${csrfField(ctx)}
      <p class="hint">${t('pacts.reverse.explain')}</p>
      ${error ? html`<p class="error" id=${errorId} role="alert">${t(error.messageId, error.values)}</p>` : null}
      <div class=${error ? 'field invalid' : 'field'}>
        <label for=${`${id}-reason`}>${t('pacts.reverse.reason')}<span aria-hidden="true"> *</span></label>
        <input id=${`${id}-reason`} name="reason" required value=${state?.values.reason ?? ''} aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? errorId : undefined} />
      </div>
      ${e.groupSize > 1
        ? html`<label class="check"><input type="checkbox" name="wholeGroup" value="true" checked=${state?.values.wholeGroup === 'true'} /> ${t('pacts.reverse.whole_group')}</label>`
        : null}
      <button type="submit" class="secondary">${t('pacts.reverse.submit')}</button>
    </form>
  </details>`;
}

/**
 * Why a form was refused when the form itself is no longer offered (the entry was reversed
 * meanwhile, the pact was closed): the messages, announced.
 */
function refusal(ctx: PageContext, errors: FieldError[]): VNode | null {
  if (!errors.length) return null;
  return html`<div class="error-summary" role="alert"><ul>${errors.map((e) => html`<li>${ctx.tr.t(e.messageId, e.values)}</li>`)}</ul></div>`;
}

/** The form that records a contribution (coordinators of an open or paused pact). */
function contributionForm(ctx: PageContext, pact: PactRecord, values: Record<string, string | undefined>, errors: ErrorMap): VNode {
  const { t } = ctx.tr;
  const v = values;
  const e = errors;
  return html`<details class="record" id="record" open=${errors.size > 0}>
    <summary>${t('pacts.contribution.title')}</summary>
    <form method="post" action=${`/pacts/${pact.slug}/ledger/contributions#record`} class="narrow" novalidate>
      ${csrfField(ctx)}
      <p class="hint">${t('pacts.contribution.intro')}</p>
      ${errorSummary(ctx, e, CONTRIBUTION_LABELS)}
      ${field(ctx, e, { name: 'amount', label: 'pacts.contribution.amount', value: v.amount, required: true, hint: 'pacts.contribution.amount_hint' })}
      ${field(ctx, e, { name: 'currency', label: 'pacts.contribution.currency', value: v.currency ?? pact.goal_currency ?? 'EUR', required: true, options: currencySelectOptions(ctx) })}
      ${field(ctx, e, { name: 'valueDate', label: 'pacts.contribution.value_date', type: 'date', value: v.valueDate, hint: 'pacts.contribution.value_date_hint' })}
      ${field(ctx, e, { name: 'contributorKind', label: 'pacts.contribution.contributor_kind', value: v.contributorKind ?? 'organization', options: vocabularyOptions(ctx, 'pacts.contributor_kinds', CONTRIBUTOR_KINDS) })}
      ${field(ctx, e, { name: 'organization', label: 'pacts.contribution.organization', value: v.organization, hint: 'pacts.contribution.organization_hint' })}
      ${field(ctx, e, { name: 'name', label: 'pacts.contribution.name', value: v.name, hint: 'pacts.contribution.name_hint' })}
      ${field(ctx, e, { name: 'reference', label: 'pacts.contribution.reference', value: v.reference, hint: 'pacts.contribution.reference_hint' })}
      ${field(ctx, e, { name: 'fee', label: 'pacts.contribution.fee', value: v.fee, hint: 'pacts.contribution.fee_hint' })}
      ${field(ctx, e, { name: 'pledge', label: 'pacts.contribution.pledge', value: v.pledge, hint: 'pacts.contribution.pledge_hint' })}
      ${field(ctx, e, { name: 'description', label: 'pacts.contribution.description', value: v.description, multiline: true })}
      <button type="submit">${t('pacts.contribution.submit')}</button>
    </form>
  </details>`;
}

/**
 * A pact's ledger, newest first: number, value date, kind (with the rate of an exchange), signed
 * amount, counterparty (the other pact of a transfer), reference, running balance in the entry's
 * currency, and the links between a reversal and what it reverses; keyset-paged by number
 * (`?before=`). Coordinators of a pact that is not closed also get the contribution, exchange and
 * transfer forms and a reverse form per entry that is neither a reversal nor reversed.
 */
export function ledgerView(
  ctx: PageContext,
  pact: PactRecord,
  o: {
    items: EntryView[];
    next: number | null;
    coordinator: boolean;
    balances: { currency: string; balanceMinor: number }[];
    contribution?: FormState;
    exchange?: FormState;
    transfer?: FormState;
    /** Pacts a transfer may go to (see `transferTargets`); null: too many to list. */
    transferTargets?: { slug: string; title: string }[] | null;
    reverse?: ReverseState;
  },
) {
  const { t } = ctx.tr;
  const canWrite = o.coordinator && pact.status !== 'closed';
  // Column names, also on each cell: on narrow screens every row becomes a card of labelled lines.
  const col = {
    seq: t('pacts.col.seq'),
    date: t('pacts.col.value_date'),
    kind: t('pacts.col.kind'),
    amount: t('pacts.col.amount'),
    counterparty: t('pacts.col.counterparty'),
    reference: t('pacts.col.reference'),
    balance: t('pacts.col.balance'),
  };
  // A form refused after the pact was closed comes back as its messages only.
  const refused = [o.contribution, o.exchange, o.transfer].flatMap((f) => (f ? [...f.errors.values()] : []));
  return html`${pactHeading(ctx, 'pacts.ledger.title', pact)}
    ${pactNav(ctx, pact.slug, { current: 'ledger', coordinator: o.coordinator })}
    ${doneNotice(ctx, LEDGER_NOTICES)}
    ${transferProposedNotice(ctx, pact.slug)}
    <p>${t('pacts.ledger.intro')}</p>
    ${pact.status === 'closed' ? html`<p class="notice">${t('pacts.page.closed_notice')}</p>` : null}
    ${o.balances.length ? html`<p class="meta">${t('pacts.page.balances_title')}: ${dotted(o.balances.map((b) => money(ctx, b.balanceMinor, b.currency)))}</p>` : null}
    ${canWrite
      ? [
          contributionForm(ctx, pact, o.contribution?.values ?? {}, o.contribution?.errors ?? new Map()),
          exchangeForm(ctx, pact, o.exchange?.values ?? {}, o.exchange?.errors ?? new Map()),
          transferForm(ctx, pact, o.transferTargets === undefined ? [] : o.transferTargets, o.transfer?.values ?? {}, o.transfer?.errors ?? new Map()),
        ]
      : refusal(ctx, refused)}
    ${o.items.length
      ? html`<div class="table-scroll" role="region" aria-labelledby="ledger-caption" tabindex="0">
          <table class="ledger">
            <caption id="ledger-caption">${t('pacts.ledger.caption')}</caption>
            <thead>
              <tr>
                <th scope="col" class="num">${col.seq}</th>
                <th scope="col">${col.date}</th>
                <th scope="col">${col.kind}</th>
                <th scope="col" class="num">${col.amount}</th>
                <th scope="col">${col.counterparty}</th>
                <th scope="col">${col.reference}</th>
                <th scope="col" class="num">${col.balance}</th>
              </tr>
            </thead>
            <tbody>
              ${o.items.map((e) => {
                const reversible = canWrite && e.kind !== 'reversal' && !e.reversedBy;
                return html`<tr id=${`entry-${e.seq}`} class=${e.reversedBy ? 'reversed' : undefined}>
                  <th scope="row" class="num" data-label=${col.seq}>${e.seq}</th>
                  <td class="date" data-label=${col.date}><time datetime=${e.valueDate}>${ctx.tr.date(e.valueDate)}</time></td>
                  <td data-label=${col.kind}>
                    ${t(`pacts.kinds.${e.kind}`)}
                    ${e.conversion ? conversionNode(ctx, e.conversion) : null}
                    ${e.reverses ? html`<br /><span class="meta">${ctx.tr.tRich('pacts.ledger.reverses', { entry: entryLink(ctx, pact.slug, e.reverses.seq) })}</span>` : null}
                    ${e.reversedBy ? html`<br /><span class="meta">${ctx.tr.tRich('pacts.ledger.reversed_by', { entry: entryLink(ctx, pact.slug, e.reversedBy.seq) })}</span>` : null}
                    ${reversible
                      ? reverseForm(ctx, pact.slug, e, o.reverse?.entryId === e.id ? o.reverse : undefined)
                      : o.reverse?.entryId === e.id
                        ? refusal(ctx, o.reverse.errors)
                        : null}
                  </td>
                  <td class="num amount" data-label=${col.amount}>${signedMoney(ctx, e.amountMinor, e.currency)}</td>
                  <td data-label=${col.counterparty}>${counterpartyNode(ctx, e)}</td>
                  <td data-label=${col.reference}>
                    ${e.reference ? html`<${U}>${e.reference}<//>` : null}
                    ${o.coordinator && e.description ? html`${e.reference ? html`<br />` : null}<span class="meta" dir="auto">${e.description}</span>` : null}
                  </td>
                  <td class="num" data-label=${col.balance}>${money(ctx, e.balanceAfterMinor, e.currency)}</td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>
        ${o.coordinator ? null : html`<p class="hint">${t('pacts.ledger.private_note')}</p>`}`
      : html`<p>${t('pacts.ledger.empty')}</p>`}
    ${o.next
      ? html`<nav class="pager" aria-label=${t('pager.label')}><a rel="next" href=${`/pacts/${pact.slug}/ledger?before=${o.next}`}>${t('pacts.ledger.older')}</a></nav>`
      : null}`;
}
