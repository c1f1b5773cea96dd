import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { InputError, TemplateRenderError, errorMessage } from '../errors.js';
import { NOT_RECORDED, cellText, formatDuration, formatNumber, formatTime, statusLabel } from './format.js';
import type { Cell, Status } from './view-model-types.js';

/**
 * The Handlebars templates of every document: the built-in folder, overlaid by the operator's folder (a file of
 * the same name replaces the built-in one, partials too). Data is only ever inserted escaped: helpers that
 * return markup build it from a fixed vocabulary and escape every value they put in it.
 */
export interface Templates {
  /** Renders a top-level template (`report.hbs`, `email.html.hbs`, `email.txt.hbs`) with its context. */
  render(name: string, context: object): string;
  /** Top-level template and partial names, each with the file it was read from. */
  readonly files: ReadonlyMap<string, string>;
}

export interface TemplateFolders {
  /** The operator's folder (config `templates`); its files replace built-in ones of the same name. */
  operatorDir?: string | null;
  /** The built-in folder; found next to the package when not given. */
  builtinDir?: string;
}

type Env = typeof Handlebars;
/** `.txt.hbs` templates feed a text/plain part: escaping HTML there would show `&amp;` to the reader. */
type Mode = 'html' | 'text';

interface SourceFile {
  kind: 'template' | 'partial';
  /** `report.hbs` for a template; `header` or `sub/name` for `partials/header.hbs`, `partials/sub/name.hbs`. */
  name: string;
  path: string;
  source: string;
  fromOperator: boolean;
}

const RUNTIME_OPTIONS: Handlebars.RuntimeOptions = {
  // Handlebars' defaults since 4.6, stated so no caller can turn prototype access on by accident.
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
};

export async function loadTemplates(folders: TemplateFolders = {}): Promise<Templates> {
  const builtinDir = folders.builtinDir ?? findBuiltinTemplatesDir();
  const files = new Map<string, SourceFile>();
  for (const file of await readFolder(builtinDir, false)) files.set(key(file), file);
  if (folders.operatorDir) {
    for (const file of await readFolder(folders.operatorDir, true)) files.set(key(file), file);
  }

  const templates = [...files.values()].filter((f) => !isPartial(f));
  const partials = [...files.values()].filter(isPartial);
  const partialNames = new Set(partials.map((p) => p.name));
  for (const file of files.values()) checkTemplate(file, partialNames);

  const envs: Record<Mode, Env> = { html: createEnv('html'), text: createEnv('text') };
  for (const mode of ['html', 'text'] as const) {
    for (const partial of partials) envs[mode].registerPartial(partial.name, compile(envs[mode], partial, mode));
  }
  const compiled = new Map(templates.map((t) => [t.name, compile(envs[modeOf(t.name)], t, modeOf(t.name))]));

  return {
    files: new Map([...files.values()].map((f) => [isPartial(f) ? `partials/${f.name}` : f.name, f.path])),
    render(name, context) {
      const template = compiled.get(name);
      if (!template)
        throw new Error(
          `There is no template ${name} (looked in ` +
            `${builtinDir}${folders.operatorDir ? ` and ${folders.operatorDir}` : ''}).`,
        );
      return template(context, RUNTIME_OPTIONS);
    },
  };
}

/** The `templates` folder of the package, whether this module runs from `functions/render` or `dist/render`. */
export function findBuiltinTemplatesDir(start = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'templates');
    if (existsSync(join(candidate, 'report.hbs'))) return candidate;
    if (dirname(dir) === dir)
      throw new Error(`The built-in templates folder (templates/report.hbs) was not found above ${start}.`);
  }
}

const key = (f: SourceFile) => `${f.kind}:${f.name}`;
const isPartial = (f: SourceFile) => f.kind === 'partial';
const modeOf = (name: string): Mode => (name.endsWith('.txt.hbs') ? 'text' : 'html');

/** Top-level `*.hbs` files are templates; `partials/**\/*.hbs` are partials named by their path without `.hbs`. */
async function readFolder(dir: string, fromOperator: boolean): Promise<SourceFile[]> {
  const fail = (message: string) => (fromOperator ? new InputError(message) : new Error(message));
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw fail(`The templates folder ${dir} does not exist or is not a folder.`);
  const out: SourceFile[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.hbs')) {
      const path = resolve(dir, entry.name);
      out.push({ kind: 'template', name: entry.name, path, source: await readFile(path, 'utf8'), fromOperator });
    }
  }
  const partialsDir = join(dir, 'partials');
  if (existsSync(partialsDir)) {
    for (const path of await listHbs(partialsDir)) {
      const name = relative(partialsDir, path)
        .split(sep)
        .join('/')
        .replace(/\.hbs$/, '');
      out.push({ kind: 'partial', name, path: resolve(path), source: await readFile(path, 'utf8'), fromOperator });
    }
  }
  return out;
}

async function listHbs(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await listHbs(path)));
    else if (entry.isFile() && entry.name.endsWith('.hbs')) found.push(path);
  }
  return found.sort();
}

/**
 * Fails at load time, naming the file, rather than halfway through a report: syntax errors, and static partial
 * references (`{{> name}}`) to partials that exist nowhere. Dynamic partial names can only fail at render time.
 */
function checkTemplate(file: SourceFile, partials: Set<string>): void {
  const fail = (message: string) =>
    file.fromOperator
      ? new InputError(`Template ${file.path}: ${message}`)
      : new Error(`Built-in template ${file.path}: ${message}`);
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(file.source);
    // Parsing alone misses some errors that only the code generator raises; precompile runs both.
    Handlebars.precompile(file.source, { strict: true });
  } catch (err) {
    throw fail(errorMessage(err));
  }
  const inline = new Set<string>();
  const used: { name: string; line: number; hasFallback: boolean }[] = [];
  walk(ast, (node) => {
    if (node.type === 'DecoratorBlock' && pathName(node.path) === 'inline') {
      const name = literalOrPath(node.params?.[0]);
      if (name) inline.add(name);
    }
    if (node.type === 'PartialStatement' || node.type === 'PartialBlockStatement') {
      const name = literalOrPath(node.name);
      if (name)
        used.push({ name, line: node.loc?.start?.line ?? 0, hasFallback: node.type === 'PartialBlockStatement' });
    }
  });
  for (const ref of used) {
    if (!ref.hasFallback && !partials.has(ref.name) && !inline.has(ref.name)) {
      throw fail(
        `line ${ref.line} uses the partial "${ref.name}", which is neither built in nor in the operator's ` +
          'partials folder.',
      );
    }
  }
}

interface AnyNode {
  type?: string;
  path?: AnyNode;
  name?: AnyNode;
  params?: AnyNode[];
  original?: unknown;
  value?: unknown;
  data?: boolean;
  loc?: { start?: { line?: number } };
}

function walk(node: unknown, visit: (node: AnyNode) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as AnyNode;
  if (typeof n.type === 'string') visit(n);
  for (const [k, child] of Object.entries(node))
    if (k !== 'loc' && child && typeof child === 'object') walk(child, visit);
}

function pathName(node: AnyNode | undefined): string | null {
  return node?.type === 'PathExpression' && !node.data && typeof node.original === 'string' ? node.original : null;
}

function literalOrPath(node: AnyNode | undefined): string | null {
  if (node?.type === 'StringLiteral' && typeof node.value === 'string') return node.value;
  return pathName(node);
}

/** Compiles strictly (a misspelled field throws instead of printing nothing) and names the file in render errors. */
function compile(env: Env, file: SourceFile, mode: Mode): Handlebars.TemplateDelegate {
  const template = env.compile(file.source, { strict: true, noEscape: mode === 'text' });
  const named: Handlebars.TemplateDelegate = (context, options) => {
    try {
      return template(context, options);
    } catch (err) {
      if (err instanceof TemplateRenderError) throw err;
      throw new TemplateRenderError(`Template ${file.path}: ${errorMessage(err)}`, { cause: err });
    }
  };
  return named;
}

// ---- helpers ------------------------------------------------------------------------------------------------

const BADGE_CLASSES: Record<Status, string> = {
  pass: 'badge-pass',
  fail: 'badge-fail',
  warn: 'badge-warn',
  'not-applicable': 'badge-na',
  ok: 'badge-ok',
  refused: 'badge-refused',
  open: 'badge-open',
  resolved: 'badge-resolved',
  admin: 'badge-admin',
  'read-only': 'badge-read-only',
  'not-read-only': 'badge-not-read-only',
};

/** For email clients, which drop `<style>`: the same badges as inline styles, dark text readable without colour. */
const BADGE_INLINE_STYLES: Record<Status, string> = {
  pass: 'color:#116329;background:#dafbe1;border:1px solid #116329',
  fail: 'color:#8a1111;background:#ffebe9;border:2px solid #8a1111',
  warn: 'color:#6b4500;background:#fff4d6;border:1px dashed #6b4500',
  'not-applicable': 'color:#444c56;background:#f0f2f4;border:1px dotted #444c56',
  ok: 'color:#116329;background:#dafbe1;border:1px solid #116329',
  refused: 'color:#8a1111;background:#ffebe9;border:2px solid #8a1111',
  open: 'color:#8a1111;background:#ffebe9;border:2px solid #8a1111',
  resolved: 'color:#116329;background:#dafbe1;border:1px solid #116329',
  admin: 'color:#6b4500;background:#fff4d6;border:1px dashed #6b4500',
  'read-only': 'color:#116329;background:#dafbe1;border:1px solid #116329',
  'not-read-only': 'color:#8a1111;background:#ffebe9;border:2px solid #8a1111',
};

const BADGE_BASE_STYLE =
  'display:inline-block;padding:1px 6px;border-radius:3px;font-weight:bold;font-size:12px;letter-spacing:0.03em';

const isStatus = (value: unknown): value is Status => typeof value === 'string' && Object.hasOwn(BADGE_CLASSES, value);

function createEnv(mode: Mode): Env {
  const env = Handlebars.create();
  const escaped = (value: string) => (mode === 'html' ? env.escapeExpression(value) : value);
  const markup = (html: string) => (mode === 'html' ? new env.SafeString(html) : html);

  env.registerHelper('time', (...args: unknown[]) => {
    const {
      values: [iso],
      options,
    } = helperArgs('time', args, 1);
    if (iso === null) return NOT_RECORDED;
    return formatTime(expectString('time', iso), timezoneOf('time', options));
  });
  env.registerHelper('number', (...args: unknown[]) =>
    formatNumber(expectNumber('number', helperArgs('number', args, 1).values[0])),
  );
  env.registerHelper('duration', (...args: unknown[]) =>
    formatDuration(expectNumber('duration', helperArgs('duration', args, 1).values[0])),
  );
  env.registerHelper('eq', (...args: unknown[]) => {
    const {
      values: [a, b],
    } = helperArgs('eq', args, 2);
    return a === b;
  });
  /** `{{widthPercent weight ../columns}}`: a column's share of the table, from the view model's relative weights. */
  env.registerHelper('widthPercent', (...args: unknown[]) => {
    const {
      values: [weight, columns],
    } = helperArgs('widthPercent', args, 2);
    const weights = Array.isArray(columns) ? columns.map((c: { weight?: unknown }) => c?.weight) : [];
    const total = weights.reduce<number>((sum, w) => sum + (typeof w === 'number' && w > 0 ? w : 0), 0);
    const share = expectNumber('widthPercent', weight);
    if (total <= 0 || share <= 0)
      throw new Error('{{widthPercent}} needs a positive weight and the columns it belongs to.');
    return `${((share / total) * 100).toFixed(2)}%`;
  });
  /** `{{badge status}}`; `{{badge status inline=true}}` styles it inline (email). */
  env.registerHelper('badge', (...args: unknown[]) => {
    const {
      values: [status],
      options,
    } = helperArgs('badge', args, 1);
    if (mode === 'text') return isStatus(status) ? statusLabel(status) : String(status);
    return markup(badgeHtml(status, options.hash.inline === true, escaped));
  });
  env.registerHelper('cell', (...args: unknown[]) => {
    const {
      values: [cell],
      options,
    } = helperArgs('cell', args, 1);
    const checked = expectCell(cell);
    const tz = timezoneOf('cell', options);
    if (mode === 'text') return cellText(checked, tz);
    return markup(cellHtml(checked, tz, escaped, options.hash.inline === true));
  });
  return env;
}

/**
 * Handlebars passes a missing field to a helper as `undefined` even in strict mode, and the options object in
 * place of a missing argument; both are template mistakes, so they throw instead of printing `undefined`.
 */
function helperArgs(
  helper: string,
  args: unknown[],
  count: number,
): { values: unknown[]; options: Handlebars.HelperOptions } {
  const options = args[args.length - 1] as Handlebars.HelperOptions;
  const values = args.slice(0, -1);
  if (values.length !== count)
    throw new Error(`{{${helper}}} takes ${count} argument${count === 1 ? '' : 's'}, got ${values.length}.`);
  const missing = values.indexOf(undefined);
  if (missing >= 0) throw new Error(`{{${helper}}}: argument ${missing + 1} is undefined (a misspelled field?).`);
  return { values, options };
}

function timezoneOf(helper: string, options: Handlebars.HelperOptions): string {
  const fromHash: unknown = options.hash.tz;
  const fromRoot: unknown = (options.data as { root?: { timezone?: unknown } } | undefined)?.root?.timezone;
  const tz = fromHash ?? fromRoot;
  if (typeof tz !== 'string')
    throw new Error(`{{${helper}}} needs the report's time zone: the context has no "timezone" (or pass tz=…).`);
  return tz;
}

function expectString(helper: string, value: unknown): string {
  if (typeof value !== 'string') throw new Error(`{{${helper}}} expects text, got ${typeof value}.`);
  return value;
}

function expectNumber(helper: string, value: unknown): number {
  if (typeof value !== 'number') throw new Error(`{{${helper}}} expects a number, got ${typeof value}.`);
  return value;
}

const CELL_KINDS = new Set(['text', 'code', 'number', 'time', 'duration', 'status', 'list']);

function expectCell(value: unknown): Cell {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !CELL_KINDS.has(kind))
    throw new Error('{{cell}} expects a table cell of the view model.');
  return value as Cell;
}

function badgeHtml(status: unknown, inline: boolean, escaped: (s: string) => string): string {
  const known = isStatus(status);
  const label = escaped(known ? statusLabel(status) : String(status));
  if (inline) {
    const style = known ? BADGE_INLINE_STYLES[status] : 'border:1px solid #444c56';
    return `<span style="${BADGE_BASE_STYLE};${style}">${label}</span>`;
  }
  return `<span class="badge ${known ? BADGE_CLASSES[status] : 'badge-unknown'}">${label}</span>`;
}

function cellHtml(cell: Cell, tz: string, escaped: (s: string) => string, inline: boolean): string {
  const text = escaped(cellText(cell, tz));
  switch (cell.kind) {
    case 'status':
      return badgeHtml(cell.value, inline, escaped);
    case 'code':
      return cell.value === null ? `<span class="none">${text}</span>` : `<code>${text}</code>`;
    case 'text':
    case 'time':
      return cell.value === null ? `<span class="none">${text}</span>` : text;
    case 'list':
      if (cell.values.length === 0) return `<span class="none">${text}</span>`;
      // One span per value, so a line breaks between names rather than inside one where it can.
      return (
        cell.values.map((v) => `<span class="item">${escaped(v)}</span>`).join(', ') +
        (cell.more ? ', <span class="more">…</span>' : '')
      );
    case 'number':
    case 'duration':
      return text;
  }
}
