import { ConfigReader } from '@backstage/config';
import { readProvisioningSettings } from './settings';

const read = (provisioning: object) =>
  readProvisioningSettings(new ConfigReader({ irsa: { provisioning } }));

describe('readProvisioningSettings', () => {
  it('applies the defaults in one place', () => {
    expect(readProvisioningSettings(new ConfigReader({}))).toEqual({
      rolePath: '/',
      maxSessionDuration: 3600,
      tags: {},
      allowAdminEquivalent: false,
      guardrails: { allowedActions: undefined, deniedActions: undefined },
      managedPolicies: { allow: [], deny: [] },
      accessAnalyzer: false,
      allowlist: { minPrefixV4: 16, minPrefixV6: 32 },
      lockWaitMs: 30_000,
      podIdentity: { targetAccounts: [] },
    });
  });

  it.each([
    [
      { rolePath: 'irsa' },
      'irsa.provisioning.rolePath: must start and end with "/" (for example /irsa/)',
    ],
    [
      { rolePath: '/a//b/' },
      'irsa.provisioning.rolePath: must start and end with "/" (for example /irsa/)',
    ],
    [
      { maxSessionDuration: 50000 },
      'irsa.provisioning.maxSessionDuration: must be a whole number from 3600 to 43200',
    ],
    [
      { lockWaitSeconds: -1 },
      'irsa.provisioning.lockWaitSeconds: must be a whole number from 0 to 600',
    ],
    [
      { allowlist: { minPrefixV4: 0 } },
      'irsa.provisioning.allowlist.minPrefixV4: must be a whole number from 1 to 32',
    ],
    [
      { tags: { 'aws:owner': 'x' } },
      /^irsa\.provisioning\.tags\.aws:owner: keys must be/,
    ],
    [
      { tags: { 'irsa.dev/entity-ref': 'x' } },
      /^irsa\.provisioning\.tags\.irsa\.dev\/entity-ref: keys must be/,
    ],
    [
      { permissionsBoundaryArn: 'arn:aws:iam::111122223333:role/x' },
      /^irsa\.provisioning\.permissionsBoundaryArn: /,
    ],
    [
      {
        managedPolicies: {
          allow: ['arn:aws:iam::aws:policy/ReadOnlyAccess', '*'],
        },
      },
      /^irsa\.provisioning\.managedPolicies\.allow\[1\]: /,
    ],
    [
      { podIdentity: { targetAccounts: ['444455556666', '4444'] } },
      'irsa.provisioning.podIdentity.targetAccounts[1]: must be a 12-digit AWS account id (quote it in YAML)',
    ],
  ])('refuses %j at start-up, naming the key', (provisioning, message) => {
    expect(() => read(provisioning)).toThrow(message);
  });

  it('reads the Pod Identity target accounts, once each', () => {
    expect(
      read({
        podIdentity: {
          targetAccounts: ['444455556666', '777788889999', '444455556666'],
        },
      }).podIdentity,
    ).toEqual({ targetAccounts: ['444455556666', '777788889999'] });
  });
});
