/**
 * Not a benchmark (run.ts skips `_` files): Debian's nginx serving a folder on loopback, the
 * way a user's mirror would, and the Debian tools the benchmarks drive, installed when missing.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Installs the Debian packages whose programs are missing (apt-get, as root or through sudo). */
export function ensureDebianTools(programs: Record<string, string>): void {
  const missing = Object.entries(programs).filter(([program]) => Bun.which(program) === null && Bun.which(program, { PATH: '/usr/sbin:/sbin' }) === null);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  console.log(`installing ${packages.join(', ')} from Debian ...`);
  for (const cmd of [[...sudo, 'apt-get', 'update', '-qq'], [...sudo, 'apt-get', 'install', '-y', '-qq', ...packages]]) {
    const result = Bun.spawnSync(cmd, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdout: 'inherit', stderr: 'inherit' });
    if (result.exitCode !== 0) throw new Error(`${cmd.join(' ')} failed (exit ${result.exitCode})`);
  }
}

/** A port free on 127.0.0.1 right now (nginx cannot be told to pick one). */
function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

export interface Nginx {
  base: string;
  stop(): Promise<void>;
}

/** nginx in the foreground as this user (no master: no privilege drop), serving `root` with sendfile. */
export async function startNginx(root: string): Promise<Nginx> {
  const prefix = await mkdtemp(join(tmpdir(), 'bench-nginx-'));
  await mkdir(join(prefix, 'logs'));
  for (let tries = 0; ; tries++) {
    const port = freePort();
    const conf = join(prefix, 'nginx.conf');
    await writeFile(
      conf,
      `daemon off;\nmaster_process off;\nworker_processes 1;\npid ${prefix}/nginx.pid;\nerror_log ${prefix}/logs/error.log warn;\n` +
        `events { worker_connections 1024; }\n` +
        `http {\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  default_type application/octet-stream;\n` +
        ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${prefix}/${t};\n`).join('') +
        `  server {\n    listen 127.0.0.1:${port};\n    root ${root};\n  }\n}\n`,
    );
    const proc = Bun.spawn(['nginx', '-p', prefix, '-c', conf], { stdout: 'ignore', stderr: 'pipe' });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && proc.exitCode === null; i++) {
      if (await fetch(`${base}/`).then(() => true, () => false)) {
        return {
          base,
          async stop() {
            proc.kill();
            await proc.exited;
            await rm(prefix, { recursive: true, force: true });
          },
        };
      }
      await Bun.sleep(20);
    }
    proc.kill();
    if (tries >= 3) throw new Error(`nginx did not start: ${await new Response(proc.stderr).text()}`);
  }
}
