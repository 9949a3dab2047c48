// The raw JSON shapes the Engine API returns (API 1.40 to 1.55), validated on arrival: output we
// do not understand is an error that names the request, never silently skipped.
import { z } from 'zod';

// zod compiles object parsers with new Function on first use, which costs more than it saves for
// the few parses of one run.
z.config({ jitless: true });
import { TidyError } from '../errors.js';

const stringList = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? []);
const labels = z
  .record(z.string(), z.string())
  .nullish()
  .transform((v) => v ?? {});

/** GET /images/json and the Images of /system/df. */
export const ImageSummary = z.object({
  Id: z.string(),
  ParentId: z.string().default(''),
  RepoTags: stringList,
  RepoDigests: stringList,
  Created: z.number(),
  Size: z.number(),
  SharedSize: z.number().optional(),
  Containers: z.number().optional(),
  Labels: labels,
});
export type ImageSummary = z.infer<typeof ImageSummary>;

/** GET /containers/json and the Containers of /system/df. */
export const ContainerSummary = z.object({
  Id: z.string(),
  Names: stringList,
  Image: z.string().default(''),
  ImageID: z.string(),
  Created: z.number(),
  State: z.string(),
  // Only present when the daemon was asked to compute sizes.
  SizeRw: z.number().optional(),
  SizeRootFs: z.number().optional(),
  Labels: labels,
  HostConfig: z.object({ NetworkMode: z.string().optional() }).nullish(),
  NetworkSettings: z
    .object({ Networks: z.record(z.string(), z.object({ NetworkID: z.string().nullish() }).nullish()).nullish() })
    .nullish(),
  Mounts: z
    .array(z.object({ Type: z.string().optional(), Name: z.string().optional() }))
    .nullish()
    .transform((v) => v ?? []),
});
export type ContainerSummary = z.infer<typeof ContainerSummary>;

/** A volume in /system/df; UsageData is null for volumes the daemon could not size. */
export const VolumeSummary = z.object({
  Name: z.string(),
  Driver: z.string(),
  Labels: labels,
  UsageData: z
    .object({ Size: z.number(), RefCount: z.number() })
    .nullish()
    .transform((v) => v ?? { Size: -1, RefCount: -1 }),
});
export type VolumeSummary = z.infer<typeof VolumeSummary>;

/** GET /volumes: the volumes without their sizes (UsageData null). */
export const VolumeList = z.object({
  Volumes: z
    .array(VolumeSummary)
    .nullish()
    .transform((v) => v ?? []),
});

/** A build-cache record in /system/df. */
export const BuildCacheSummary = z.object({
  ID: z.string(),
  Type: z.string().default(''),
  Description: z.string().default(''),
  InUse: z.boolean(),
  Shared: z.boolean(),
  Size: z.number(),
  CreatedAt: z.string().default(''),
  LastUsedAt: z.string().nullish().transform((v) => v ?? null),
  Parent: z.string().nullish(),
  Parents: stringList,
  // Engines 25 to 27 send Parents under a misspelt key with a leading space (moby's JSON tag).
  ' Parents': stringList,
});
export type BuildCacheSummary = z.infer<typeof BuildCacheSummary>;

// A list the daemon may send as null or leave out: empty.
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

/**
 * One section of GET /system/df from API 1.52 on (ImageUsage, ContainerUsage, ...). Every field is
 * omitted when zero or empty; Items (the objects the older shape listed) only with verbose=1.
 * ActiveCount and Reclaimable are the daemon's own figures, which docker tidy computes itself.
 */
const usageSection = <T extends z.ZodType>(item: T) =>
  z
    .object({ TotalCount: z.number().default(0), TotalSize: z.number().default(0), Items: list(item) })
    .nullish();

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
export const SystemDf = z
  .object({
    LayersSize: z.number().optional(),
    Images: z.array(ImageSummary).nullish(),
    Containers: z.array(ContainerSummary).nullish(),
    Volumes: z.array(VolumeSummary).nullish(),
    BuildCache: z.array(BuildCacheSummary).nullish(),
    ImageUsage: usageSection(ImageSummary),
    ContainerUsage: usageSection(ContainerSummary),
    VolumeUsage: usageSection(VolumeSummary),
    BuildCacheUsage: usageSection(BuildCacheSummary),
  })
  .superRefine((df, ctx) => {
    if (!isSectioned(df)) return;
    for (const key of DF_SECTIONS) {
      const section = df[key];
      if (section && section.Items.length !== section.TotalCount) {
        ctx.addIssue({ code: 'custom', path: [key, 'Items'], message: `${section.Items.length} items listed of TotalCount ${section.TotalCount}` });
      }
    }
  })
  .transform((df) =>
    isSectioned(df)
      ? {
          LayersSize: df.ImageUsage ? df.ImageUsage.TotalSize : undefined,
          Images: df.ImageUsage?.Items ?? [],
          Containers: df.ContainerUsage?.Items ?? [],
          Volumes: df.VolumeUsage?.Items ?? [],
          BuildCache: df.BuildCacheUsage?.Items ?? [],
        }
      : {
          LayersSize: df.LayersSize,
          Images: df.Images ?? [],
          Containers: df.Containers ?? [],
          Volumes: df.Volumes ?? [],
          BuildCache: df.BuildCache ?? [],
        },
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
  Created: z.string().default(''),
  Scope: z.string().default('local'),
  Driver: z.string().default(''),
  Labels: labels,
});
export type NetworkSummary = z.infer<typeof NetworkSummary>;

/** The parts of GET /info that tidy uses. */
export const SystemInfo = z.object({
  Driver: z.string().default(''),
  // [["Backing Filesystem", "extfs"], ...]; on the containerd store ["driver-type", "io.containerd.snapshotter.v1"].
  DriverStatus: z
    .array(z.array(z.string()))
    .nullish()
    .transform((v) => (v ?? []).map((pair) => [pair[0] ?? '', pair[1] ?? ''] as const)),
  Name: z.string().default(''),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

/** POST /build/prune. */
export const BuildPruneAnswer = z.object({
  CachesDeleted: stringList,
  SpaceReclaimed: z.number().default(0),
});

/** The parts of GET /containers/{id}/json that tidy uses. */
export const ContainerInspect = z.object({
  Id: z.string(),
  State: z.object({ FinishedAt: z.string().default('') }),
});

/** The parts of GET /images/{id}/json that tidy uses. */
export const ImageInspect = z.object({
  Id: z.string(),
  Size: z.number(),
  Metadata: z.object({ LastTagTime: z.string().nullish() }).nullish(),
  RootFS: z.object({
    Type: z.string(),
    Layers: stringList,
  }),
  // What the containerd store's content bytes are estimated from (the manifest's descriptor from API 1.48 on, the config's fields).
  Descriptor: z.object({ size: z.number() }).nullish(),
  Created: z.string().nullish(),
  Architecture: z.string().nullish(),
  Os: z.string().nullish(),
  Config: z.record(z.string(), z.unknown()).nullish(),
});
export type ImageInspect = z.infer<typeof ImageInspect>;

/** GET /images/{id}/history: newest first. An image without history: [] (classic store), null (containerd store, engine 26). */
export const ImageHistory = z
  .array(
    z.object({
      Size: z.number(),
      CreatedBy: z.string().default(''),
      Comment: z.string().nullish(),
      Created: z.number().nullish(),
    }),
  )
  .nullable()
  .transform((v) => v ?? []);
export type ImageHistory = z.infer<typeof ImageHistory>;

/** Validates `data` against `schema`, or fails naming what was being read and what was wrong. */
export function expectShape<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new TidyError(`${what}: unexpected answer from the daemon${where}: ${issue?.message ?? 'invalid'}`);
}
