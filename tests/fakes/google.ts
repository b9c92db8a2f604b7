import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { readBody } from './body.ts';

export type GoogleUser = { sub: string; email: string; email_verified: boolean; name: string; picture?: string };

type Grant = { clientId: string; redirectUri: string; challenge: string; method: string; user: GoogleUser; scope: string };

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A local stand-in for Google's OAuth 2.0 / OpenID Connect endpoints:
 * GET /o/oauth2/v2/auth consents at once as `nextUser` and redirects back with a code;
 * POST /token checks the client, redirect URI and PKCE verifier and returns
 * {access_token, expires_in, id_token, scope, token_type}; GET /v1/userinfo answers
 * the OpenID claims for an access token. Errors use Google's `{error, error_description}`.
 */
export async function startFakeGoogle(client: { id: string; secret: string }) {
  const grants = new Map<string, Grant>();
  const accessTokens = new Map<string, GoogleUser>();
  const tokenRequests: Record<string, string>[] = [];
  const state = { nextUser: null as GoogleUser | null };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/o/oauth2/v2/auth') {
      const q = url.searchParams;
      if (q.get('client_id') !== client.id) return json(400, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
      if (q.get('response_type') !== 'code' || !q.get('redirect_uri')) return json(400, { error: 'invalid_request', error_description: 'Missing required parameter.' });
      if (!state.nextUser) return json(500, { error: 'test_setup', error_description: 'set nextUser first' });
      const code = `4/${randomBytes(18).toString('base64url')}`;
      grants.set(code, {
        clientId: client.id,
        redirectUri: q.get('redirect_uri')!,
        challenge: q.get('code_challenge') ?? '',
        method: q.get('code_challenge_method') ?? 'plain',
        user: state.nextUser,
        scope: q.get('scope') ?? '',
      });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      if (q.get('state')) back.searchParams.set('state', q.get('state')!);
      back.searchParams.set('scope', 'email profile openid');
      res.writeHead(302, { Location: back.toString() });
      return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
      tokenRequests.push(form);
      if (form.client_id !== client.id || form.client_secret !== client.secret) return json(401, { error: 'invalid_client', error_description: 'Unauthorized' });
      const grant = grants.get(form.code ?? '');
      grants.delete(form.code ?? '');
      if (form.grant_type !== 'authorization_code' || !grant) return json(400, { error: 'invalid_grant', error_description: 'Malformed auth code.' });
      if (grant.redirectUri !== form.redirect_uri) return json(400, { error: 'redirect_uri_mismatch', error_description: 'Bad Request' });
      const expected =
        grant.method === 'S256'
          ? createHash('sha256')
              .update(form.code_verifier ?? '')
              .digest('base64url')
          : form.code_verifier;
      if (!grant.challenge || expected !== grant.challenge) return json(400, { error: 'invalid_grant', error_description: 'Invalid code verifier.' });
      const access = `ya29.${randomBytes(24).toString('base64url')}`;
      accessTokens.set(access, grant.user);
      const now = Math.floor(Date.now() / 1000);
      const idToken = `${b64url({ alg: 'RS256', kid: 'fake', typ: 'JWT' })}.${b64url({ iss: 'https://accounts.google.com', aud: client.id, sub: grant.user.sub, email: grant.user.email, email_verified: grant.user.email_verified, iat: now, exp: now + 3600 })}.${randomBytes(32).toString('base64url')}`;
      return json(200, {
        access_token: access,
        expires_in: 3599,
        id_token: idToken,
        scope: 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile',
        token_type: 'Bearer',
      });
    }
    if (req.method === 'GET' && url.pathname === '/v1/userinfo') {
      // Google takes the token as a Bearer header or an access_token parameter; node-oauth (under passport) sends the latter.
      const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? url.searchParams.get('access_token') ?? '';
      const user = accessTokens.get(given);
      if (!user) return json(401, { error: 'invalid_request', error_description: 'Invalid Credentials' });
      return json(200, {
        sub: user.sub,
        name: user.name,
        given_name: user.name.split(' ')[0],
        picture: user.picture ?? 'https://lh3.googleusercontent.com/a/fake',
        email: user.email,
        email_verified: user.email_verified,
      });
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    urls: { authUrl: `${base}/o/oauth2/v2/auth`, tokenUrl: `${base}/token`, userinfoUrl: `${base}/v1/userinfo` },
    tokenRequests,
    /** The Google account that consents on the next authorization request. */
    signInAs(user: GoogleUser) {
      state.nextUser = user;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
