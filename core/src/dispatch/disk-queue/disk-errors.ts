/**
 * Classifies and wraps file-system failures of the disk queue.
 *
 * Invariant: an errno in {@link DISK_CODES} (space, quota, I/O, permissions) is the
 * environment's fault and is retried at run time; anything else is a bug and fails. A wrapped
 * error names the queue directory, the step that failed and the errno, with a hint for the operator.
 */
import { K8streamError } from '../../errors.js';

/** Errno codes of the environment (space, quota, I/O, permissions): retried at run time. */
export const DISK_CODES: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'ENOSPC', 'EROFS', 'EDQUOT', 'ENOTDIR', 'EISDIR', 'EIO']);

/** The errno code of a file-system error, also when wrapped in a K8streamError. */
export function errnoOf(err: unknown): string | undefined {
  const direct = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!(err instanceof K8streamError)) return typeof direct === 'string' ? direct : undefined;
  const cause = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  return typeof cause === 'string' ? cause : undefined;
}

/** True for an errno of {@link DISK_CODES}, also when wrapped. */
export function isDiskError(err: unknown): boolean {
  const code = errnoOf(err);
  return code !== undefined && DISK_CODES.has(code);
}

const HINTS: Record<string, string> = {
  EACCES: 'make the buffer directory writable by the user k8stream runs as',
  EPERM: 'make the buffer directory writable by the user k8stream runs as',
  EROFS: 'the buffer directory is on a read-only file system: mount a writable volume there',
  ENOTDIR: 'a component of the buffer directory path is a file, not a directory',
  EISDIR: 'the buffer directory holds a directory where a queue file belongs',
  ENOSPC: 'free space on the buffer volume or lower buffer.maxBytes',
  EDQUOT: 'raise the disk quota of the buffer volume or lower buffer.maxBytes',
  EIO: 'the buffer volume reports I/O errors: check the disk',
};

/**
 * Wraps a file-system failure in a K8streamError naming the queue directory: `BUFFER_UNAVAILABLE`
 * for any errno (the environment), `INTERNAL` otherwise.
 */
export function diskError(dir: string, action: string, err: unknown): K8streamError {
  if (err instanceof K8streamError) return err;
  const code = errnoOf(err);
  return new K8streamError(code !== undefined ? 'BUFFER_UNAVAILABLE' : 'INTERNAL', `disk queue ${dir}: cannot ${action}${code ? ` (${code})` : ''}`, {
    cause: err,
    path: dir,
    hint: code === undefined ? undefined : (HINTS[code] ?? 'check that the buffer directory exists, is writable and has free space'),
  });
}

/** The message of a failure, for logs. */
export function failureText(err: unknown): string {
  if (err instanceof K8streamError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
