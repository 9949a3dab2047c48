// The raw JSON shapes the Engine API returns (API 1.40 to 1.51), validated on arrival: output we
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

/** GET /system/df, in the shape before API 1.52. */
export const SystemDf = z.object({
  LayersSize: z.number().optional(),
  Images: z
    .array(ImageSummary)
    .nullish()
    .transform((v) => v ?? []),
  Containers: z
    .array(ContainerSummary)
    .nullish()
    .transform((v) => v ?? []),
  Volumes: z
    .array(VolumeSummary)
    .nullish()
    .transform((v) => v ?? []),
  BuildCache: z
    .array(BuildCacheSummary)
    .nullish()
    .transform((v) => v ?? []),
});
export type SystemDf = z.infer<typeof SystemDf>;

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
  // Where the daemon keeps its data (its containers' log files are under DockerRootDir/containers).
  DockerRootDir: z.string().default(''),
  LoggingDriver: z.string().default(''),
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
  // Set once the container has started with the json-file driver; "" otherwise.
  LogPath: z.string().nullish().transform((v) => v ?? ''),
  HostConfig: z
    .object({
      LogConfig: z
        .object({ Type: z.string().default(''), Config: z.record(z.string(), z.string()).nullish() })
        .nullish(),
    })
    .nullish(),
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
  Metadata: z.object({ LastTagTime: z.string().nullish() }).nullish(),
  RootFS: z.object({
    Type: z.string(),
    Layers: stringList,
  }),
});
export type ImageInspect = z.infer<typeof ImageInspect>;

/** GET /images/{id}/history: newest first. An image without history: [] (classic store), null (containerd store, engine 26). */
export const ImageHistory = z
  .array(
    z.object({
      Size: z.number(),
      CreatedBy: z.string().default(''),
      Comment: z.string().nullish(),
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
