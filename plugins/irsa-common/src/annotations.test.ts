import { InputError } from '@backstage/errors';
import type { Entity } from '@backstage/catalog-model';
import { isIrsaAvailable, readIrsaAnnotations } from './annotations';

const entity = (annotations?: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'x', annotations },
});

describe('isIrsaAvailable', () => {
  it.each([
    [undefined, false],
    [{}, false],
    [{ 'irsa.dev/service-account': '  ' }, false],
    [{ 'irsa.dev/cluster': 'sandbox' }, false],
    [{ 'irsa.dev/service-account': 'payments/api' }, true],
  ])('%j -> %s', (annotations, expected) => {
    expect(isIrsaAvailable(entity(annotations))).toBe(expected);
  });
});

describe('readIrsaAnnotations', () => {
  it('reads all three annotations', () => {
    expect(
      readIrsaAnnotations(
        entity({
          'irsa.dev/cluster': 'sandbox',
          'irsa.dev/service-account': 'payments/api.v2',
          'irsa.dev/role-arn': 'arn:aws:iam::111122223333:role/x',
        }),
      ),
    ).toEqual({
      cluster: 'sandbox',
      namespace: 'payments',
      serviceAccount: 'api.v2',
      roleArn: 'arn:aws:iam::111122223333:role/x',
    });
  });

  it("reads the Roadie AWS plugin's amazon.com/iam-role-arn as an alias; irsa.dev/role-arn wins", () => {
    const roadie = 'arn:aws:iam::111122223333:role/roadie';
    expect(
      readIrsaAnnotations(
        entity({
          'irsa.dev/service-account': 'a/b',
          'amazon.com/iam-role-arn': roadie,
        }),
      ).roleArn,
    ).toBe(roadie);
    expect(
      readIrsaAnnotations(
        entity({
          'irsa.dev/service-account': 'a/b',
          'amazon.com/iam-role-arn': roadie,
          'irsa.dev/role-arn': 'arn:aws:iam::111122223333:role/ours',
        }),
      ).roleArn,
    ).toBe('arn:aws:iam::111122223333:role/ours');
  });

  it('reads irsa.dev/mechanism and refuses a mechanism it does not know, naming the annotation', () => {
    expect(
      readIrsaAnnotations(
        entity({
          'irsa.dev/service-account': 'a/b',
          'irsa.dev/mechanism': 'pod-identity',
        }),
      ).mechanism,
    ).toBe('pod-identity');
    expect(() =>
      readIrsaAnnotations(
        entity({
          'irsa.dev/service-account': 'a/b',
          'irsa.dev/mechanism': 'kiam',
        }),
      ),
    ).toThrow(
      new InputError(
        'irsa.dev/mechanism: must be one of irsa, pod-identity, got "kiam"',
      ),
    );
  });

  it('leaves optional annotations undefined', () => {
    expect(
      readIrsaAnnotations(entity({ 'irsa.dev/service-account': 'a/b' })),
    ).toEqual({
      cluster: undefined,
      namespace: 'a',
      serviceAccount: 'b',
      roleArn: undefined,
    });
  });

  it.each([
    [{}, /is missing/],
    [{ 'irsa.dev/service-account': 'api' }, /must be "namespace\/name"/],
    [{ 'irsa.dev/service-account': 'a/b/c' }, /must be "namespace\/name"/],
    [
      { 'irsa.dev/service-account': 'Payments/api' },
      /namespace must be a DNS-1123 label/,
    ],
    [
      { 'irsa.dev/service-account': 'pay.ments/api' },
      /namespace must be a DNS-1123 label/,
    ],
    [
      { 'irsa.dev/service-account': `${'a'.repeat(64)}/api` },
      /namespace must be a DNS-1123 label/,
    ],
    [
      { 'irsa.dev/service-account': 'payments/-api' },
      /name must be a DNS-1123 subdomain/,
    ],
    [
      { 'irsa.dev/service-account': 'payments/' },
      /name must be a DNS-1123 subdomain/,
    ],
  ])('rejects %j naming the annotation', (annotations, rule) => {
    const read = () => readIrsaAnnotations(entity(annotations));
    expect(read).toThrow(InputError);
    expect(read).toThrow(/^irsa\.dev\/service-account: /);
    expect(read).toThrow(rule);
  });

  it('accepts the 63-character namespace boundary', () => {
    expect(
      readIrsaAnnotations(
        entity({ 'irsa.dev/service-account': `${'a'.repeat(63)}/api` }),
      ).namespace,
    ).toHaveLength(63);
  });
});
