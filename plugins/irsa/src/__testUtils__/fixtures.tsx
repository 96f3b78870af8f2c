import type { ReactNode } from 'react';
import { mockApis, TestApiProvider } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Entity } from '@backstage/catalog-model';
import {
  CHECK_IDS,
  type CheckResult,
  type StoredReportResponse,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import { SWRConfig } from 'swr';
import { irsaApiRef, type IrsaApi } from '../api';

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: { 'irsa.dev/service-account': 'payments/payments-api' },
  },
};

/**
 * An IRSA report's fourteen built-in checks (every check but Pod Identity's):
 * twelve pass, pod-injection fails, trust-audience warns.
 */
export function checks(): CheckResult[] {
  const irsa = CHECK_IDS.filter(id => !id.startsWith('pod-identity-'));
  return irsa.map((id): CheckResult => {
    if (id === 'pod-injection') {
      return {
        id,
        status: 'fail',
        message: 'Restart needed: billing-api-1',
        evidence: { pods: ['billing-api-1'] },
        remediation:
          'kubectl rollout restart deployment -n billing billing-api',
        durationMs: 4,
      };
    }
    if (id === 'trust-audience') {
      return {
        id,
        status: 'warn',
        message: 'Audience condition missing',
        evidence: {},
        durationMs: 1,
      };
    }
    return {
      id,
      status: 'pass',
      message: `${id} ok`,
      evidence: { checked: id },
      durationMs: 2,
    };
  });
}

export function report(
  overrides: Partial<VerificationReport> = {},
): VerificationReport {
  return {
    entityRef: 'component:default/payments-api',
    cluster: 'sandbox',
    namespace: 'payments',
    serviceAccount: 'payments-api',
    roleArn:
      'arn:aws:iam::111122223333:role/irsa-sandbox-payments-payments-api',
    roleName: 'irsa-sandbox-payments-payments-api',
    policies: [
      {
        kind: 'managed',
        name: 'irsa-sandbox-payments-payments-api',
        arn: 'arn:aws:iam::111122223333:policy/irsa-sandbox-payments-payments-api',
        awsManaged: false,
        purpose: 'permissions',
        document: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
          ],
        },
      },
      {
        kind: 'managed',
        name: 'ReadOnlyAccess',
        arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        awsManaged: true,
      },
    ],
    allowlist: [
      {
        value: '203.0.113.10/32',
        kind: 'cidr',
        source: 'nat',
        state: 'covered',
      },
      {
        value: '203.0.113.20/32',
        kind: 'cidr',
        source: 'nat',
        state: 'missing',
      },
    ],
    checks: checks(),
    status: 'fail',
    verifiedAt: '2026-11-24T10:00:00.000Z',
    durationMs: 40,
    trigger: 'schedule',
    ...overrides,
  };
}

export const stored = (
  r: VerificationReport,
  stale = false,
): StoredReportResponse => ({ report: r, stale });

/**
 * The API, permission decisions by permission name (allowed unless listed
 * in `deny`; each name asked is pushed to `asked`) and the entity around
 * `children`.
 */
export function Providers({
  api,
  deny = [],
  asked = [],
  children,
}: {
  api: Partial<IrsaApi>;
  deny?: string[];
  asked?: string[];
  children: ReactNode;
}) {
  const permissionApi = mockApis.permission({
    authorize: request => {
      asked.push(request.permission.name);
      return deny.includes(request.permission.name)
        ? AuthorizeResult.DENY
        : AuthorizeResult.ALLOW;
    },
  });
  return (
    <TestApiProvider
      apis={[
        [irsaApiRef, api],
        [permissionApiRef, permissionApi],
      ]}
    >
      {/* usePermission caches decisions in SWR: a fresh cache per render */}
      <SWRConfig value={{ provider: () => new Map() }}>
        <EntityProvider entity={entity}>{children}</EntityProvider>
      </SWRConfig>
    </TestApiProvider>
  );
}
