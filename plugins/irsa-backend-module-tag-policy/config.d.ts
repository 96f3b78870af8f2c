export interface Config {
  irsa?: {
    /**
     * The tag-policy check (module @backstage-irsa/plugin-irsa-backend-module-tag-policy):
     * which tag keys every IRSA role must carry. Without `requiredTags` the
     * module adds no check.
     * @visibility backend
     */
    tagPolicy?: {
      /**
       * Tag keys the role must carry, each with a non-empty value
       * (for example `cost-center`). 1 to 50 IAM tag keys, none starting with `aws:`.
       */
      requiredTags: string[];
      /** What a missing tag makes the check: `warn` (default) or `fail`. */
      severity?: 'warn' | 'fail';
    };
  };
}
