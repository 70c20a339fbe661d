/** What a CLI command printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in-process with stdout and stderr captured (process streams and console alike). */
export async function runCli(entry: (argv: string[]) => Promise<number>, argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)),
    jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += `${a.join(' ')}\n`)),
    jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += `${a.join(' ')}\n`)),
  ];
  try {
    const code = await entry(argv);
    return { code, stdout, stderr };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}
