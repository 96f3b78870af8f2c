import type { CheckMechanism } from '@backstage-irsa/plugin-irsa-common';
import {
  CLUSTER_SOURCES,
  EVIDENCE_SOURCES,
  type IrsaCheck,
} from './checkTypes';

/** The checks of one backend: the built-ins and every adopter's. */
export interface IrsaCheckRegistry {
  /**
   * Adds checks, validated together with those already registered: a bad id
   * or title, a duplicate id, an unknown dependency or a dependency cycle is
   * an error naming the check, and nothing is added. Modules add theirs
   * while the backend starts; a verification runs the checks registered
   * when it begins.
   */
  add(checks: readonly IrsaCheck[]): void;
  /**
   * The checks a verification of these mechanisms runs (theirs and the
   * `any` ones; a migration runs both mechanisms'), each after what it
   * depends on; otherwise in registration order.
   */
  checksFor(
    ...mechanisms: Array<Exclude<CheckMechanism, 'any'>>
  ): readonly IrsaCheck[];
  /** Every registered check, dependencies first. */
  list(): readonly IrsaCheck[];
}

// Ids end up in URLs, data-testid attributes and stored history.
const CHECK_ID = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;
const MAX_ID_LENGTH = 64;
const MAX_TITLE_LENGTH = 80;
const MECHANISMS: ReadonlyArray<CheckMechanism> = [
  'irsa',
  'pod-identity',
  'any',
];

/** The id of the check that gates every check reading the role or ServiceAccount. */
export const BINDING_CHECK_ID = 'binding';

/**
 * True when the check reads something of the role or ServiceAccount, so it
 * must wait for the binding check.
 */
export function needsBinding(check: IrsaCheck): boolean {
  if (check.id === BINDING_CHECK_ID) return false;
  const reads = check.reads ?? [];
  return reads.length === 0 || reads.some(r => !CLUSTER_SOURCES.includes(r));
}

function validateShape(check: IrsaCheck): void {
  const name =
    typeof check?.id === 'string' ? `irsa check '${check.id}'` : 'irsa check';
  const problem = (rule: string) => new Error(`${name}: ${rule}`);
  if (
    typeof check?.id !== 'string' ||
    check.id.length > MAX_ID_LENGTH ||
    !CHECK_ID.test(check.id)
  ) {
    throw problem(
      `id: must be at most ${MAX_ID_LENGTH} lower-case letters and digits, words joined by - or .`,
    );
  }
  if (
    typeof check.title !== 'string' ||
    !check.title.trim() ||
    check.title.length > MAX_TITLE_LENGTH
  ) {
    throw problem(`title: must be 1 to ${MAX_TITLE_LENGTH} characters`);
  }
  if (!MECHANISMS.includes(check.mechanism)) {
    throw problem(`mechanism: must be one of ${MECHANISMS.join(', ')}`);
  }
  if (typeof check.run !== 'function') {
    throw problem('run: must be a function');
  }
  for (const source of check.reads ?? []) {
    if (!EVIDENCE_SOURCES.includes(source)) {
      throw problem(
        `reads: '${source}' is not one of ${EVIDENCE_SOURCES.join(', ')}`,
      );
    }
  }
  if ((check.dependsOn ?? []).includes(check.id)) {
    throw problem('dependsOn: a check cannot depend on itself');
  }
}

/**
 * Orders checks so each comes after its dependencies (and after `binding`
 * when it needs the binding), keeping registration order otherwise.
 */
function order(checks: readonly IrsaCheck[]): IrsaCheck[] {
  const ids = new Set(checks.map(c => c.id));
  const prerequisites = (check: IrsaCheck) => [
    ...(check.dependsOn ?? []),
    ...(needsBinding(check) && ids.has(BINDING_CHECK_ID)
      ? [BINDING_CHECK_ID]
      : []),
  ];
  const placed = new Set<string>();
  const ordered: IrsaCheck[] = [];
  let pending = [...checks];
  while (pending.length) {
    const next = pending.find(c => prerequisites(c).every(p => placed.has(p)));
    if (!next) {
      throw new Error(
        `irsa checks: dependsOn forms a cycle among ${pending.map(c => `'${c.id}'`).join(', ')}`,
      );
    }
    ordered.push(next);
    placed.add(next.id);
    pending = pending.filter(c => c !== next);
  }
  return ordered;
}

/** The registry the verifier runs; built-in checks are added like any other. */
export class CheckRegistry implements IrsaCheckRegistry {
  private ordered: IrsaCheck[] = [];

  constructor(checks: readonly IrsaCheck[] = []) {
    this.add(checks);
  }

  add(checks: readonly IrsaCheck[]): void {
    const all = [...this.ordered];
    for (const check of checks) {
      validateShape(check);
      if (all.some(c => c.id === check.id)) {
        throw new Error(`irsa check '${check.id}': id: is already registered`);
      }
      all.push(check);
    }
    for (const check of checks) {
      const unknown = (check.dependsOn ?? []).filter(
        id => !all.some(c => c.id === id),
      );
      if (unknown.length) {
        throw new Error(
          `irsa check '${check.id}': dependsOn: no check is registered as ${unknown.map(id => `'${id}'`).join(', ')}`,
        );
      }
    }
    this.ordered = order(all);
  }

  checksFor(
    ...mechanisms: Array<Exclude<CheckMechanism, 'any'>>
  ): readonly IrsaCheck[] {
    return this.ordered.filter(
      c => c.mechanism === 'any' || mechanisms.includes(c.mechanism),
    );
  }

  list(): readonly IrsaCheck[] {
    return [...this.ordered];
  }
}
