// The shapes the storage layer returns. These are also the CLI's JSON.

/** Fields agents write through the beads dialect (schema version 3). Texts are '' when unset. */
export interface IssueExtras {
  readonly design: string;
  readonly acceptance_criteria: string;
  readonly notes: string;
  readonly external_ref: string | null;
  readonly estimated_minutes: number | null;
  /** ISO 8601 UTC. */
  readonly due_at: string | null;
  /** ISO 8601 UTC; `ready` leaves the issue out until then. */
  readonly defer_until: string | null;
}

export interface Issue extends IssueExtras {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly status: string;
  readonly priority: number;
  readonly type: string;
  /** The same as `type`, under the name beads uses. */
  readonly issue_type: string;
  readonly assignee: string | null;
  readonly labels: readonly string[];
  readonly close_reason: string | null;
  readonly created_at: string;
  readonly created_by: string;
  readonly updated_at: string;
  /** When the issue was closed (the stamp of its status), or null while it is not closed. */
  readonly closed_at: string | null;
}

export interface DependencyRef {
  readonly id: string;
  /** The dependency's type. */
  readonly type: string;
  readonly title: string | null;
  readonly status: string | null;
  readonly priority: number | null;
  /** The other issue's type. */
  readonly issue_type: string | null;
  readonly assignee: string | null;
}

export interface Comment {
  readonly id: string;
  readonly issue_id: string;
  readonly author: string;
  readonly body: string;
  readonly created_at: string;
}

export interface IssueDetail extends Issue {
  /** Issues this one depends on. */
  readonly dependencies: readonly DependencyRef[];
  /** Issues that depend on this one. */
  readonly dependents: readonly DependencyRef[];
  readonly comments: readonly Comment[];
}

/** The extra fields as inputs: null clears one, undefined leaves it alone. */
export type ExtrasInput = { readonly [K in keyof IssueExtras]?: IssueExtras[K] | null };

/** A dependency given when an issue is created: the new issue depends on `depends_on`. */
export interface NewDependency {
  readonly depends_on: string;
  readonly type: string;
}

export interface CreateIssueInput extends ExtrasInput {
  readonly title: string;
  readonly description?: string;
  readonly priority?: number;
  readonly type?: string;
  readonly assignee?: string;
  readonly labels?: readonly string[];
  /** open unless given (beads creates deferred issues); never closed. */
  readonly status?: string;
  /** Written in the same transaction: an unknown id creates nothing. */
  readonly dependencies?: readonly NewDependency[];
}

export interface UpdateIssueInput extends ExtrasInput {
  readonly title?: string;
  readonly description?: string;
  readonly status?: string;
  readonly priority?: number;
  readonly type?: string;
  readonly assignee?: string | null;
  /** Appended to the notes on a new line, in the same transaction as the read. */
  readonly append_notes?: string;
}

export interface ListFilter {
  readonly status?: string;
  /** Any of these statuses (beads' comma lists). */
  readonly statuses?: readonly string[];
  readonly assignee?: string;
  /** Only issues with no assignee. */
  readonly unassigned?: boolean;
  readonly label?: string;
  /** All of these labels. */
  readonly labels?: readonly string[];
  /** At least one of these labels. */
  readonly labels_any?: readonly string[];
  readonly priorities?: readonly number[];
  readonly types?: readonly string[];
  /** Children of this issue (parent-child dependencies). */
  readonly parent?: string;
  /** Text that the id, title or description contains (case-insensitive). */
  readonly query?: string;
  readonly limit?: number;
}

/** An issue that a not-closed issue blocks, with the ids of its blockers. */
export interface BlockedIssue extends Issue {
  readonly blocked_by: readonly string[];
}

export interface IssueStats {
  readonly total: number;
  readonly open: number;
  readonly in_progress: number;
  readonly blocked: number;
  readonly deferred: number;
  readonly closed: number;
  /** Not closed, and blocked by a not-closed issue (whatever their status). */
  readonly blocked_by_dependencies: number;
  /** As many as `ready` returns. */
  readonly ready: number;
  /** Mean hours from creation to closing, over closed issues (0 when none is closed). */
  readonly average_lead_time_hours: number;
  /** Epics not closed whose children are all closed. */
  readonly epics_eligible_for_closure: number;
  readonly by_type: Readonly<Record<string, number>>;
  readonly by_priority: Readonly<Record<string, number>>;
  readonly by_assignee: Readonly<Record<string, number>>;
}
