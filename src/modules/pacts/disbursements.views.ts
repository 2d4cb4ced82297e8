import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { doneNotice, dotted } from '../../web/components.ts';
import type { FieldError } from '../../http/errors.ts';
import { DOCUMENT_TYPES } from '../../lib/document-store.ts';
import type { PactRecord } from './pacts.service.ts';
import type { DisbursementView } from './disbursements.service.ts';
import type { PactDocumentView } from './documents.service.ts';
import { documentPath } from './documents.service.ts';
import { currencySelectOptions, money } from './pacts.views.ts';
import { pactHeading, pactNav } from './pact-nav.views.ts';

/** Confirmations after a disbursement form (`?done=…`). */
export const DISBURSEMENT_NOTICES: Record<string, string> = {
  proposed: 'pacts.notices.disbursement_proposed',
  approved: 'pacts.notices.disbursement_approved',
  rejected: 'pacts.notices.disbursement_rejected',
  withdrawn: 'pacts.notices.disbursement_withdrawn',
};

const PROPOSAL_LABELS: Record<string, string> = {
  beneficiary: 'pacts.disbursements.fields.beneficiary',
  payee: 'pacts.disbursements.fields.payee',
  amount: 'pacts.disbursements.fields.amount',
  currency: 'pacts.disbursements.fields.currency',
  purpose: 'pacts.disbursements.fields.purpose',
  valueDate: 'pacts.disbursements.fields.value_date',
  receipt: 'pacts.disbursements.fields.receipt',
};

/** The receipt types a browser offers in its file picker (the store checks the bytes anyway). */
const ACCEPT = ['application/pdf', 'image/jpeg', 'image/png', 'image/webp'].filter((t) => t in DOCUMENT_TYPES).join(',');

/** A refused decision on one proposal, to show at it. */
export interface DecisionState {
  id: string;
  values: Record<string, string | undefined>;
  errors: FieldError[];
}

/** Who gets the money: a beneficiary's code, the payee's name, or the receiving pact of a transfer. */
function recipientNode(ctx: PageContext, d: DisbursementView): unknown {
  if (d.transfer)
    return d.toPact
      ? ctx.tr.tRich('pacts.disbursements.transfer_to', { pact: html`<a href=${`/pacts/${d.toPact.slug}`}><${U}>${d.toPact.title}<//></a>` })
      : ctx.tr.t('pacts.disbursements.transfer_hidden');
  if (d.beneficiaryCode) return html`<code>${d.beneficiaryCode}</code>`;
  return d.payeeName ? html`<${U}>${d.payeeName}<//>` : ctx.tr.t('pacts.counterparty.beneficiary');
}

function personName(ctx: PageContext, name: string | null): VNode | string {
  return name ? html`<${U}>${name}<//>` : ctx.tr.t('pacts.counterparty.former_member');
}

function receiptLink(ctx: PageContext, slug: string, d: DisbursementView, docs: Map<string, PactDocumentView>): VNode | null {
  const doc = d.documentId ? docs.get(d.documentId) : undefined;
  if (!doc) return null;
  return html`<a href=${documentPath(slug, doc.id)} download=${doc.filename}>${ctx.tr.tRich('pacts.disbursements.receipt_link', { name: html`<${U}>${doc.filename}<//>` })}</a>`;
}

/** One waiting proposal with what the reader may do about it. */
function proposalCard(
  ctx: PageContext,
  slug: string,
  d: DisbursementView,
  o: { viewerId: string; canDecide: boolean; docs: Map<string, PactDocumentView>; state: DecisionState | undefined },
): VNode {
  const { t } = ctx.tr;
  const own = d.proposedById === o.viewerId;
  const id = `d-${d.id}`;
  const error = o.state?.errors.find((e) => e.field === 'note');
  return html`<li id=${id} class="proposal">
    <h3>${money(ctx, d.amountMinor, d.currency)} · ${recipientNode(ctx, d)}</h3>
    <p><${U}>${d.purpose}<//></p>
    <p class="meta">${dotted([
      t('pacts.disbursements.paid_on', { date: ctx.tr.date(d.valueDate) }),
      ctx.tr.tRich('pacts.disbursements.proposed_by', { name: personName(ctx, d.proposedBy), date: ctx.tr.date(d.proposedAt.slice(0, 10)) }),
      receiptLink(ctx, slug, d, o.docs) ?? t('pacts.disbursements.no_receipt'),
    ])}</p>
    ${!o.canDecide
      ? null
      : own
        ? html`<p class="waiting">${t('pacts.disbursements.waiting_second')}</p>
            <form method="post" action=${`/pacts/${slug}/disbursements/${d.id}/decline#${id}`}>
              ${csrfField(ctx)}
              <button type="submit" class="secondary">${t('pacts.disbursements.withdraw')}</button>
            </form>`
        : html`<div class="decide">
            <form method="post" action=${`/pacts/${slug}/disbursements/${d.id}/approve#${id}`}>
              ${csrfField(ctx)}
              <button type="submit">${t('pacts.disbursements.approve')}</button>
            </form>
            <details class="reverse" open=${!!error}>
              <summary>${t('pacts.disbursements.refuse')}</summary>
              <form method="post" action=${`/pacts/${slug}/disbursements/${d.id}/decline#${id}`} novalidate>
                ${csrfField(ctx)}
                ${error ? html`<p class="error" id=${`${id}-note-error`} role="alert">${t(error.messageId, error.values)}</p>` : null}
                <div class=${error ? 'field invalid' : 'field'}>
                  <label for=${`${id}-note`}>${t('pacts.disbursements.note')}<span aria-hidden="true"> *</span></label>
                  <input id=${`${id}-note`} name="note" required value=${o.state?.values.note ?? ''} aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? `${id}-note-error` : undefined} />
                </div>
                <button type="submit" class="secondary">${t('pacts.disbursements.refuse_submit')}</button>
              </form>
            </details>
          </div>`}
  </li>`;
}

/**
 * The proposal form: ONE multipart form with the CSRF token and every text field before the
 * receipt's file input (see http/upload.ts: fields after the file are not read).
 */
function proposalForm(
  ctx: PageContext,
  pact: PactRecord,
  o: { codes: { code: string; kind: 'household' | 'person' }[]; values: Record<string, string | undefined>; errors: ErrorMap; balances: { currency: string; balanceMinor: number }[]; maxMb: number },
): VNode {
  const { t } = ctx.tr;
  const v = o.values;
  const e = o.errors;
  const receiptError = e.get('receipt');
  return html`<details class="record" id="propose" open=${e.size > 0}>
    <summary>${t('pacts.disbursements.form.title')}</summary>
    <form method="post" action=${`/pacts/${pact.slug}/disbursements#propose`} enctype="multipart/form-data" class="narrow" novalidate>
      ${csrfField(ctx)}
      <p class="hint">${t('pacts.disbursements.form.intro')}</p>
      ${o.balances.length ? html`<p class="meta">${t('pacts.disbursements.form.available')}: ${dotted(o.balances.map((b) => money(ctx, b.balanceMinor, b.currency)))}</p>` : null}
      ${errorSummary(ctx, e, PROPOSAL_LABELS)}
      ${field(ctx, e, {
        name: 'beneficiary',
        label: 'pacts.disbursements.fields.beneficiary',
        value: v.beneficiary,
        options: o.codes.map((c): [string, string] => [c.code, `${c.code} (${t(`pacts.beneficiaries.kinds.${c.kind}`)})`]),
        empty: 'pacts.disbursements.fields.no_beneficiary',
        hint: 'pacts.disbursements.fields.beneficiary_hint',
      })}
      ${field(ctx, e, { name: 'payee', label: 'pacts.disbursements.fields.payee', value: v.payee, hint: 'pacts.disbursements.fields.payee_hint' })}
      ${field(ctx, e, { name: 'amount', label: 'pacts.disbursements.fields.amount', value: v.amount, required: true, hint: 'pacts.contribution.amount_hint' })}
      ${field(ctx, e, { name: 'currency', label: 'pacts.disbursements.fields.currency', value: v.currency ?? pact.goal_currency ?? 'EUR', required: true, options: currencySelectOptions(ctx) })}
      ${field(ctx, e, { name: 'purpose', label: 'pacts.disbursements.fields.purpose', value: v.purpose, required: true, hint: 'pacts.disbursements.fields.purpose_hint' })}
      ${field(ctx, e, { name: 'valueDate', label: 'pacts.disbursements.fields.value_date', type: 'date', value: v.valueDate, hint: 'pacts.contribution.value_date_hint' })}
      <div class=${receiptError ? 'field invalid' : 'field'}>
        <label for="f-receipt">${t('pacts.disbursements.fields.receipt')}</label>
        <input
          id="f-receipt"
          name="receipt"
          type="file"
          accept=${ACCEPT}
          aria-invalid=${receiptError ? 'true' : undefined}
          aria-describedby=${receiptError ? 'f-receipt-hint f-receipt-error' : 'f-receipt-hint'}
        />
        <p class="hint" id="f-receipt-hint">${t('pacts.disbursements.fields.receipt_hint', { max: o.maxMb })}${e.size > 0 ? html` ${t('pacts.disbursements.fields.receipt_again')}` : null}</p>
        ${receiptError ? html`<p class="error" id="f-receipt-error">${t(receiptError.messageId, receiptError.values)}</p>` : null}
      </div>
      <button type="submit">${t('pacts.disbursements.form.submit')}</button>
    </form>
  </details>`;
}

/**
 * A refused approval or refusal, at the top of the page: the proposal may no longer be listed as
 * waiting (decided meanwhile by someone else), so its card cannot carry the message. A missing
 * note stays at the refuse form of its card.
 */
function decisionAlert(ctx: PageContext, state: DecisionState | undefined): VNode | null {
  const errors = state?.errors.filter((e) => e.field !== 'note') ?? [];
  if (!errors.length) return null;
  return html`<div class="error-summary" role="alert" id="decision-error">
    <p>${ctx.tr.t('pacts.disbursements.decision_failed')}</p>
    <ul>${errors.map((e) => html`<li>${ctx.tr.t(e.messageId, e.values)}</li>`)}</ul>
  </div>`;
}

/**
 * The disbursements page of a pact (its coordinators): proposals waiting for a second coordinator
 * first, each with approve / refuse (with a note) — or, for the one who proposed it, the words
 * "waiting for a second coordinator" and withdraw; then the history with status, who proposed and
 * who decided, the ledger entry and the receipt; and the proposal form.
 */
export function disbursementsView(
  ctx: PageContext,
  pact: PactRecord,
  o: {
    items: DisbursementView[];
    viewerId: string;
    docs: Map<string, PactDocumentView>;
    entrySeqs: Map<string, number>;
    codes: { code: string; kind: 'household' | 'person' }[];
    balances: { currency: string; balanceMinor: number }[];
    /** Largest receipt in MB (2^20 bytes). */
    maxMb: number;
    proposal: { values: Record<string, string | undefined>; errors: ErrorMap };
    decision?: DecisionState;
  },
) {
  const { t } = ctx.tr;
  const open = pact.status !== 'closed';
  const waiting = o.items.filter((d) => d.status === 'proposed');
  const history = o.items.filter((d) => d.status !== 'proposed');
  return html`${pactHeading(ctx, 'pacts.disbursements.title', pact)}
    ${pactNav(ctx, pact.slug, { current: 'disbursements', coordinator: true })}
    ${doneNotice(ctx, DISBURSEMENT_NOTICES)}
    ${decisionAlert(ctx, o.decision)}
    <p>${t('pacts.disbursements.intro')}</p>
    ${pact.status === 'closed' ? html`<p class="notice">${t('pacts.page.closed_notice')}</p>` : null}
    <section aria-labelledby="waiting-title">
      <h2 id="waiting-title">${t('pacts.disbursements.waiting_title', { count: waiting.length })}</h2>
      ${waiting.length
        ? html`<ul class="cards proposals">
            ${waiting.map((d) => proposalCard(ctx, pact.slug, d, { viewerId: o.viewerId, canDecide: open, docs: o.docs, state: o.decision?.id === d.id ? o.decision : undefined }))}
          </ul>`
        : html`<p>${t('pacts.disbursements.waiting_none')}</p>`}
    </section>
    ${open ? proposalForm(ctx, pact, { codes: o.codes, values: o.proposal.values, errors: o.proposal.errors, balances: o.balances, maxMb: o.maxMb }) : null}
    <section aria-labelledby="history-title">
      <h2 id="history-title">${t('pacts.disbursements.history_title')}</h2>
      ${history.length
        ? html`<div class="table-scroll" role="region" aria-labelledby="history-caption" tabindex="0">
            <table class="disbursements">
              <caption id="history-caption">${t('pacts.disbursements.history_caption')}</caption>
              <thead>
                <tr>
                  <th scope="col">${t('pacts.disbursements.col.date')}</th>
                  <th scope="col" class="num">${t('pacts.col.amount')}</th>
                  <th scope="col">${t('pacts.disbursements.col.to')}</th>
                  <th scope="col">${t('pacts.disbursements.col.purpose')}</th>
                  <th scope="col">${t('pacts.disbursements.col.status')}</th>
                  <th scope="col">${t('pacts.disbursements.col.people')}</th>
                  <th scope="col">${t('pacts.disbursements.col.records')}</th>
                </tr>
              </thead>
              <tbody>
                ${history.map((d) => {
                  const seq = d.entryId ? o.entrySeqs.get(d.entryId) : undefined;
                  return html`<tr id=${`d-${d.id}`}>
                    <th scope="row"><time datetime=${d.valueDate}>${ctx.tr.date(d.valueDate)}</time></th>
                    <td class="num">${money(ctx, d.amountMinor, d.currency)}</td>
                    <td>${recipientNode(ctx, d)}</td>
                    <td><${U}>${d.purpose}<//></td>
                    <td>
                      <span class=${`status disbursement-${d.status}`}>${t(`pacts.disbursements.statuses.${d.status}`)}</span>
                      ${d.decisionNote ? html`<br /><span class="meta"><${U}>${d.decisionNote}<//></span>` : null}
                    </td>
                    <td>
                      ${ctx.tr.tRich('pacts.disbursements.proposed_by', { name: personName(ctx, d.proposedBy), date: ctx.tr.date(d.proposedAt.slice(0, 10)) })}
                      ${d.decidedAt && d.status !== 'withdrawn'
                        ? html`<br />${ctx.tr.tRich(`pacts.disbursements.decided_by.${d.status === 'approved' ? 'approved' : 'rejected'}`, { name: personName(ctx, d.decidedBy), date: ctx.tr.date(d.decidedAt.slice(0, 10)) })}`
                        : null}
                    </td>
                    <td>
                      ${seq !== undefined ? html`<a href=${`/pacts/${pact.slug}/ledger?before=${seq + 1}#entry-${seq}`}>${t('pacts.ledger.seq', { seq })}</a><br />` : null}
                      ${receiptLink(ctx, pact.slug, d, o.docs)}
                    </td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`
        : html`<p>${t('pacts.disbursements.history_none')}</p>`}
    </section>`;
}
