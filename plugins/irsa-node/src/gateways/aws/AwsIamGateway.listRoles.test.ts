import {
  IAMClient,
  ListRolesCommand,
  ListRoleTagsCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsApiClient } from './AwsApiClient';
import { IAM_API, AwsIamGateway } from './AwsIamGateway';

const target = { accountId: '111122223333', region: 'eu-west-1' };
const iam = mockClient(IAMClient);

function gateway() {
  const credentialsManager = {
    getCredentialProvider: async () => ({
      sdkCredentialProvider: async () => ({
        accessKeyId: 'AKIAEXAMPLE',
        secretAccessKey: 'secret',
      }),
    }),
  };
  return new AwsIamGateway(
    new AwsApiClient(IAM_API, {
      credentialsManager,
      endpoints: { iam: 'https://iam.example.internal' },
    }),
  );
}

const role = (name: string) => ({
  RoleName: name,
  Arn: `arn:aws:iam::111122223333:role/irsa/${name}`,
  Path: '/irsa/',
  RoleId: `AROA${name}`,
  CreateDate: new Date('2026-01-01'),
});

beforeEach(() => {
  iam.reset();
});

describe('AwsIamGateway.listManagedRoles', () => {
  it("reads every page of ListRoles under the prefix and every page of each role's tags, keeping the roles this project manages", async () => {
    iam
      .on(ListRolesCommand, { PathPrefix: '/irsa/', Marker: undefined })
      .resolves({
        Roles: [role('a'), role('b')],
        IsTruncated: true,
        Marker: 'm1',
      })
      .on(ListRolesCommand, { PathPrefix: '/irsa/', Marker: 'm1' })
      .resolves({ Roles: [role('c')], IsTruncated: false, Marker: 'ignored' });
    iam
      .on(ListRoleTagsCommand, { RoleName: 'a', Marker: undefined })
      .resolves({
        Tags: [{ Key: 'irsa.dev/managed-by', Value: 'backstage-irsa' }],
        IsTruncated: true,
        Marker: 't1',
      })
      .on(ListRoleTagsCommand, { RoleName: 'a', Marker: 't1' })
      .resolves({
        Tags: [{ Key: 'irsa.dev/entity-ref', Value: 'component:default/gone' }],
        IsTruncated: false,
      })
      .on(ListRoleTagsCommand, { RoleName: 'b' })
      .resolves({ Tags: [{ Key: 'team', Value: 'x' }] })
      .on(ListRoleTagsCommand, { RoleName: 'c' })
      .resolves({
        Tags: [{ Key: 'irsa.dev/managed-by', Value: 'someone-else' }],
      });

    const roles = await gateway().listManagedRoles(target, '/irsa/');

    expect(roles).toEqual([
      {
        arn: 'arn:aws:iam::111122223333:role/irsa/a',
        name: 'a',
        path: '/irsa/',
        tags: {
          'irsa.dev/managed-by': 'backstage-irsa',
          'irsa.dev/entity-ref': 'component:default/gone',
        },
      },
    ]);
    expect(
      iam.commandCalls(ListRolesCommand).map(c => c.args[0].input),
    ).toEqual([
      { PathPrefix: '/irsa/', Marker: undefined },
      { PathPrefix: '/irsa/', Marker: 'm1' },
    ]);
    expect(
      iam.commandCalls(ListRoleTagsCommand).map(c => c.args[0].input),
    ).toEqual([
      { RoleName: 'a', Marker: undefined },
      { RoleName: 'a', Marker: 't1' },
      { RoleName: 'b', Marker: undefined },
      { RoleName: 'c', Marker: undefined },
    ]);
  });

  it('answers no roles and asks for no tags when the prefix holds none', async () => {
    iam.on(ListRolesCommand).resolves({ Roles: [], IsTruncated: false });

    expect(await gateway().listManagedRoles(target, '/')).toEqual([]);
    expect(iam.commandCalls(ListRoleTagsCommand)).toEqual([]);
  });
});
