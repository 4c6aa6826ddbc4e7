// The agent guide `bd prime` prints: grava's own words for the loop agents
// follow, fitted to the workspace it runs in (actor, prefix, remote).

export interface PrimeContext {
  readonly actor: string;
  readonly prefix: string;
  /** The central server or shared remote, or null for a local-only workspace. */
  readonly remote: string | null;
}

export function primeText(c: PrimeContext): string {
  const sync = c.remote
    ? `This workspace syncs with ${c.remote}. A daemon does it for you: your writes reach the other agents within seconds, and theirs reach you. Never wait for a sync or run one by hand; \`bd sync\` exists for the rare moment you must see another agent's change right now.`
    : 'This workspace is local only (no remote). Other agents see your issues only if they share this workspace.';
  const claims = c.remote
    ? 'A claim is decided by the central server, so across the whole fleet exactly one agent gets each issue. If `--claim` fails, someone else holds it: the error names them. Pick another issue; do not work on one you failed to claim.'
    : 'A claim is decided in this workspace: of two agents claiming at once, exactly one wins.';
  return `# grava: issue tracking for this project (bd dialect)

You are **${c.actor}**. Issues look like \`${c.prefix}-a1b2\`. Track all work here, not in markdown TODO lists.

## The loop

1. \`bd ready --json\`: work that can start now (open, nothing blocking it, not deferred).
2. \`bd update ID --claim --json\`: take one. Claiming an issue you already hold succeeds and changes nothing.
3. Do the work. Record what you learn as you go:
   - \`bd update ID --notes "..."\` (or \`--append-notes\`), \`--design "..."\`, \`--acceptance "..."\`
   - \`bd comment ID "..."\` for a progress note others should see
4. Found more work on the way? \`bd create "Title" -t bug -p 1 --deps discovered-from:ID --json\`.
5. \`bd close ID --reason "what was done" --json\`. Several at once: \`bd close ID1 ID2 --reason "..."\`.

## Sync

${sync}

## Claims

${claims}
A claim with \`--lease 2h\` (grava's \`grava update ID --claim --lease 2h\`) expires if you stop; then another agent may take the issue. To hand an issue back: \`grava update ID --unclaim\`.

## Useful commands

- \`bd show ID --json\` (an array), \`bd list --status open,in_progress\`, \`bd search "text"\`, \`bd blocked\`, \`bd stats\`
- \`bd dep add ID OTHER\` (ID depends on OTHER), \`bd label add ID LABEL\`, \`bd children ID\`
- Priorities are 0 (most urgent) to 4, or P0 to P4. Types: bug, feature, task, epic, chore.
- \`bd delete ID\` only previews; \`--force\` deletes.

## Before you end the session

1. Close what you finished, with a reason; create issues for what is left.
2. Unclaim what you will not finish (\`grava update ID --unclaim\`), so others can take it.
3. Run the project's quality gates (tests, linters) if you changed code, and commit your code to git as the project asks.
4. Nothing to push for issues: the daemon syncs them. \`bd sync\` shows it is done.

Not in grava: memories (\`bd remember\`), molecules, wisps, gates, mail, federation, \`bd edit\`. Those commands say so when run.
`;
}
