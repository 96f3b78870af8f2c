import type {
  AssumedIdentity,
  AssumeRoleWithWebIdentityInput,
  AwsTarget,
  StsGateway,
} from '@backstage-irsa/plugin-irsa-node';
import { sandboxError, SandboxState } from './state';
import { trustAllows } from './trust';

/**
 * STS of the sandbox: a token from its clusters assumes a role when the
 * account's OIDC provider knows the issuer and audience and the role's trust
 * policy lets the subject in.
 */
export class SandboxStsGateway implements StsGateway {
  constructor(private readonly state: SandboxState) {}

  async assumeRoleWithWebIdentity(
    target: AwsTarget,
    input: AssumeRoleWithWebIdentityInput,
  ): Promise<AssumedIdentity> {
    const operation = 'sts:AssumeRoleWithWebIdentity';
    const claims = this.state.tokens.verify(
      input.webIdentityToken,
      this.state.now(),
    );
    if ('invalid' in claims) {
      const expired = claims.invalid.includes('expired');
      throw sandboxError(
        'invalid-token',
        operation,
        expired ? 'ExpiredTokenException' : 'InvalidIdentityToken',
        claims.invalid,
      );
    }
    const accountId = input.roleArn.split(':')[4];
    const issuer = claims.iss.replace(/^https:\/\//, '');
    const providerArn = `arn:aws:iam::${accountId}:oidc-provider/${issuer}`;
    const provider = this.state
      .account(accountId)
      .oidcProviders.get(providerArn);
    if (!provider) {
      throw sandboxError(
        'invalid-token',
        operation,
        'InvalidIdentityToken',
        `No OpenIDConnect provider found in your account for ${claims.iss}`,
      );
    }
    if (!claims.aud.some(a => provider.clientIds.includes(a))) {
      throw sandboxError(
        'invalid-token',
        operation,
        'InvalidIdentityToken',
        'Incorrect token audience',
      );
    }
    const roleName = input.roleArn.split('/').pop()!;
    const role = this.state.account(accountId).roles.get(roleName);
    const denied = () =>
      sandboxError(
        'access-denied',
        operation,
        'AccessDenied',
        'Not authorized to perform sts:AssumeRoleWithWebIdentity',
      );
    if (!role || role.info.arn !== input.roleArn) throw denied();
    if (
      !trustAllows(role.info.trustPolicy, {
        providerArn,
        issuer,
        sub: claims.sub,
        aud: claims.aud,
      })
    ) {
      throw denied();
    }
    const now = this.state.now();
    role.info.roleLastUsed = {
      lastUsedDate: now.toISOString(),
      region: target.region,
    };
    return {
      assumedRoleArn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${input.sessionName}`,
      assumedRoleId: `${role.info.roleId}:${input.sessionName}`,
      subjectFromWebIdentityToken: claims.sub,
      audience: claims.aud[0],
      provider: providerArn,
      expiration: new Date(now.getTime() + 3600_000).toISOString(),
    };
  }
}
