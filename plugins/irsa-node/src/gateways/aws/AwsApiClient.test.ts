import {
  DeleteRoleCommand,
  GetRoleCommand,
  IAMClient,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { dummyCredentialsManager } from '../../__testUtils__/awsCredentials';
import { GatewayError } from '../errors';
import { AwsApiClient, awsApiActions, defineAwsApi } from './AwsApiClient';
import { RequestBudget } from './RequestBudget';

const TEST_API = defineAwsApi({
  name: 'iam',
  actionPrefix: 'iam',
  requestsPerSecond: 10,
  commands: [GetRoleCommand, ListRolesCommand],
  createClient: config => new IAMClient(config),
});
const target = { accountId: '111122223333', region: 'eu-west-1' };
const iam = mockClient(IAMClient);

/** A budget on a virtual clock: it records the waits instead of sleeping. */
function recordingBudget() {
  const waits: number[] = [];
  const budget = new RequestBudget({
    now: () => 0,
    sleep: async ms => void waits.push(ms),
  });
  return { budget, waits };
}

beforeEach(() => {
  iam.reset();
  iam.on(ListRolesCommand).resolves({ Roles: [] });
});

describe('AwsApiClient', () => {
  it('names the actions of its commands', () => {
    expect(awsApiActions(TEST_API)).toEqual(['iam:GetRole', 'iam:ListRoles']);
  });

  it('builds one client per account and region, with that account credentials, the user agent and the retry setting', async () => {
    const credentialsManager = dummyCredentialsManager();
    const api = new AwsApiClient(TEST_API, {
      credentialsManager,
      userAgent: 'irsa-test',
      maxAttempts: 2,
    });
    const other = { accountId: '444455556666', region: 'eu-west-1' };
    await api.send(target, new ListRolesCommand({}));
    await api.send(target, new ListRolesCommand({}));
    await api.send(other, new ListRolesCommand({}));
    await api.send(
      { ...target, region: 'us-east-1' },
      new ListRolesCommand({}),
    );

    expect(credentialsManager.getCredentialProvider.mock.calls).toEqual([
      [{ accountId: '111122223333' }],
      [{ accountId: '444455556666' }],
      [{ accountId: '111122223333' }],
    ]);
    const clients = iam.calls().map(call => call.thisValue as IAMClient);
    expect(clients[1]).toBe(clients[0]);
    expect(new Set(clients).size).toBe(3);
    expect(await clients[2].config.region()).toBe('eu-west-1');
    expect(await clients[3].config.region()).toBe('us-east-1');
    expect(clients[0].config.customUserAgent).toEqual([['irsa-test']]);
    expect(await clients[0].config.maxAttempts()).toBe(2);
    expect((iam.calls()[0].args as unknown[])[1]).toEqual({
      abortSignal: expect.any(AbortSignal),
    });
  });

  it('sends nothing it was not declared to send', async () => {
    const api = new AwsApiClient(TEST_API, {
      credentialsManager: dummyCredentialsManager(),
    });
    await expect(
      api.send(target, new DeleteRoleCommand({ RoleName: 'r' })),
    ).rejects.toThrow(
      new Error('DeleteRoleCommand is not among the commands declared for iam'),
    );
    expect(iam.calls()).toHaveLength(0);
  });

  it('does not keep a failed credentials lookup: the next call asks again', async () => {
    const credentialsManager = dummyCredentialsManager();
    credentialsManager.getCredentialProvider.mockRejectedValueOnce(
      Object.assign(new Error('no account 111122223333 configured'), {
        name: 'Error',
      }),
    );
    const api = new AwsApiClient(TEST_API, { credentialsManager });
    const error = await api
      .send(target, new ListRolesCommand({}))
      .catch(e => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({
      kind: 'unavailable',
      operation: 'iam:ListRoles',
    });
    await expect(
      api.send(target, new ListRolesCommand({})),
    ).resolves.toMatchObject({ Roles: [] });
    expect(credentialsManager.getCredentialProvider).toHaveBeenCalledTimes(2);
  });

  it('spends the configured rate per account and region', async () => {
    const { budget, waits } = recordingBudget();
    const api = new AwsApiClient(TEST_API, {
      credentialsManager: dummyCredentialsManager(),
      requestsPerSecond: { iam: 4 },
      budget,
    });
    await api.send(target, new ListRolesCommand({}));
    await api.send(target, new ListRolesCommand({}));
    await api.send(
      { ...target, accountId: '444455556666' },
      new ListRolesCommand({}),
    );
    expect(waits).toEqual([250]);
  });

  it('keeps a fixed rate whatever config says', async () => {
    const { budget, waits } = recordingBudget();
    const api = new AwsApiClient(
      { ...TEST_API, requestsPerSecond: 2, fixedRate: true },
      {
        credentialsManager: dummyCredentialsManager(),
        requestsPerSecond: { iam: 1000 },
        budget,
      },
    );
    await api.send(target, new ListRolesCommand({}));
    await api.send(target, new ListRolesCommand({}));
    expect(waits).toEqual([500]);
  });

  it('sends an unsigned API without asking for credentials', async () => {
    const credentialsManager = dummyCredentialsManager();
    const api = new AwsApiClient(
      { ...TEST_API, unsigned: true },
      { credentialsManager },
    );
    await api.send(target, new ListRolesCommand({}));
    expect(credentialsManager.getCredentialProvider).not.toHaveBeenCalled();
  });

  it("passes the caller's signal on with the timeout, and sends nothing once it is aborted", async () => {
    const api = new AwsApiClient(TEST_API, {
      credentialsManager: dummyCredentialsManager(),
    });
    const controller = new AbortController();
    await api.send(target, new ListRolesCommand({}), {
      signal: controller.signal,
    });
    const { abortSignal } = (iam.calls()[0].args as unknown[])[1] as {
      abortSignal: AbortSignal;
    };
    expect(abortSignal.aborted).toBe(false);
    controller.abort();
    expect(abortSignal.aborted).toBe(true);

    await expect(
      api.send(target, new ListRolesCommand({}), {
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({
      kind: 'unavailable',
      operation: 'iam:ListRoles',
      code: 'AbortError',
    });
    expect(iam.calls()).toHaveLength(1);
  });
});
