/**
 * Extra certificate authorities for the download, for corporate proxies that re-sign TLS.
 * SSL_CERT_FILE replaces the trusted set, as OpenSSL and uv read it; NODE_EXTRA_CA_CERTS
 * adds to the built-in roots, as Node reads it. Read from the settings' environment, the
 * same one uv gets.
 */
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { InstallError } from '../../machines/errors.ts';

type Env = Record<string, string | undefined>;

async function bundle(variable: string, path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InstallError('invalid_config', `${variable}=${path} cannot be read`, {
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InstallError('invalid_config', `${variable}=${path} holds no PEM certificate`);
  }
  return text;
}

/** The `ca` list for fetch's `tls` option, or null to keep the runtime's defaults. */
export async function trustedCertificates(env: Env): Promise<string[] | null> {
  const certFile = env.SSL_CERT_FILE?.trim();
  const extraFile = env.NODE_EXTRA_CA_CERTS?.trim();
  if (!certFile && !extraFile) return null;
  const ca = certFile ? [await bundle('SSL_CERT_FILE', certFile)] : [...rootCertificates];
  if (extraFile) ca.push(await bundle('NODE_EXTRA_CA_CERTS', extraFile));
  return ca;
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
