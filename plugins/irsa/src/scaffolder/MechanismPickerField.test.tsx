import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import type { ClustersResponse } from '@backstage-irsa/plugin-irsa-common';
import { irsaApiRef } from '../api';
import {
  MechanismPickerField,
  preselectedMechanism,
  validateMechanismPicker,
  type MechanismPickerOptions,
} from './MechanismPickerField';

const clusters: ClustersResponse = {
  items: [
    {
      name: 'sandbox',
      accountId: '111122223333',
      region: 'us-east-1',
      defaultMechanism: 'pod-identity',
    },
    {
      name: 'sandbox-legacy',
      accountId: '111122223333',
      region: 'us-west-2',
      defaultMechanism: 'irsa',
    },
  ],
};

function props(
  cluster: string | undefined,
  onChange: jest.Mock,
  formData?: string,
) {
  return {
    formData,
    onChange,
    schema: { title: 'Mechanism' },
    uiSchema: { 'ui:options': { clusterField: 'where' } },
    formContext: { formData: { where: cluster } },
    required: true,
    rawErrors: [],
    idSchema: { $id: 'root_mechanism' },
  } as unknown as FieldExtensionComponentProps<string, MechanismPickerOptions>;
}

async function render(p: ReturnType<typeof props>) {
  return renderInTestApp(
    <TestApiProvider
      apis={[[irsaApiRef, { listClusters: async () => clusters }]]}
    >
      <MechanismPickerField {...p} />
    </TestApiProvider>,
  );
}

describe('MechanismPickerField', () => {
  it('preselects the chosen cluster default, read from the field named in ui:options', async () => {
    const onChange = jest.fn();
    await render(props('sandbox', onChange));
    await waitFor(() => expect(onChange).toHaveBeenCalledWith('pod-identity'));
    expect(
      await screen.findByText('sandbox defaults to EKS Pod Identity'),
    ).toBeInTheDocument();
  });

  it('preselects IRSA for a cluster whose default is IRSA', async () => {
    const onChange = jest.fn();
    await render(props('sandbox-legacy', onChange));
    await waitFor(() => expect(onChange).toHaveBeenCalledWith('irsa'));
  });

  it('keeps what someone chose', async () => {
    const onChange = jest.fn();
    await render(props('sandbox', onChange, 'pod-identity'));
    await waitFor(() => expect(onChange).toHaveBeenCalledTimes(0));
    fireEvent.mouseDown(screen.getByRole('button'));
    const listbox = within(await screen.findByRole('listbox'));
    fireEvent.click(listbox.getByText(/^IRSA — works everywhere/));
    expect(onChange).toHaveBeenLastCalledWith('irsa');
  });

  it('preselection: a choice wins over the cluster default, IRSA without a cluster', () => {
    expect(preselectedMechanism('irsa', clusters.items[0])).toBe('irsa');
    expect(preselectedMechanism(undefined, clusters.items[0])).toBe(
      'pod-identity',
    );
    expect(preselectedMechanism('bogus', undefined)).toBe('irsa');
  });

  it('refuses an unknown mechanism, naming the field and the rule', () => {
    const addError = jest.fn();
    const validation = { addError } as any;
    validateMechanismPicker('kiam', validation, {} as any);
    expect(addError).toHaveBeenCalledWith(
      'mechanism: must be one of irsa, pod-identity, got "kiam"',
    );
    addError.mockClear();
    validateMechanismPicker('pod-identity', validation, {} as any);
    expect(addError).not.toHaveBeenCalled();
  });
});
