/**
 * Certificate authorities for the download, for corporate proxies that re-sign TLS, read as
 * OpenSSL reads them: SSL_CERT_FILE replaces the built-in roots, SSL_CERT_DIR adds the PEM
 * files of one or more folders (`:`-separated), NODE_EXTRA_CA_CERTS adds to the roots as Node
 * reads it. uv gets the same set (actors/uv-env.ts): it reads only SSL_CERT_FILE (and, from
 * 0.12, fails closed on an unusable one), so anything more than a lone SSL_CERT_FILE reaches
 * it as one bundle. Read from the settings' environment, the same one uv gets.
 */
import { readdir, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { InstallError } from '../../machines/errors.ts';

type Env = Record<string, string | undefined>;

const PEM = '-----BEGIN CERTIFICATE-----';

export interface TrustPlan {
  /** The `ca` list for fetch's `tls` option, or null to keep the runtime's defaults. */
  certs: string[] | null;
  /** Where they came from, for doctor: "SSL_CERT_FILE=/etc/corp.pem", "the built-in roots". */
  sources: string[];
  /** True when uv needs a bundle of its own: more than a lone SSL_CERT_FILE. */
  needsBundle: boolean;
}

async function bundle(variable: string, path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InstallError('invalid_config', `${variable}=${path} cannot be read`, {
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  if (!text.includes(PEM)) {
    throw new InstallError('invalid_config', `${variable}=${path} holds no PEM certificate`);
  }
  return text;
}

/** The PEM files of SSL_CERT_DIR's folders (hashed links included; duplicates do no harm). */
async function folderCerts(value: string): Promise<string[]> {
  const certs: string[] = [];
  for (const dir of value.split(delimiter).filter(Boolean)) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      throw new InstallError('invalid_config', `SSL_CERT_DIR=${value} cannot be read (${dir})`, {
        detail: error instanceof Error ? error.message : String(error),
      });
    }
    for (const name of names.sort()) {
      const text = await readFile(join(dir, name), 'utf8').catch(() => '');
      if (text.includes(PEM)) certs.push(text);
    }
  }
  if (certs.length === 0) throw new InstallError('invalid_config', `SSL_CERT_DIR=${value} holds no PEM certificate`);
  return certs;
}

/** What the download trusts, and whether uv needs a bundle to trust exactly the same. */
export async function trustPlan(env: Env): Promise<TrustPlan> {
  const certFile = env.SSL_CERT_FILE?.trim();
  const certDir = env.SSL_CERT_DIR?.trim();
  const extraFile = env.NODE_EXTRA_CA_CERTS?.trim();
  if (!certFile && !certDir && !extraFile) return { certs: null, sources: [], needsBundle: false };
  const certs = certFile ? [await bundle('SSL_CERT_FILE', certFile)] : [...rootCertificates];
  const sources = [certFile ? `SSL_CERT_FILE=${certFile}` : 'the built-in roots'];
  if (certDir) {
    const found = await folderCerts(certDir);
    certs.push(...found);
    sources.push(`SSL_CERT_DIR=${certDir} (${found.length} file${found.length === 1 ? '' : 's'})`);
  }
  if (extraFile) {
    certs.push(await bundle('NODE_EXTRA_CA_CERTS', extraFile));
    sources.push(`NODE_EXTRA_CA_CERTS=${extraFile}`);
  }
  return { certs, sources, needsBundle: !certFile || Boolean(certDir || extraFile) };
}

/** The `ca` list for fetch's `tls` option, or null to keep the runtime's defaults. */
export async function trustedCertificates(env: Env): Promise<string[] | null> {
  return (await trustPlan(env)).certs;
}

/** Errors that mean the server's certificate is not trusted: retrying cannot help. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

export function isCertificateError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && TLS_CODES.has(code);
}
