import type { PageFlow } from './pdf-flow.js';
import { drawTable, tableLeadHeight, type TableContext } from './pdf-table.js';
import { STYLE, type TextStyle } from './pdf-theme.js';
import type { Section } from './view-model-types.js';

/** Room kept above a paragraph for its section's heading, so that a page holds both. */
const PARAGRAPH_HEADING_ROOM = 70;

/** The sections in checklist order, numbered so an auditor can cite "section 3". */
export function drawSections(flow: PageFlow, sections: Section[], ctx: TableContext): void {
  for (const [index, section] of sections.entries()) drawSection(flow, section, index + 1, ctx);
}

function drawSection(flow: PageFlow, section: Section, number: number, ctx: TableContext): void {
  const { canvas } = flow;
  const headingStyle: TextStyle = { ...STYLE.h2, color: ctx.accent };
  const heading = canvas.prepare(`${number}. ${section.title}`, headingStyle);
  const objective = canvas.prepare(section.objective, STYLE.objective);
  const headingHeight = canvas.height(heading, headingStyle, flow.width);
  const objectiveHeight = canvas.height(objective, STYLE.objective, flow.width);

  flow.gap(12);
  // A heading stays with what follows it: the first paragraph, or the start of the first table.
  const first = section.paragraphs[0];
  const lead =
    first !== undefined
      ? paragraphHeight(flow, first)
      : section.tables[0]
        ? tableLeadHeight(flow, section.tables[0], ctx)
        : 0;
  flow.ensure(Math.min(headingHeight + 4 + objectiveHeight + 5 + lead, flow.pageBodyHeight));
  canvas.text(heading, headingStyle, flow.left, flow.y, flow.width, headingHeight);
  flow.y += headingHeight + 1;
  canvas.hline(flow.left, flow.left + flow.width, flow.y, ctx.accent, 0.75);
  flow.y += 3;
  canvas.text(objective, STYLE.objective, flow.left, flow.y, flow.width, objectiveHeight);
  flow.y += objectiveHeight + 5;

  for (const paragraph of section.paragraphs) drawParagraph(flow, paragraph);
  section.tables.forEach((table, i) => {
    if (i > 0 || section.paragraphs.length > 0) flow.gap(6);
    drawTable(flow, table, ctx);
  });
}

/** A paragraph as drawn: cut (saying so) if it would not fit on a page below a heading. */
function shownParagraph(flow: PageFlow, paragraph: string): { shown: string; height: number } {
  const { canvas } = flow;
  const shown = canvas.prepare(paragraph, STYLE.paragraph);
  const height = canvas.height(shown, STYLE.paragraph, flow.width);
  const limit = flow.pageBodyHeight - PARAGRAPH_HEADING_ROOM;
  if (height <= limit) return { shown, height };
  const cut = canvas.fit(shown, STYLE.paragraph, flow.width, limit);
  return { shown: cut, height: canvas.height(cut, STYLE.paragraph, flow.width) };
}

function paragraphHeight(flow: PageFlow, paragraph: string): number {
  return shownParagraph(flow, paragraph).height;
}

function drawParagraph(flow: PageFlow, paragraph: string): void {
  const { shown, height } = shownParagraph(flow, paragraph);
  flow.ensure(height);
  flow.canvas.text(shown, STYLE.paragraph, flow.left, flow.y, flow.width, height);
  flow.y += height + 4;
}
