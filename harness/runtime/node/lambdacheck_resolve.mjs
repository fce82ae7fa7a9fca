// lambdacheck's module resolution hook for ES modules (installed by lambdacheck_runtime.mjs).
// Node's ESM resolution ignores NODE_PATH; Lambda's Node.js 18+ runtimes let an ES module import
// packages from a layer's nodejs/node_modules (and nodejs/nodeNN/node_modules) and from the SDK in
// /var/runtime/node_modules
// (https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths).
// A bare specifier Node cannot resolve from the importing module (the function's own
// node_modules first, unchanged) is looked for in those folders, in NODE_PATH's order.
// Two forms: syncResolve for module.registerHooks() (Node >= 22.15, in-thread, cheap), and
// initialize/resolve for module.register() (older Nodes; its hook thread costs a cold start
// about 150 ms, so it is installed only when an ES module is loaded).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

let folders = [];

export async function initialize(data) {
  folders = data?.folders ?? [];
}

// "pkg" of "pkg/sub/path" and "@scope/pkg" of "@scope/pkg/sub", or null for relative, absolute
// and URL specifiers (and node: builtins).
function packageName(specifier) {
  if (/^(\.|\/|[a-z][a-z0-9+.-]*:)/i.test(specifier))
    return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

// The context to resolve specifier again with, from a NODE_PATH folder holding its package, or
// null. As if imported by a module in the package's folder: Node then finds it one level up.
function fallback(error, specifier, context, within) {
  const name = error?.code === 'ERR_MODULE_NOT_FOUND' ? packageName(specifier) : null;
  const folder = name && within.find((f) => fs.existsSync(path.join(f, name)));
  if (!folder)
    return null;
  return { ...context, parentURL: pathToFileURL(path.join(folder, name, 'importer.mjs')).href };
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const again = fallback(error, specifier, context, folders);
    if (!again)
      throw error;
    return nextResolve(specifier, again);
  }
}

export function syncResolve(within) {
  return (specifier, context, nextResolve) => {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      const again = fallback(error, specifier, context, within);
      if (!again)
        throw error;
      return nextResolve(specifier, again);
    }
  };
}
