import {
  describePolicyProblem,
  validatePolicyDocument,
} from './PolicyDocumentField';

describe('the IrsaPolicyDocument template field', () => {
  it('accepts a scoped policy and an empty value (required-ness is the form schema’s job)', () => {
    expect(
      describePolicyProblem(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}',
      ),
    ).toBeUndefined();
    expect(describePolicyProblem('')).toBeUndefined();
  });

  it('names the problem before submit: bad JSON, a bad element, admin-equivalent grants', () => {
    expect(describePolicyProblem('{')).toMatch(
      /^customPolicy: is not valid JSON/,
    );
    expect(
      describePolicyProblem(
        '{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:GetObject","Resource":"*"}]}',
      ),
    ).toBe('customPolicy.Statement[0].Effect: must be "Allow" or "Deny"');
    expect(
      describePolicyProblem(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
      ),
    ).toBe(
      'Admin-equivalent grants are refused: Statement[0] allows "*", every action in AWS, on Resource "*"',
    );
  });

  it('adds the problem to the form validation', () => {
    const addError = jest.fn();
    validatePolicyDocument('{', { addError } as any, {} as any);
    expect(addError).toHaveBeenCalledWith(
      expect.stringMatching(/^customPolicy: is not valid JSON/),
    );
  });
});
