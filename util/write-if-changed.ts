// Write a file only when its content differs from what is there, so unchanged outputs keep their
// timestamps (make, caches and editors see no change). Depends on nothing: any layer may use it.
import fs from 'node:fs';

export function writeIfChanged(file: string, content: string | Buffer): void {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  if (fs.existsSync(file) && fs.readFileSync(file).equals(buf)) return;
  fs.writeFileSync(file, buf);
}
