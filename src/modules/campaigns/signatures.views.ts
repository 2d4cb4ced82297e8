import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import type { ErrorMap } from '../../web/forms.ts';

/**
 * The signing form of campaign `slug` (posts to `/campaigns/<slug>/sign`), with the values and
 * field errors of a previous attempt. Embedded on the campaign's public page.
 */
export function signForm(_ctx: PageContext, _slug: string, _o: { values?: Record<string, string>; errors?: ErrorMap } = {}): VNode | null {
  return null;
}
