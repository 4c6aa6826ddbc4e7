// The scope of the bd dialect: every command line that beads 1.0.5's
// agent-facing documents (AGENTS.md, AGENT_INSTRUCTIONS.md, what `bd prime`
// prints, and the core commands of docs/CLI_REFERENCE.md) tell agents to
// type, in their spellings (test/beads/corpus.json, collected from beads'
// source). Each is either supported (the command and every flag exist) or
// refused with GRAVA_E_UNSUPPORTED naming it; none may fall through to
// "unknown command" or "unknown flag".

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allBeadsGroups, buildBeadsProgram } from '../../src/cli/beads/main.js';
import { classify, shellWords } from '../beads/corpus-check.js';

interface CorpusRow { source: string; line: string; grava: 'supported' | 'unsupported' | 'prose'; why?: string }

const corpus = JSON.parse(readFileSync(new URL('../beads/corpus.json', import.meta.url), 'utf8')) as CorpusRow[];
const program = buildBeadsProgram(allBeadsGroups());

describe('the documented bd command lines', () => {
  it('cover the agent documents and the core reference (the scope)', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(250);
    for (const doc of ['AGENTS.md', 'AGENT_INSTRUCTIONS.md', 'cmd/bd/prime.go', 'docs/CLI_REFERENCE.md']) {
      expect(corpus.filter((r) => r.source.startsWith(`${doc}:`)).length, doc).toBeGreaterThan(10);
    }
  });

  it.each(corpus.filter((r) => r.grava !== 'prose').map((r) => [r.line, r] as const))('%s', (_line, row) => {
    const { verdict, detail } = classify(program, row.line);
    expect(`${verdict} (${detail})`).toMatch(new RegExp(`^${row.grava} `));
  });

  it('the agent loop itself is supported in every spelling the documents use', () => {
    const loop = corpus.filter((r) => /^bd (ready|create|update|close|show|dep add|prime)\b/.test(r.line) && !r.source.startsWith('docs/'));
    expect(loop.length).toBeGreaterThan(30);
    const refused = loop.filter((r) => r.grava !== 'supported' && r.grava !== 'prose').map((r) => r.line);
    // The agent documents' lines for these commands that grava refuses: only beads-only flags.
    expect(refused).toEqual(['bd create --validate', 'bd close <id> --suggest-next']);
  });
});

describe('shellWords', () => {
  it('splits like a shell: quotes group, pipes and comments end the command', () => {
    expect(shellWords(`bd create "Fix it" --description='a b' -p 1 | jq .`)).toEqual(['bd', 'create', 'Fix it', '--description=a b', '-p', '1']);
    expect(shellWords('bd close a b # done')).toEqual(['bd', 'close', 'a', 'b']);
    expect(shellWords('bd comment x ""')).toEqual(['bd', 'comment', 'x', '']);
  });
});
