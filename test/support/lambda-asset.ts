import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface HandlerAsset {
  /** The asset folder CDK staged as the function's code. */
  dir: string;
  /** The bundle's entry file inside it (index.mjs for `index.handler`). */
  entryFile: string;
  /** The function's Lambda handler setting, such as `index.handler`. */
  handler: string;
  /** The function's environment as the template sets it: text, or a CloudFormation expression (Ref, Fn::Join…). */
  environment: Record<string, unknown>;
}

interface TemplateFunction {
  Type: string;
  Properties?: { Handler?: string; Code?: { S3Key?: unknown }; Environment?: { Variables?: Record<string, unknown> } };
}

/**
 * Synthesizes the project's CDK stack (cdk/build-app.ts, configured from default context) into `outdir`, bundling
 * the functions with the locally installed esbuild exactly as `npx cdk synth` does, and returns the asset folder
 * of every Lambda function whose entry file contains one of `markers` (by marker).
 */
export async function synthesizeHandlerAssets<M extends string>(
  projectRoot: string,
  outdir: string,
  markers: readonly M[],
): Promise<Record<M, HandlerAsset>> {
  // Loaded here, not at the top: aws-cdk-lib takes seconds to import and only this test needs it.
  const { App } = await import('aws-cdk-lib');
  const { addSoxReportsStack } = await import('../../cdk/build-app.js');
  const app = new App({ outdir });
  // The app `npx cdk synth` builds (cdk/app.ts), feature flags and cdk-nag included, with default context.
  const stack = addSoxReportsStack(app, projectRoot);
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, TemplateFunction> };

  const found = new Map<M, HandlerAsset>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const key = resource.Properties?.Code?.S3Key;
    const handler = resource.Properties?.Handler;
    // CDK names a file asset's object "<hash>.zip" and stages its folder as "asset.<hash>" in the assembly.
    if (typeof key !== 'string' || !key.endsWith('.zip') || !handler) continue;
    const dir = path.join(assembly.directory, `asset.${key.slice(0, -'.zip'.length)}`);
    const module = handler.slice(0, handler.lastIndexOf('.'));
    const entryFile = ['.mjs', '.js', '.cjs']
      .map((ext) => `${module}${ext}`)
      .find((file) => existsSync(path.join(dir, file)));
    if (!entryFile) continue;
    const source = await readFile(path.join(dir, entryFile), 'utf8');
    for (const marker of markers)
      if (source.includes(marker))
        found.set(marker, { dir, entryFile, handler, environment: resource.Properties?.Environment?.Variables ?? {} });
  }
  const missing = markers.filter((m) => !found.has(m));
  if (missing.length > 0) throw new Error(`no Lambda function of the synthesized stack bundles ${missing.join(', ')}`);
  return Object.fromEntries(found) as Record<M, HandlerAsset>;
}

/**
 * The environment a function gets on AWS, with the values CloudFormation resolves at deploy time (names and
 * ARNs of resources) replaced by the test's stand-ins; every such variable must have one, so a variable the stack
 * adds or renames fails here rather than being silently dropped.
 */
export function resolvedEnvironment(asset: HandlerAsset, standIns: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(asset.environment)) {
    if (typeof value === 'string') env[name] = value;
    else if (standIns[name] !== undefined) env[name] = standIns[name];
    else throw new Error(`the stack sets ${name} to ${JSON.stringify(value)}, which the test has no stand-in for`);
  }
  return env;
}
