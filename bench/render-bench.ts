/**
 * `npx tsx bench/render-bench.ts`: how long the PDF of a heavy day takes, and how much memory it needs.
 *
 * Builds heavyReport(N) (N JetStream changes, N listed transactions and N unparseable events: 3N table rows) into a
 * view model that shows every row, renders the PDF once and prints one JSON line:
 *   { rows, tableRows, pages, renderSeconds, cpuSeconds, peakRssMB, maxRssMB, rssBeforeMB, bytes }
 * peakRssMB is sampled every 20 ms by a worker thread (the render itself is synchronous, so a timer on the main
 * thread would not fire during it); maxRssMB is the kernel's high-water mark for the whole process. cpuSeconds
 * (user + system, all threads) is less sensitive than renderSeconds to other work on a shared machine.
 * Targets on the 2-core development machine: renderSeconds ≤ 3 and peakRssMB ≤ 200 for N = 10000.
 *
 * Environment: BENCH_ROWS (N, default 10000), BENCH_OUT (write the PDF there, to look at it).
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { renderReportPdf } from '../functions/render/pdf.js';
import { buildViewModel } from '../functions/render/view-model.js';
import { heavyReport, SAMPLE_BRANDING } from '../test/support/sample-report.js';

const MB = 1024 * 1024;

/** Samples the process's RSS from a worker thread, which keeps running while the main thread renders. */
function startRssSampler(intervalMs: number): { stop: () => Promise<number> } {
  const source = `
    const { parentPort } = require('node:worker_threads');
    let peak = process.memoryUsage.rss();
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, ${intervalMs});
    parentPort.on('message', () => {
      clearInterval(timer);
      parentPort.postMessage(Math.max(peak, process.memoryUsage.rss()));
    });
  `;
  const worker = new Worker(source, { eval: true });
  return {
    stop: () =>
      new Promise<number>((resolve, reject) => {
        worker.once('message', (peak: number) => {
          void worker.terminate();
          resolve(peak);
        });
        worker.once('error', reject);
        worker.postMessage('stop');
      }),
  };
}

function pageCount(pdf: Uint8Array): number {
  const match = /\/Type \/Pages\s*\/Count (\d+)/.exec(
    Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).toString('latin1'),
  );
  if (!match) throw new Error('no page tree in the rendered PDF');
  return Number(match[1]);
}

async function main(): Promise<void> {
  const rows = Number(process.env.BENCH_ROWS ?? 10_000);
  const vm = buildViewModel(heavyReport(rows), { branding: SAMPLE_BRANDING, maxRows: rows, signed: true });
  const tableRows = vm.sections.reduce((n, s) => n + s.tables.reduce((m, t) => m + t.rows.length, 0), 0);

  const rssBefore = process.memoryUsage.rss();
  const sampler = startRssSampler(20);
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const pdf = await renderReportPdf(vm);
  const renderSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const peakRss = await sampler.stop();

  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, pdf);
  const round = (x: number, digits = 3) => Number(x.toFixed(digits));
  process.stdout.write(
    `${JSON.stringify({
      rows,
      tableRows,
      pages: pageCount(pdf),
      renderSeconds: round(renderSeconds),
      cpuSeconds: round((cpu.user + cpu.system) / 1e6),
      peakRssMB: round(peakRss / MB, 1),
      maxRssMB: round((process.resourceUsage().maxRSS * 1024) / MB, 1),
      rssBeforeMB: round(rssBefore / MB, 1),
      bytes: pdf.length,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
