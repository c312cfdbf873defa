/** The dashboard JSON (with a trailing newline), as generate.mjs writes it to k8stream.json. */
export function render(): string;
