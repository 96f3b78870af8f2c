import { useState, type ReactNode } from 'react';
import Button from '@material-ui/core/Button';
import Collapse from '@material-ui/core/Collapse';
import { CodeSnippet } from '@backstage/core-components';

/** A "Show …" toggle revealing pretty-printed JSON. */
export const ExpandableJson = ({
  label,
  value,
  children,
}: {
  label: string;
  value: unknown;
  children?: ReactNode;
}) => {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        size="small"
        color="primary"
        onClick={() => setOpen(!open)}
        aria-expanded={open}
      >
        {open ? `Hide ${label}` : `Show ${label}`}
      </Button>
      {children}
      <Collapse in={open} unmountOnExit>
        <CodeSnippet
          language="json"
          text={JSON.stringify(value, null, 2)}
          showCopyCodeButton
        />
      </Collapse>
    </>
  );
};
