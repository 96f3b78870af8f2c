import { CHECK_IDS, CHECK_TITLES } from '@backstage-irsa/plugin-irsa-common';
import { CheckRegistry } from '../CheckRegistry';
import { builtInChecks } from '.';

describe('builtInChecks', () => {
  it('are the CHECK_IDS, in order, titled as the card names them, all for IRSA', () => {
    expect(builtInChecks.map(c => [c.id, c.title, c.mechanism])).toEqual(
      CHECK_IDS.map(id => [id, CHECK_TITLES[id], 'irsa']),
    );
  });

  it('register like any other checks, in the same order', () => {
    expect(
      new CheckRegistry(builtInChecks).checksFor('irsa').map(c => c.id),
    ).toEqual([...CHECK_IDS]);
  });
});
