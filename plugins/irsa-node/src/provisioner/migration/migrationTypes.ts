import type {
  IdentityMechanism,
  PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  AwsTarget,
  CreatePodIdentityAssociationInput,
  PodIdentityAssociationInfo,
  RoleInfo,
  ServiceAccountInfo,
} from '../../gateways/types';
import type { StepRunner } from '../ApplyRun';
import type { Log } from '../provisionTypes';

/** The two steps of a migration: wire both mechanisms, then drop the old one. */
export type MigrationStep = 'start' | 'finish';

/** Every step, in the order a migration runs them. */
export const MIGRATION_STEPS: readonly MigrationStep[] = ['start', 'finish'];

/** How the task log names each mechanism. */
export const MECHANISM_NAMES: Readonly<Record<IdentityMechanism, string>> = {
  irsa: 'IRSA',
  'pod-identity': 'EKS Pod Identity',
};

/** The mechanism a move to `to` leaves. */
export const otherMechanism = (to: IdentityMechanism): IdentityMechanism =>
  to === 'irsa' ? 'pod-identity' : 'irsa';

/** What aws:irsa:migrate is asked to do. */
export interface MigrationInput {
  cluster: string;
  namespace: string;
  serviceAccount: string;
  /** The catalog entity the role, the ServiceAccount and any association belong to. */
  entityRef: string;
  /** The mechanism to move to. */
  to: IdentityMechanism;
  step: MigrationStep;
  /** Default: the provisioner's default name for the ServiceAccount's role. */
  roleName?: string;
}

/** The input after validation. */
export type ValidatedMigrationInput = Required<MigrationInput>;

/**
 * One write of a migration. The plan lists them in the order they run:
 * additions first, then the ServiceAccount, then removals, and the
 * association's deletion (which nothing can undo) last.
 */
export type MigrationChange =
  | {
      kind: 'trust';
      description: string;
      /** The role's trust as read: what a rollback writes back, exactly. */
      before: PolicyDocument;
      after: PolicyDocument;
    }
  | {
      kind: 'create-association';
      description: string;
      association: CreatePodIdentityAssociationInput;
    }
  | {
      kind: 'annotate';
      description: string;
      /** A merge patch of the annotations (null removes a key). */
      patch: Record<string, string | null>;
      /** The same keys as read (null: absent): what a rollback writes back. */
      restore: Record<string, string | null>;
      /** The ServiceAccount version the plan read; a change since is refused. */
      resourceVersion: string;
    }
  | {
      kind: 'delete-association';
      description: string;
      associationId: string;
    };

/** Everything a migration step will do, computed with reads only. */
export interface MigrationPlan {
  input: ValidatedMigrationInput;
  /** The mechanism the workload is moving away from. */
  from: IdentityMechanism;
  target: AwsTarget;
  /** The EKS cluster name in AWS. */
  eksClusterName: string;
  role: RoleInfo;
  serviceAccount: ServiceAccountInfo;
  /** This entity's association for the ServiceAccount, if there is one. */
  association?: PodIdentityAssociationInfo;
  /** Running pods still on the old mechanism, of all running pods (the card counts the same way). */
  progress: { podsOnOld: number; pods: number };
  /** Names of the running or pending pods still on the old mechanism (the move to Pod Identity finishes when there are none). */
  oldPods: string[];
  /** The writes, in order; empty when the step has nothing left to do. */
  changes: MigrationChange[];
  /** Things looked at and left alone, for the task log. */
  notes: string[];
}

/** What a migration step did (or, in a dry run, would do). */
export interface MigrationResult {
  /** The mechanism pods started from now on get (an association takes precedence over the role annotation). */
  mechanism: IdentityMechanism;
  step: MigrationStep;
  /** The association in place after the step (absent once a move to IRSA has finished). */
  associationId?: string;
  /** Running pods still on the old mechanism (restart them before finishing). */
  podsOnOld: number;
  /** Running pods of the ServiceAccount. */
  pods: number;
  /** Each change, as the task log shows it (dry run: "Would …"). */
  changes: string[];
}

/** How one migration step runs. */
export interface MigrationOptions {
  log?: Log;
  /** ctx.checkpoint, so a retried task does not redo a write. */
  step?: StepRunner;
  /** Plan and narrate only; nothing is written. */
  dryRun?: boolean;
  /** Names this run in a lock conflict (the task id). */
  holder?: string;
}

/**
 * Moves one entity's workload between IRSA and EKS Pod Identity in two
 * steps, refusing anything that is not the entity's.
 */
export interface Migrator {
  migrate(
    input: MigrationInput,
    options?: MigrationOptions,
  ): Promise<{ plan: MigrationPlan; result: MigrationResult }>;
}
