/**
 * Events topic that asks the irsa backend plugin to verify an entity now
 * (published by the scaffolder's aws:irsa:verify after registering a
 * component). Payload: `{ entityRef: string }` and nothing else is read: the
 * backend looks the entity up in the catalog itself, runs the checks with its
 * own verifier and stores its own report, subject to the cooldown.
 */
export const IRSA_VERIFY_REQUESTED_TOPIC = 'irsa.verify-requested';

/** Payload of {@link IRSA_VERIFY_REQUESTED_TOPIC}. */
export interface IrsaVerifyRequestedEvent {
  /** The catalog entity to verify, `kind:namespace/name`. */
  entityRef: string;
}
