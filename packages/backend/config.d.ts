export interface Config {
  /** Settings of the demo portal's backend only. */
  demo?: {
    /**
     * The demo permission policy allows re-verifying, creating and adopting
     * roles. false makes a read-only guest (app-config.readonly.yaml).
     * Default true.
     * @visibility backend
     */
    allowIrsaMutations?: boolean;
    /**
     * Add the guest sign-in provider. true in app-config.yaml (the demo);
     * app-config.production.yaml sets false. Default false.
     * @visibility backend
     */
    guestSignIn?: boolean;
  };
  irsa?: {
    /** The permission policy of this backend. */
    permissions?: {
      /**
       * `platform` selects IrsaPermissionPolicy (src/irsaPermissionPolicy.ts);
       * anything else keeps the demo policy.
       * @visibility backend
       */
      policy?: 'demo' | 'platform';
      /**
       * Group entity refs whose members may create, adopt and verify on any
       * entity (`group:default/platform`). Required with `policy: platform`.
       * @visibility backend
       */
      platformGroups?: string[];
    };
  };
}
