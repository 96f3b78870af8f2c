import { CHECK_TITLES } from '@backstage-irsa/plugin-irsa-common';
import type { ContainerInfo } from '../../gateways/types';
import type { IrsaCheck } from '../checkTypes';
import { livePods } from './podWiring';

/** Variables that make the SDKs use other credentials than the injected ones. */
const SHADOWING_ENV: Record<string, string> = {
  AWS_ACCESS_KEY_ID: 'static keys come first in every SDK chain',
  AWS_SECRET_ACCESS_KEY: 'static keys come first in every SDK chain',
  AWS_SESSION_TOKEN: 'static keys come first in every SDK chain',
  AWS_PROFILE:
    'a named profile makes the SDKs read the config files, whose credentials can come first',
  AWS_SHARED_CREDENTIALS_FILE:
    'a credentials file can hold keys the SDKs read before the injected role',
  AWS_CONFIG_FILE:
    'a config file can hold profiles the SDKs read before the injected role',
};

/** A Secret mounted in or under a `.aws` directory (the SDKs' credentials and config files). */
const AWS_DIRECTORY = /(^|\/)\.aws(\/|$)/;

/** One thing that can shadow the injected credentials. Names only, never values. */
interface Finding {
  container: string;
  /** A variable, `envFrom` or a mount path. */
  what: string;
  source: string;
  severity: 'fail' | 'warn';
  why: string;
  pods: string[];
}

function findings(container: ContainerInfo): Omit<Finding, 'pods'>[] {
  const found: Omit<Finding, 'pods'>[] = [];
  for (const [name, why] of Object.entries(SHADOWING_ENV)) {
    if (!Object.hasOwn(container.env, name)) continue;
    let source = 'a reference (valueFrom)';
    if (container.secretEnv.includes(name)) source = 'a Secret';
    else if (container.env[name] !== undefined) source = 'a literal value';
    found.push({
      container: container.name,
      what: name,
      source,
      severity: 'fail',
      why,
    });
  }
  for (const secret of container.envFromSecrets) {
    found.push({
      container: container.name,
      what: 'envFrom',
      source: `Secret ${secret}`,
      severity: 'warn',
      why: 'every key of the Secret becomes a variable; it may carry AWS_ACCESS_KEY_ID',
    });
  }
  for (const mount of container.secretMounts) {
    if (!AWS_DIRECTORY.test(mount.path)) continue;
    found.push({
      container: container.name,
      what: mount.path,
      source: `Secret ${mount.secretName}`,
      severity: 'fail',
      why: 'the SDKs read credentials and config files from ~/.aws',
    });
  }
  return found;
}

/**
 * `shadowing`: no container carries credentials that silently win over both
 * IRSA and Pod Identity (static keys, a profile, credential files from a
 * Secret). Reports names only: never a value.
 */
export const shadowingCheck: IrsaCheck = {
  id: 'shadowing',
  title: CHECK_TITLES.shadowing,
  mechanism: 'any',
  reads: ['pods'],
  run({ read }) {
    const pods = livePods(read('pods'));
    const byKey = new Map<string, Finding>();
    for (const pod of pods) {
      for (const container of pod.containers) {
        for (const f of findings(container)) {
          const key = `${f.container}\u0000${f.what}\u0000${f.source}`;
          const seen = byKey.get(key);
          if (seen) seen.pods.push(pod.name);
          else byKey.set(key, { ...f, pods: [pod.name] });
        }
      }
    }
    const all = [...byKey.values()];
    const evidence = {
      pods: pods.length,
      findings: all.map(f => ({
        container: f.container,
        what: f.what,
        source: f.source,
        severity: f.severity,
        pods: f.pods,
      })),
    };
    if (!all.length) {
      return {
        status: 'pass',
        message: pods.length
          ? `No container of the ${pods.length} pods sets AWS keys, a profile or credential files`
          : 'No running pods yet',
        evidence,
      };
    }
    const failing = all.filter(f => f.severity === 'fail');
    const shown = failing.length ? failing : all;
    const describe = (f: Finding) => {
      if (f.what === 'envFrom')
        return `container ${f.container} takes every key of ${f.source} as variables`;
      if (f.what.startsWith('/'))
        return `container ${f.container} mounts ${f.source} at ${f.what}`;
      return `container ${f.container} sets ${f.what} from ${f.source}`;
    };
    const fixes = shown.map(f => {
      if (f.what === 'envFrom')
        return `make sure ${f.source} holds no AWS_* keys, or list only the keys the container needs (env.valueFrom)`;
      if (f.what.startsWith('/'))
        return `remove the mount of ${f.source} at ${f.what} from container ${f.container}`;
      return `remove ${f.what} from container ${f.container} (${f.why})`;
    });
    return {
      status: failing.length ? 'fail' : 'warn',
      message: `${failing.length ? 'Shadowed' : 'Possibly shadowed'}: ${shown.map(describe).join('; ')}${failing.length ? ': these can silently win over IRSA and Pod Identity' : ''}`,
      evidence,
      remediation: `${[...new Set(fixes)].join('; ')}. Then restart the pods.`,
    };
  },
};
