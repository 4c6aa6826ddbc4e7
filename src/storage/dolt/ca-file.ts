// A CA bundle for an https central: the workspace's `remote.ca_file` setting,
// handed to its Dolt as SSL_CERT_FILE.

import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { GravaError } from '../../errors/grava-error.js';

/** Why `path` cannot be a CA bundle, or undefined when it can ('' means the system's bundle). */
export function caFileProblem(path: string): string | undefined {
  if (path === '') return undefined;
  if (!isAbsolute(path)) return 'expected an absolute path';
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size === 0) return 'not a non-empty file';
    accessSync(path, constants.R_OK);
  } catch {
    return 'no readable file there';
  }
  return undefined;
}

export function validCaFile(raw: string): string {
  const path = raw.trim();
  const problem = caFileProblem(path);
  if (problem) throw new GravaError('GRAVA_E_INVALID', `invalid CA file ${JSON.stringify(raw)}: ${problem}`);
  return path;
}
