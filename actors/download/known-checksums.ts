/**
 * sha256 of uv release archives, copied from astral-sh/setup-uv
 * (src/download/checksum/known-checksums.ts). Trusted after an explicit CARAPACE_UV_SHA256
 * and before the `.sha256` sidecar, which comes from the same server as the archive.
 */
export const KNOWN_CHECKSUMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '0.10.2': {
    'x86_64-unknown-linux-gnu': '6aa4576c31f791c0b9d4739e256d07358d45e7535695287fec03cf6839e25512',
    'aarch64-unknown-linux-gnu': '4998f545234d52fc6f1280827d392f00a9278295050d59c53a776546dbf0124d',
    'x86_64-unknown-linux-musl': 'c162182ba7dd692794362d76dd183990d6e51553217954106da19bdb6ced211b',
    'aarch64-unknown-linux-musl': '685e47f8f88b6845a9fc2ca27c3d246c0f53af8c017daf8e98ac0a97fe20365b',
    'x86_64-apple-darwin': '3cdbd038333cfe861ce04f3d91678547bf2e726224acf5f42d3f0affa6740e19',
    'aarch64-apple-darwin': '3828b2de196687f60e9d199aea8b504299629300831eea0935ff3fe339903d0a',
  },
  '0.11.12': {
    'x86_64-unknown-linux-gnu': '9acdecddacba550ee616c02bb4616d894352022550c5977524556fd5077ce1d4',
    'aarch64-unknown-linux-gnu': 'd6e3e5183e71bbd40400da3d2913743cefb98835d8312a5e7908c33865597515',
    'x86_64-unknown-linux-musl': '591a7557f5ba7e51565f338dd4c50cebc12820ec2ebb8403a4304685f8d53ab9',
    'aarch64-unknown-linux-musl': 'b70e87f15f12d750d218042c4ed36e41de0757eab249d332ee2e242e4174b5d5',
    'x86_64-apple-darwin': '32fb217e6181384bf6534b31adcc66cd552eff98643c4bb35832be8552486912',
    'aarch64-apple-darwin': 'bb7c6ef869ec00cd1452f4884acf23d00b153c356ba9197ae99a1bc1ceadb7f3',
  },
};

export function knownChecksum(version: string, triple: string): string | null {
  return KNOWN_CHECKSUMS[version]?.[triple] ?? null;
}

/**
 * Reads `shasum -a 256` output, `<64 hex>  <name>`, where the name must be the archive's; or
 * the bare digest some mirrors publish (GitHub's own asset digests, `sha256sum | cut`).
 */
export function parseSidecar(text: string, archiveName: string): string | null {
  const match = /^([0-9a-fA-F]{64})(?:\s+\*?(\S+))?(?:\s|$)/.exec(text.trim());
  if (!match?.[1]) return null;
  if (match[2] && match[2] !== archiveName) return null;
  return match[1].toLowerCase();
}
