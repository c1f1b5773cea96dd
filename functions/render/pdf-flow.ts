/// <reference types="pdfkit" />
import type { Canvas } from './pdf-canvas.js';
import { CONTENT, INK, PAGE, STYLE } from './pdf-theme.js';

export interface FooterText {
  /** Company and title. */
  left: string;
  /** The period, from – to in the report's time zone. */
  period: string;
}

/**
 * The vertical cursor of the body and the page breaks. Pages are started only here, and each gets its footer
 * before the next one starts: the total is known up front (from the counting pass), so no page has to stay in
 * memory to be numbered later.
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
    readonly canvas: Canvas,
    private readonly footer: FooterText,
    /** Null in the counting pass, which starts no real page. */
    private readonly totalPages: number | null,
  ) {}

  newPage(): void {
    this.#finishPage();
    this.canvas.addPage({ size: PAGE.size, margin: PAGE.margin });
    this.pageNumber += 1;
    this.y = CONTENT.top;
  }

  /** Ends the last page; call once, after the last content. */
  finish(): void {
    this.#finishPage();
    if (this.canvas.painting) this.canvas.flush();
  }

  /** Starts a new page unless `height` fits below the cursor (or the page is still empty); says whether it did. */
  ensure(height: number): boolean {
    if (this.y + height <= this.bottom || this.y === CONTENT.top) return false;
    this.newPage();
    return true;
  }

  gap(points: number): void {
    // Space at the top of a page only pushes content down for nothing.
    if (this.y > CONTENT.top) this.y = Math.min(this.y + points, this.bottom);
  }

  /** The footer goes in last, so that text extracted in content order reads the page body first. */
  #finishPage(): void {
    const { canvas } = this;
    if (!canvas.painting || this.pageNumber === 0) return;
    const ruleY = PAGE.height - PAGE.margin - PAGE.footerHeight + 6;
    canvas.hline(this.left, this.left + this.width, ruleY, INK.rule, 0.5);

    const pageLabel = `Page ${this.pageNumber} of ${this.totalPages ?? '?'}`;
    const lineY = ruleY + 4;
    const pageWidth = canvas.width(pageLabel, STYLE.footerStrong);
    const lineHeight = canvas.lineHeight(STYLE.footer);
    const leftWidth = this.width - pageWidth - 12;
    const left = canvas.fit(canvas.prepare(this.footer.left, STYLE.footer), STYLE.footer, leftWidth, lineHeight);
    const period = canvas.fit(canvas.prepare(this.footer.period, STYLE.footer), STYLE.footer, this.width, lineHeight);
    canvas.text(left, STYLE.footer, this.left, lineY, leftWidth, lineHeight);
    canvas.text(pageLabel, STYLE.footerStrong, this.left + this.width - pageWidth, lineY, pageWidth, lineHeight);
    canvas.text(period, STYLE.footer, this.left, lineY + lineHeight, this.width, lineHeight);
  }
}
