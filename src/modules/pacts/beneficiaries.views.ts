import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { doneNotice, vocabularyOptions } from '../../web/components.ts';
import type { PactRecord } from './pacts.service.ts';
import { BENEFICIARY_KINDS, type BeneficiaryView } from './beneficiaries.service.ts';
import { money } from './pacts.views.ts';
import { pactHeading, pactNav } from './pact-nav.views.ts';

/** Confirmations after a register form (`?done=…`). */
export const BENEFICIARY_NOTICES: Record<string, string> = {
  added: 'pacts.notices.beneficiary_added',
  updated: 'pacts.notices.beneficiary_updated',
};

const LABELS: Record<string, string> = {
  kind: 'pacts.beneficiaries.fields.kind',
  householdSize: 'pacts.beneficiaries.fields.household_size',
  name: 'pacts.beneficiaries.fields.name',
  contact: 'pacts.beneficiaries.fields.contact',
  address: 'pacts.beneficiaries.fields.address',
  notes: 'pacts.beneficiaries.fields.notes',
};

type Values = Record<string, string | undefined>;

/** The form's values from a stored beneficiary (for the change form). */
export function beneficiaryValues(b: BeneficiaryView): Values {
  return {
    kind: b.kind,
    householdSize: b.householdSize === null ? '' : String(b.householdSize),
    name: b.personal.name,
    contact: b.personal.contact ?? '',
    address: b.personal.address ?? '',
    notes: b.personal.notes ?? '',
    archived: b.archivedAt ? 'true' : undefined,
  };
}

/** The add form, or the change form of one beneficiary (`editing`: its code), with their field errors. */
function beneficiaryForm(ctx: PageContext, slug: string, o: { editing: string | null; values: Values; errors: ErrorMap }): VNode {
  const { t } = ctx.tr;
  const v = o.values;
  const e = o.errors;
  const action = o.editing ? `/pacts/${slug}/beneficiaries/${encodeURIComponent(o.editing)}#register-form` : `/pacts/${slug}/beneficiaries#register-form`;
  return html`<section id="register-form" aria-labelledby="register-form-title">
    <h2 id="register-form-title">${o.editing ? t('pacts.beneficiaries.form.edit_title', { code: o.editing }) : t('pacts.beneficiaries.form.add_title')}</h2>
    <form method="post" action=${action} class="narrow" novalidate>
      ${csrfField(ctx)}
      ${errorSummary(ctx, e, LABELS)}
      ${field(ctx, e, { name: 'kind', label: 'pacts.beneficiaries.fields.kind', value: v.kind ?? 'household', options: vocabularyOptions(ctx, 'pacts.beneficiaries.kinds', BENEFICIARY_KINDS) })}
      ${field(ctx, e, { name: 'householdSize', label: 'pacts.beneficiaries.fields.household_size', type: 'number', min: '1', value: v.householdSize, hint: 'pacts.beneficiaries.fields.household_size_hint' })}
      ${field(ctx, e, { name: 'name', label: 'pacts.beneficiaries.fields.name', value: v.name, required: true, autocomplete: 'off' })}
      ${field(ctx, e, { name: 'contact', label: 'pacts.beneficiaries.fields.contact', value: v.contact, autocomplete: 'off', hint: 'pacts.beneficiaries.fields.contact_hint' })}
      ${field(ctx, e, { name: 'address', label: 'pacts.beneficiaries.fields.address', value: v.address, multiline: true })}
      ${field(ctx, e, { name: 'notes', label: 'pacts.beneficiaries.fields.notes', value: v.notes, multiline: true })}
      ${o.editing
        ? html`<div class="field"><label class="check"><input type="checkbox" name="archived" value="true" checked=${v.archived === 'true' || v.archived === 'on'} /> ${t('pacts.beneficiaries.fields.archived')}</label>
            <p class="hint">${t('pacts.beneficiaries.fields.archived_hint')}</p></div>`
        : null}
      <button type="submit">${t(o.editing ? 'actions.save' : 'pacts.beneficiaries.form.add_submit')}</button>
      ${o.editing ? html` <a href=${`/pacts/${slug}/beneficiaries`}>${t('pacts.beneficiaries.form.cancel')}</a>` : null}
    </form>
  </section>`;
}

/**
 * The private beneficiary register of a pact (its coordinators): code, kind, household size,
 * the sealed personal fields opened, allocations per currency, archived ones marked; a note that
 * these fields are encrypted and shown to coordinators only; the add form, or the change form of
 * the beneficiary chosen with `?edit=CODE`.
 */
export function beneficiariesView(ctx: PageContext, pact: PactRecord, o: { items: BeneficiaryView[]; editing: string | null; values: Values; errors: ErrorMap }) {
  const { t } = ctx.tr;
  const canWrite = pact.status !== 'closed';
  return html`${pactHeading(ctx, 'pacts.beneficiaries.title', pact)}
    ${pactNav(ctx, pact.slug, { current: 'beneficiaries', coordinator: true })}
    ${doneNotice(ctx, BENEFICIARY_NOTICES)}
    <p class="notice">${t('pacts.beneficiaries.privacy_note')}</p>
    <p>${t('pacts.beneficiaries.intro')}</p>
    ${o.items.length
      ? html`<div class="table-scroll" role="region" aria-labelledby="register-caption" tabindex="0">
          <table class="register">
            <caption id="register-caption">${t('pacts.beneficiaries.caption', { count: o.items.length })}</caption>
            <thead>
              <tr>
                <th scope="col">${t('pacts.beneficiaries.col.code')}</th>
                <th scope="col">${t('pacts.beneficiaries.fields.kind')}</th>
                <th scope="col" class="num">${t('pacts.beneficiaries.col.household_size')}</th>
                <th scope="col">${t('pacts.beneficiaries.fields.name')}</th>
                <th scope="col">${t('pacts.beneficiaries.fields.contact')}</th>
                <th scope="col">${t('pacts.beneficiaries.fields.address')}</th>
                <th scope="col">${t('pacts.beneficiaries.fields.notes')}</th>
                <th scope="col" class="num">${t('pacts.beneficiaries.col.allocations')}</th>
              </tr>
            </thead>
            <tbody>
              ${o.items.map(
                (b) => html`<tr id=${`b-${b.code}`} class=${b.archivedAt ? 'archived' : undefined}>
                  <th scope="row">
                    <code>${b.code}</code>
                    ${b.archivedAt ? html`<br /><span class="badge">${t('pacts.beneficiaries.archived')}</span>` : null}
                    ${canWrite
                      ? html`<br /><a href=${`/pacts/${pact.slug}/beneficiaries?edit=${encodeURIComponent(b.code)}#register-form`}>${t('pacts.beneficiaries.edit_link', { code: b.code })}</a>`
                      : null}
                  </th>
                  <td>${t(`pacts.beneficiaries.kinds.${b.kind}`)}</td>
                  <td class="num">${b.householdSize === null ? '' : ctx.tr.number(b.householdSize)}</td>
                  <td><${U}>${b.personal.name}<//></td>
                  <td>${b.personal.contact ? html`<${U}>${b.personal.contact}<//>` : null}</td>
                  <td class="multiline">${b.personal.address ? html`<${U}>${b.personal.address}<//>` : null}</td>
                  <td class="multiline">${b.personal.notes ? html`<${U}>${b.personal.notes}<//>` : null}</td>
                  <td class="num">
                    ${b.allocations.length
                      ? b.allocations.map((a, i) => html`${i ? html`<br />` : null}${money(ctx, a.totalMinor, a.currency)}`)
                      : html`<span class="meta">${t('pacts.beneficiaries.no_allocations')}</span>`}
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
      : html`<p>${t('pacts.beneficiaries.empty')}</p>`}
    ${canWrite ? beneficiaryForm(ctx, pact.slug, { editing: o.editing, values: o.values, errors: o.errors }) : null}`;
}
