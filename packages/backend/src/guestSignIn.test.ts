import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import authPlugin from '@backstage/plugin-auth-backend';
import { guestSignInLoader } from './guestSignIn';

async function refreshGuest(guestSignIn: boolean) {
  const { server } = await startTestBackend({
    features: [
      authPlugin,
      guestSignInLoader,
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          backend: { baseUrl: 'http://localhost:7007' },
          auth: {
            environment: 'development',
            // Jest runs with NODE_ENV=test, outside development.
            providers: { guest: { dangerouslyAllowOutsideDevelopment: true } },
          },
          demo: { guestSignIn },
        },
      }),
    ],
  });
  const res = await fetch(
    `http://localhost:${server.port()}/api/auth/guest/refresh`,
    { headers: { 'X-Requested-With': 'XMLHttpRequest' } },
  );
  return { status: res.status, body: await res.json() };
}

describe('guestSignInLoader', () => {
  it('offers guest sign-in with demo.guestSignIn: true', async () => {
    const res = await refreshGuest(true);
    expect(res.status).toBe(200);
    expect(res.body.backstageIdentity.identity.userEntityRef).toBe(
      'user:development/guest',
    );
  });

  it('has no guest provider with demo.guestSignIn: false (the production overlay), although auth.providers.guest is configured', async () => {
    const res = await refreshGuest(false);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe("Unknown auth provider 'guest'");
  });
});
