import {
  createServer,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceException } from '@smithy/core/client';
import {
  AssumeRoleForPodIdentityCommand,
  EksAuthClient,
  eksAuthEndpoint,
} from './EksAuthClient';

/*
 * The client against an HTTP double of EKS Auth on loopback, answering with
 * the API's real JSON and error shapes: what goes on the wire, how it is
 * signed, what comes back.
 */

interface SeenRequest {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Answer {
  status: number;
  headers?: OutgoingHttpHeaders;
  body: string;
}

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl';
const credentials = async () => ({
  accessKeyId: 'AKIAEKSAUTHTEST',
  secretAccessKey: 'backstage-secret-key',
});
const SUCCESS = {
  subject: { namespace: 'shop', serviceAccount: 'checkout' },
  audience: 'pods.eks.amazonaws.com',
  podIdentityAssociation: {
    associationArn:
      'arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/a-1',
    associationId: 'a-1',
  },
  assumedRoleUser: {
    arn: 'arn:aws:sts::111122223333:assumed-role/prod-checkout/eks-prod-1',
    assumeRoleId: 'AROAEXAMPLE:eks-prod-1',
  },
  credentials: {
    sessionToken: 'pod-session-token',
    secretAccessKey: 'pod-secret-access-key',
    accessKeyId: 'ASIAPODEXAMPLE',
    expiration: 1795849200,
  },
};

let server: Server;
let endpoint: string;
let seen: SeenRequest[];
let answers: Answer[];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', chunk => (body += chunk));
    req.on('end', () => {
      seen.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body,
      });
      const answer = answers.shift() ?? { status: 500, body: '{}' };
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        ...answer.headers,
      });
      res.end(answer.body);
    });
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise(resolve => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  answers = [];
});

function client(options: { maxAttempts?: number } = {}) {
  return new EksAuthClient({
    region: 'eu-west-1',
    endpoint,
    credentials,
    customUserAgent: 'irsa-test',
    maxAttempts: options.maxAttempts ?? 1,
  });
}

async function exchange(c = client(), clusterName = 'prod') {
  try {
    return await c.send(
      new AssumeRoleForPodIdentityCommand({ clusterName, token: TOKEN }),
    );
  } finally {
    c.destroy();
  }
}

describe('EksAuthClient', () => {
  it('posts the token to the cluster path, signed with SigV4 for eks-auth in the region', async () => {
    answers.push({
      status: 200,
      headers: { 'x-amzn-requestid': 'req-ok' },
      body: JSON.stringify(SUCCESS),
    });
    await exchange();

    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/clusters/prod/assume-role-for-pod-identity');
    expect(JSON.parse(request.body)).toStrictEqual({ token: TOKEN });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('irsa-test');
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAEKSAUTHTEST\/\d{8}\/eu-west-1\/eks-auth\/aws4_request, SignedHeaders=[a-z0-9;-]*\bhost\b[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    // The secret signs; it never travels.
    expect(JSON.stringify(request)).not.toContain('backstage-secret-key');
  });

  it('encodes the cluster name as one path segment', async () => {
    answers.push({ status: 200, body: JSON.stringify(SUCCESS) });
    await exchange(client(), 'prod/../x');
    expect(seen[0].url).toBe(
      '/clusters/prod%2F..%2Fx/assume-role-for-pod-identity',
    );
  });

  it('returns the proof and the expiration, and keeps none of the credentials', async () => {
    answers.push({
      status: 200,
      headers: { 'x-amzn-requestid': 'req-ok' },
      body: JSON.stringify(SUCCESS),
    });
    const out = await exchange();
    expect(out).toStrictEqual({
      $metadata: expect.objectContaining({
        httpStatusCode: 200,
        requestId: 'req-ok',
      }),
      subject: SUCCESS.subject,
      audience: 'pods.eks.amazonaws.com',
      podIdentityAssociation: SUCCESS.podIdentityAssociation,
      assumedRoleUser: SUCCESS.assumedRoleUser,
      credentials: { expiration: new Date('2026-11-28T07:00:00Z') },
    });
    const text = JSON.stringify(out);
    for (const secret of [
      'pod-session-token',
      'pod-secret-access-key',
      'ASIAPODEXAMPLE',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('throws the error EKS Auth names in x-amzn-errortype, with its message and request id', async () => {
    answers.push({
      status: 400,
      headers: {
        'x-amzn-errortype':
          'ExpiredTokenException:http://internal.amazon.com/coral/com.amazonaws.eksauth/',
        'x-amzn-requestid': 'req-expired',
      },
      body: JSON.stringify({
        message: 'The service account token has expired.',
      }),
    });
    const error = await exchange().catch(e => e);
    expect(error).toBeInstanceOf(ServiceException);
    expect(error).toMatchObject({
      name: 'ExpiredTokenException',
      message: 'The service account token has expired.',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: 'req-expired' },
    });
  });

  it('reads the error name from the body when the header is missing', async () => {
    answers.push({
      status: 400,
      body: JSON.stringify({
        __type: 'com.amazonaws.eksauth#AccessDeniedException',
        message: 'not authorized to perform eks-auth:AssumeRoleForPodIdentity',
      }),
    });
    await expect(exchange()).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $fault: 'client',
    });
  });

  it('names an unreadable server error by nothing but its status', async () => {
    answers.push({
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: '<html>Bad Gateway</html>',
    });
    await expect(exchange()).rejects.toMatchObject({
      name: 'UnknownError',
      $fault: 'server',
      $metadata: { httpStatusCode: 502 },
    });
  });

  it('retries a throttled call, signing the new attempt', async () => {
    answers.push(
      {
        status: 429,
        headers: { 'x-amzn-errortype': 'ThrottlingException' },
        body: JSON.stringify({ message: 'Rate exceeded' }),
      },
      { status: 200, body: JSON.stringify(SUCCESS) },
    );
    const out = await exchange(client({ maxAttempts: 2 }));
    expect(out.$metadata.attempts).toBe(2);
    expect(seen.map(r => r.headers['amz-sdk-request'])).toEqual([
      'attempt=1; max=2',
      'attempt=2; max=2',
    ]);
    expect(seen[1].headers.authorization).not.toBe(
      seen[0].headers.authorization,
    );
  });

  it('masks the token and the credentials for anything that logs the call', async () => {
    answers.push({ status: 200, body: JSON.stringify(SUCCESS) });
    const c = client();
    const logged: unknown[] = [];
    c.middlewareStack.add(
      (next, context) => async args => {
        logged.push(context.inputFilterSensitiveLog?.(args.input));
        const result = await next(args);
        logged.push(context.outputFilterSensitiveLog?.(result.output));
        return result;
      },
      { step: 'initialize', name: 'recordLogs' },
    );
    await exchange(c);
    expect(JSON.stringify(logged)).not.toContain(TOKEN);
    expect(logged[0]).toStrictEqual({
      clusterName: 'prod',
      token: '***SensitiveInformation***',
    });
    expect(logged[1]).toMatchObject({
      credentials: '***SensitiveInformation***',
    });
  });

  it('needs credentials to sign with', () => {
    expect(() => new EksAuthClient({ region: 'eu-west-1' })).toThrow(
      'EKS Auth: the client needs credentials to sign with',
    );
  });
});

describe('eksAuthEndpoint', () => {
  it('names the dual-stack hosts EKS Auth answers on', () => {
    expect(eksAuthEndpoint('eu-west-1')).toBe(
      'https://eks-auth.eu-west-1.api.aws',
    );
    expect(eksAuthEndpoint('us-gov-west-1')).toBe(
      'https://eks-auth.us-gov-west-1.api.aws',
    );
    expect(eksAuthEndpoint('cn-north-1')).toBe(
      'https://eks-auth.cn-north-1.api.amazonwebservices.com.cn',
    );
  });

  it('refuses what is not a region name rather than build a host from it', () => {
    expect(() => eksAuthEndpoint('evil.example.com/x')).toThrow(
      'EKS Auth: "evil.example.com/x" is not an AWS region name',
    );
  });
});
