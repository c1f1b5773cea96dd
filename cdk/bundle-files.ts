import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { INGEST_WORKER_BUNDLE } from '../functions/ingest/ingest.js';

/**
 * What the esbuild bundle cannot hold and the handler reads from disk at run time, laid out so the code finds it
 * exactly as it does in the repository:
 * - `templates/` next to index.mjs: functions/render/templates.ts walks up from the module's folder to it;
 * - `node_modules/dejavu-fonts-ttf/` (package.json and the four fonts the PDF embeds): functions/render/pdf-fonts.ts
 *   resolves that package from the module, so no environment variable or code change is needed;
 * - `ingest-worker.mjs` next to index.mjs: the ingest worker (functions/ingest/worker.ts), bundled on its own;
 * - `node_modules/pdfkit` and every package it needs, unbundled: pdfkit 0.20 locates its data files with
 *   `import.meta.url` and loads its standard fonts through its package `imports` map (`#standard-fonts/*`), both of
 *   which stop resolving once esbuild has inlined it into index.mjs.
 */
export const PDF_FONT_FILES = [
  'DejaVuSans.ttf',
  'DejaVuSans-Bold.ttf',
  'DejaVuSans-Oblique.ttf',
  'DejaVuSansMono.ttf',
] as const;

/**
 * Bundled CommonJS packages still call require() for Node built-ins (handlebars, xray; in the ingest worker nkeys'
 * tweetnacl asks for `crypto`), which esbuild's ESM output cannot do without a `require` of its own: each bundle
 * starts with one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __soxCreateRequire } from 'node:module'; " +
  'const require = __soxCreateRequire(import.meta.url);';

/** Imported at run time from the bundle's node_modules (installed by afterBundling), not inlined. */
export const UNBUNDLED_PACKAGES = ['pdfkit'] as const;

export interface BundleFilesOptions {
  /** The repository root: templates/ and node_modules/ are here. */
  projectRoot: string;
  /** Copied into the bundle as `operator/` (the configuration's logo and templates name files in it). */
  operatorFilesDir?: string | null;
  /**
   * Whether the function renders documents (true unless given): the templates, the fonts, pdfkit and the operator's
   * files. A function that renders none (attest, the fan-out's slice step) loads none of them.
   */
  renders?: boolean;
  /** Whether the function replays NATS (true unless given): the ingest worker. */
  replays?: boolean;
}

/** The shell commands (bash, run from the project root) that complete an esbuild output folder. */
export function bundleFileCommands(options: BundleFilesOptions, outputDir: string): string[] {
  const root = options.projectRoot;
  const out = (...parts: string[]) => path.join(outputDir, ...parts);
  const fontsPackage = resolvePackageDir('dejavu-fonts-ttf', root);
  const commands: string[] = [];
  if (options.replays ?? true)
    // The ingest worker runs in a thread of its own: its entry is a second bundle beside index.mjs.
    commands.push(
      `${q(path.join(root, 'node_modules', '.bin', 'esbuild'))} ` +
        `${q(path.join(root, 'functions', 'ingest', 'worker.ts'))} --bundle --platform=node --format=esm ` +
        `--target=node22 --log-level=warning --banner:js=${q(ESM_REQUIRE_BANNER)} ` +
        `--outfile=${q(out(INGEST_WORKER_BUNDLE))}`,
    );
  if (!(options.renders ?? true)) return commands;
  commands.push(
    `cp -R ${q(path.join(root, 'templates'))} ${q(out('templates'))}`,
    `rm -f ${q(out('templates', 'README.md'))}`,
    `mkdir -p ${q(out('node_modules', 'dejavu-fonts-ttf', 'ttf'))}`,
    `cp ${q(path.join(fontsPackage, 'package.json'))} ${q(path.join(fontsPackage, 'LICENSE'))} ` +
      `${q(out('node_modules', 'dejavu-fonts-ttf'))}/`,
    ...PDF_FONT_FILES.map(
      (font) =>
        `cp ${q(path.join(fontsPackage, 'ttf', font))} ${q(out('node_modules', 'dejavu-fonts-ttf', 'ttf', font))}`,
    ),
  );
  for (const dir of topLevelPackageDirs(dependencyClosure(UNBUNDLED_PACKAGES, root), root)) {
    const target = out(path.relative(root, dir));
    commands.push(`mkdir -p ${q(path.dirname(target))}`, `cp -R ${q(dir)} ${q(target)}`);
  }
  // Source maps and TypeScript sources of those packages are a third of their size and never loaded.
  commands.push(`find ${q(out('node_modules'))} -type f \\( -name '*.map' -o -name '*.ts' \\) -delete`);
  if (options.operatorFilesDir) {
    const from = path.resolve(root, options.operatorFilesDir);
    if (!existsSync(from)) throw new Error(`context operatorFilesDir: ${from} does not exist`);
    commands.push(`cp -R ${q(from)} ${q(out('operator'))}`);
  }
  return commands;
}

/**
 * The folder of every package `roots` need at run time (dependencies and optional dependencies, transitively),
 * resolved the way Node resolves them: from the requiring package's folder upwards through node_modules.
 */
export function dependencyClosure(roots: readonly string[], projectRoot: string): string[] {
  const found = new Set<string>();
  const queue: [name: string, from: string][] = roots.map((name) => [name, projectRoot]);
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [name, from] = next;
    const dir = resolvePackageDir(name, from);
    if (found.has(dir)) continue;
    found.add(dir);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      if (manifest.optionalDependencies?.[dep] && !tryResolvePackageDir(dep, dir)) continue;
      queue.push([dep, dir]);
    }
  }
  return [...found].sort();
}

/**
 * The packages directly under `<root>/node_modules`: copying those whole carries their nested node_modules, and a
 * nested package can only be reached from inside its parent, which is then in the closure too.
 */
export function topLevelPackageDirs(dirs: readonly string[], projectRoot: string): string[] {
  const modules = path.join(projectRoot, 'node_modules');
  return dirs.filter((dir) => {
    const parts = path.relative(modules, dir).split(path.sep);
    return parts[0] !== '..' && !parts.includes('node_modules') && parts.length === (parts[0]?.startsWith('@') ? 2 : 1);
  });
}

function resolvePackageDir(name: string, from: string): string {
  const dir = tryResolvePackageDir(name, from);
  if (!dir)
    throw new Error(
      `The Lambda bundle needs the package ${name}, which is not installed (looked up from ${from}); run npm ci`,
    );
  return dir;
}

function tryResolvePackageDir(name: string, from: string): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

/** Single-quotes a word for bash. */
function q(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
