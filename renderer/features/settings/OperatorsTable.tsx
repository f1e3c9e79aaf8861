import type { OperatorRow } from '../../../shared/api';
import { Badge } from '../../ui/Badge';
import { DataTable, type Column } from '../../ui/DataTable';
import { Timestamp } from '../../ui/Timestamp';

const columns: Column<OperatorRow>[] = [
  { header: 'Name', kind: 'mono', cell: (o) => o.name },
  { header: 'Display name', cell: (o) => o.displayName },
  {
    header: 'Roles',
    cell: (o) => (
      <span className="badge-list">
        {o.roles.map((role) => (
          <Badge key={role} tone={role === 'admin' ? 'accent' : 'neutral'}>
            {role}
          </Badge>
        ))}
      </span>
    ),
  },
  {
    header: 'Status',
    cell: (o) => (o.disabled ? <Badge tone="warn">disabled</Badge> : <Badge tone="ok">active</Badge>),
  },
  { header: 'Created', cell: (o) => <Timestamp value={o.createdAt} /> },
  { header: 'Last sign-in', cell: (o) => <Timestamp value={o.lastSignInAt} empty="never" /> },
];

export function OperatorsTable({ operators }: { operators: readonly OperatorRow[] }) {
  return <DataTable label="Operators" columns={columns} rows={operators} rowKey={(o) => o.name} />;
}
