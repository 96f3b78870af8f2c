import { InputError } from '@backstage/errors';
import { buildAllowlistPolicy, normalizePublicCidr } from './allowlistPolicy';

describe('buildAllowlistPolicy', () => {
  it('builds the one-statement Deny with IfExists conditions', () => {
    const { document, size } = buildAllowlistPolicy({
      publicCidrs: ['52.1.2.3', '198.51.100.0/24', '52.1.2.3/32'],
      vpcIds: ['vpc-0abc1234def567890'],
    });
    expect(document).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyOutsideCluster',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: {
            BoolIfExists: { 'aws:ViaAWSService': 'false' },
            NotIpAddressIfExists: {
              'aws:SourceIp': ['198.51.100.0/24', '52.1.2.3/32'],
            },
            StringNotEqualsIfExists: {
              'aws:SourceVpc': ['vpc-0abc1234def567890'],
            },
          },
        },
      ],
    });
    expect(size).toBe(JSON.stringify(document).length);
  });

  it('omits the VPC condition when there is no VPC', () => {
    const { document } = buildAllowlistPolicy({
      publicCidrs: ['52.1.2.3'],
      vpcIds: [],
    });
    expect(document.Statement[0].Condition).not.toHaveProperty(
      'StringNotEqualsIfExists',
    );
  });

  it('refuses an empty allowlist', () => {
    expect(() => buildAllowlistPolicy({ publicCidrs: [], vpcIds: [] })).toThrow(
      /^publicCidrs: at least one/,
    );
  });

  it('names its own field when a public CIDR is rejected', () => {
    expect(() =>
      buildAllowlistPolicy({ publicCidrs: ['10.0.0.0/16'], vpcIds: [] }),
    ).toThrow(
      /^publicCidrs\[0\]: 10\.0\.0\.0\/16 is a private \(RFC 1918\) range/,
    );
  });

  it('refuses a malformed VPC id naming the field', () => {
    expect(() =>
      buildAllowlistPolicy({ publicCidrs: [], vpcIds: ['vpc-xyz'] }),
    ).toThrow(/^vpcIds: "vpc-xyz"/);
  });
});

describe('normalizePublicCidr', () => {
  it.each([
    ['52.1.2.3', '52.1.2.3/32'],
    [' 52.1.2.0/24 ', '52.1.2.0/24'],
    ['172.15.0.1/32', '172.15.0.1/32'],
    ['172.32.0.1/32', '172.32.0.1/32'],
    ['100.63.255.255', '100.63.255.255/32'],
    ['52.94.0.0/16', '52.94.0.0/16'],
  ])('accepts %s as %s', (input, expected) => {
    expect(normalizePublicCidr(input)).toBe(expected);
  });

  it.each([
    ['10.0.0.0/16', /private \(RFC 1918\)/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.0/24', /private/],
    ['127.0.0.1', /loopback/],
    ['169.254.169.254', /link-local/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['256.1.1.1', /octet over 255/],
    ['1.2.3.4/33', /prefix over 32/],
    ['fe80::1/64', /is not a global unicast IPv6 range/],
    ['::1', /is not a global unicast IPv6 range/],
    ['fd00::/48', /is not a global unicast IPv6 range/],
    ['2001:db8:::1/64', /is not an IPv6 CIDR/],
    ['2001:db8::/129', /is not an IPv6 CIDR/],
    ['2001:zz8::/32', /is not an IPv6 CIDR/],
    ['', /not an IPv4 CIDR/],
    ['1.2.3.4; DROP TABLE', /not an IPv4 CIDR/],
  ])('rejects %s with a reason', (input, reason) => {
    expect(() => normalizePublicCidr(input)).toThrow(InputError);
    expect(() => normalizePublicCidr(input)).toThrow(/^ipAllowList: /);
    expect(() => normalizePublicCidr(input)).toThrow(reason);
  });
});

describe('normalizePublicCidr with IPv6', () => {
  it('accepts global unicast ranges and normalises them', () => {
    expect(normalizePublicCidr('2001:DB8::/32')).toBe(
      '2001:db8:0:0:0:0:0:0/32',
    );
    expect(normalizePublicCidr('2600:1f18:abcd::7', 'publicCidrs[1]')).toBe(
      '2600:1f18:abcd:0:0:0:0:7/128',
    );
  });
});

describe('normalizePublicCidr minimum prefix', () => {
  // Each row: CIDR, options, the exact error or the normalised CIDR.
  const rows: Array<
    [string, Parameters<typeof normalizePublicCidr>[2], string]
  > = [
    [
      '0.0.0.0/1',
      undefined,
      "ipAllowList[0]: 0.0.0.0/1 prefix /1 is broader than the platform's minimum /16 (irsa.provisioning.allowlist.minPrefixV4)",
    ],
    [
      '52.0.0.0/15',
      {},
      "ipAllowList[0]: 52.0.0.0/15 prefix /15 is broader than the platform's minimum /16 (irsa.provisioning.allowlist.minPrefixV4)",
    ],
    ['52.1.0.0/16', undefined, '52.1.0.0/16'],
    [
      '52.1.0.0/16',
      { minPrefixV4: 24 },
      "ipAllowList[0]: 52.1.0.0/16 prefix /16 is broader than the platform's minimum /24 (irsa.provisioning.allowlist.minPrefixV4)",
    ],
    ['52.0.0.0/8', { minPrefixV4: 8 }, '52.0.0.0/8'],
    [
      '0.0.0.0/0',
      { minPrefixV4: 1 },
      'ipAllowList[0]: 0.0.0.0/0 is every address: an allowlist of it restricts nothing',
    ],
    [
      '52.0.0.0/0',
      undefined,
      'ipAllowList[0]: 52.0.0.0/0 is every address: an allowlist of it restricts nothing',
    ],
    [
      '::/0',
      { minPrefixV6: 1 },
      'ipAllowList[0]: ::/0 is every address: an allowlist of it restricts nothing',
    ],
    [
      '2000::/3',
      undefined,
      "ipAllowList[0]: 2000::/3 prefix /3 is broader than the platform's minimum /32 (irsa.provisioning.allowlist.minPrefixV6)",
    ],
    ['2600:1f18::/32', undefined, '2600:1f18:0:0:0:0:0:0/32'],
    [
      '2600:1f18::/32',
      { minPrefixV6: 48 },
      "ipAllowList[0]: 2600:1f18::/32 prefix /32 is broader than the platform's minimum /48 (irsa.provisioning.allowlist.minPrefixV6)",
    ],
    ['2600::/12', { minPrefixV6: 12 }, '2600:0:0:0:0:0:0:0/12'],
    [
      '52.1.2.3/32',
      { minPrefixV4: 0 },
      'irsa.provisioning.allowlist.minPrefixV4: must be a whole number from 1 to 32, got 0',
    ],
    [
      '2600:1f18::/48',
      { minPrefixV6: 129 },
      'irsa.provisioning.allowlist.minPrefixV6: must be a whole number from 1 to 128, got 129',
    ],
  ];

  // The normalised CIDR, or the InputError's message.
  const outcome = (
    cidr: string,
    options: Parameters<typeof normalizePublicCidr>[2],
  ) => {
    try {
      return normalizePublicCidr(cidr, 'ipAllowList[0]', options);
    } catch (error) {
      return error instanceof InputError
        ? error.message
        : `not an InputError: ${String(error)}`;
    }
  };

  it.each(rows)('%s with %j', (cidr, options, expected) => {
    expect(outcome(cidr, options)).toBe(expected);
  });

  it('applies the platform minimum to the allowlist policy it builds', () => {
    expect(() =>
      buildAllowlistPolicy({
        publicCidrs: ['52.1.2.3/32', '52.0.0.0/12'],
        vpcIds: [],
        minimumPrefix: { minPrefixV4: 16 },
      }),
    ).toThrow(
      "publicCidrs[1]: 52.0.0.0/12 prefix /12 is broader than the platform's minimum /16",
    );
    expect(
      buildAllowlistPolicy({
        publicCidrs: ['52.0.0.0/12'],
        vpcIds: [],
        minimumPrefix: { minPrefixV4: 12 },
      }).document.Statement[0].Condition?.NotIpAddressIfExists,
    ).toEqual({ 'aws:SourceIp': ['52.0.0.0/12'] });
  });
});
