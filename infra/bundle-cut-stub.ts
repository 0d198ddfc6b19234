/**
 * What a module cut from a Lambda bundle (bundle-cuts.ts) becomes. Its importers still load: reading
 * any export at load time gives another stub, so `const { X } = require(...)`, `class Y extends X`
 * and `instanceof X` work as before. Calling or constructing anything, or listing its members
 * (`Object.assign(target, module)`), throws a BundleCutError naming the module and why it was cut,
 * and emits a process warning first, so a use whose error the driver swallows still shows in the
 * function's log and fails the bundle tests.
 */
export class BundleCutError extends Error {
  override readonly name = 'BundleCutError';
}

/** The warning code a called stub emits (tests listen for it). */
export const BUNDLE_CUT_WARNING = 'BUNDLE_CUT_CALLED';

export function cutModule(module: string, feature: string): unknown {
  return stub(module, module, feature);
}

function stub(module: string, path: string, feature: string): unknown {
  const members = new Map<string, unknown>();
  const fail = (): never => {
    const message = `${path} was called, but ${module} is cut from this bundle (infra/bundle-cuts.ts: ${feature}). Take the cut out if this code now needs it.`;
    process.emitWarning(message, { type: 'BundleCutWarning', code: BUNDLE_CUT_WARNING });
    throw new BundleCutError(message);
  };
  return new Proxy(function cut() {}, {
    get(_target, key) {
      // Probed by the language and the module system, never an export: `await`, interop, coercion,
      // instanceof and iteration see no such member and fall back to their defaults.
      if (typeof key === 'symbol' || key === 'then' || key === '__esModule') return undefined;
      if (!members.has(key)) members.set(key, stub(module, `${path}.${key}`, feature));
      return members.get(key);
    },
    apply: fail,
    construct: fail,
    ownKeys: fail,
  });
}
