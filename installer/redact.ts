/**
 * Removes credentials from text before it is written to a log or shown: uv's stderr may quote
 * an index URL with a token in it, and an environment dump may hold AWS keys. Redaction keeps
 * the shape ("https://***@pypi.example/simple") so the log stays useful.
 */

const MASK = '***';

/**
 * A host and optional port, as it follows the `@` of credentials in a URL. Names may hold `_`
 * (WHATWG URL and curl take `proxy_01`), an IPv6 literal may carry a zone (`[fe80::1%25eth0]`,
 * RFC 6874) and the port may be empty (`host:`): a host this rule does not know would leave the
 * credentials before it whole.
 */
const HOST = String.raw`(?:\[[0-9A-Fa-f:.]+(?:%(?:25)?[A-Za-z0-9._~-]+)?\]|[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*)(?::\d{0,5})?(?=[/?#\s'"<>,;)\]}]|$)`;

const RULES: Array<[RegExp, string | ((...m: string[]) => string)]> = [
  // Credentials in URLs: scheme://user:password@host or scheme://token@host. Users type `@`,
  // `/` and `:` unescaped in passwords, so the credentials run to the last `@` before a host.
  [new RegExp(String.raw`\b([a-z][a-z0-9+.-]*:\/\/)[^\s'"<>]+@(?=${HOST})`, 'gi'), `$1${MASK}@`],
  // The same without a scheme (`user:pass@proxy:3128`, which HTTPS_PROXY accepts); a colon is
  // required, so an e-mail address or `git@host` stays.
  [new RegExp(String.raw`(?<![^\s='"(<,;\[{])[^\s'"<>:/=]+:(?!\/\/)[^\s'"<>]*@(?=${HOST})`, 'g'), `${MASK}@`],
  // Authorization headers and the like.
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${MASK}`],
  // Signed URLs and tokens in query strings.
  [/([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|sig|token|access_token|api_key|apikey|key)=)[^&\s'"]+/gi, `$1${MASK}`],
  // NAME=value and "name": "value" pairs whose name says secret.
  [
    /\b([A-Za-z0-9_.-]*(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key|credential|session[_-]?key|_key\b|_key_id)[A-Za-z0-9_.-]*)("?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&"',;)\]}]+)/gi,
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

// PWD and OLDPWD are the current folder, not a password; the others name a socket or a file.
const NOT_SECRET = new Set(['PWD', 'OLDPWD', 'SSH_AUTH_SOCK', 'XAUTHORITY', 'GPG_AGENT_INFO']);
const SECRET_NAME = /(TOKEN|SECRET|PASSW(OR)?D|(^|_)PWD$|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH|_KEY$|_KEY_ID$)/i;
/** Values too common to be anyone's secret; masking them would garble every line. */
const NOT_A_VALUE = new Set(['true', 'false', 'yes', 'no', 'none', 'null', 'default', 'unset']);
/**
 * Values shorter than this are masked only as a whole word, so `DB_PASSWORD=abc` does not
 * turn "abcdef" into "***def"; below MIN_SHORT they are left to the NAME=value rule above.
 */
const WHOLE_WORD_BELOW = 8;
const MIN_SHORT = 4;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (!out.includes(secret)) continue;
    out =
      secret.length >= WHOLE_WORD_BELOW
        ? out.split(secret).join(MASK)
        : out.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(secret)}(?![A-Za-z0-9])`, 'g'), MASK);
  }
  for (const [pattern, replacement] of RULES) {
    out = out.replace(pattern, replacement as (substring: string, ...args: string[]) => string);
  }
  return out;
}

/** A value as written and percent-decoded. */
function writtenAndDecoded(value: string): string[] {
  try {
    return [value, decodeURIComponent(value)];
  } catch {
    // A stray `%`: the value as written is all there is.
    return [value];
  }
}

/** The password of `user:password@host`, with or without a scheme, as written and decoded. */
function urlPasswords(value: string): string[] {
  const match = /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^\s:/@]+:([^\s]*)@[^@\s]+$/i.exec(value.trim());
  return match?.[1] ? writtenAndDecoded(match[1]) : [];
}

/** HTTP_PROXY, https_proxy, ALL_PROXY...: every tool reads these as one URL with credentials. */
const PROXY_NAME = /(?:^|_)PROXY$/i;

/**
 * A proxy's credentials: everything between the scheme and the LAST `@` (curl and WHATWG URL
 * split there, and users type `@`, `/` or spaces unescaped), whole (a lone token has no colon)
 * and the password after the first colon.
 */
function proxyCredentials(value: string): string[] {
  const rest = value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const userinfo = rest.slice(0, Math.max(rest.lastIndexOf('@'), 0));
  if (!userinfo) return [];
  const colon = userinfo.indexOf(':');
  return [...writtenAndDecoded(userinfo), ...(colon === -1 ? [] : writtenAndDecoded(userinfo.slice(colon + 1)))];
}

/**
 * Values of variables whose names say they are secret, and passwords inside any variable's
 * URL (HTTPS_PROXY=user:pass@proxy): replaced wherever they appear, also percent-encoded
 * (sky and uv quote them in URLs). `extra` adds secrets from elsewhere (the gatekeeper token).
 */
export function secretsIn(env: Record<string, string | undefined>, extra: readonly (string | null | undefined)[] = []): string[] {
  const values = new Set<string>();
  const add = (value: string | null | undefined) => {
    if (!value || value.length < MIN_SHORT || NOT_A_VALUE.has(value.toLowerCase())) return;
    values.add(value);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) values.add(encoded);
  };
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (SECRET_NAME.test(name) && !NOT_SECRET.has(name.toUpperCase())) add(value);
    for (const password of urlPasswords(value)) add(password);
    if (PROXY_NAME.test(name) && name.toUpperCase() !== 'NO_PROXY') for (const credential of proxyCredentials(value)) add(credential);
  }
  for (const value of extra) add(value);
  // Longest first, so a secret that contains another is masked whole.
  return [...values].sort((a, b) => b.length - a.length);
}

/** A redactor bound to one environment's secrets: every channel that shows text uses one. */
export function redactorFor(
  env: Record<string, string | undefined>,
  extra: readonly (string | null | undefined)[] = [],
): (text: string) => string {
  const secrets = secretsIn(env, extra);
  return (text) => redact(text, secrets);
}
