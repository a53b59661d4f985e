/**
 * Compares what is installed (uv's receipt) with what the settings ask for, so a changed
 * CARAPACE_SKYPILOT_SPEC or CARAPACE_PYTHON reinstalls instead of being ignored. Receipt
 * shape from uv (crates/uv-tool): `requirements = [{ name = "…", extras = ["aws"],
 * specifier = "==1.0" }, …]` and `python = "3.12"` when `--python` was given.
 */

/** PEP 503 name normalisation, as uv names tool environments. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The distribution a requirement names: `skypilot-nightly[aws]==1.0` → `skypilot-nightly`. */
export function packageNameOf(spec: string): string | null {
  const match = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[|[<>=!~;@ ]|$)/.exec(spec);
  return match?.[1] ? normalizeName(match[1]) : null;
}

export interface Requirement {
  name: string;
  extras: string[];
  specifier: string | null;
}

function canonical(req: Requirement): string {
  return `${req.name}${req.extras.length ? `[${req.extras.join(',')}]` : ''}${req.specifier ?? ''}`;
}

/** `skypilot-nightly[aws]==1.0` → its parts; null for URLs, paths and markers, which uv rewrites. */
export function parseSpec(spec: string): Requirement | null {
  const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*([<>=!~][^;@]*)?$/.exec(spec);
  if (!match?.[1]) return null;
  const extras = (match[2] ?? '').split(',').map((e) => normalizeName(e.trim())).filter(Boolean).sort();
  return { name: normalizeName(match[1]), extras, specifier: match[3]?.replace(/\s+/g, '') || null };
}

/** The receipt's first requirement (the tool itself) and its `python` request. */
export function parseReceipt(receipt: string): { requirement: Requirement | null; python: string | null } {
  const python = /^python\s*=\s*"([^"]+)"/m.exec(receipt)?.[1] ?? null;
  const first = /requirements\s*=\s*\[\s*\{([^}]*)\}/.exec(receipt)?.[1];
  if (!first) return { requirement: null, python };
  const name = /\bname\s*=\s*"([^"]+)"/.exec(first)?.[1];
  if (!name) return { requirement: null, python };
  const extras = [...(/\bextras\s*=\s*\[([^\]]*)\]/.exec(first)?.[1] ?? '').matchAll(/"([^"]+)"/g)]
    .map((m) => normalizeName(m[1]!))
    .sort();
  const specifier = /\bspecifier\s*=\s*"([^"]+)"/.exec(first)?.[1]?.replace(/\s+/g, '') ?? null;
  return { requirement: { name: normalizeName(name), extras, specifier }, python };
}

/** Why the installed tool is not what the settings ask for, or null when it is (or cannot be told). */
export function receiptDrift(receipt: string, spec: string, python: string): string | null {
  const wanted = parseSpec(spec);
  const installed = parseReceipt(receipt);
  if (wanted && installed.requirement && canonical(wanted) !== canonical(installed.requirement)) {
    return `installed as ${canonical(installed.requirement)}, but CARAPACE_SKYPILOT_SPEC asks for ${canonical(wanted)}`;
  }
  if (installed.python && installed.python !== python) {
    return `installed for Python ${installed.python}, but CARAPACE_PYTHON asks for ${python}`;
  }
  return null;
}
