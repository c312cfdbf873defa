/**
 * Just enough of a Dockerfile parser for test/deploy/image.test.ts: the instructions of the last
 * stage, with line continuations joined and comments dropped, and its `COPY --from=` lines as
 * (sources, destination) pairs.
 */

export interface Instruction {
  /** Upper-cased keyword: FROM, COPY, RUN, ... */
  keyword: string;
  /** The rest of the instruction, continuations joined with spaces. */
  args: string;
}

export interface Stage {
  from: string;
  name: string | null;
  instructions: Instruction[];
}

export interface CopyFrom {
  /** The stage copied from. */
  stage: string;
  /** Absolute paths in that stage. */
  sources: string[];
  /** Destination, relative to WORKDIR unless absolute. */
  dest: string;
}

/** Splits a Dockerfile into stages (`FROM ... [AS name]`). */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (current === '' && /^\s*#/.test(line)) continue; // comment (parser directives included)
    if (current !== '' && /^\s*#/.test(line)) continue; // comment inside a continued instruction
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  if (current.trim() !== '') logical.push(current.trim());

  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\S+)\s*(.*)$/s.exec(line)!;
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.replace(/\s+/g, ' ').trim();
    if (keyword === 'ARG' && stages.length === 0) continue; // global build arguments
    if (keyword === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`cannot parse FROM ${args}`);
      stages.push({ from: f[1]!, name: f[2] ?? null, instructions: [] });
      continue;
    }
    if (stages.length === 0) throw new Error(`${keyword} before the first FROM`);
    stages.at(-1)!.instructions.push({ keyword, args });
  }
  return stages;
}

/** The `COPY --from=<stage>` instructions of `stage` (shell form, no JSON array form). */
export function copiesFrom(stage: Stage): CopyFrom[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY' && /(^|\s)--from=/.test(i.args))
    .map((i) => {
      const words = i.args.split(' ');
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))!.slice('--from='.length);
      if (flags.some((f) => !/^--(from|chown|chmod|link)=?/.test(f))) throw new Error(`unsupported COPY flag in: COPY ${i.args}`);
      if (paths.length < 2) throw new Error(`COPY needs a source and a destination: COPY ${i.args}`);
      if (paths.some((p) => /[*?[]/.test(p))) throw new Error(`wildcards are not followed by the test: COPY ${i.args}`);
      return { stage: from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });
}

/** The arguments after `npm ci` in the stage's RUN instructions (up to `&&`, `;` or the end). */
export function npmCiArgs(stage: Stage): string[] {
  for (const i of stage.instructions) {
    if (i.keyword !== 'RUN') continue;
    const m = /(?:^|&&|;)\s*npm ci((?:\s+[^&;\s]+)*)/.exec(i.args);
    if (m) return m[1]!.trim().split(/\s+/).filter(Boolean);
  }
  throw new Error('no `npm ci` in the stage');
}

/** The value of the last `keyword` instruction (WORKDIR, USER, ...), or null. */
export function last(stage: Stage, keyword: string): string | null {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args ?? null;
}

/** A JSON-array (exec form) instruction such as ENTRYPOINT or CMD, as its words. */
export function execForm(stage: Stage, keyword: string): string[] {
  const args = last(stage, keyword);
  if (args === null) throw new Error(`no ${keyword}`);
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((w) => typeof w === 'string')) throw new Error(`${keyword} is not in exec form`);
  return parsed;
}
