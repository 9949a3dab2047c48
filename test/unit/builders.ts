// Snapshot pieces for unit tests, shaped as the snapshot reader builds them from a daemon's JSON.
import type { Container, Image } from '../../src/core/snapshot.js';

/** An image with the given layers ([chainId, bytes], base first), all sizes known. */
export function image(id: string, layers: [string, number][], extra: Partial<Image> = {}): Image {
  return {
    id,
    tags: [`${id}:latest`],
    digests: [],
    created: 0,
    size: layers.reduce((s, [, n]) => s + n, 0),
    parentId: '',
    layers: layers.map(([chainId, size]) => ({ chainId, size, known: true })),
    ...extra,
  };
}

/** A container named `name` using image ID `imageId`. */
export function container(name: string, imageId: string, state = 'exited', sizeRw = 0): Container {
  return { id: name, name, imageId, imageRef: imageId, state, sizeRw, created: 0 };
}
