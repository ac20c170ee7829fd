/**
 * Progress on stderr: a bar redrawn in place on a terminal; elsewhere (CI, pipes) a line every 10%, and
 * nothing for fewer than 20 items (a few seconds of work), so logs stay short and an error stays one line.
 */
export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
  let lastDecile = -1;
  return (done, total) => {
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      stream.write(`\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}`);
      if (done === total) stream.write("\n");
      return;
    }
    const decile = Math.floor((done / total) * 10);
    if (decile > lastDecile) {
      lastDecile = decile;
      if (total >= 20) stream.write(`${label}: ${done}/${total}\n`);
    }
  };
}
