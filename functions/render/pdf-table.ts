/// <reference types="pdfkit" />
import { cellText, NOT_RECORDED, statusLabel } from './format.js';
import type { PageFlow } from './pdf-flow.js';
import { FONT } from './pdf-fonts.js';
import type { Align } from './pdf-text.js';
import { INK, STATUS_COLOR, STYLE, type TextStyle } from './pdf-theme.js';
import type { Cell, Status, Table } from './view-model.js';

const PAD_X = 3;
const PAD_Y = 2.5;
const BADGE_PAD_X = 3;
const GAP_AFTER_CAPTION = 3;

export interface TableContext {
  accent: string;
  timezone: string;
}

interface PreparedCell {
  text: string;
  style: TextStyle;
  align: Align;
  /** Set for a status drawn as a filled badge with its word. */
  badge: Status | null;
  height: number;
}

interface ColumnBox {
  x: number;
  width: number;
  inner: number;
  align: Align;
}

/**
 * One table of the view model: caption, header row in the accent colour (repeated on every page the table
 * continues on), rows measured at their column widths and moved whole to the next page when they do not fit.
 * Rows are prepared one at a time and dropped once drawn, so memory does not grow with the table.
 */
export function drawTable(flow: PageFlow, table: Table, ctx: TableContext): void {
  const { text } = flow;
  const columns = layoutColumns(flow, table);
  const caption = text.prepare(table.caption, STYLE.caption);
  const captionHeight = text.height(caption, STYLE.caption, flow.width) + GAP_AFTER_CAPTION;

  if (table.rows.length === 0) {
    const empty = text.prepare(table.emptyText, STYLE.note);
    const emptyHeight = text.height(empty, STYLE.note, flow.width - 2 * PAD_X) + 2 * PAD_Y;
    flow.ensure(captionHeight + emptyHeight);
    drawCaption(flow, caption, STYLE.caption, captionHeight);
    flow.doc.rect(flow.left, flow.y, flow.width, emptyHeight).fill(INK.panel);
    text.draw(empty, STYLE.note, flow.left + PAD_X, flow.y + PAD_Y, flow.width - 2 * PAD_X, emptyHeight);
    flow.y += emptyHeight;
    drawOmittedNote(flow, table);
    return;
  }

  const labels = table.columns.map((c, i) => text.prepare(c.label, STYLE.tableHeader) || String(i + 1));
  const headerHeight = Math.max(...labels.map((l, i) => text.height(l, STYLE.tableHeader, columns[i]!.inner))) + 2 * PAD_Y;
  const continued = text.prepare(`${table.caption} (continued)`, STYLE.captionContinued);
  const continuedHeight = text.height(continued, STYLE.captionContinued, flow.width) + GAP_AFTER_CAPTION;
  // A row may take at most what a page holds below the repeated caption and header.
  const maxRowHeight = flow.pageBodyHeight - continuedHeight - headerHeight;

  const startOnNewPage = () => {
    flow.newPage();
    drawCaption(flow, continued, STYLE.captionContinued, continuedHeight);
    drawHeader(flow, columns, labels, headerHeight, ctx.accent);
  };

  table.rows.forEach((row, index) => {
    const cells = prepareRow(flow, row, columns, ctx.timezone, maxRowHeight - 2 * PAD_Y);
    const rowHeight = Math.max(...cells.map((c) => c.height)) + 2 * PAD_Y;
    if (index === 0) {
      // The caption and header never stay alone at the bottom of a page.
      flow.ensure(captionHeight + headerHeight + rowHeight);
      drawCaption(flow, caption, STYLE.caption, captionHeight);
      drawHeader(flow, columns, labels, headerHeight, ctx.accent);
    } else if (flow.y + rowHeight > flow.bottom) {
      startOnNewPage();
    }
    drawRow(flow, cells, columns, rowHeight, index);
  });
  drawOmittedNote(flow, table);
}

function layoutColumns(flow: PageFlow, table: Table): ColumnBox[] {
  const weights = table.columns.map((c) => (Number.isFinite(c.weight) && c.weight > 0 ? c.weight : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let x = flow.left;
  return table.columns.map((column, i) => {
    const width = (flow.width * weights[i]!) / total;
    const box = { x, width, inner: Math.max(1, width - 2 * PAD_X), align: column.align };
    x += width;
    return box;
  });
}

function drawCaption(flow: PageFlow, caption: string, style: TextStyle, height: number): void {
  flow.text.draw(caption, style, flow.left, flow.y, flow.width, height);
  flow.y += height;
}

function drawHeader(flow: PageFlow, columns: ColumnBox[], labels: string[], height: number, accent: string): void {
  flow.doc.rect(flow.left, flow.y, flow.width, height).fill(accent);
  columns.forEach((column, i) => {
    flow.text.draw(labels[i]!, STYLE.tableHeader, column.x + PAD_X, flow.y + PAD_Y, column.inner, height, column.align);
  });
  flow.y += height;
}

function prepareRow(flow: PageFlow, row: Cell[], columns: ColumnBox[], timezone: string, maxCellHeight: number): PreparedCell[] {
  return columns.map((column, i) => {
    const cell: Cell = row[i] ?? { kind: 'text', value: null };
    return prepareCell(flow, cell, column, timezone, maxCellHeight);
  });
}

function prepareCell(flow: PageFlow, cell: Cell, column: ColumnBox, timezone: string, maxHeight: number): PreparedCell {
  const { text } = flow;
  if (cell.kind === 'status') {
    const word = statusLabel(cell.value);
    const badgeWidth = text.width(word, STYLE.badge) + 2 * BADGE_PAD_X;
    if (badgeWidth <= column.inner) {
      return { text: word, style: STYLE.badge, align: column.align, badge: cell.value, height: text.lineHeight(STYLE.cell) };
    }
    // Too narrow for a badge: the word in its colour still says it (and wraps like any text).
    const style: TextStyle = { font: FONT.bold, size: STYLE.cell.size, color: STATUS_COLOR[cell.value] };
    return measured(flow, word, style, column, maxHeight);
  }
  const value = cellText(cell, timezone);
  const style = value === NOT_RECORDED ? STYLE.cellMissing : cell.kind === 'code' ? STYLE.cellMono : STYLE.cell;
  return measured(flow, text.prepare(value, style), style, column, maxHeight);
}

function measured(flow: PageFlow, value: string, style: TextStyle, column: ColumnBox, maxHeight: number): PreparedCell {
  const { text } = flow;
  let shown = value;
  let height = text.height(shown, style, column.inner);
  if (height > maxHeight) {
    shown = text.fit(value, style, column.inner, maxHeight);
    height = text.height(shown, style, column.inner);
  }
  return { text: shown, style, align: column.align, badge: null, height };
}

function drawRow(flow: PageFlow, cells: PreparedCell[], columns: ColumnBox[], height: number, index: number): void {
  const { doc, text } = flow;
  const top = flow.y;
  if (index % 2 === 1) doc.rect(flow.left, top, flow.width, height).fill(INK.zebra);
  doc.lineWidth(0.4).strokeColor(INK.rule).moveTo(flow.left, top + height).lineTo(flow.left + flow.width, top + height).stroke();
  cells.forEach((cell, i) => {
    const column = columns[i]!;
    const x = column.x + PAD_X;
    const y = top + PAD_Y;
    if (cell.badge !== null) drawBadge(flow, cell, cell.badge, x, y, column);
    else text.draw(cell.text, cell.style, x, y, column.inner, cell.height, cell.align);
  });
  flow.y = top + height;
}

function drawBadge(flow: PageFlow, cell: PreparedCell, status: Status, x: number, y: number, column: ColumnBox): void {
  const { doc, text } = flow;
  const wordWidth = text.width(cell.text, cell.style);
  const width = wordWidth + 2 * BADGE_PAD_X;
  const left = cell.align === 'right' ? x + column.inner - width : x;
  const lineHeight = cell.height;
  doc.roundedRect(left, y, width, lineHeight, 2).fill(STATUS_COLOR[status]);
  const badgeTextHeight = text.lineHeight(cell.style);
  text.draw(cell.text, cell.style, left + BADGE_PAD_X, y + (lineHeight - badgeTextHeight) / 2, wordWidth, badgeTextHeight);
}

function drawOmittedNote(flow: PageFlow, table: Table): void {
  if (table.omitted <= 0 || !table.omittedNote) return;
  const note = flow.text.prepare(`${table.omittedNote} ${table.total} rows in all.`, STYLE.note);
  const height = flow.text.height(note, STYLE.note, flow.width) + PAD_Y;
  flow.ensure(height);
  flow.text.draw(note, STYLE.note, flow.left, flow.y + PAD_Y, flow.width, height);
  flow.y += height + PAD_Y;
}
