/**
 * Resolving mesh references in a URDF: `package://pkg/rest`, `file:///abs`, absolute and relative paths.
 * Pure string logic with an injected `exists` check, so it runs in the browser (viewer) as well as Node.
 */

/** Join and normalise POSIX-style paths ('/a/b' + '../c' → '/a/c'). Windows separators are accepted. */
export function joinPath(...parts: string[]): string {
  const all = parts.filter((p) => p.length > 0).map((p) => p.replace(/\\/g, '/'));
  let start = 0;
  for (let i = all.length - 1; i >= 0; i--) if (isAbsolute(all[i]!)) {
    start = i;
    break;
  }
  const joined = all.slice(start).join('/');
  const abs = joined.startsWith('/');
  const out: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(seg);
  }
  return (abs ? '/' : '') + out.join('/');
}

export function isAbsolute(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p);
}

export function dirname(p: string): string {
  const n = p.replace(/\\/g, '/').replace(/\/+$/, '');
  const i = n.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return n.slice(0, i);
}

export function basename(p: string): string {
  const n = p.replace(/\\/g, '/').replace(/\/+$/, '');
  return n.slice(n.lastIndexOf('/') + 1);
}

/**
 * The folder a description's `package://` and relative paths resolve against: the parent of a `urdf/`
 * folder (ROS layout `pkg/urdf/robot.urdf` + `pkg/meshes/...`), otherwise the URDF's own folder.
 */
export function descriptionRoot(urdfPath: string): string {
  const dir = dirname(urdfPath);
  return basename(dir) === 'urdf' ? dirname(dir) : dir;
}

export interface ResolveOptions {
  /** Absolute path of the URDF file. */
  urdfPath: string;
  /** Explicit package folders, e.g. { go1_description: '/robots/go1' }. Checked first. */
  packageDirs?: Record<string, string>;
  /** File-existence check; without one every candidate is assumed to exist. */
  exists?: (path: string) => boolean;
}

export interface Resolved {
  /** Best candidate path (the first that exists, else the most likely one); null for unsupported schemes. */
  path: string | null;
  exists: boolean;
  /** Every candidate tried, for error messages. */
  tried: string[];
}

/**
 * Resolve a mesh URI. For `package://NAME/rest` the candidates are, in order: `packageDirs[NAME]/rest`;
 * an ancestor folder of the URDF that is named NAME; `<ancestor>/NAME/rest`; then `<description root>/rest`
 * and `<urdf folder>/rest` — the usual layout when a description was copied out of its ROS workspace.
 */
export function resolveUri(uri: string, opts: ResolveOptions): Resolved {
  const exists = opts.exists ?? (() => true);
  const urdfDir = dirname(opts.urdfPath);
  const tried: string[] = [];
  const pick = (cands: string[]): Resolved => {
    for (const c of cands) {
      tried.push(c);
      if (exists(c)) return { path: c, exists: true, tried };
    }
    return { path: cands[0] ?? null, exists: false, tried };
  };
  if (uri.startsWith('package://')) {
    const rest = uri.slice('package://'.length);
    const slash = rest.indexOf('/');
    const pkg = slash < 0 ? rest : rest.slice(0, slash);
    const sub = slash < 0 ? '' : rest.slice(slash + 1);
    const cands: string[] = [];
    const given = opts.packageDirs?.[pkg];
    if (given) cands.push(joinPath(given, sub));
    for (let d = urdfDir, i = 0; i < 6; i++) {
      if (basename(d) === pkg) cands.push(joinPath(d, sub));
      cands.push(joinPath(d, pkg, sub));
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
    cands.push(joinPath(descriptionRoot(opts.urdfPath), sub), joinPath(urdfDir, sub));
    // The description-root guess is the most useful one to report when nothing exists.
    const res = pick([...new Set(cands)]);
    if (!res.exists && !given) res.path = joinPath(descriptionRoot(opts.urdfPath), sub);
    return res;
  }
  if (uri.startsWith('file://')) return pick([uri.slice('file://'.length)]);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return { path: null, exists: false, tried };
  if (isAbsolute(uri)) return pick([uri]);
  return pick([joinPath(urdfDir, uri), joinPath(descriptionRoot(opts.urdfPath), uri)]);
}
