/// <reference types="pdfkit" />
import { CONTENT, INK, PAGE, STYLE } from './pdf-theme.js';
import type { TextKit } from './pdf-text.js';

export interface FooterText {
  /** Company and title. */
  left: string;
  /** The period, from – to in the report's time zone. */
  period: string;
}

/**
 * The vertical cursor of the body and the page breaks. Pages are started only here, each with its footer drawn at
 * once: the total is known up front (from the counting pass), so no page has to stay in memory to be numbered
 * later.
 */
export class PageFlow {
  y: number = CONTENT.top;
  pageNumber = 0;
  readonly left = CONTENT.left;
  readonly width = CONTENT.width;
  readonly bottom = CONTENT.bottom;
  /** Body height of an empty page, for "does this fit anywhere at all". */
  readonly pageBodyHeight = CONTENT.bottom - CONTENT.top;

  constructor(
    readonly doc: PDFKit.PDFDocument,
    readonly text: TextKit,
    private readonly footer: FooterText,
    /** Null in the counting pass: its footers are drawn all the same, and discarded. */
    private readonly totalPages: number | null,
  ) {}

  get remaining(): number {
    return this.bottom - this.y;
  }

  newPage(): void {
    this.doc.addPage({ size: PAGE.size, margins: { top: PAGE.margin, left: PAGE.margin, right: PAGE.margin, bottom: PAGE.margin } });
    this.pageNumber += 1;
    this.y = CONTENT.top;
    this.#drawFooter();
  }

  /** Starts a new page unless `height` fits below the cursor; says whether it did. */
  ensure(height: number): boolean {
    if (this.y + height <= this.bottom || this.y === CONTENT.top) return false;
    this.newPage();
    return true;
  }

  gap(points: number): void {
    // Space at the top of a page only pushes content down for nothing.
    if (this.y > CONTENT.top) this.y = Math.min(this.y + points, this.bottom);
  }

  #drawFooter(): void {
    const { doc, text } = this;
    const ruleY = PAGE.height - PAGE.margin - PAGE.footerHeight + 6;
    doc.save();
    doc.lineWidth(0.5).strokeColor(INK.rule).moveTo(this.left, ruleY).lineTo(this.left + this.width, ruleY).stroke();
    doc.restore();

    const total = this.totalPages === null ? '?' : String(this.totalPages);
    const pageLabel = `Page ${this.pageNumber} of ${total}`;
    const lineY = ruleY + 4;
    const pageWidth = text.width(pageLabel, STYLE.footerStrong);
    const lineHeight = text.lineHeight(STYLE.footer);
    const leftWidth = this.width - pageWidth - 12;

    const left = text.prepare(this.footer.left, STYLE.footer);
    const period = text.prepare(this.footer.period, STYLE.footer);
    text.draw(text.fit(left, STYLE.footer, leftWidth, lineHeight), STYLE.footer, this.left, lineY, leftWidth, lineHeight);
    text.draw(pageLabel, STYLE.footerStrong, this.left + this.width - pageWidth, lineY, pageWidth, lineHeight);
    text.draw(text.fit(period, STYLE.footer, this.width, lineHeight), STYLE.footer, this.left, lineY + lineHeight, this.width, lineHeight);
  }
}
