/**
 * The gatekeeper's wire shapes, declared once: the server builds its answers and events with
 * them and the client reads them with them (hono's client reuses its server's types the same
 * way). Types only, so the client stays loadable in a browser. snake_case, as in the product
 * contract; the data model itself (InstallStatus, InstallProgress, ...) is the core's.
 */
import type { InstallErrorData, InstallOutput, InstallPhase, InstallProgress, InstallStatus, WorkPhase } from '../installer/status.ts';

export type { InstallErrorData, InstallOutput, InstallPhase, InstallProgress, InstallStatus, WorkPhase };

/** The body of every refusal and failure: an InstallError's fields; `phase` is null when no install or sky step ran. */
export interface ErrorBody {
  code: string;
  phase: string | null;
  message: string;
  hint: string;
  detail: string | null;
}

/** GET /cluster/install-status. */
export type InstallStatusAnswer = InstallStatus & { phase: InstallPhase | null };

/** POST /cluster/launch. */
export type LaunchAnswer =
  | { ok: true; cluster: string; task: string; sky_path: string }
  /** 503 install failed, 412 no AWS credentials, 502 sky launch failed, 409 already launching. */
  | { ok: false; status: number; error: ErrorBody };

/** `event: install-state`. */
export interface InstallStateData {
  attempt: number;
  from: InstallPhase | null;
  to: InstallPhase;
  time: string;
}

/** `event: install-progress`. */
/** `POST /cluster/ensure-skypilot {"wait": false}`: accepted with the attempt's phase (202), or its end when it ended at once. */
export type StartAnswer = { ok: true; accepted: true; phase: InstallPhase } | InstallOutput;

export type ProgressData = InstallProgress & { attempt: number };

/** `event: cluster-log`: one line of `sky` output. */
export interface ClusterLogData {
  cluster: string;
  command: 'check' | 'launch';
  stream: 'stdout' | 'stderr';
  line: string;
  time: string;
}
