/**
 * Test-only: a credentials manager handing out fixed dummy keys, recording
 * which accounts it was asked for.
 */
export function dummyCredentialsManager() {
  return {
    getCredentialProvider: jest.fn(
      async (_options: { accountId?: string }) => ({
        sdkCredentialProvider: async () => ({
          accessKeyId: 'AKIAEXAMPLE',
          secretAccessKey: 'secret',
        }),
      }),
    ),
  };
}
