import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { InputError } from '../errors.js';
import type { Branding } from './view-model-types.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The configuration's branding with its logo read and checked: a PNG, not anything a path happens to name.
 * `locate` says where a configured file is (on Lambda, relative to the task root, where the deployment puts it).
 */
export async function loadBranding(
  branding: Config['branding'],
  locate: (file: string) => string = (file) => file,
): Promise<Branding> {
  const { company, title, accent } = branding;
  let logoPng: Uint8Array | null = null;
  if (branding.logo) {
    const logo = locate(branding.logo);
    let bytes: Buffer;
    try {
      bytes = await readFile(logo);
    } catch (err) {
      throw new InputError(`branding.logo: cannot read ${logo} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new InputError(`branding.logo: ${logo} is not a PNG file`);
    logoPng = new Uint8Array(bytes);
  }
  return { company: company ?? null, title, accent, logoPng };
}
