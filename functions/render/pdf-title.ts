import { cellText, statusLabel } from './format.js';
import type { PageFlow } from './pdf-flow.js';
import { drawTable, type TableContext } from './pdf-table.js';
import { INK, STATUS_COLOR, STYLE, type TextStyle } from './pdf-theme.js';
import type { Cell, Table, ViewModel } from './view-model-types.js';

const STATUS_BOX = { width: 120, height: 56 } as const;
const LOGO_BOX = { width: 140, height: 44 } as const;
/** Page 1 lists what needs attention, not all of it: the sections hold the rest. */
const ATTENTION_ROWS = 10;

/** Page 1: who, what period, the verdict, the figures that matter and what needs attention. */
export function drawTitleBlock(flow: PageFlow, vm: ViewModel, ctx: TableContext): void {
  drawMasthead(flow, vm);
  drawAccentRule(flow, ctx.accent);
  drawPeriodGrid(flow, vm);
  drawVerdict(flow, vm);
  drawKeyFigures(flow, vm);
  drawAttention(flow, vm, ctx);
}

function drawMasthead(flow: PageFlow, vm: ViewModel): void {
  const { canvas } = flow;
  const top = flow.y;
  const columnWidth = flow.width - STATUS_BOX.width - 16;
  let y = top;

  if (vm.branding.logoPng) {
    try {
      canvas.image(vm.branding.logoPng, flow.left, y, LOGO_BOX.width, LOGO_BOX.height);
    } catch (error) {
      throw new Error(`branding logo is not a PNG the PDF renderer can read: ${(error as Error).message}`);
    }
    y += LOGO_BOX.height + 6;
  }
  const lines: [string, TextStyle, number][] = [];
  if (vm.branding.company) lines.push([vm.branding.company, STYLE.company, 2]);
  lines.push([vm.title, STYLE.title, 3], [vm.period.heading, STYLE.periodHeading, 0]);
  for (const [value, style, after] of lines) {
    const shown = canvas.prepare(value, style);
    const height = canvas.height(shown, style, columnWidth);
    canvas.text(shown, style, flow.left, y, columnWidth, height);
    y += height + after;
  }

  drawStatusBox(flow, vm, flow.left + flow.width - STATUS_BOX.width, top);
  flow.y = Math.max(y, top + STATUS_BOX.height) + 8;
}

/** A filled box with the status word in white: the colour helps, the word carries it in black and white too. */
function drawStatusBox(flow: PageFlow, vm: ViewModel, x: number, y: number): void {
  const { canvas } = flow;
  canvas.rect(x, y, STATUS_BOX.width, STATUS_BOX.height, STATUS_COLOR[vm.status], 4);
  const caption: TextStyle = { ...STYLE.label, size: 7, color: INK.white };
  const word: TextStyle = { ...STYLE.title, size: 20, color: INK.white };
  const captionHeight = canvas.lineHeight(caption);
  const wordHeight = canvas.lineHeight(word);
  const innerTop = y + (STATUS_BOX.height - captionHeight - wordHeight) / 2;
  canvas.text('OVERALL STATUS', caption, x, innerTop, STATUS_BOX.width, captionHeight, 'center');
  canvas.text(statusLabel(vm.status), word, x, innerTop + captionHeight, STATUS_BOX.width, wordHeight, 'center');
}

function drawAccentRule(flow: PageFlow, accent: string): void {
  flow.canvas.hline(flow.left, flow.left + flow.width, flow.y, accent, 1.5);
  flow.y += 8;
}

function drawPeriodGrid(flow: PageFlow, vm: ViewModel): void {
  const labelWidth = 64;
  const localWidth = 230;
  const utcWidth = flow.width - labelWidth - localWidth;
  const rows: [string, string, string][] = [
    ['', `In ${vm.timezone}`, 'In UTC'],
    ['From', vm.period.fromLocal, vm.period.fromUtc],
    ['To', vm.period.toLocal, vm.period.toUtc],
    ['Generated', vm.generatedAtLocal, vm.generatedAtUtc],
  ];
  rows.forEach(([label, local, utc], index) => {
    const isHeader = index === 0;
    const localStyle = isHeader ? STYLE.label : STYLE.value;
    const utcStyle = isHeader ? STYLE.label : STYLE.valueMono;
    drawGridRow(flow, [
      [label, STYLE.label, labelWidth],
      [local, localStyle, localWidth],
      [utc, utcStyle, utcWidth],
    ]);
  });
  drawGridRow(flow, [
    ['Time zone', STYLE.label, labelWidth],
    [`${vm.timezone}; the period lasts ${vm.period.length}`, STYLE.value, flow.width - labelWidth],
  ]);
  if (vm.archiveLocation) {
    drawGridRow(flow, [
      ['Archive', STYLE.label, labelWidth],
      [vm.archiveLocation, STYLE.valueMono, flow.width - labelWidth],
    ]);
  }
  flow.y += 6;
}

function drawGridRow(flow: PageFlow, cells: [string, TextStyle, number][]): void {
  const { canvas } = flow;
  const prepared = cells.map(([value, style, width]) => {
    const shown = canvas.prepare(value, style);
    return { shown, style, width, height: canvas.height(shown, style, width - 6) };
  });
  const height = Math.max(...prepared.map((c) => c.height)) + 2;
  flow.ensure(height);
  let x = flow.left;
  for (const cell of prepared) {
    canvas.text(cell.shown, cell.style, x, flow.y, cell.width - 6, cell.height);
    x += cell.width;
  }
  flow.y += height;
}

function drawVerdict(flow: PageFlow, vm: ViewModel): void {
  const { canvas } = flow;
  const sentenceStyle: TextStyle = { ...STYLE.sentence, color: STATUS_COLOR[vm.status] };
  for (const [value, style, after] of [
    [`${statusLabel(vm.status)}: ${vm.statusSentence}`, sentenceStyle, 3],
    [vm.signatureNotice, STYLE.notice, 10],
  ] as const) {
    const shown = canvas.prepare(value, style);
    const height = canvas.height(shown, style, flow.width);
    flow.ensure(height);
    canvas.text(shown, style, flow.left, flow.y, flow.width, height);
    flow.y += height + after;
  }
}

/** The key figures as a grid of tiles, five to a row. */
function drawKeyFigures(flow: PageFlow, vm: ViewModel): void {
  const { canvas } = flow;
  const perRow = 5;
  const gap = 6;
  const tileWidth = (flow.width - gap * (perRow - 1)) / perRow;
  const inner = tileWidth - 12;
  for (let start = 0; start < vm.keyFigures.length; start += perRow) {
    const tiles = vm.keyFigures.slice(start, start + perRow).map(({ label, value }) => {
      const shownValue = canvas.prepare(cellText(value, vm.timezone), STYLE.figureValue);
      const shownLabel = canvas.prepare(label, STYLE.figureLabel);
      const valueHeight = canvas.height(shownValue, STYLE.figureValue, inner);
      const labelHeight = canvas.height(shownLabel, STYLE.figureLabel, inner);
      return { shownValue, shownLabel, valueHeight, labelHeight };
    });
    const height = Math.max(...tiles.map((t) => t.valueHeight + t.labelHeight)) + 10;
    flow.ensure(height);
    tiles.forEach((tile, i) => {
      const x = flow.left + i * (tileWidth + gap);
      canvas.rect(x, flow.y, tileWidth, height, INK.panel);
      canvas.text(tile.shownValue, STYLE.figureValue, x + 6, flow.y + 5, inner, tile.valueHeight);
      canvas.text(tile.shownLabel, STYLE.figureLabel, x + 6, flow.y + 5 + tile.valueHeight, inner, tile.labelHeight);
    });
    flow.y += height + gap;
  }
  flow.y += 6;
}

/** Failed and warned controls and open incidents, as a small table in the same style as the sections. */
function drawAttention(flow: PageFlow, vm: ViewModel, ctx: TableContext): void {
  const status = (value: 'fail' | 'warn' | 'open'): Cell => ({ kind: 'status', value });
  const text = (value: string | null): Cell => ({ kind: 'text', value });
  const rows: Cell[][] = [
    ...vm.failedControls.map((c) => [status('fail'), text(`${c.title} (${c.id})`), text(c.detail)]),
    ...vm.warnedControls.map((c) => [status('warn'), text(`${c.title} (${c.id})`), text(c.detail)]),
    ...vm.openIncidents.map((i) => [status('open'), text(`${i.id}: ${i.rule} (${i.severity})`), text(i.summary)]),
  ];
  const shown = rows.slice(0, ATTENTION_ROWS);
  const omitted = rows.length - shown.length;
  const table: Table = {
    id: 'attention',
    caption: 'Needs attention',
    columns: [
      { label: 'Status', align: 'left', weight: 0.7 },
      { label: 'Control or incident', align: 'left', weight: 1.8 },
      { label: 'Detail', align: 'left', weight: 3.5 },
    ],
    rows: shown,
    total: rows.length,
    omitted,
    omittedNote: omitted > 0 ? `${omitted} more are listed under Safeguards and Security incidents.` : null,
    emptyText: 'Nothing: every control passed and no incident is open.',
  };
  drawTable(flow, table, ctx);
  flow.y += 10;
}
