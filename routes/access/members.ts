import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import * as members from '../../services/access/members.ts';
import { ROLES } from '../../services/access/businesses.ts';
import { Validation } from '../../services/core/errors.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseForm, parseOrThrow, type FieldErrors } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { requireManager } from '../support/tenant.ts';
import { uuid } from '../../services/core/ids.ts';

const view = { page: 'pages/business/members.njk', partial: 'partials/members/invite-form.njk' };
const revokeInput = z.object({ invitation: uuid('Choose an invitation') });
const userParam = z.object({ userId: uuid() });

/** Who belongs to the business, and inviting, re-roling and removing them (owners and admins). */
export function memberRoutes({ db, config, clock, logger }: AppDeps): Router {
  const router = Router({ mergeParams: true });
  const mail = { config, logger };
  const actorOf = (res: Response) => ({ id: res.locals.user.id, name: res.locals.user.name, role: res.locals.role });
  const membersUrl = (res: Response) => `/b/${res.locals.business.id}/members`;

  async function page(req: Request, res: Response, status: number, values: Record<string, unknown>, errors: FieldErrors) {
    const businessId = res.locals.business.id;
    const [list, invitations] = await Promise.all([members.list(db, businessId), members.pendingInvitations(db, businessId, clock.now())]);
    render(req, res, { ...view, status }, { members: list, invitations, roles: ROLES, values, errors });
  }

  router.get('/members', (req, res) => page(req, res, 200, { role: 'member' }, {}));

  // --- literal paths before /members/:userId/...
  router.post('/members/invitations', requireManager, async (req, res) => {
    const input = parseForm(members.inviteInput, req.body);
    if (!input.ok) return page(req, res, 422, req.body, input.errors);
    try {
      await members.invite(db, mail, clock.now(), res.locals.business, actorOf(res), input.data);
    } catch (err) {
      if (!(err instanceof Validation)) throw err;
      return page(req, res, 422, req.body, err.details ?? {});
    }
    flash(req, 'success', `Invitation sent to ${input.data.email}.`);
    redirectAfterPost(req, res, membersUrl(res));
  });

  router.post('/members/revoked-invitations', requireManager, async (req, res) => {
    const { invitation } = parseOrThrow(revokeInput, req.body);
    await members.revokeInvitation(db, res.locals.business.id, invitation, clock.now());
    flash(req, 'success', 'Invitation withdrawn.');
    redirectAfterPost(req, res, membersUrl(res));
  });

  // Leaving is open to every role, viewers included: nobody is kept in a business.
  router.post('/members/departures', async (req, res) => {
    await members.remove(db, res.locals.business.id, actorOf(res), res.locals.user.id);
    flash(req, 'success', `You left ${res.locals.business.name}.`);
    redirectAfterPost(req, res, '/businesses');
  });

  router.post('/members/:userId/role', requireManager, async (req, res) => {
    const { userId } = parseOrThrow(userParam, req.params);
    const { role } = parseOrThrow(members.roleInput, req.body);
    await members.changeRole(db, res.locals.business.id, actorOf(res), userId, role);
    flash(req, 'success', 'Role changed.');
    redirectAfterPost(req, res, membersUrl(res));
  });

  router.post('/members/:userId/removal', requireManager, async (req, res) => {
    const { userId } = parseOrThrow(userParam, req.params);
    await members.remove(db, res.locals.business.id, actorOf(res), userId);
    flash(req, 'success', 'Member removed.');
    redirectAfterPost(req, res, membersUrl(res));
  });

  return router;
}
