import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubernetesClusterGateway } from '../KubernetesClusterGateway';

/*
 * Test-only harness (never exported from the package index): an HTTP double
 * of the Kubernetes API server that records every request and answers with
 * the real API's JSON.
 */

/** One request the double received. */
export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  authorization?: string;
  body?: any;
}

/** A Kubernetes Status object, as the API server answers a failure. */
export const status = (code: number, message: string, reason = 'Unknown') => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message,
  reason,
  code,
});

/** An HTTP double of the Kubernetes API answering with the real API's JSON. */
export async function apiServer(
  routes: Array<
    (
      req: Recorded,
    ) =>
      | { status: number; body: unknown; contentType?: string }
      | 'never-answer'
      | undefined
  >,
) {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', c => (raw += c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      const recorded: Recorded = {
        method: req.method!,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body: raw ? JSON.parse(raw) : undefined,
      };
      requests.push(recorded);
      const answer = routes.map(r => r(recorded)).find(Boolean) ?? {
        status: 500,
        body: status(500, 'no route'),
      };
      if (answer === 'never-answer') return;
      res.writeHead(answer.status, {
        'content-type': answer.contentType ?? 'application/json',
        'audit-id': 'audit-1',
      });
      res.end(
        typeof answer.body === 'string'
          ? answer.body
          : JSON.stringify(answer.body),
      );
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise(resolve => {
        server.close(resolve);
        // Requests the double never answered would otherwise hold it open.
        server.closeAllConnections();
      }),
  };
}

/** The real gateway with one cluster, `prod`, at the double's URL. */
export function gatewayFor(url: string, options?: { timeoutMs?: number }) {
  // The double speaks plain HTTP, which the client only allows with skipTLSVerify.
  return new KubernetesClusterGateway(
    [
      {
        name: 'prod',
        url,
        authProvider: 'serviceAccount',
        serviceAccountToken: 'sa-token',
        skipTLSVerify: true,
      },
    ],
    undefined,
    options,
  );
}
