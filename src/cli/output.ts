// stdout and stderr as docker tidy writes them: whole texts, in order, synchronously, straight to
// the descriptor. In Bun, process.stdout and process.stderr set up a stream on first use, about
// 12 ms of CPU each on every run (the handshake avoids them too: src/main.ts), where a command
// writes a few texts. A reader that went away (EPIPE: `docker tidy images | head -1`) is not a
// failure: the rest is dropped. Windows keeps process.stdout (its console wants UTF-16).
import { writeSync } from 'node:fs';

/** Where a command writes its result (stdout) or its questions, progress and warnings (stderr). */
export interface Output {
  write(text: string): boolean;
  /** Whether it is a terminal (asked on first use: loading node:tty costs as much as a stream). */
  readonly isTTY: boolean;
}

/** An Output for descriptor 1 or 2. */
export function outputTo(fd: 1 | 2): Output {
  if (process.platform === 'win32') return fd === 1 ? process.stdout : process.stderr;
  let closed = false;
  let tty: boolean | undefined;
  return {
    write(text: string): boolean {
      if (closed) return false;
      const bytes = Buffer.from(text, 'utf8');
      for (let offset = 0; offset < bytes.length; ) {
        try {
          offset += writeSync(fd, bytes, offset);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          // A descriptor someone made non-blocking, and full: wait for the reader.
          if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 2);
          else if (code === 'EPIPE') {
            closed = true;
            return false;
          } else throw error;
        }
      }
      return true;
    },
    get isTTY(): boolean {
      return (tty ??= process.getBuiltinModule('node:tty').isatty(fd));
    },
  };
}

const pause = new Int32Array(new SharedArrayBuffer(4));
