import { CHECK_TITLES } from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck } from '../checkTypes';
import { q } from './helpers';

/** `pod-injection`: every running pod got AWS_ROLE_ARN and the token file. */
export const podInjectionCheck: IrsaCheck = {
  id: 'pod-injection',
  title: CHECK_TITLES['pod-injection'],
  mechanism: 'irsa',
  dependsOn: ['service-account'],
  reads: ['pods'],
  run({ evidence: e, read }) {
    const pods = read('pods').filter(
      p => p.phase === 'Running' || p.phase === 'Pending',
    );
    if (!pods.length) {
      return {
        status: 'pass',
        message:
          'No running pods yet; pods started from now on get the credentials injected',
        evidence: { pods: [] },
      };
    }
    const stale = pods.filter(p =>
      p.containers.some(
        c =>
          c.env.AWS_ROLE_ARN !== e.roleArn ||
          !c.env.AWS_WEB_IDENTITY_TOKEN_FILE,
      ),
    );
    const evidence = {
      pods: pods.map(p => ({
        name: p.name,
        createdAt: p.creationTimestamp,
        roleArn: p.containers[0]?.env.AWS_ROLE_ARN ?? null,
        tokenFile: p.containers[0]?.env.AWS_WEB_IDENTITY_TOKEN_FILE ?? null,
      })),
    };
    if (stale.length) {
      const names = stale.map(p => p.name);
      return {
        status: 'fail',
        message: `Restart needed: ${names.join(', ')} started before the ServiceAccount was annotated and have no (or an old) AWS_ROLE_ARN`,
        evidence,
        remediation: `kubectl rollout restart deployment -n ${q(e.namespace)} DEPLOYMENT   (the deployment of these pods; or: kubectl delete pod -n ${q(e.namespace)} ${names.map(q).join(' ')})`,
      };
    }
    return {
      status: 'pass',
      message: `All ${pods.length} pods have AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE`,
      evidence,
    };
  },
};
