/**
 * Expected failures end a command with a message already printed and an exit code
 * (changesets' ExitError); anything else is a bug and prints its stack.
 */
export class ExitError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitError';
  }
}

/** A bad command line (exit 2); `command` picks the usage line shown with it. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string | null = null,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** stdout could not be written (a full disk behind `>`): exit 74, EX_IOERR in sysexits.h. */
export class OutputError extends Error {
  readonly exitCode = 74;
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}
