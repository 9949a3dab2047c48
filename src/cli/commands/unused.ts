// `docker tidy unused`: the images no container uses, and what removing them all frees.
import type { Handler } from '../command.js';
import type { listingOptions } from '../options.js';
import { runListing } from './listing.js';

export const run: Handler<typeof listingOptions> = (ctx, input) => runListing(ctx, { ...input, flags: { ...input.flags, unused: true } }, true);
