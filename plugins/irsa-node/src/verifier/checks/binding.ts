import { CHECK_TITLES } from '@backstage-irsa/plugin-irsa-common';
import { bindingEvidence } from '../binding';
import type { IrsaCheck } from '../checkTypes';

/** `binding`: entity, ServiceAccount and role are proven to belong together. */
export const bindingCheck: IrsaCheck = {
  id: 'binding',
  title: CHECK_TITLES.binding,
  mechanism: 'any',
  reads: ['binding'],
  run({ evidence: e, read }) {
    const binding = read('binding');
    const evidence = bindingEvidence(binding);
    if (binding.proven) {
      const last = binding.rules[binding.rules.length - 1];
      return {
        status: 'pass',
        message: `Entity, ServiceAccount and role belong together (${last.detail})`,
        evidence,
      };
    }
    const first = binding.rules.find(r => !r.ok)!;
    return {
      status: e.requireBinding ? 'fail' : 'warn',
      message: `Not bound to this entity: ${first.detail}${e.requireBinding ? '' : ' (irsa.verification.requireBinding is off: the other checks still run)'}`,
      evidence,
      remediation: binding.remediation,
    };
  },
};
