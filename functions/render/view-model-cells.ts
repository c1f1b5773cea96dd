/**
 * The building blocks of the view model's tables: typed cells, columns and the bounded-table builder's contract.
 * A leaf shared by view-model.ts and the section builders it imports (view-model-access.ts), so neither imports
 * the other.
 */
import { formatNumber } from './format.js';
import type { Cell, Column, Status, Table } from './view-model-types.js';

/** `1 leaf node connection`, `1,247 financial transactions`. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

export const text = (value: string | null): Cell => ({ kind: 'text', value });
export const code = (value: string | null): Cell => ({ kind: 'code', value });
export const num = (value: number): Cell => ({ kind: 'number', value });
export const time = (value: string | null): Cell => ({ kind: 'time', value });
export const duration = (seconds: number): Cell => ({ kind: 'duration', seconds });
export const status = (value: Status): Cell => ({ kind: 'status', value });
export const list = (values: string[], more: boolean): Cell => ({ kind: 'list', values, more });

export const col = (label: string, weight = 1, align: Column['align'] = 'left'): Column => ({ label, align, weight });
export const numCol = (label: string, weight = 0.9): Column => col(label, weight, 'right');

/** Builds a table bounded to the view's maxRows; `total` and `where` say how many rows exist and where the rest are. */
export type TableBuilder = (
  spec: Pick<Table, 'id' | 'caption' | 'columns' | 'emptyText'> & { rows: Cell[][]; total?: number; where?: string },
) => Table;
