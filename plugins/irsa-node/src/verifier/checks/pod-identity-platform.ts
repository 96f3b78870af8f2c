import { CHECK_TITLES } from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck } from '../checkTypes';
import { livePods, podIdentityUnsupported } from './podWiring';

/**
 * `pod-identity-platform`: no pod of the ServiceAccount runs where the Pod
 * Identity agent cannot (Fargate, Windows nodes); IRSA works there.
 */
export const podIdentityPlatformCheck: IrsaCheck = {
  id: 'pod-identity-platform',
  title: CHECK_TITLES['pod-identity-platform'],
  mechanism: 'pod-identity',
  reads: ['pods'],
  run({ read }) {
    const pods = livePods(read('pods'));
    const unsupported = pods.flatMap(p => {
      const where = podIdentityUnsupported(p);
      return where ? [{ pod: p.name, where }] : [];
    });
    const evidence = { pods: pods.length, unsupported };
    if (!unsupported.length) {
      return {
        status: 'pass',
        message: pods.length
          ? `All ${pods.length} pods run on Linux EC2 nodes, where the Pod Identity agent runs`
          : 'No running pods yet',
        evidence,
      };
    }
    const places = [...new Set(unsupported.map(u => u.where))].join(' and ');
    return {
      status: 'fail',
      message: `Pod Identity does not run here, use IRSA: ${unsupported.map(u => `${u.pod} runs on ${u.where}`).join(', ')}`,
      evidence,
      remediation: `The Pod Identity agent does not run on ${places}: keep this workload on IRSA (the template's mechanism irsa, or aws:irsa:migrate back to IRSA), or schedule it on Linux EC2 nodes`,
    };
  },
};
