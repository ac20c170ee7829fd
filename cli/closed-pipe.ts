/**
 * `facefleet models list | head -1`: when the reader of stdout goes away, a write fails with EPIPE, which Node
 * raises as an unhandled 'error' event (a stack trace on stderr, exit 1). A command-line tool stops quietly
 * instead, as `ls | head` does: nobody reads what is left.
 */
export function exitQuietlyOnClosedStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}
