/**
 * Removes credentials from text before it is written to a log or shown: uv's stderr may quote
 * an index URL with a token in it, and an environment dump may hold AWS keys. Redaction keeps
 * the shape ("https://***@pypi.example/simple") so the log stays useful.
 */

const MASK = '***';

const RULES: Array<[RegExp, string | ((...m: string[]) => string)]> = [
  // Credentials in URLs: scheme://user:password@host or scheme://token@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"<>]+@/gi, `$1${MASK}@`],
  // Authorization headers and the like.
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${MASK}`],
  // Signed URLs and tokens in query strings.
  [/([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|sig|token|access_token|api_key|apikey|key)=)[^&\s'"]+/gi, `$1${MASK}`],
  // NAME=value and "name": "value" pairs whose name says secret.
  [
    /\b([A-Za-z0-9_.-]*(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key|credential|session[_-]?key)[A-Za-z0-9_.-]*)("?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&"',;)\]}]+)/gi,
    (_m, name, sep) => `${name}${sep}${MASK}`,
  ],
  // AWS access key ids (AKIA… long-term, ASIA… temporary).
  [/\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA)[A-Z0-9]{16}\b/g, MASK],
  // Well-known token formats: GitHub, Hugging Face, Slack, JWTs.
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|hf_[A-Za-z0-9]{20,}|xox[abprs]-[A-Za-z0-9-]{10,})\b/g, MASK],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, MASK],
  // A bare 40-character AWS secret access key: upper and lower case and digits, so neither a
  // hex digest (lower case only) nor a path (starts with a slash) is mistaken for one.
  [
    /(?<![A-Za-z0-9/+=.-])[A-Za-z0-9+][A-Za-z0-9/+=]{39}(?![A-Za-z0-9/+=.-])/g,
    (m) => (/[A-Z]/.test(m) && /[a-z]/.test(m) && /[0-9]/.test(m) ? MASK : m),
  ],
];

// PWD and OLDPWD are the current folder, not a password: masking them would hide every path.
const NOT_SECRET = new Set(['PWD', 'OLDPWD']);
const SECRET_NAME = /(TOKEN|SECRET|PASSW(OR)?D|(^|_)PWD$|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH)/i;

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
  for (const [pattern, replacement] of RULES) {
    out = out.replace(pattern, replacement as (substring: string, ...args: string[]) => string);
  }
  return out;
}

/** Values of variables whose names say they are secret; replaced wherever they appear. */
export function secretsIn(env: Record<string, string | undefined>): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= 8 && SECRET_NAME.test(name) && !NOT_SECRET.has(name.toUpperCase())) values.push(value);
  }
  // Longest first, so a secret that contains another is masked whole.
  return values.sort((a, b) => b.length - a.length);
}

/** A redactor bound to one environment's secrets. */
export function redactorFor(env: Record<string, string | undefined>): (text: string) => string {
  const secrets = secretsIn(env);
  return (text) => redact(text, secrets);
}
