import {
  CHECK_TITLES,
  POD_IDENTITY_AGENT_ADDON,
} from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck } from '../checkTypes';
import { q } from './helpers';

/** `pod-identity-agent`: the EKS Pod Identity Agent runs on the cluster. */
export const podIdentityAgentCheck: IrsaCheck = {
  id: 'pod-identity-agent',
  title: CHECK_TITLES['pod-identity-agent'],
  mechanism: 'pod-identity',
  reads: ['facts', 'agent'],
  run({ evidence: e, read }) {
    const facts = read('facts');
    const agent = read('agent');
    const install = `aws eks create-addon --cluster-name ${q(e.eksClusterName)} --addon-name ${POD_IDENTITY_AGENT_ADDON} --region ${q(facts.region)}`;
    if (agent.kind === 'addon') {
      const { status, version } = agent.addon;
      const evidence = { kind: 'addon', status, version: version ?? null };
      if (status === 'ACTIVE') {
        return {
          status: 'pass',
          message: `The ${POD_IDENTITY_AGENT_ADDON} add-on is active${version ? ` (${version})` : ''}`,
          evidence,
        };
      }
      // An update keeps the agent's DaemonSet running.
      return {
        status: status === 'UPDATING' ? 'warn' : 'fail',
        message: `The ${POD_IDENTITY_AGENT_ADDON} add-on is ${status}, not ACTIVE`,
        evidence,
        remediation: `aws eks describe-addon --cluster-name ${q(e.eksClusterName)} --addon-name ${POD_IDENTITY_AGENT_ADDON} --region ${q(facts.region)} shows its health issues; fix them, or delete and re-create the add-on (${install})`,
      };
    }
    if (agent.kind === 'daemon-set') {
      const { namespace, name, desiredNumberScheduled, numberReady, image } =
        agent.daemonSet;
      const evidence = {
        kind: 'daemon-set',
        daemonSet: `${namespace}/${name}`,
        desired: desiredNumberScheduled,
        ready: numberReady,
        image: image ?? null,
      };
      if (desiredNumberScheduled > 0 && numberReady >= desiredNumberScheduled) {
        return {
          status: 'pass',
          message: `The self-managed agent DaemonSet ${namespace}/${name} is ready on all ${desiredNumberScheduled} nodes`,
          evidence,
        };
      }
      return {
        status: 'fail',
        message: `The self-managed agent DaemonSet ${namespace}/${name} is ready on ${numberReady} of ${desiredNumberScheduled} nodes: pods on the others get no credentials`,
        evidence,
        remediation: `kubectl rollout status daemonset -n ${q(namespace)} ${q(name)}, and kubectl describe daemonset for why its pods are not ready; or use the EKS add-on: ${install}`,
      };
    }
    return {
      status: 'fail',
      message: `The EKS Pod Identity Agent is not installed on ${e.eksClusterName}: no ${POD_IDENTITY_AGENT_ADDON} add-on and no kube-system/${POD_IDENTITY_AGENT_ADDON} DaemonSet`,
      evidence: { kind: 'none' },
      remediation: install,
    };
  },
};
