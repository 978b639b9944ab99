/*
 * A config file's keys, described once: the validators take their known keys and defaults from
 * here, and `npm run docs:config` renders docs/config.md from the same lists, so what the
 * validator accepts, the defaults it fills in and what the docs say cannot drift apart (a test
 * fails when docs/config.md is not the rendering of these lists).
 */

export interface ConfigKey {
  /** The key as written in the file; nested keys with their path (`limits.maxStreams`). */
  key: string;
  /** What the value is, in words (`"host:port"`, `duration`, `whole number 100–100000000`). */
  type: string;
  /** The default as written in the file, or undefined when there is none (or it is computed: see `doc`). */
  default?: string | number | boolean | undefined;
  /** One or two sentences: what it does and what is checked. */
  doc: string;
}

export interface ConfigSection {
  /** `""` for the top level, else the key's path (`limits`). */
  path: string;
  title: string;
  keys: readonly ConfigKey[];
}

/** The key names of a section, for `rejectUnknownKeys`. */
export function keysOf(section: ConfigSection): string[] {
  const prefix = section.path ? `${section.path}.` : '';
  return section.keys.map((k) => k.key.slice(prefix.length));
}

/** The default of `key` (without the section's path) as the schema states it. */
export function defaultOf<T extends string | number | boolean>(section: ConfigSection, key: string): T {
  const full = section.path ? `${section.path}.${key}` : key;
  const k = section.keys.find((x) => x.key === full);
  if (k?.default === undefined) throw new Error(`config schema ${section.title}: ${full} has no default`);
  return k.default as T;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown for one config file: a table per section. */
export function renderConfigDoc(title: string, intro: string, sections: readonly ConfigSection[]): string {
  const out = [`## ${title}`, '', intro, ''];
  for (const s of sections) {
    out.push(`### ${s.title}`, '', '| key | type | default | |', '|---|---|---|---|');
    for (const k of s.keys)
      out.push(
        `| \`${k.key}\` | ${cell(k.type)} | ${k.default === undefined ? '—' : `\`${cell(JSON.stringify(k.default))}\``} | ${cell(k.doc)} |`,
      );
    out.push('');
  }
  return out.join('\n');
}
