import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The claims of a ServiceAccount token that STS and EKS Auth look at. */
export interface TokenClaims {
  /** `https://` + issuer */
  iss: string;
  sub: string;
  aud: string[];
  /** seconds since the epoch */
  iat: number;
  exp: number;
  /** The API server's private claims: the ServiceAccount and, for a bound token, its pod. */
  'kubernetes.io'?: {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
  };
}

const encode = (value: object) =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Mints and checks the sandbox's ServiceAccount tokens: JWT-shaped, signed
 * with an HMAC key only the sandbox holds, so a forged or altered token fails
 * the exchange as it would against a real issuer's JWKS.
 */
export class SandboxTokenIssuer {
  private readonly key = randomBytes(32);

  mint(claims: TokenClaims): string {
    const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
    return `${unsigned}.${this.sign(unsigned)}`;
  }

  /** The claims of a token this sandbox minted, or a reason it is not valid. */
  verify(token: string, now: Date): TokenClaims | { invalid: string } {
    const parts = token.split('.');
    if (parts.length !== 3) return { invalid: 'the token is not a JWT' };
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const actual = Buffer.from(parts[2]);
    if (
      expected.length !== actual.length ||
      !timingSafeEqual(expected, actual)
    ) {
      return {
        invalid: 'the token signature does not verify against the issuer keys',
      };
    }
    const claims = JSON.parse(
      Buffer.from(parts[1], 'base64url').toString(),
    ) as TokenClaims;
    if (claims.exp * 1000 <= now.getTime())
      return { invalid: 'the token is expired' };
    return claims;
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}
