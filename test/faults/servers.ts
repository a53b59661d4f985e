/**
 * Real servers users meet, started by a test on a free loopback port with a config in a temp
 * folder: tinyproxy (a proxy that answers 403 and 407), squid (whose own 403 carries Via, as
 * a forwarded one does, plus X-Squid-Error) and nginx (a static mirror that adds
 * Content-Encoding: gzip, as S3/CloudFront do for objects stored that way). Each runs in the
 * foreground in its own process group, and stop() ends that group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RealServer {
  port: number;
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/** A port nothing listens on now (bound, then closed): also what a dead proxy looks like. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Where a server's program is: Debian puts squid and nginx in /usr/sbin, which a user's PATH
 * (and `env -i`) often lacks, though test/system-deps.sh installed them.
 */
function program(name: string): string {
  const found = Bun.which(name) ?? Bun.which(name, { PATH: '/usr/sbin:/sbin' });
  if (!found) throw new Error(`${name} is missing: apt-get install -y ${name} (npm test does this as root)`);
  return found;
}

async function run(command: string, args: string[], port: number, dir: string): Promise<RealServer> {
  const child: ChildProcess = spawn(program(command), args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  for (let tries = 0; !(await accepts(port)); tries++) {
    if (child.exitCode !== null || tries > 100) {
      child.pid && process.kill(-child.pid, 'SIGKILL');
      throw new Error(`${command} did not start on port ${port}: ${stderr.trim() || 'no output'}`);
    }
    await Promise.race([new Promise((r) => setTimeout(r, 50)), spawnError]);
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    async stop() {
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {}
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** tinyproxy with `lines` added to a minimal config (BasicAuth, Allow, ...). */
export async function startTinyproxy(lines: string[]): Promise<RealServer> {
  const dir = await mkdtemp(join(tmpdir(), 'tinyproxy-'));
  const port = await freePort();
  const conf = join(dir, 'tinyproxy.conf');
  // As root, tinyproxy drops to User/Group; without LogFile it logs to stderr under -d.
  const user = process.getuid?.() === 0 ? ['User nobody', 'Group nogroup'] : [];
  await writeFile(conf, [...user, `Port ${port}`, 'Listen 127.0.0.1', 'Timeout 30', 'MaxClients 20', ...lines, ''].join('\n'));
  return run('tinyproxy', ['-d', '-c', conf], port, dir);
}

/** nginx serving `root` (laid out as <base>/<version>/<files>); `extra` goes in the server block. */
export async function startNginx(root: string, extra: string[]): Promise<RealServer> {
  const dir = await mkdtemp(join(tmpdir(), 'nginx-'));
  await chmod(dir, 0o700);
  const port = await freePort();
  for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, temp));
  const conf = join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `daemon off;
master_process off;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  types { application/gzip gz; text/plain sha256; }
  server {
    listen 127.0.0.1:${port};
    root ${root};
    ${extra.join('\n    ')}
  }
}
`,
  );
  return run('nginx', ['-c', conf, '-e', 'stderr'], port, dir);
}

/** squid in the foreground, caching nothing, with `lines` as its access rules. */
export async function startSquid(lines: string[]): Promise<RealServer> {
  const dir = await mkdtemp(join(tmpdir(), 'squid-'));
  // squid drops to its own user (proxy) and must still read its folder.
  await chmod(dir, 0o755);
  const port = await freePort();
  const conf = join(dir, 'squid.conf');
  await writeFile(
    conf,
    [
      `http_port 127.0.0.1:${port}`,
      'pid_filename none',
      'cache_log stdio:/dev/stderr',
      'access_log none',
      'cache deny all',
      'cache_mem 8 MB',
      `coredump_dir ${dir}`,
      'shutdown_lifetime 0 seconds',
      // The ICMP pinger helper starts its own process group, which stop() would not reach.
      'pinger_enable off',
      ...lines,
      '',
    ].join('\n'),
  );
  return run('squid', ['-N', '-f', conf], port, dir);
}
