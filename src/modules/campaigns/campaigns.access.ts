import type { Db } from '../../db/client.ts';
import type { CampaignsTable } from '../../db/schema.ts';
import { visibleWhere } from '../../db/visibility.ts';
import type { Viewer } from '../../http/viewer.ts';
import { Forbidden, NotFound, SignInRequired } from '../../http/errors.ts';

/** A campaign row with its issuing organizations (the owner first). */
export interface CampaignRecord extends CampaignsTable {
  /** Ids of the issuing organizations; the owning organization is always the first. */
  issuerIds: string[];
}

/**
 * The campaign with `slug` as `viewer` may see it (visibility rule of db/visibility.ts).
 * @throws {NotFound} when there is no such campaign or the viewer may not see it.
 */
export async function getCampaign(db: Db, viewer: Viewer | null, slug: string): Promise<CampaignRecord> {
  const row = await db.selectFrom('campaigns').selectAll().where('slug', '=', slug).where(visibleWhere(viewer, 'campaigns')).executeTakeFirst();
  if (!row) throw new NotFound();
  const orgs = await db.selectFrom('campaign_organizations').select('organization_id').where('campaign_id', '=', row.id).execute();
  const issuerIds = [row.organization_id, ...orgs.map((o) => o.organization_id).filter((id) => id !== row.organization_id)];
  return { ...row, issuerIds };
}

/**
 * True when the viewer coordinates the campaign: an admin or coordinator of one of its issuing
 * organizations, or an instance admin. Coordinators edit the campaign, confirm endorsements, enter
 * tallies, import and export supporters.
 */
export function isCampaignCoordinator(viewer: Viewer | null, campaign: { issuerIds: string[] }): boolean {
  if (!viewer) return false;
  if (viewer.isAdmin) return true;
  return campaign.issuerIds.some((id) => {
    const role = viewer.roles.get(id);
    return role === 'admin' || role === 'coordinator';
  });
}

/**
 * The campaign by slug for one of its coordinators.
 * @throws {NotFound} unknown or invisible; {SignInRequired} not signed in; {Forbidden} not a coordinator.
 */
export async function getCampaignForCoordinator(db: Db, viewer: Viewer | null, slug: string): Promise<CampaignRecord> {
  const campaign = await getCampaign(db, viewer, slug);
  if (!viewer) throw new SignInRequired();
  if (!isCampaignCoordinator(viewer, campaign)) throw new Forbidden();
  return campaign;
}
