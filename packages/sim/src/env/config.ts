/**
 * Task configs are typed plain objects. Variants are built by explicit deep-merge overrides, never by mutating a
 * shared default, and the fully resolved config is kept on the env so trainers can dump it into every run folder.
 */

export type DeepPartial<T> = T extends readonly (infer _U)[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * Deep-merge `overrides` into a deep copy of `base`. Plain objects merge key by key; arrays and scalars replace.
 * A key in the overrides that the base does not have is an error naming its path, so a typo never passes silently.
 */
export function mergeConfig<T>(base: T, overrides: DeepPartial<T> | undefined, path = 'config'): T {
  const out = structuredClone(base) as T;
  if (overrides === undefined || overrides === null) return out;
  mergeInto(out as Record<string, unknown>, overrides as Record<string, unknown>, path);
  return out;
}

function mergeInto(target: Record<string, unknown>, src: Record<string, unknown>, path: string): void {
  if (!isPlainObject(src)) throw new TypeError(`${path}: override must be an object, got ${JSON.stringify(src)}`);
  for (const [k, v] of Object.entries(src)) {
    if (v === undefined) continue;
    if (!(k in target)) {
      throw new TypeError(`${path}.${k}: unknown config key (known: ${Object.keys(target).join(', ')})`);
    }
    const cur = target[k];
    if (isPlainObject(cur)) {
      if (!isPlainObject(v)) throw new TypeError(`${path}.${k}: expected an object, got ${JSON.stringify(v)}`);
      mergeInto(cur, v, `${path}.${k}`);
    } else if (isPlainObject(v) && cur !== null && cur !== undefined) {
      throw new TypeError(`${path}.${k}: expected ${Array.isArray(cur) ? 'an array' : typeof cur}, got an object`);
    } else {
      if (cur !== null && cur !== undefined && typeof cur !== typeof v) {
        throw new TypeError(`${path}.${k}: expected ${typeof cur}, got ${typeof v} (${JSON.stringify(v)})`);
      }
      target[k] = structuredClone(v);
    }
  }
}

/** Deep-freeze a resolved config so nothing mutates it behind the trainer's back. */
export function freezeConfig<T>(cfg: T): T {
  if (cfg && typeof cfg === 'object' && !ArrayBuffer.isView(cfg)) {
    for (const v of Object.values(cfg as object)) freezeConfig(v);
    Object.freeze(cfg);
  }
  return cfg;
}
