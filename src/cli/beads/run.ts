// The wrapper every bd command action runs in: JSON mode (--json or
// BD_JSON=1), beads-style errors, exit code 1 for any failure.

import type { Command } from 'commander';
import { call } from '../context.js';
import { asGravaError } from '../../errors/grava-error.js';
import { beadsOut, notFoundMessage, printBeadsError, type BeadsOut } from './render.js';

export function jsonEnabled(cmd: Command): boolean {
  const env = process.env.BD_JSON;
  return cmd.optsWithGlobals<{ json?: boolean }>().json === true || env === '1' || env === 'true';
}

/** Runs a command body; a number it returns is the exit code. */
export async function brun(cmd: Command, fn: (out: BeadsOut) => Promise<number | void>): Promise<void> {
  const json = jsonEnabled(cmd);
  try {
    const code = await fn(beadsOut(json));
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    process.exitCode = printBeadsError(e, json);
  }
}

/** A soft error for one id of several: a line on stderr (never JSON), and the command goes on. */
export function softError(what: string, e: unknown): void {
  process.stderr.write(`${what}: ${notFoundMessage(asGravaError(e)).replace(/\n/g, ' ')}\n`);
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export { call };
