import type { ApplyRun } from './ApplyRun';

/** How one resource's tags are written (IAM's TagRole, EKS's TagResource, ...). */
export interface TagWriter {
  tag(tags: Record<string, string>): Promise<void>;
  untag(keys: string[]): Promise<void>;
}

/**
 * Brings a resource's tags from `current` to `wanted`: writes only the tags
 * that differ, then removes the `remove` keys it carries that `wanted` does
 * not name. Each write is its own step and registers its undo, so a
 * rollback puts `current` back exactly: keys it added are removed, values
 * it overwrote or keys it removed are written again.
 */
export async function convergeTags(
  run: ApplyRun,
  what: string,
  current: Record<string, string>,
  wanted: Record<string, string>,
  write: TagWriter,
  remove: readonly string[] = [],
): Promise<void> {
  const changed = Object.entries(wanted).filter(([k, v]) => current[k] !== v);
  if (changed.length) {
    await run.run(`tag ${what}`, `tag-${what}`, async () =>
      write.tag(Object.fromEntries(changed)),
    );
    run.onRollback(`tags of ${what}`, async () => {
      const added = changed.map(([k]) => k).filter(k => !(k in current));
      const overwritten = changed.filter(([k]) => k in current);
      if (added.length) await write.untag(added);
      if (overwritten.length)
        await write.tag(
          Object.fromEntries(overwritten.map(([k]) => [k, current[k]])),
        );
    });
  }
  const removed = remove.filter(k => k in current && !(k in wanted));
  if (removed.length) {
    await run.run(`untag ${what}`, `untag-${what}`, async () =>
      write.untag(removed),
    );
    run.onRollback(`tags removed from ${what}`, () =>
      write.tag(Object.fromEntries(removed.map(k => [k, current[k]]))),
    );
  }
}
