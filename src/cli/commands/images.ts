// `docker tidy images` (alias `ls`).
import type { Handler } from '../command.js';
import type { imagesOptions } from '../registry.js';
import { runListing } from './listing.js';

export const run: Handler<typeof imagesOptions> = (ctx, input) => runListing(ctx, input, false);
