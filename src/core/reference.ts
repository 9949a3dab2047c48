// References as the daemon knows them, typed: a tag ("repo:tag"), a digest ("repo@sha256:..."),
// or an image ID ("sha256:..."). Which kind a reference is decides what removing it does.

/** A name of an image the daemon can remove it by. */
export type Reference = { kind: 'tag'; name: string } | { kind: 'digest'; name: string } | { kind: 'id'; name: string };

/** The reference docker shows for an image with no tag: the only `<none>:<none>` there is. */
export const DANGLING_REF = '<none>:<none>';

/** What kind of reference a name is. */
export function referenceOf(name: string): Reference {
  if (/^sha256:[0-9a-f]{64}$/.test(name)) return { kind: 'id', name };
  if (name.includes('@')) return { kind: 'digest', name };
  return { kind: 'tag', name };
}

/** The repository of a tag or digest ("host:5000/team/app:1" -> "host:5000/team/app"); an ID has none. */
export function repositoryOf(ref: Reference | string): string {
  const name = typeof ref === 'string' ? ref : ref.name;
  const at = name.indexOf('@');
  if (at >= 0) return name.slice(0, at);
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

/** How a reference reads in a table: an image ID reads as docker shows an untagged image. */
export function shownAs(ref: Reference): string {
  return ref.kind === 'id' ? DANGLING_REF : ref.name;
}

/** The tags among references. */
export function tagsOf(refs: readonly Reference[]): string[] {
  return refs.filter((r) => r.kind === 'tag').map((r) => r.name);
}
