import { coreExtensionData } from '@backstage/frontend-plugin-api';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import type { Entity } from '@backstage/catalog-model';
import CloudQueueIcon from '@material-ui/icons/CloudQueue';
import irsaPlugin, { fleetPageRouteRef } from './alpha';

const annotated: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    annotations: { 'irsa.dev/service-account': 'payments/payments-api' },
  },
};
const plain: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'website' },
};

describe('irsa plugin (new frontend system)', () => {
  it('adds the IAM tab at irsa, titled IAM, on annotated entities only', () => {
    const tester = createExtensionTester(
      irsaPlugin.getExtension('entity-content:irsa/iam'),
    );
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('IAM');
    expect(tester.get(coreExtensionData.routePath)).toBe('irsa');
    const filter = tester.get(EntityContentBlueprint.dataRefs.filterFunction)!;
    expect([filter(annotated), filter(plain)]).toEqual([true, false]);
    expect(tester.get(EntityContentBlueprint.dataRefs.group)).toBeUndefined();
  });

  it('adds the card as a content card on annotated entities only', () => {
    const tester = createExtensionTester(
      irsaPlugin.getExtension('entity-card:irsa/iam'),
    );
    expect(tester.get(EntityCardBlueprint.dataRefs.type)).toBe('content');
    const filter = tester.get(EntityCardBlueprint.dataRefs.filterFunction)!;
    expect([filter(annotated), filter(plain)]).toEqual([true, false]);
  });
  it('adds the fleet page at /irsa with a title and icon, so the nav lists it', () => {
    const tester = createExtensionTester(
      irsaPlugin.getExtension('page:irsa/fleet'),
    );
    expect(tester.get(coreExtensionData.routePath)).toBe('/irsa');
    expect(tester.get(coreExtensionData.routeRef)).toBe(fleetPageRouteRef);
    expect(tester.get(coreExtensionData.title)).toBe('IAM fleet');
    expect(tester.get(coreExtensionData.icon)).toEqual(<CloudQueueIcon />);
  });
});
