import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { exampleStep } from './exampleStep';

const step = (name: string, input: Record<string, unknown>) =>
  exampleStep({ id: 'decommission', action: 'aws:irsa:delete', name }, input);

/** Examples shown in the scaffolder's action docs; every one is run by a test. */
export const deleteExamples: TemplateExample[] = [
  {
    description:
      "Decommission a component's role: unbind its ServiceAccount, delete the policies this project created, then the role",
    example: step('Decommission the IAM role', {
      cluster: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      entityRef: 'component:default/cart',
    }),
  },
  {
    description:
      'Delete the ServiceAccount too (only when this component owns it), not just its role annotations',
    example: step('Decommission the IAM role and the ServiceAccount', {
      cluster: 'sandbox',
      namespace: 'search',
      serviceAccount: 'indexer',
      entityRef: 'component:default/search-indexer',
      deleteServiceAccount: true,
    }),
  },
  {
    description: 'A role that was created with a custom name',
    example: step('Decommission the IAM role', {
      cluster: 'sandbox',
      namespace: 'reports',
      serviceAccount: 'exporter',
      roleName: 'report-exporter',
      entityRef: 'component:default/report-exporter',
    }),
  },
];
