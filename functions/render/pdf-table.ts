import { cellText, formatNumber, statusLabel } from './format.js';
import type { Canvas } from './pdf-canvas.js';
import type { PageFlow } from './pdf-flow.js';
import { FONT } from './pdf-fonts.js';
import type { Align } from './pdf-text.js';
import { INK, STATUS_COLOR, STYLE, type TextStyle } from './pdf-theme.js';
import type { Cell, Status, Table } from './view-model-types.js';

const PAD_X = 3;
const PAD_Y = 2.5;
const BADGE_PAD_X = 3;
const GAP_AFTER_CAPTION = 3;
/** Rows read to size the columns: enough to see the shape of the data, few enough to cost nothing. */
const SIZING_ROWS = 100;
/** The most any column asks for, as a share of the width: for its typical values, and for a rare long one. */
const MAX_LINE_SHARE = 0.4;
const OUTLIER_LINE_SHARE = 0.2;
/** Tables with at least this many rows size columns on typical words, not on the widest one. */
const OUTLIER_MIN_ROWS = 20;
/** No single unbreakable word may claim more than this share of the width (a 200-character token wraps). */
const MAX_WORD_SHARE = 0.22;

export interface TableContext {
  accent: string;
  timezone: string;
  /**
   * What the counting pass formatted and measured, reused by the real pass: formatting (a time in a time zone
   * above all) and measuring are most of the cost per cell. Holds a few strings and one number per shown row,
   * which is small next to the view model's own rows.
   */
  measured: WeakMap<Table, MeasuredTable>;
}

export interface MeasuredTable {
  /** Cell texts as drawn: formatted, made printable, and cut when a value would not fit on a page. */
  texts: string[][];
  rowHeights: Float64Array;
  /** Set once the counting pass has measured every row. */
  complete: boolean;
}

interface CellPlan {
  text: string;
  style: TextStyle;
  align: Align;
  /** Set for a status drawn as a filled badge with its word. */
  badge: Status | null;
}

interface ColumnBox {
  x: number;
  width: number;
  inner: number;
  align: Align;
}

/** Room kept above a table's first row for a section heading, so that heading, caption and row share a page. */
const HEADING_ROOM = 70;

/** A table's caption, header and column geometry, worked out once per pass. */
interface TableLayout {
  caption: string;
  captionHeight: number;
  continued: string;
  continuedHeight: number;
  labels: string[];
  columns: ColumnBox[];
  headerHeight: number;
  /** A cell taller than this is cut: the row must fit a page below a heading, a caption and the header. */
  maxCellHeight: number;
  measured: MeasuredTable;
  textsOf: (index: number) => string[];
}

/**
 * One table of the view model: caption, header row in the accent colour (repeated on every page the table
 * continues on), rows measured at their column widths and moved whole to the next page when they do not fit.
 * Rows are measured in the counting pass and drawn in the real pass one at a time.
 */
export function drawTable(flow: PageFlow, table: Table, ctx: TableContext): void {
  const { canvas } = flow;
  if (table.rows.length === 0) {
    const { caption, captionHeight, empty, emptyHeight } = emptyTable(flow, table);
    flow.ensure(captionHeight + emptyHeight);
    drawCaption(flow, caption, STYLE.caption, captionHeight);
    canvas.rect(flow.left, flow.y, flow.width, emptyHeight, INK.panel);
    canvas.text(empty, STYLE.note, flow.left + PAD_X, flow.y + PAD_Y, flow.width - 2 * PAD_X, emptyHeight);
    flow.y += emptyHeight;
    drawOmittedNote(flow, table);
    return;
  }

  const layout = layoutTable(flow, table, ctx);
  const { columns, labels, headerHeight, measured } = layout;
  table.rows.forEach((row, index) => {
    const cellTexts = layout.textsOf(index);
    const plans = columns.map((column, i) => planCell(canvas, row[i] ?? MISSING, cellTexts[i]!, column));
    const rowHeight = rowHeightOf(canvas, layout, plans, index);
    if (index === 0) {
      // The caption and header never stay alone at the bottom of a page.
      flow.ensure(layout.captionHeight + headerHeight + rowHeight);
      drawCaption(flow, layout.caption, STYLE.caption, layout.captionHeight);
      drawHeader(flow, columns, labels, headerHeight, ctx.accent);
    } else if (flow.y + rowHeight > flow.bottom) {
      flow.newPage();
      drawCaption(flow, layout.continued, STYLE.captionContinued, layout.continuedHeight);
      drawHeader(flow, columns, labels, headerHeight, ctx.accent);
    }
    drawRow(flow, plans, columns, rowHeight, index);
  });
  measured.complete = true;
  drawOmittedNote(flow, table);
}

/** Height of what must start a table on one page: caption, header and first row (or the empty text). */
export function tableLeadHeight(flow: PageFlow, table: Table, ctx: TableContext): number {
  if (table.rows.length === 0) {
    const { captionHeight, emptyHeight } = emptyTable(flow, table);
    return captionHeight + emptyHeight;
  }
  const layout = layoutTable(flow, table, ctx);
  const row = table.rows[0]!;
  const cellTexts = layout.textsOf(0);
  const plans = layout.columns.map((column, i) => planCell(flow.canvas, row[i] ?? MISSING, cellTexts[i]!, column));
  return layout.captionHeight + layout.headerHeight + rowHeightOf(flow.canvas, layout, plans, 0);
}

function emptyTable(
  flow: PageFlow,
  table: Table,
): { caption: string; captionHeight: number; empty: string; emptyHeight: number } {
  const { canvas } = flow;
  const caption = canvas.prepare(table.caption, STYLE.caption);
  const captionHeight = canvas.height(caption, STYLE.caption, flow.width) + GAP_AFTER_CAPTION;
  const empty = canvas.prepare(table.emptyText, STYLE.note);
  const emptyHeight = canvas.height(empty, STYLE.note, flow.width - 2 * PAD_X) + 2 * PAD_Y;
  return { caption, captionHeight, empty, emptyHeight };
}

function layoutTable(flow: PageFlow, table: Table, ctx: TableContext): TableLayout {
  const { canvas } = flow;
  const measured = ctx.measured.get(table) ?? {
    texts: [],
    rowHeights: new Float64Array(table.rows.length),
    complete: false,
  };
  ctx.measured.set(table, measured);
  const { texts } = measured;
  // Formatted row by row as the layout reaches them (the sizing rows now, to size the columns), so that a big
  // table's formatting garbage is collected as it goes instead of piling up at the table's start.
  const textsOf = (index: number): string[] => (texts[index] ??= rowTexts(canvas, table, index, ctx.timezone));
  for (const i of sizingRows(table.rows.length)) textsOf(i);

  const caption = canvas.prepare(table.caption, STYLE.caption);
  const captionHeight = canvas.height(caption, STYLE.caption, flow.width) + GAP_AFTER_CAPTION;
  const labels = table.columns.map((c, i) => canvas.prepare(c.label, STYLE.tableHeader) || String(i + 1));
  const columns = layoutColumns(flow, table, labels, texts);
  const headerHeight =
    Math.max(...labels.map((l, i) => canvas.height(l, STYLE.tableHeader, columns[i]!.inner))) + 2 * PAD_Y;
  const continued = canvas.prepare(`${table.caption} (continued)`, STYLE.captionContinued);
  const continuedHeight = canvas.height(continued, STYLE.captionContinued, flow.width) + GAP_AFTER_CAPTION;
  const maxCellHeight =
    flow.pageBodyHeight - HEADING_ROOM - Math.max(captionHeight, continuedHeight) - headerHeight - 2 * PAD_Y;
  return {
    caption,
    captionHeight,
    continued,
    continuedHeight,
    labels,
    columns,
    headerHeight,
    maxCellHeight,
    measured,
    textsOf,
  };
}

/** Measured in the counting pass, remembered for the real pass. */
function rowHeightOf(canvas: Canvas, layout: TableLayout, plans: CellPlan[], index: number): number {
  const { measured } = layout;
  if (measured.complete) return measured.rowHeights[index]!;
  const height = measureRow(canvas, plans, layout.textsOf(index), layout.columns, layout.maxCellHeight) + 2 * PAD_Y;
  measured.rowHeights[index] = height;
  return height;
}

/** The text of a row's cells as they will be drawn, formatted once (in the counting pass) and reused. */
function rowTexts(canvas: Canvas, table: Table, index: number, timezone: string): string[] {
  const row = table.rows[index] ?? [];
  return table.columns.map((_, i) => {
    const cell = row[i] ?? MISSING;
    return cell.kind === 'status'
      ? statusLabel(cell.value)
      : canvas.prepare(displayText(cell, timezone), styleOf(cell));
  });
}

const MISSING: Cell = { kind: 'text', value: null };

export function displayText(cell: Cell, timezone: string): string {
  return cellText(cell, timezone);
}

/** Cells that format as NOT_RECORDED ("—") are drawn faint, so an absent value does not read as a value. */
function styleOf(cell: Cell): TextStyle {
  const missing =
    ((cell.kind === 'text' || cell.kind === 'code' || cell.kind === 'time') && cell.value === null) ||
    (cell.kind === 'list' && cell.values.length === 0);
  if (missing) return STYLE.cellMissing;
  return cell.kind === 'code' ? STYLE.cellMono : STYLE.cell;
}

/**
 * Column widths from the data (a sample of rows), as browsers size auto tables: every column gets at least its
 * widest word (so a name or a header does not break inside a word; in a long table, the widest typical word),
 * then the rest goes where text would otherwise wrap. When all fits on one line, the spare width follows the
 * view model's weights. When even the words do not fit side by side, header words keep their room and the
 * columns with the longest words give way.
 */
function layoutColumns(
  flow: PageFlow,
  table: Table,
  labels: string[],
  texts: readonly (string[] | undefined)[],
): ColumnBox[] {
  const { canvas } = flow;
  const total = flow.width;
  const wordCap = total * MAX_WORD_SHARE;
  const pad = 2 * PAD_X + 0.5;
  const sample = sizingRows(table.rows.length);
  const bounds = table.columns.map((_, i) => {
    const header = Math.min(wordCap, widestWord(canvas, labels[i]!, STYLE.tableHeader));
    const words: number[] = [];
    const lines: number[] = [];
    for (const r of sample) {
      const cell = table.rows[r]![i] ?? MISSING;
      const text = texts[r]![i]!;
      if (cell.kind === 'status') {
        const badge = canvas.width(text, STYLE.badge) + 2 * BADGE_PAD_X;
        words.push(badge);
        lines.push(badge);
        continue;
      }
      const style = styleOf(cell);
      words.push(Math.min(wordCap, widestWord(canvas, text, style)));
      lines.push(canvas.width(text, style));
    }
    // A status word must fit whole (its badge); a rare long value wraps rather than widen its column's floor.
    const isStatus = table.rows[0]?.[i]?.kind === 'status';
    const word = Math.max(header, isStatus ? Math.max(0, ...words) : typical(words));
    // How much room the column could use: its typical line, capped so that long values do not starve the
    // others, and some room for the rare long value too.
    const line = Math.max(
      word,
      Math.min(total * MAX_LINE_SHARE, typical(lines)),
      Math.min(total * OUTLIER_LINE_SHARE, Math.max(0, ...lines)),
    );
    return { header: header + pad, word: word + pad, line: line + pad };
  });

  const weights = table.columns.map((c) => (Number.isFinite(c.weight) && c.weight > 0 ? c.weight : 1));
  const floors = bounds.map((b) => b.word);
  let widths: number[];
  if (sum(bounds.map((b) => b.line)) <= total) {
    widths = share(
      bounds.map((b) => b.line),
      weights,
      total,
    );
  } else if (sum(floors) <= total) {
    widths = share(
      floors,
      bounds.map((b) => b.line - b.word),
      total,
    );
  } else if (sum(bounds.map((b) => b.header)) <= total) {
    // Cap the widest words at the largest width that still fits: only the longest words break.
    const floorsAt = (cap: number) => bounds.map((b) => Math.max(b.header, Math.min(b.word, cap)));
    let low = 0;
    let high = Math.max(...floors);
    for (let i = 0; i < 30; i++) {
      const mid = (low + high) / 2;
      if (sum(floorsAt(mid)) <= total) low = mid;
      else high = mid;
    }
    widths = share(floorsAt(low), weights, total);
  } else {
    widths = share(
      bounds.map(() => 0),
      bounds.map((b) => b.header),
      total,
    );
  }

  let x = flow.left;
  return table.columns.map((column, i) => {
    const width = widths[i]!;
    const box = { x, width, inner: Math.max(1, width - 2 * PAD_X), align: column.align };
    x += width;
    return box;
  });
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * The rows that size the columns: the first ones and an even spread over the rest, so that values growing down
 * a long table (sequence numbers, client ids) are seen. The same rows in both passes.
 */
function sizingRows(count: number): number[] {
  const first = Math.min(count, SIZING_ROWS / 2);
  const rows = Array.from({ length: first }, (_, i) => i);
  const rest = count - first;
  const spread = Math.min(rest, SIZING_ROWS / 2);
  for (let k = 1; k <= spread; k++) rows.push(first - 1 + Math.round((k * rest) / spread));
  return rows;
}

/**
 * The width of a column's values: the widest of a short table, the 90th percentile of a long one, where a rare
 * outlier (one 200-character token among thousands of short values) should wrap rather than squeeze the other
 * columns on every page.
 */
function typical(widths: number[]): number {
  if (widths.length === 0) return 0;
  const sorted = [...widths].sort((a, b) => a - b);
  if (sorted.length < OUTLIER_MIN_ROWS) return sorted[sorted.length - 1]!;
  return sorted[Math.floor(0.9 * (sorted.length - 1))]!;
}

/** `base` widths plus what is left of `total`, shared in proportion to `wants` (equally when nobody wants). */
function share(base: number[], wants: number[], total: number): number[] {
  const spare = total - sum(base);
  const wanted = sum(wants);
  return base.map((b, i) => b + (wanted > 0 ? (spare * wants[i]!) / wanted : spare / base.length));
}

function widestWord(canvas: Canvas, text: string, style: TextStyle): number {
  let widest = 0;
  for (const word of text.split(/\s+/)) if (word) widest = Math.max(widest, canvas.width(word, style));
  return widest;
}

function drawCaption(flow: PageFlow, caption: string, style: TextStyle, height: number): void {
  flow.canvas.text(caption, style, flow.left, flow.y, flow.width, height);
  flow.y += height;
}

function drawHeader(flow: PageFlow, columns: ColumnBox[], labels: string[], height: number, accent: string): void {
  const { canvas } = flow;
  canvas.rect(flow.left, flow.y, flow.width, height, accent);
  columns.forEach((column, i) => {
    canvas.text(labels[i]!, STYLE.tableHeader, column.x + PAD_X, flow.y + PAD_Y, column.inner, height, column.align);
  });
  flow.y += height;
}

/** How a cell is drawn: a status as a badge when the column is wide enough, anything else as text. */
function planCell(canvas: Canvas, cell: Cell, text: string, column: ColumnBox): CellPlan {
  if (cell.kind === 'status') {
    if (canvas.width(text, STYLE.badge) + 2 * BADGE_PAD_X <= column.inner) {
      return { text, style: STYLE.badge, align: column.align, badge: cell.value };
    }
    // Too narrow for a badge: the word in its colour still says it (and wraps like any text).
    return {
      text,
      style: { font: FONT.bold, size: STYLE.cell.size, color: STATUS_COLOR[cell.value] },
      align: column.align,
      badge: null,
    };
  }
  return { text, style: styleOf(cell), align: column.align, badge: null };
}

/**
 * The tallest cell of a row. A cell taller than a page is cut to fit (saying so), and the cut text replaces the
 * row's text for the real pass.
 */
function measureRow(
  canvas: Canvas,
  plans: CellPlan[],
  rowTexts: string[],
  columns: ColumnBox[],
  maxHeight: number,
): number {
  let tallest = 0;
  plans.forEach((plan, i) => {
    if (plan.badge !== null) {
      tallest = Math.max(tallest, canvas.lineHeight(STYLE.cell));
      return;
    }
    const inner = columns[i]!.inner;
    let height = canvas.height(plan.text, plan.style, inner);
    if (height > maxHeight) {
      plan.text = canvas.fit(plan.text, plan.style, inner, maxHeight);
      rowTexts[i] = plan.text;
      height = canvas.height(plan.text, plan.style, inner);
    }
    tallest = Math.max(tallest, height);
  });
  return tallest;
}

function drawRow(flow: PageFlow, plans: CellPlan[], columns: ColumnBox[], height: number, index: number): void {
  const { canvas } = flow;
  const top = flow.y;
  flow.y = top + height;
  if (!canvas.painting) return;
  if (index % 2 === 1) canvas.rect(flow.left, top, flow.width, height, INK.zebra);
  canvas.hline(flow.left, flow.left + flow.width, top + height, INK.rule, 0.4);
  const textHeight = height - 2 * PAD_Y;
  plans.forEach((plan, i) => {
    const column = columns[i]!;
    const x = column.x + PAD_X;
    const y = top + PAD_Y;
    if (plan.badge !== null) drawBadge(canvas, plan, plan.badge, x, y, column);
    else canvas.text(plan.text, plan.style, x, y, column.inner, textHeight, plan.align);
  });
}

function drawBadge(canvas: Canvas, plan: CellPlan, status: Status, x: number, y: number, column: ColumnBox): void {
  const wordWidth = canvas.width(plan.text, plan.style);
  const width = wordWidth + 2 * BADGE_PAD_X;
  const left = plan.align === 'right' ? x + column.inner - width : x;
  // As tall as a line of cell text, so the badge sits on the row's first line.
  const height = canvas.lineHeight(STYLE.cell);
  canvas.rect(left, y, width, height, STATUS_COLOR[status], 2);
  const textHeight = canvas.lineHeight(plan.style);
  canvas.text(plan.text, plan.style, left + BADGE_PAD_X, y + (height - textHeight) / 2, wordWidth, textHeight);
}

function drawOmittedNote(flow: PageFlow, table: Table): void {
  if (table.omitted <= 0 || !table.omittedNote) return;
  const { canvas } = flow;
  const note = canvas.prepare(
    `Showing ${formatNumber(table.rows.length)} of ${formatNumber(table.total)} rows. ${table.omittedNote}`,
    STYLE.note,
  );
  const height = canvas.height(note, STYLE.note, flow.width) + PAD_Y;
  flow.ensure(height);
  canvas.text(note, STYLE.note, flow.left, flow.y + PAD_Y, flow.width, height);
  flow.y += height + PAD_Y;
}
