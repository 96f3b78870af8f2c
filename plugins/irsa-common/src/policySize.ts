import type { PolicyDocument } from './report';

/** A built policy and its size as IAM counts it (whitespace excluded). */
export interface BuiltPolicy {
  document: PolicyDocument;
  size: number;
}

/** The character count IAM checks against its quotas: whitespace is not counted. */
export function policySize(document: PolicyDocument): number {
  return JSON.stringify(document).replace(/\s/g, '').length;
}
