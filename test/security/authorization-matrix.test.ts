import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../helpers/db.ts';
import { buildTestApp, form, type TestApp } from '../helpers/app.ts';
import {
  A_FAMILY,
  ACTORS,
  CALLS,
  CAMPAIGNS,
  DAYS,
  NETWORK,
  NETWORK_MEMBERS,
  ORGS,
  PACTS,
  STRUGGLES,
  VOLATILE,
  captureRows,
  changedTables,
  leakedMarkers,
  resetSnapshotCache,
  restore,
  roleOf,
  sees,
  seedWorld,
  shows,
  snapshot,
  type Actor,
  type OrgKey,
  type Rows,
  type Snapshot,
  type StruggleKey,
  type CallKey,
  type DayKey,
  type PactKey,
  type CampaignKey,
  type World,
} from './fixture.ts';
import { KNOWN_DEVIATIONS, POLICIES, RULES, type Cell, type RoutePolicy, type Target, type TargetKey } from './route-policies.ts';

/**
 * The authorization matrix: every route of `app.routeTable` × every actor × every fixture record
 * the route can target, checked against the policy table in `route-policies.ts`. A route without
 * a policy fails the test, so a new route is covered the day it is registered.
 */

/** Routes not walked, and why. HEAD routes are skipped too: Fastify answers them with the GET handler. */
const SKIPPED: Record<string, string> = {
  'GET /*': 'catch-all that answers every unknown path with the 404 page (error-leaks.test.ts checks it)',
  'GET /static/*': 'static files (CSS, icon) from src/web/static, no records',
};

const BOGUS_TOKEN = 'bogus-token-0000000000000000000000000000000';

function resolveTarget(world: World, key: TargetKey): Target {
  if (key === 'none') return { key, params: {}, visibility: 'public', owner: null };
  if (key === 'token:bogus') return { key, params: { token: BOGUS_TOKEN }, visibility: 'public', owner: null };
  if (key === 'network:N') return { key, params: { slug: NETWORK.slug }, visibility: 'public', owner: null };
  if (key === 'country:CD') return { key, params: { code: 'CD' }, visibility: 'public', owner: null };
  const [kind, name] = key.split(':') as [string, string];
  if (kind === 'org') {
    const o = ORGS[name as OrgKey];
    return { key, params: { slug: o.slug }, visibility: o.visibility, owner: o.key };
  }
  if (kind === 'struggle') {
    const s = STRUGGLES[name as StruggleKey];
    return { key, params: { slug: s.slug }, visibility: s.visibility, owner: s.owner };
  }
  if (kind === 'call') {
    const c = CALLS[name as CallKey];
    return { key, params: { slug: c.slug }, visibility: c.visibility, owner: c.owner };
  }
  if (kind === 'day') {
    const d = DAYS[name as DayKey];
    return { key, params: { slug: d.slug }, visibility: d.visibility, owner: d.owner };
  }
  if (kind === 'pact' || kind === 'entry') {
    const p = PACTS[name as PactKey];
    return { key, params: kind === 'pact' ? { slug: p.slug } : { slug: p.slug, id: world.entryIds[p.key] }, visibility: p.visibility, owner: p.owner };
  }
  if (kind === 'pledge' || kind === 'beneficiary' || kind === 'disbursement' || kind === 'document') {
    const p = PACTS[name as PactKey];
    const params: Record<string, string> =
      kind === 'beneficiary'
        ? { slug: p.slug, code: world.beneficiaryCodes[p.key] }
        : { slug: p.slug, id: (kind === 'pledge' ? world.pledgeIds : kind === 'disbursement' ? world.disbursementIds : world.documentIds)[p.key] };
    return { key, params, visibility: p.visibility, owner: p.owner };
  }
  if (kind === 'signature') {
    const c = CAMPAIGNS[name as CampaignKey];
    return { key, params: { slug: c.slug, id: world.supporterIds[c.key].listed }, visibility: c.visibility, owner: c.owner };
  }
  if (kind === 'supporterimport') {
    const c = CAMPAIGNS[name as CampaignKey];
    return { key, params: { slug: c.slug, id: world.supporterImportIds[c.key] }, visibility: c.visibility, owner: c.owner };
  }
  if (kind === 'campaign' || kind === 'endorsement' || kind === 'tally') {
    const c = CAMPAIGNS[name as CampaignKey];
    const params: Record<string, string> =
      kind === 'campaign' ? { slug: c.slug, lang: 'pt-BR' } : { slug: c.slug, id: kind === 'endorsement' ? world.endorsementIds[c.key].pending : world.tallyIds[c.key] };
    return { key, params, visibility: c.visibility, owner: c.owner };
  }
  if (kind === 'local') {
    const d = DAYS[name as DayKey];
    return { key, params: { slug: d.slug, id: world.localActionIds[d.key] }, visibility: d.visibility, owner: d.owner };
  }
  if (kind === 'orgmember' || kind === 'invitation') {
    const o = ORGS[name as OrgKey];
    const id = kind === 'orgmember' ? world.actors.member.userId : world.invitationIds[o.key];
    if (!id) throw new Error(`fixture has no ${kind} of ${o.key}`);
    return { key, params: kind === 'orgmember' ? { slug: o.slug, userId: id } : { slug: o.slug, id }, visibility: o.visibility, owner: o.key };
  }
  if (key === 'passkey:admin') return { key, params: { id: world.passkeyId }, visibility: 'private', owner: null, ownerActor: 'admin' };
  if (kind === 'follow') return { key, params: { slug: ORGS[name as OrgKey].slug, id: world.followIds[name as OrgKey]! }, visibility: ORGS[name as OrgKey].visibility, owner: name as OrgKey };
  if (key === 'feedtoken:admin') return { key, params: { id: world.feedTokenId }, visibility: 'private', owner: null, ownerActor: 'admin' };
  if (kind === 'membership') {
    const o = ORGS[name as OrgKey];
    const id = world.membershipIds[o.key];
    if (!id) throw new Error(`fixture has no network membership of ${o.key}`);
    return { key, params: { slug: NETWORK.slug, id }, visibility: o.visibility, owner: o.key };
  }
  throw new Error(`unknown target ${key}`);
}

/** Targets of a route without explicit ones: by the kind of record its path names. */
function defaultTargets(url: string): TargetKey[] | null {
  const params = [...url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  if (!params.length) return ['none'];
  if (params.length === 1 && params[0] === 'token') return ['token:bogus'];
  if (params.length === 1 && params[0] === 'slug') {
    if (/\/organizations\/:slug/.test(url)) return ['org:A', 'org:AP'];
    if (/\/struggles\/:slug/.test(url)) return ['struggle:SPUB', 'struggle:SPRIV'];
    if (/\/networks\/:slug/.test(url)) return ['network:N'];
    if (/\/calls\/:slug/.test(url)) return ['call:CPUB', 'call:CPRIV'];
    if (/\/action-days\/:slug/.test(url)) return ['day:DPUB', 'day:DPRIV'];
    if (/\/pacts\/:slug/.test(url)) return ['pact:PPUB', 'pact:PPRIV'];
    if (/\/campaigns\/:slug/.test(url)) return ['campaign:KPUB', 'campaign:KPRIV'];
  }
  return null;
}

function fillPath(url: string, params: Record<string, string>): string | null {
  let missing = false;
  const path = url.replace(/:(\w+)/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) missing = true;
    return encodeURIComponent(v ?? '');
  });
  return missing ? null : path;
}

/** Markers an allowed answer must show for this cell. */
function expectedShown(world: World, actor: Actor, policy: RoutePolicy, target: Target): string[] {
  const out: string[] = [];
  const [kind, name] = target.key.split(':') as [string, string | undefined];
  for (const s of policy.shows ?? []) {
    if (s === 'target') {
      if (kind === 'org') out.push(ORGS[name as OrgKey].marker);
      else if (kind === 'struggle') out.push(STRUGGLES[name as StruggleKey].marker);
      else if (kind === 'network') out.push(NETWORK.marker);
      else if (kind === 'call') out.push(CALLS[name as CallKey].marker);
      else if (kind === 'day' || kind === 'local') out.push(DAYS[name as DayKey].marker);
      else if (['pact', 'entry', 'pledge', 'beneficiary', 'disbursement', 'document'].includes(kind)) out.push(PACTS[name as PactKey].marker);
      else if (['campaign', 'endorsement', 'tally', 'supporterimport'].includes(kind)) out.push(CAMPAIGNS[name as CampaignKey].marker);
    } else if (s === 'campaigns') {
      for (const c of Object.values(CAMPAIGNS)) if (sees(actor, c)) out.push(c.marker);
    } else if (['supporters', 'endorsements', 'pending-endorsements', 'tallies'].includes(s) && ['campaign', 'endorsement', 'tally'].includes(kind)) {
      const c = CAMPAIGNS[name as CampaignKey];
      out.push(s === 'supporters' ? c.supporterMarker : s === 'endorsements' ? c.endorsementMarker : s === 'pending-endorsements' ? c.pendingMarker : c.tallyMarker);
    } else if (s === 'entries' && (kind === 'pact' || kind === 'entry')) {
      out.push(PACTS[name as PactKey].entryMarker);
    } else if (s === 'register' && kind === 'pact') {
      out.push(PACTS[name as PactKey].beneficiaryMarker);
    } else if (s === 'disbursements' && kind === 'pact') {
      out.push(PACTS[name as PactKey].disbursementMarker);
    } else if (s === 'pacts') {
      for (const p of Object.values(PACTS)) if (sees(actor, p)) out.push(p.marker);
    } else if (s === 'responses' && kind === 'call') {
      for (const c of Object.values(CALLS)) if (c.key === name && sees(actor, c)) out.push(c.responseMarker);
    } else if (s === 'local-actions' && (kind === 'day' || kind === 'local')) {
      for (const d of Object.values(DAYS)) if (d.key === name && sees(actor, d)) out.push(d.localMarker);
    } else if (s === 'calls') {
      for (const c of Object.values(CALLS)) if (sees(actor, c)) out.push(c.marker);
    } else if (s === 'days') {
      for (const d of Object.values(DAYS)) if (sees(actor, d)) out.push(d.marker);
    } else if (s === 'update' && kind === 'struggle') {
      out.push(STRUGGLES[name as StruggleKey].updateMarker);
    } else if (s === 'children' && kind === 'org') {
      const parent = ORGS[name as OrgKey].slug;
      for (const o of Object.values(ORGS)) if (o.parent === parent && sees(actor, { visibility: o.visibility, owner: o.key })) out.push(o.marker);
    } else if (s === 'owned-struggles' && kind === 'org') {
      for (const st of Object.values(STRUGGLES)) if (st.owner === name && sees(actor, st)) out.push(st.marker);
    } else if (s === 'network-members') {
      for (const m of NETWORK_MEMBERS) {
        const o = ORGS[m.org];
        if (sees(actor, { visibility: o.visibility, owner: o.key })) out.push(o.marker);
      }
    } else if (s === 'struggles') {
      for (const st of Object.values(STRUGGLES)) if (sees(actor, st)) out.push(st.marker);
    } else if (s === 'organizations') {
      for (const o of Object.values(ORGS)) if (sees(actor, { visibility: o.visibility, owner: o.key })) out.push(o.marker);
    } else if (s === 'network') {
      out.push(NETWORK.marker);
    }
  }
  return out;
}

const leads = (r: string | undefined) => r === 'admin' || r === 'coordinator';

function cellFor(actor: Actor, target: Target): Cell {
  const role = target.owner ? roleOf(actor, target.owner) : undefined;
  const seen = target.ownerActor ? actor === target.ownerActor : sees(actor, target);
  return {
    actor,
    signedIn: actor !== 'anonymous',
    target,
    sees: seen,
    knows: seen || role !== undefined,
    role,
    roleInJoiner: roleOf(actor, 'A3'),
    managesNetwork: leads(roleOf(actor, 'A')),
  };
}

/** Is the target one of organization A's records (A's family, or network N which A coordinates)? */
function isAsRecord(target: Target): boolean {
  return target.key === 'network:N' || (target.owner !== null && A_FAMILY.includes(target.owner));
}

interface Failure {
  cell: string;
  problem: string;
}

for (const engine of ENGINES) {
  describe(`authorization matrix (${engine})`, () => {
    let t: TestApp;
    let world: World;
    let base: Snapshot;
    let baseRows: Rows;

    before(async () => {
      resetSnapshotCache();
      t = await buildTestApp(engine);
      world = await seedWorld(t);
      base = await snapshot(t);
      baseRows = await captureRows(t);
    });
    after(async () => {
      await t?.close();
    });

    async function send(method: string, url: string, actor: Actor, body: Record<string, unknown> | undefined, mode: RoutePolicy['send']): Promise<LightMyRequestResponse> {
      const a = world.actors[actor];
      if (method === 'GET') return t.app.inject({ method, url, headers: a.cookie ? { cookie: a.cookie } : {} });
      if (mode === 'json-csrf') {
        return t.app.inject({
          method: method as 'POST',
          url,
          headers: { cookie: a.formCookie, 'content-type': 'application/json', 'x-csrf-token': a.csrf },
          payload: JSON.stringify(body ?? {}),
        });
      }
      if (mode === 'api' || (!mode && url.startsWith('/api/'))) {
        return t.app.inject({
          method: method as 'POST',
          url,
          headers: { ...(a.cookie ? { cookie: a.cookie } : {}), 'content-type': 'application/json' },
          payload: JSON.stringify(body ?? {}),
        });
      }
      const fields: Record<string, string> = { _csrf: a.csrf };
      for (const [k, v] of Object.entries(body ?? {})) if (v !== undefined && v !== null) fields[k] = Array.isArray(v) ? v.join(', ') : String(v);
      return t.app.inject({
        method: method as 'POST',
        url,
        headers: { cookie: a.formCookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: form(fields),
      });
    }

    test('every route × actor × target is allowed or denied as route-policies.ts says', async (tt) => {
      const started = Date.now();
      const routes = t.app.routeTable.filter((r) => r.method !== 'HEAD');
      const skipped = routes.filter((r) => SKIPPED[`${r.method} ${r.url}`]);
      const walked = routes.filter((r) => !SKIPPED[`${r.method} ${r.url}`]);
      const missing = walked.map((r) => `${r.method} ${r.url}`).filter((k) => !POLICIES[k]);
      const unfillable: string[] = [];
      const failures: Failure[] = [];
      const knownSeen = new Set<number>();
      const counts = { routes: 0, cells: 0, allows: 0, denies: 0, unexpectedAllows: 0, unexpectedDenies: 0, knownDeviations: 0 };
      const headline = { writesByAdminB: 0, writesByAdminBDenied: 0, readsByOutsiders: 0, readsByOutsidersDenied: 0 };

      for (const route of walked) {
        const key = `${route.method} ${route.url}`;
        const policy = POLICIES[key];
        if (!policy) continue;
        counts.routes += 1;
        const targetKeys = policy.targets ?? defaultTargets(route.url);
        if (!targetKeys) {
          unfillable.push(`${key}: give its policy \`targets\` naming fixture records for ${route.url.match(/:\w+/g)!.join(', ')}`);
          continue;
        }
        const isWrite = route.method !== 'GET';
        for (const targetKey of targetKeys) {
          const target = resolveTarget(world, targetKey);
          const url = fillPath(route.url, target.params);
          if (!url) {
            unfillable.push(`${key}: target ${targetKey} does not fill every parameter of ${route.url}; name other targets in its policy`);
            continue;
          }
          for (const actor of ACTORS) {
            const cell = cellFor(actor, target);
            const name = `${key} [${targetKey}] as ${actor}`;
            const expectAllow = RULES[policy.rule](cell);
            const res = await send(route.method, url, actor, policy.body?.(target, { world, actor }), policy.send);
            const problems: string[] = [];
            const status = res.statusCode;
            const location = String(res.headers.location ?? '');
            const toSignIn = status === 303 && location.startsWith('/sign-in');
            const allowedStatus = (status >= 200 && status < 300) || (status === 303 && !toSignIn) || (expectAllow && (policy.allowStatus ?? []).includes(status));

            const leaks = leakedMarkers(world, actor, res.body, Object.values(target.params));
            if (leaks.length) problems.push(`body shows ${leaks.join(', ')} which ${actor} may not see`);

            let changed: string[] = [];
            if (isWrite) changed = changedTables(base, await snapshot(t));
            const dataChanged = changed.filter((c) => !VOLATILE.has(c));

            counts.cells += 1;
            if (expectAllow) {
              counts.allows += 1;
              if (!allowedStatus) {
                counts.unexpectedDenies += 1;
                problems.push(`expected allow, got ${status}${location ? ` → ${location}` : ''}: ${res.body.slice(0, 200).replace(/\s+/g, ' ')}`);
              } else if (policy.readOnly && dataChanged.length) {
                problems.push(`allowed as a pass-through, but the request changed ${dataChanged.join(', ')}`);
              } else if (!isWrite) {
                const absent = expectedShown(world, actor, policy, target).filter((m) => !shows(res.body, m));
                if (absent.length) problems.push(`allowed, but the answer lacks ${absent.join(', ')}`);
              }
            } else {
              counts.denies += 1;
              // A record the actor may not see must be indistinguishable from a missing one.
              const mustBe404 = policy.rule === 'visible-read' || (cell.signedIn && !cell.knows);
              // Pages and forms may send an anonymous reader to the sign-in page instead of a 401.
              const denyOk = mustBe404
                ? status === 404
                : [401, 403, 404].includes(status) || (toSignIn && !route.url.startsWith('/api/')) || (policy.refusedAs ?? []).includes(status);
              if (allowedStatus) counts.unexpectedAllows += 1;
              if (!denyOk) problems.push(`expected deny (${mustBe404 ? '404' : '401/403/404'}), got ${status}${location ? ` → ${location}` : ''}`);
              if (dataChanged.length) problems.push(`denied, but the write changed ${dataChanged.join(', ')}`);
              if (isWrite && actor === 'adminB' && isAsRecord(target)) {
                headline.writesByAdminB += 1;
                if (denyOk && !dataChanged.length) headline.writesByAdminBDenied += 1;
              }
              if (!isWrite && ['anonymous', 'noMembership', 'adminB'].includes(actor) && isAsRecord(target) && target.visibility !== 'public') {
                headline.readsByOutsiders += 1;
                if (denyOk && !leaks.length) headline.readsByOutsidersDenied += 1;
              }
            }
            // Writes by admin-of-B to A's records, and reads of A's non-public records by
            // outsiders, must never be expected to succeed: a policy saying so is itself wrong.
            // (`openToOutsiders` names the few routes where that is the point, e.g. signing a campaign.)
            if (expectAllow && isWrite && actor === 'adminB' && isAsRecord(target) && !policy.openToOutsiders) problems.push('policy allows admin-of-B to write to A’s record');
            if (expectAllow && !isWrite && ['anonymous', 'noMembership', 'adminB'].includes(actor) && isAsRecord(target) && target.visibility !== 'public' && !policy.openToOutsiders)
              problems.push('policy allows an outsider to read A’s non-public record');

            if (changed.length) await restore(t, baseRows, changed);

            const known = KNOWN_DEVIATIONS.findIndex((d) => d.route === key && d.actor === actor && (!d.target || d.target === targetKey));
            if (known >= 0) {
              knownSeen.add(known);
              if (problems.length) {
                counts.knownDeviations += 1;
                if (expectAllow) counts.unexpectedDenies -= 1;
                else if (allowedStatus) counts.unexpectedAllows -= 1;
                continue;
              }
              failures.push({ cell: name, problem: `listed in KNOWN_DEVIATIONS (${KNOWN_DEVIATIONS[known]!.issue}) but behaves as the policy says now: remove the entry` });
              continue;
            }
            for (const p of problems) failures.push({ cell: name, problem: p });
          }
        }
      }

      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      tt.diagnostic(`skipped: HEAD routes (answered by their GET handler); ${skipped.map((r) => `${r.method} ${r.url} (${SKIPPED[`${r.method} ${r.url}`]})`).join('; ')}`);
      tt.diagnostic(
        `matrix ${engine}: ${counts.routes} routes × ${ACTORS.length} actors × targets = ${counts.cells} cells; allows ${counts.allows}, denies ${counts.denies}, ` +
          `unexpected allows ${counts.unexpectedAllows}, unexpected denies ${counts.unexpectedDenies}, known deviations ${counts.knownDeviations}; ${seconds} s`,
      );
      tt.diagnostic(
        `headline ${engine}: writes by admin-of-B to A's records denied ${headline.writesByAdminBDenied}/${headline.writesByAdminB}; ` +
          `reads of A's non-public records by anonymous/no-membership/admin-of-B denied ${headline.readsByOutsidersDenied}/${headline.readsByOutsiders}`,
      );
      const unused = Object.keys(POLICIES).filter((k) => !walked.some((r) => `${r.method} ${r.url}` === k));
      if (unused.length) tt.diagnostic(`policies for routes not registered (removed or renamed?): ${unused.join(', ')}`);
      const staleKnown = KNOWN_DEVIATIONS.filter((_, i) => !knownSeen.has(i));
      if (staleKnown.length) failures.push(...staleKnown.map((d) => ({ cell: `${d.route} as ${d.actor}`, problem: 'KNOWN_DEVIATIONS entry matches no cell: remove it' })));

      assert.deepEqual(missing, [], `Routes without an authorization policy. Add an entry for each to test/security/route-policies.ts (POLICIES), naming its rule — see RULES there:\n  ${missing.join('\n  ')}`);
      assert.deepEqual(unfillable, [], `Routes whose path parameters cannot be filled from the fixture:\n  ${unfillable.join('\n  ')}`);
      assert.equal(
        failures.length,
        0,
        `${failures.length} cells differ from route-policies.ts:\n${failures.slice(0, 60).map((f) => `  ${f.cell}: ${f.problem}`).join('\n')}`,
      );
      assert.equal(counts.unexpectedAllows, 0);
      assert.ok(headline.writesByAdminB > 0 && headline.writesByAdminBDenied === headline.writesByAdminB, 'every write by admin-of-B to A’s records is denied');
      assert.ok(headline.readsByOutsiders > 0 && headline.readsByOutsidersDenied === headline.readsByOutsiders, 'every read of A’s non-public records by an outsider is denied');
      assert.ok(counts.allows > 0 && counts.denies > 0);
    });

    test(
      "admin-of-B cannot gain network visibility of A's records by putting A into a network of B's own",
      async () => {
        const b = world.actors.adminB;
        const api = (method: 'POST' | 'GET', url: string, body?: unknown) =>
          t.app.inject({ method, url, headers: { cookie: b.cookie, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
        try {
          assert.equal((await api('POST', '/api/v1/networks', { name: 'Trojan network', slug: 'trojan-network', sector: 'mining' })).statusCode, 201);
          await api('POST', '/api/v1/networks/trojan-network/members', { organization: ORGS.B.slug, since: '2025-01-01' });
          const addA = await api('POST', '/api/v1/networks/trojan-network/members', { organization: ORGS.A.slug, since: '2025-01-01' });
          const seen = await api('GET', `/api/v1/struggles/${STRUGGLES.SNET.slug}`);
          assert.equal(seen.statusCode, 404, `A's network-only struggle became visible to admin-of-B (adding A answered ${addA.statusCode})`);
          assert.ok([403, 404].includes(addA.statusCode), `admin-of-B put organization A into a network without A's managers (${addA.statusCode})`);
        } finally {
          await restore(t, baseRows, changedTables(base, await snapshot(t)));
        }
      },
    );

    test("ending another account's session by its reference ends nothing", async () => {
      for (const actor of ['adminB', 'member', 'coordinator'] as const) {
        const a = world.actors[actor];
        const res = await t.app.inject({
          method: 'POST',
          url: '/account/sessions/revoke',
          headers: { cookie: a.formCookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: a.csrf, session: world.sessionRefs.admin! }),
        });
        assert.ok(res.statusCode < 500, `${actor}: ${res.statusCode}`);
        const still = await t.app.inject({ method: 'GET', url: '/account', headers: { cookie: world.actors.admin.cookie } });
        assert.equal(still.statusCode, 200, `the admin is still signed in after ${actor} named their session`);
        const changed = changedTables(base, await snapshot(t));
        assert.deepEqual(changed.filter((c) => c !== 'sessions'), [], actor);
        await restore(t, baseRows, changed);
      }
    });

    test('a form without a CSRF token is refused (so the matrix denials are not about CSRF)', async () => {
      const admin = world.actors.admin;
      const url = `/struggles/${STRUGGLES.SPUB.slug}/updates`;
      const fields = { date: '2026-04-01', body: 'An update without a token', lang: 'en' };
      const without = await t.app.inject({
        method: 'POST',
        url,
        headers: { cookie: admin.formCookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: form(fields),
      });
      assert.equal(without.statusCode, 403);
      const forged = await t.app.inject({
        method: 'POST',
        url,
        headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ ...fields, _csrf: world.actors.member.csrf }),
      });
      assert.equal(forged.statusCode, 403, 'a token minted for another browser is refused');
      assert.deepEqual(changedTables(base, await snapshot(t), VOLATILE), []);
      const withToken = await t.app.inject({
        method: 'POST',
        url,
        headers: { cookie: admin.formCookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ ...fields, _csrf: admin.csrf }),
      });
      assert.equal(withToken.statusCode, 303);
      const changed = changedTables(base, await snapshot(t));
      assert.ok(changed.includes('struggle_updates'));
      await restore(t, baseRows, changed);
      assert.deepEqual(changedTables(base, await snapshot(t)), []);
    });
  });
}
