import { Router, type NextFunction, type Request, type Response } from 'express';
import { Passport } from 'passport';
import { Strategy as GoogleStrategy, type Profile, type VerifyCallback } from 'passport-google-oauth20';
import * as google from '../../services/access/google-accounts.ts';
import { Forbidden, NotFound } from '../../services/core/errors.ts';
import type { AppDeps } from '../support/deps.ts';
import { flash, startSession } from '../support/session.ts';

const REFUSALS: Record<string, string> = {
  unverified: 'Google has not verified the email address of that Google account, so Bursar cannot trust it. Verify it with Google, or sign in another way.',
  no_email: 'That Google account did not share an email address.',
  linked_elsewhere: 'The Bursar account with that address is linked to a different Google account.',
};

/**
 * Sign in with Google through passport-google-oauth20, with `state` and PKCE kept in
 * the session. One Passport instance per app, so each app (and test) has its own
 * endpoints; passport's own session support is not used: Bursar starts the session.
 */
export function googleRoutes({ db, config, clock, logger }: AppDeps): Router {
  const router = Router();
  const { clientId, clientSecret, authUrl, tokenUrl, userinfoUrl } = config.google;
  if (!clientId || !clientSecret) {
    router.get(['/auth/google', '/auth/google/callback'], () => {
      throw new NotFound('Google sign-in is not set up on this Bursar.');
    });
    return router;
  }
  const passport = new Passport();
  passport.use(
    new GoogleStrategy(
      {
        clientID: clientId,
        clientSecret,
        callbackURL: new URL('/auth/google/callback', config.appUrl).toString(),
        authorizationURL: authUrl,
        tokenURL: tokenUrl,
        userProfileURL: userinfoUrl,
        state: true,
        pkce: true,
      },
      // The profile is handed to the route, which does the account work in one service call.
      (_accessToken: string, _refreshToken: string, profile: Profile, done: VerifyCallback) => done(null, profile),
    ),
  );

  router.get('/auth/google', passport.authenticate('google', { scope: ['openid', 'email', 'profile'], session: false }));

  router.get('/auth/google/callback', (req: Request, res: Response, next: NextFunction) => {
    passport.authenticate('google', { session: false }, async (err: unknown, profile: Profile | false, info: { message?: string } | undefined) => {
      try {
        if (err) {
          logger.warn({ err }, 'Google sign-in failed at the token or userinfo step');
          throw new Forbidden('Google sign-in did not complete. Please try again.');
        }
        // No profile: the state did not match this browser's session (or the user said no).
        if (!profile) throw new Forbidden(info?.message ? `Google sign-in refused: ${info.message}` : 'Google sign-in was cancelled.');
        const outcome = await google.signIn(db, clock.now(), google.profileFromClaims(profile._json as Record<string, unknown>));
        if (!outcome.ok) throw new Forbidden(REFUSALS[outcome.reason]);
        await startSession(req, outcome.user.id, false, clock.now());
        if (outcome.created) flash(req, 'success', 'Welcome to Bursar. Create your first business to get started.');
        res.redirect(303, outcome.created ? '/businesses/new' : '/');
      } catch (e) {
        next(e);
      }
    })(req, res, next);
  });

  return router;
}
