// `docker tidy images` (alias `ls`).
import type { Handler } from '../command.js';
import type { imagesOptions } from '../options.js';
import { runListing } from './listing.js';

export const run: Handler<typeof imagesOptions> = (ctx, input) => runListing(ctx, input, false);
