/** Where a uv release archive can be fetched from, in the order to try. */
export interface ArchiveSource {
  base: string;
  url: string;
  sidecarUrl: string;
}

export function archiveName(triple: string): string {
  return `uv-${triple}.tar.gz`;
}

export function archiveSources(bases: string[], version: string, triple: string): ArchiveSource[] {
  return bases.map((base) => {
    const url = `${base}/${version}/${archiveName(triple)}`;
    return { base, url, sidecarUrl: `${url}.sha256` };
  });
}
