/**
 * The few GitHub REST calls the delivery reports make, with the job's GITHUB_TOKEN (fetch, no
 * dependency). Endpoints (https://docs.github.com/en/rest):
 * - GET  /repos/{owner}/{repo}/commits/{sha}/pulls            pull requests of a merged commit
 * - GET  /repos/{owner}/{repo}/issues/{n}/comments            comments of a PR or issue
 * - POST /repos/{owner}/{repo}/issues/{n}/comments            new comment
 * - PATCH /repos/{owner}/{repo}/issues/comments/{id}          edit a comment
 * - GET  /repos/{owner}/{repo}/issues?state=open&creator=...  open issues (pull requests filtered out)
 * - POST /repos/{owner}/{repo}/issues, PATCH .../issues/{n}   open, edit, close an issue
 * - GET  /repos/{owner}/{repo}/git/ref/heads/{branch}         head commit of a branch
 * - GET  /repos/{owner}/{repo}/actions/runs/{run_id}/approvals review history of a run: who approved
 *   or rejected which environment ("Get the review history for a workflow run"; actions: read)
 * Lists are paginated with the `Link: <...>; rel="next"` header.
 */

export interface GitHubComment {
  readonly id: number;
  readonly body: string;
  readonly author: string;
  readonly url: string;
}

export interface GitHubIssue {
  readonly number: number;
  readonly title: string;
  readonly body: string;
  readonly author: string;
  readonly url: string;
}

/** One approval or rejection of a run's deployments. */
export interface RunReview {
  readonly state: 'approved' | 'rejected';
  readonly environments: readonly string[];
  readonly reviewer: string;
}

export interface GitHub {
  pullRequestsOfCommit(sha: string): Promise<number[]>;
  headOf(branch: string): Promise<string>;
  runReviews(runId: string): Promise<RunReview[]>;
  comments(issueNumber: number): Promise<GitHubComment[]>;
  createComment(issueNumber: number, body: string): Promise<GitHubComment>;
  updateComment(id: number, body: string): Promise<void>;
  openIssues(creator: string): Promise<GitHubIssue[]>;
  createIssue(title: string, body: string): Promise<GitHubIssue>;
  updateIssue(issueNumber: number, fields: { readonly title?: string; readonly body?: string; readonly state?: 'open' | 'closed' }): Promise<void>;
}

export class GitHubApiError extends Error {}

interface Raw {
  readonly [key: string]: unknown;
}

function login(raw: Raw): string {
  const user = raw.user as Raw | null | undefined;
  return typeof user?.login === 'string' ? user.login : '';
}

const toComment = (raw: Raw): GitHubComment => ({ id: Number(raw.id), body: String(raw.body ?? ''), author: login(raw), url: String(raw.html_url ?? '') });
const toIssue = (raw: Raw): GitHubIssue => ({
  number: Number(raw.number),
  title: String(raw.title ?? ''),
  body: String(raw.body ?? ''),
  author: login(raw),
  url: String(raw.html_url ?? ''),
});

export interface GitHubConnection {
  /** GITHUB_API_URL, e.g. https://api.github.com. */
  readonly apiUrl: string;
  /** owner/repo (GITHUB_REPOSITORY). */
  readonly repository: string;
  readonly token: string;
}

export function connectionFromEnvironment(env: NodeJS.ProcessEnv = process.env): GitHubConnection {
  const token = env.GITHUB_TOKEN ?? '';
  const repository = env.GITHUB_REPOSITORY ?? '';
  if (token === '') throw new GitHubApiError('GITHUB_TOKEN is not set (pass the job token through env:)');
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) throw new GitHubApiError(`GITHUB_REPOSITORY must be owner/repo, got "${repository}"`);
  return { apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/$/, ''), repository, token };
}

export function restClient(c: GitHubConnection): GitHub {
  const base = `${c.apiUrl}/repos/${c.repository}`;
  const request = async (method: string, url: string, body?: unknown): Promise<{ json: unknown; next?: string }> => {
    const response = await fetch(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${c.token}`,
        'x-github-api-version': '2022-11-28',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new GitHubApiError(`${method} ${url.replace(c.apiUrl, '')}: HTTP ${response.status} ${text.slice(0, 200)}`);
    const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    return { json: text === '' ? null : JSON.parse(text), ...(next !== undefined ? { next } : {}) };
  };
  const all = async (url: string): Promise<Raw[]> => {
    const items: Raw[] = [];
    for (let next: string | undefined = url; next !== undefined;) {
      const page: { json: unknown; next?: string } = await request('GET', next);
      items.push(...(page.json as Raw[]));
      next = page.next;
    }
    return items;
  };
  return {
    pullRequestsOfCommit: async (sha) => (await all(`${base}/commits/${sha}/pulls?per_page=100`)).map((pr) => Number(pr.number)),
    headOf: async (branch) => String(((await request('GET', `${base}/git/ref/heads/${branch}`)).json as { object?: { sha?: string } }).object?.sha ?? ''),
    runReviews: async (runId) =>
      (await all(`${base}/actions/runs/${runId}/approvals`)).map((r) => ({
        state: r.state === 'approved' ? 'approved' : 'rejected',
        environments: ((r.environments as Raw[] | undefined) ?? []).map((e) => String(e.name ?? '')),
        reviewer: login(r),
      })),
    comments: async (n) => (await all(`${base}/issues/${n}/comments?per_page=100`)).map(toComment),
    createComment: async (n, body) => toComment((await request('POST', `${base}/issues/${n}/comments`, { body })).json as Raw),
    updateComment: async (id, body) => {
      await request('PATCH', `${base}/issues/comments/${id}`, { body });
    },
    openIssues: async (creator) =>
      (await all(`${base}/issues?state=open&creator=${encodeURIComponent(creator)}&per_page=100`)).filter((i) => i.pull_request === undefined).map(toIssue),
    createIssue: async (title, body) => toIssue((await request('POST', `${base}/issues`, { title, body })).json as Raw),
    updateIssue: async (n, fields) => {
      await request('PATCH', `${base}/issues/${n}`, fields);
    },
  };
}
