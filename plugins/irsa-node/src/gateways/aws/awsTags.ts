/** A tag as IAM and EC2 both return it. */
interface AwsTag {
  Key?: string;
  Value?: string;
}

/** AWS `[{ Key, Value }]` tags as a record. */
export function tagRecord(
  tags: readonly AwsTag[] | undefined,
): Record<string, string> {
  return Object.fromEntries(
    (tags ?? []).map(tag => [tag.Key ?? '', tag.Value ?? '']),
  );
}

/** A record as AWS `[{ Key, Value }]` tags. */
export function tagList(
  tags: Record<string, string>,
): Array<{ Key: string; Value: string }> {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
