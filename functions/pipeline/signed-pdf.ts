/**
 * The report's PDF, signed: kept apart from the sealing of a bundle so that a function that only opens a bundle's
 * place or reads a slice (the fan-out's plan and slice steps, attest) does not load pdfkit and the templates.
 */
import { renderReportPdf } from '../render/pdf.js';
import type { ViewModel } from '../render/view-model-types.js';
import { addSignaturePlaceholder, signPdf } from '../seal/pdf-signature.js';
import type { Signer } from '../seal/signer.js';

export async function signedPdf(vm: ViewModel, signer: Signer): Promise<Uint8Array> {
  const unsigned = await renderReportPdf(vm, {
    beforeEnd: (doc) =>
      addSignaturePlaceholder(doc, {
        reason: `SOX control report for ${vm.period.heading}`,
        name: vm.branding.company ?? 'nats-sox-reports',
      }),
  });
  return signPdf(unsigned, signer);
}
