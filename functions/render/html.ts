import { visibleDeep } from '../text/visible.js';
import type { Templates } from './templates.js';
import type { ViewModel } from './view-model-types.js';

export const DEFAULT_ACCENT = '#1f5f8b';

const HEX_COLOUR = /^#[0-9a-f]{6}$/i;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * What templates see: the view model, with branding reduced to values that are safe where templates put them, and
 * every text shown through `visible`. Handlebars escapes markup but passes a bidi override, which would let a user
 * named "\u202Enimda" read as "admin"; doing it here covers every field of every template, the operator's too.
 */
export interface TemplateContext extends Omit<ViewModel, 'branding'> {
  branding: {
    company: string | null;
    title: string;
    /** Checked again here although the config validates it: it goes into CSS, where HTML escaping does not help. */
    accent: string;
    /** `data:image/png;base64,…`, or null: the page fetches nothing, so the logo travels inside it. */
    logoDataUrl: string | null;
  };
}

export function templateContext(vm: ViewModel): TemplateContext {
  const { branding, ...rest } = vm;
  return visibleDeep({
    ...rest,
    branding: {
      company: branding.company,
      title: branding.title,
      accent: HEX_COLOUR.test(branding.accent) ? branding.accent : DEFAULT_ACCENT,
      logoDataUrl: logoDataUrl(branding.logoPng),
    },
  });
}

/** The self-contained report page (report.html): inline CSS, no script, nothing fetched. */
export function renderReportHtml(vm: ViewModel, templates: Templates): string {
  return templates.render('report.hbs', templateContext(vm));
}

/** Only bytes that are a PNG become an image; anything else would claim a type it is not. */
function logoDataUrl(png: Uint8Array | null): string | null {
  if (!png || png.length < PNG_SIGNATURE.length) return null;
  if (!PNG_SIGNATURE.every((byte, i) => png[i] === byte)) return null;
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}
