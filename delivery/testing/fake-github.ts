/**
 * A small in-memory GitHub REST API on 127.0.0.1 for the endpoints delivery/github-api.ts uses,
 * paginating every list two items per page with a Link header, so the client's paging is exercised.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeItem {
  id: number;
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  user: { login: string };
  html_url: string;
  pull_request?: Record<string, never>;
  comments: { id: number; body: string; user: { login: string }; html_url: string }[];
}

export interface FakeGitHub {
  readonly apiUrl: string;
  readonly items: FakeItem[];
  /** Pull request numbers of a commit. */
  readonly commitPulls: Map<string, number[]>;
  /** Branch name to head commit. */
  readonly branches: Map<string, string>;
  /** Runs of the apply workflow with their jobs (GET .../actions/workflows/apply.yml/runs, .../runs/{id}/jobs). */
  readonly applyRuns: { id: number; status: string; jobs: { name: string; status: string; html_url: string }[] }[];
  /** Run id to its review history (GET .../actions/runs/{id}/approvals). */
  readonly reviews: Map<string, { state: 'approved' | 'rejected'; environments: { name: string }[]; user: { login: string }; comment: string }[]>;
  readonly requests: string[];
  addPullRequest(number: number, title?: string): FakeItem;
  addIssue(title: string, body: string, login?: string): FakeItem;
  addComment(itemNumber: number, body: string, login?: string): void;
  close(): Promise<void>;
}

export const BOT_LOGIN = 'github-actions[bot]';

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString('utf8')));
    req.on('end', () => resolve(text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)));
  });
}

export async function startFakeGitHub(repository = 'example-org/usage-billing-platform'): Promise<FakeGitHub> {
  const items: FakeItem[] = [];
  const commitPulls = new Map<string, number[]>();
  const branches = new Map<string, string>();
  const reviews: FakeGitHub['reviews'] = new Map();
  const applyRuns: FakeGitHub['applyRuns'] = [];
  const requests: string[] = [];
  let nextId = 1000;
  let apiUrl = '';
  const base = `/repos/${repository}`;
  const itemUrl = (n: number) => `https://github.com/${repository}/issues/${n}`;

  const page = (url: URL, list: unknown[]): { body: unknown[]; link?: string } => {
    const p = Number(url.searchParams.get('page') ?? '1');
    const body = list.slice((p - 1) * 2, p * 2);
    if (p * 2 >= list.length) return { body };
    url.searchParams.set('page', String(p + 1));
    return { body, link: `<${apiUrl}${url.pathname}${url.search}>; rel="next"` };
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(`${req.method} ${url.pathname}`);
      const send = (status: number, body?: unknown, link?: string) => {
        res.writeHead(status, { 'content-type': 'application/json', ...(link ? { link } : {}) });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      if (req.headers.authorization !== 'Bearer test-token') return send(401, { message: 'Bad credentials' });
      const path = url.pathname;
      let m: RegExpExecArray | null;
      if (req.method === 'GET' && (m = new RegExp(`^${base}/commits/(\\w+)/pulls$`).exec(path))) {
        const { body, link } = page(
          url,
          (commitPulls.get(m[1]) ?? []).map((number) => ({ number })),
        );
        return send(200, body, link);
      }
      if (req.method === 'GET' && (m = new RegExp(`^${base}/git/ref/heads/(.+)$`).exec(path))) {
        const sha = branches.get(m[1]);
        return sha === undefined ? send(404, { message: 'Not Found' }) : send(200, { ref: `refs/heads/${m[1]}`, object: { sha, type: 'commit' } });
      }
      if (req.method === 'GET' && path === `${base}/actions/workflows/apply.yml/runs`) {
        const status = url.searchParams.get('status');
        const runs = applyRuns.filter((r) => status === null || r.status === status).map(({ id, status: s }) => ({ id, status: s }));
        return send(200, { total_count: runs.length, workflow_runs: runs });
      }
      if (req.method === 'GET' && (m = new RegExp(`^${base}/actions/runs/(\\d+)/jobs$`).exec(path))) {
        const run = applyRuns.find((r) => r.id === Number(m![1]));
        return run ? send(200, { total_count: run.jobs.length, jobs: run.jobs }) : send(404, { message: 'Not Found' });
      }
      if (req.method === 'GET' && (m = new RegExp(`^${base}/actions/runs/(\\d+)/approvals$`).exec(path))) {
        return send(200, reviews.get(m[1]) ?? []);
      }
      if ((m = new RegExp(`^${base}/issues/(\\d+)/comments$`).exec(path))) {
        const item = items.find((i) => i.number === Number(m![1]));
        if (!item) return send(404, { message: 'Not Found' });
        if (req.method === 'GET') {
          const { body, link } = page(url, item.comments);
          return send(200, body, link);
        }
        const { body } = await readBody(req);
        const comment = { id: nextId++, body: String(body), user: { login: BOT_LOGIN }, html_url: `${itemUrl(item.number)}#c` };
        item.comments.push(comment);
        return send(201, comment);
      }
      if (req.method === 'PATCH' && (m = new RegExp(`^${base}/issues/comments/(\\d+)$`).exec(path))) {
        const comment = items.flatMap((i) => i.comments).find((c) => c.id === Number(m![1]));
        if (!comment) return send(404, { message: 'Not Found' });
        comment.body = String((await readBody(req)).body);
        return send(200, comment);
      }
      if (path === `${base}/issues` && req.method === 'GET') {
        const state = url.searchParams.get('state') ?? 'open';
        const creator = url.searchParams.get('creator');
        const { body, link } = page(
          url,
          items.filter((i) => i.state === state && (creator === null || i.user.login === creator)),
        );
        return send(200, body, link);
      }
      if (path === `${base}/issues` && req.method === 'POST') {
        const { title, body } = await readBody(req);
        const item: FakeItem = {
          id: nextId++,
          number: items.length + 1,
          title: String(title),
          body: String(body),
          state: 'open',
          user: { login: BOT_LOGIN },
          html_url: '',
          comments: [],
        };
        item.html_url = itemUrl(item.number);
        items.push(item);
        return send(201, item);
      }
      if (req.method === 'PATCH' && (m = new RegExp(`^${base}/issues/(\\d+)$`).exec(path))) {
        const item = items.find((i) => i.number === Number(m![1]));
        if (!item) return send(404, { message: 'Not Found' });
        const fields = await readBody(req);
        if (typeof fields.title === 'string') item.title = fields.title;
        if (typeof fields.body === 'string') item.body = fields.body;
        if (fields.state === 'open' || fields.state === 'closed') item.state = fields.state;
        return send(200, item);
      }
      send(404, { message: `no route ${req.method} ${path}` });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const add = (title: string, body: string, login: string, pull: boolean): FakeItem => {
    const item: FakeItem = {
      id: nextId++,
      number: items.length + 1,
      title,
      body,
      state: 'open',
      user: { login },
      html_url: '',
      comments: [],
      ...(pull ? { pull_request: {} } : {}),
    };
    item.html_url = itemUrl(item.number);
    items.push(item);
    return item;
  };
  return {
    apiUrl,
    items,
    commitPulls,
    branches,
    reviews,
    applyRuns,
    requests,
    addPullRequest: (number, title = `PR ${number}`) => {
      while (items.length < number - 1) add('filler', '', 'someone', false);
      return add(title, '', 'someone', true);
    },
    addIssue: (title, body, login = BOT_LOGIN) => add(title, body, login, false),
    addComment: (n, body, login = 'someone') => {
      items.find((i) => i.number === n)?.comments.push({ id: nextId++, body, user: { login }, html_url: '' });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
