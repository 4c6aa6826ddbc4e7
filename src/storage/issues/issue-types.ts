// The shapes the storage layer returns. These are also the CLI's JSON.

export interface Issue {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly status: string;
  readonly priority: number;
  readonly type: string;
  readonly assignee: string | null;
  readonly labels: readonly string[];
  readonly close_reason: string | null;
  readonly created_at: string;
  readonly created_by: string;
  readonly updated_at: string;
}

export interface DependencyRef {
  readonly id: string;
  readonly type: string;
  readonly title: string | null;
  readonly status: string | null;
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

export interface CreateIssueInput {
  readonly title: string;
  readonly description?: string;
  readonly priority?: number;
  readonly type?: string;
  readonly assignee?: string;
  readonly labels?: readonly string[];
}

export interface UpdateIssueInput {
  readonly title?: string;
  readonly description?: string;
  readonly status?: string;
  readonly priority?: number;
  readonly type?: string;
  readonly assignee?: string | null;
}

export interface ListFilter {
  readonly status?: string;
  readonly assignee?: string;
  readonly label?: string;
}
