/** Which `encoding.level` each compression accepts: checked at config load and again once plugin defaults are merged. */
import type { Compression } from '../plugins/api.js';

/** The problem with `level` for this compression, or null when it is fine (or unset). */
export function compressionLevelProblem(compression: Compression, level: number | undefined): string | null {
  if (level === undefined) return null;
  const max = compression === 'gzip' ? 9 : compression === 'zstd' ? 22 : 0;
  if (max === 0) return 'a compression level needs compression gzip or zstd';
  if (!Number.isInteger(level) || level < 1 || level > max) return `must be an integer from 1 to ${max} for ${compression}, got ${level}`;
  return null;
}
