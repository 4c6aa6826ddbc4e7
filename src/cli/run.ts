// The wrapper every command action runs in: output mode, error line, exit code.

import { Option } from 'commander';
import { makeOut, printError, type Out } from './output.js';

export function jsonOption(): Option {
  return new Option('--json', 'print JSON on stdout (and nothing else)');
}

export async function run(opts: { json?: boolean }, fn: (out: Out) => Promise<void>): Promise<void> {
  const json = opts.json === true;
  try {
    await fn(makeOut(json));
  } catch (e) {
    process.exitCode = printError(e, json).exitCode;
  }
}
