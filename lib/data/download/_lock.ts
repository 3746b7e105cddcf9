// An exclusive lock on a lock file (flock through Deno's FsFile.lock), so one
// process at a time writes a given download; waiting is polled so that an
// abort or a time limit can end it.

import { seconds, sleep } from "./_s3.ts";

/** A held lock; closing the file releases it (also when the process dies). */
export interface FileLock extends Disposable {
  release(): void;
}

/** Options for {@link acquireLock}. */
export interface AcquireLockOptions {
  signal?: AbortSignal;
  /** Give up after waiting this long. */
  timeoutMs: number;
  /** Called once when the lock is held by someone else, with what the holder wrote. */
  onWait?: (holder: string) => void | Promise<void>;
  /** What the error says is being waited for, e.g. "another download of x.h5". */
  what: string;
}

const POLL_MS = 100;

/** Take the exclusive lock on `path` (created if missing), waiting for another holder. */
export async function acquireLock(
  path: string,
  options: AcquireLockOptions,
): Promise<FileLock> {
  const file = await Deno.open(path, {
    read: true,
    write: true,
    create: true,
  });
  try {
    if (!await file.tryLock(true)) {
      const holder = (await Deno.readTextFile(path).catch(() => "")).trim();
      await options.onWait?.(holder);
      const deadline = Date.now() + options.timeoutMs;
      // Bounded: ends by the deadline, an abort, or getting the lock.
      while (!await file.tryLock(true)) {
        if (Date.now() >= deadline) {
          throw new Error(
            `Gave up after waiting ${
              seconds(options.timeoutMs)
            } for ${options.what} (lock ${path}${
              holder ? `, held by ${holder}` : ""
            }). Run again once it has finished.`,
          );
        }
        await sleep(POLL_MS, options.signal);
      }
    }
    // Who holds it, for the message of whoever waits next (flock is advisory: they can read it).
    await file.truncate(0);
    await file.write(
      new TextEncoder().encode(
        `process ${Deno.pid} since ${new Date().toISOString()}\n`,
      ),
    );
  } catch (err) {
    file.close();
    throw err;
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    file.close();
  };
  return { release, [Symbol.dispose]: release };
}
