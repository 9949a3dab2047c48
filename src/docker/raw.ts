// The raw JSON shapes the Engine API returns (API 1.40 to 1.55), validated on arrival: output we
// do not understand is an error that names the request, never silently skipped.
import * as z from 'zod/mini';

// zod compiles object parsers with new Function on first use, which costs more than it saves for
// the few parses of one run. zod/mini loads no messages of its own: English, as zod's full build has.
z.config({ ...z.locales.en(), jitless: true });
import { TidyError } from '../errors.js';

// A value the daemon may send as null or leave out, read as `empty`.
const orEmpty = <T extends z.ZodMiniType, E>(schema: T, empty: E) =>
  z.pipe(
    z.nullish(schema),
    z.transform((v: z.infer<T> | null | undefined) => v ?? empty),
  );
// A list the daemon may send as null or leave out: empty.
const list = <T extends z.ZodMiniType>(item: T) => orEmpty(z.array(item), [] as z.infer<T>[]);
const stringList = list(z.string());
const labels = orEmpty(z.record(z.string(), z.string()), {} as Record<string, string>);
const text = (fallback = '') => z._default(z.string(), fallback);

/** GET /images/json and the Images of /system/df. */
export const ImageSummary = z.object({
  Id: z.string(),
  ParentId: text(),
  RepoTags: stringList,
  RepoDigests: stringList,
  Created: z.number(),
  Size: z.number(),
  SharedSize: z.optional(z.number()),
  Containers: z.optional(z.number()),
  Labels: labels,
});
export type ImageSummary = z.infer<typeof ImageSummary>;

/** GET /containers/json and the Containers of /system/df. */
export const ContainerSummary = z.object({
  Id: z.string(),
  Names: stringList,
  Image: text(),
  ImageID: z.string(),
  Created: z.number(),
  State: z.string(),
  // Only present when the daemon was asked to compute sizes.
  SizeRw: z.optional(z.number()),
  SizeRootFs: z.optional(z.number()),
  Labels: labels,
  HostConfig: z.nullish(z.object({ NetworkMode: z.optional(z.string()) })),
  NetworkSettings: z.nullish(z.object({ Networks: z.nullish(z.record(z.string(), z.nullish(z.object({ NetworkID: z.nullish(z.string()) })))) })),
  Mounts: list(z.object({ Type: z.optional(z.string()), Name: z.optional(z.string()) })),
});
export type ContainerSummary = z.infer<typeof ContainerSummary>;

/** A volume in /system/df; UsageData is null for volumes the daemon could not size. */
export const VolumeSummary = z.object({
  Name: z.string(),
  Driver: z.string(),
  Labels: labels,
  UsageData: orEmpty(z.object({ Size: z.number(), RefCount: z.number() }), { Size: -1, RefCount: -1 }),
});
export type VolumeSummary = z.infer<typeof VolumeSummary>;

/** GET /volumes: the volumes without their sizes (UsageData null). */
export const VolumeList = z.object({
  Volumes: list(VolumeSummary),
});

/** A build-cache record in /system/df. */
export const BuildCacheSummary = z.object({
  ID: z.string(),
  Type: text(),
  Description: text(),
  InUse: z.boolean(),
  Shared: z.boolean(),
  Size: z.number(),
  CreatedAt: text(),
  LastUsedAt: orEmpty(z.string(), null),
  Parent: z.nullish(z.string()),
  Parents: stringList,
  // Engines 25 to 27 send Parents under a misspelt key with a leading space (moby's JSON tag).
  ' Parents': stringList,
});
export type BuildCacheSummary = z.infer<typeof BuildCacheSummary>;

/**
 * One section of GET /system/df from API 1.52 on (ImageUsage, ContainerUsage, ...). Every field is
 * omitted when zero or empty; Items (the objects the older shape listed) only with verbose=1.
 * ActiveCount and Reclaimable are the daemon's own figures, which docker tidy computes itself.
 */
const usageSection = <T extends z.ZodMiniType>(item: T) =>
  z.nullish(z.object({ TotalCount: z._default(z.number(), 0), TotalSize: z._default(z.number(), 0), Items: list(item) }));

// The old fields. Until API 1.51 the whole answer; API 1.52 sends them beside the new sections
// unless verbose=1 is asked; from 1.53 they go away (moby api/docs/CHANGELOG.md).
const LEGACY_DF_FIELDS = ['LayersSize', 'Images', 'Containers', 'Volumes', 'BuildCache'] as const;
const DF_SECTIONS = ['ImageUsage', 'ContainerUsage', 'VolumeUsage', 'BuildCacheUsage'] as const;

/**
 * GET /system/df in either shape, read into one form: the images' layer total (LayersSize; from
 * API 1.52 ImageUsage.TotalSize, the same figure) and the four lists. The old fields are read when
 * present; otherwise the sections, whose Items must then be all of TotalCount (an answer without
 * them, as to a request without verbose=1, would otherwise read as an empty daemon).
 */
const DfAnswer = z
  .object({
    LayersSize: z.optional(z.number()),
    // The images come from GET /images/json?all=1 (intermediate ones too): these are only counted.
    Images: z.nullish(z.array(z.unknown())),
    Containers: z.nullish(z.array(ContainerSummary)),
    Volumes: z.nullish(z.array(VolumeSummary)),
    BuildCache: z.nullish(z.array(BuildCacheSummary)),
    ImageUsage: usageSection(z.unknown()),
    ContainerUsage: usageSection(ContainerSummary),
    VolumeUsage: usageSection(VolumeSummary),
    BuildCacheUsage: usageSection(BuildCacheSummary),
  })
  .check(
    z.superRefine((df, ctx) => {
    if (!isSectioned(df)) return;
    for (const key of DF_SECTIONS) {
      const section = df[key];
      if (section && section.Items.length !== section.TotalCount) {
        ctx.addIssue({ code: 'custom', path: [key, 'Items'], message: `${section.Items.length} items listed of TotalCount ${section.TotalCount}` });
      }
    }
    }),
  );
export const SystemDf = z.pipe(
  DfAnswer,
  z.transform((df: z.infer<typeof DfAnswer>) =>
    isSectioned(df)
      ? {
          LayersSize: df.ImageUsage ? df.ImageUsage.TotalSize : undefined,
          Containers: df.ContainerUsage?.Items ?? [],
          Volumes: df.VolumeUsage?.Items ?? [],
          BuildCache: df.BuildCacheUsage?.Items ?? [],
        }
      : {
          LayersSize: df.LayersSize,
          Containers: df.Containers ?? [],
          Volumes: df.Volumes ?? [],
          BuildCache: df.BuildCache ?? [],
        },
  ),
);
export type SystemDf = z.infer<typeof SystemDf>;

// The API 1.52 shape: some section present and none of the old fields.
function isSectioned(df: Partial<Record<(typeof LEGACY_DF_FIELDS)[number] | (typeof DF_SECTIONS)[number], unknown>>): boolean {
  return DF_SECTIONS.some((k) => df[k] != null) && LEGACY_DF_FIELDS.every((k) => df[k] === undefined);
}

/** GET /networks. */
export const NetworkSummary = z.object({
  Name: z.string(),
  Id: z.string(),
  Created: text(),
  Scope: text('local'),
  Driver: text(),
  Labels: labels,
});
export type NetworkSummary = z.infer<typeof NetworkSummary>;

/** The parts of GET /info that tidy uses. */
export const SystemInfo = z.object({
  Driver: text(),
  // [["Backing Filesystem", "extfs"], ...]; on the containerd store ["driver-type", "io.containerd.snapshotter.v1"].
  DriverStatus: z.pipe(
    list(z.array(z.string())),
    z.transform((pairs: string[][]) => pairs.map((pair) => [pair[0] ?? '', pair[1] ?? ''] as const)),
  ),
  Name: text(),
  // Where the daemon keeps its data (its containers' log files are under DockerRootDir/containers).
  DockerRootDir: text(),
  LoggingDriver: text(),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

/** POST /build/prune. */
export const BuildPruneAnswer = z.object({
  CachesDeleted: stringList,
  SpaceReclaimed: z._default(z.number(), 0),
});

/** The parts of GET /containers/{id}/json that tidy uses. */
export const ContainerInspect = z.object({
  Id: z.string(),
  State: z.object({ FinishedAt: text() }),
  // Set once the container has started with the json-file driver; "" otherwise.
  LogPath: orEmpty(z.string(), ''),
  HostConfig: z.nullish(
    z.object({
      LogConfig: z.nullish(z.object({ Type: text(), Config: z.nullish(z.record(z.string(), z.string())) })),
    }),
  ),
});
export type ContainerInspect = z.infer<typeof ContainerInspect>;

/** POST /containers/create. */
export const ContainerCreated = z.object({ Id: z.string() });

/** POST /containers/{id}/wait. */
export const ContainerWaited = z.object({ StatusCode: z.number() });

/** The parts of GET /images/{id}/json that tidy uses. */
export const ImageInspect = z.object({
  Id: z.string(),
  Size: z.number(),
  Metadata: z.nullish(z.object({ LastTagTime: z.nullish(z.string()) })),
  RootFS: z.object({
    Type: z.string(),
    Layers: stringList,
  }),
  // What the containerd store's content bytes are estimated from (the manifest's descriptor from API 1.48 on, the config's fields).
  Descriptor: z.nullish(z.object({ size: z.number() })),
  Created: z.nullish(z.string()),
  Architecture: z.nullish(z.string()),
  Os: z.nullish(z.string()),
  Config: z.nullish(z.record(z.string(), z.unknown())),
});
export type ImageInspect = z.infer<typeof ImageInspect>;

/** GET /images/{id}/history: newest first. An image without history: [] (classic store), null (containerd store, engine 26). */
export const ImageHistory = list(
  z.object({
    Size: z.number(),
    CreatedBy: text(),
    Comment: z.nullish(z.string()),
    Created: z.nullish(z.number()),
  }),
);
export type ImageHistory = z.infer<typeof ImageHistory>;

/** Validates `data` against `schema`, or fails naming what was being read and what was wrong. */
export function expectShape<S extends z.ZodMiniType>(schema: S, data: unknown, what: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new TidyError(`${what}: unexpected answer from the daemon${where}: ${issue?.message ?? 'invalid'}`);
}
