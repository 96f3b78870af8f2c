import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Provider } from '@smithy/types';

/** Tokens live 15 minutes; refresh well before. */
const REFRESH_AFTER_MS = 10 * 60_000;

/**
 * EKS bearer tokens: a presigned STS GetCallerIdentity URL carrying the
 * cluster name in the signed `x-k8s-aws-id` header, as `aws eks get-token`
 * makes them. Cached per account, region, cluster and signing role (the
 * same cluster name in two accounts, or signed as two roles, is two tokens)
 * and refreshed before they expire.
 */
export class EksTokenProvider {
  private readonly cache = new Map<string, { token: string; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async token(options: {
    /** The account whose credentials sign the token. */
    accountId: string;
    clusterName: string;
    region: string;
    /** The role the credentials were assumed as, when not the account's own. */
    assumeRole?: string;
    credentials: AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
  }): Promise<string> {
    // The credentials decide who the token authenticates as, so everything
    // that picks them is part of the key.
    const key = JSON.stringify([
      options.accountId,
      options.region,
      options.clusterName,
      options.assumeRole ?? '',
    ]);
    const cached = this.cache.get(key);
    if (cached && this.now() - cached.at < REFRESH_AFTER_MS)
      return cached.token;
    const signer = new SignatureV4({
      credentials: options.credentials,
      region: options.region,
      service: 'sts',
      sha256: Sha256,
    });
    const hostname = `sts.${options.region}.amazonaws.com`;
    const request = new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': options.clusterName },
    });
    const signed = await signer.presign(request, { expiresIn: 60 });
    const query = Object.entries(signed.query ?? {})
      .map(
        ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`,
      )
      .join('&');
    const url = `https://${hostname}/?${query}`;
    const token = `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
    this.cache.set(key, { token, at: this.now() });
    return token;
  }
}
