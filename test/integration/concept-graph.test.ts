import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, registerUser, statementsOf } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// GET /api/v1/courses/:id/concepts on fixture graphs written straight into the tables: distinct nodes with
// their minimum depth, cycles, a hub whose fan-out meets the node cap, and the query's bounds.
let t: TestApp;
let owner: { id: string; token: string };
beforeAll(async () => {
  t = await createTestApp();
  owner = await registerUser(t);
});
afterAll(() => t?.close());

type Rel = 'contains' | 'relates-to';

/** A ready course whose graph has the given named nodes (plus the root, `course`) and edges. */
async function fixtureCourse(names: string[], edges: [string, Rel, string][]): Promise<string> {
  const courseId = uuidv7();
  const db = t.deps.database.db;
  await db
    .insertInto('courses')
    .values({ id: courseId, owner_id: owner.id, title: 'Fixture', status: 'ready', cache_key: uuidv7() })
    .execute();
  const ids = new Map(['course', ...names].map((name) => [name, uuidv7()]));
  await db
    .insertInto('concepts')
    .values(
      [...ids].map(([name, id]) => ({
        id,
        course_id: courseId,
        name,
        kind: name === 'course' ? ('course' as const) : ('concept' as const),
      })),
    )
    .execute();
  await db
    .insertInto('concept_edges')
    .values(edges.map(([src, rel, dst]) => ({ src_id: ids.get(src)!, rel, dst_id: ids.get(dst)! })))
    .execute();
  return courseId;
}

// course ⊃ alpha, beta; alpha ⊃ gamma and beta ⊃ gamma (two paths to gamma); gamma relates back to alpha (a
// cycle); xi relates to beta (reached against the edge's direction); gamma ⊃ delta ⊃ epsilon (depth 4).
const BASE: [string, Rel, string][] = [
  ['course', 'contains', 'alpha'],
  ['course', 'contains', 'beta'],
  ['alpha', 'contains', 'gamma'],
  ['beta', 'contains', 'gamma'],
  ['gamma', 'relates-to', 'alpha'],
  ['xi', 'relates-to', 'beta'],
  ['gamma', 'contains', 'delta'],
  ['delta', 'contains', 'epsilon'],
];
const BASE_NAMES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'xi'];

const walk = (courseId: string, query: string, token = owner.token) =>
  get(t, token, `/api/v1/courses/${courseId}/concepts?${query}`);
const shape = (body: { items: { name: string; depth: number }[] }) =>
  body.items.map((i) => [i.name, i.depth]);

describe('the concept walk', () => {
  it('answers each reachable node once, at its minimum depth, through cycles and both directions of relates-to', async () => {
    const courseId = await fixtureCourse(BASE_NAMES, BASE);
    const res = await walk(courseId, 'depth=3&limit=100');
    expect(res.statusCode, res.body).toBe(200);
    expect(shape(res.json())).toEqual([
      ['alpha', 1],
      ['beta', 1],
      ['gamma', 2],
      ['xi', 2],
      ['delta', 3],
    ]);
    expect(res.json()).toMatchObject({ truncated: false });

    expect(shape((await walk(courseId, 'depth=1')).json())).toEqual([
      ['alpha', 1],
      ['beta', 1],
    ]);
  });

  it('stops at the node cap on a hub, keeping breadth-first order', async () => {
    const leaves = Array.from({ length: 150 }, (_, i) => `leaf-${String(i + 1).padStart(3, '0')}`);
    const courseId = await fixtureCourse(
      [...BASE_NAMES, 'hub', ...leaves],
      [
        ...BASE,
        ['course', 'contains', 'hub'],
        ...leaves.map((leaf): [string, Rel, string] => ['hub', 'contains', leaf]),
      ],
    );
    const res = await walk(courseId, 'depth=3&limit=100');
    expect(res.statusCode).toBe(200);
    const body = res.json<{ items: { id: string; name: string; depth: number }[]; truncated: boolean }>();
    expect(body.truncated).toBe(true);
    expect(body.items).toHaveLength(100);
    expect(new Set(body.items.map((i) => i.id)).size).toBe(100);
    // Depth 1 whole, then depth 2 in name order until the cap: gamma, then the first 96 leaves.
    expect(shape(body).slice(0, 5)).toEqual([
      ['alpha', 1],
      ['beta', 1],
      ['hub', 1],
      ['gamma', 2],
      ['leaf-001', 2],
    ]);
    expect(shape(body).at(-1)).toEqual(['leaf-096', 2]);

    const small = await walk(courseId, 'depth=2&limit=10');
    expect(small.json<{ items: unknown[] }>().items).toHaveLength(10);
  });

  it('refuses depth outside 1..3 and limit outside 1..100 with 400 problems', async () => {
    const courseId = await fixtureCourse(BASE_NAMES, BASE);
    for (const query of ['depth=0', 'depth=4', 'limit=0', 'limit=101', 'depth=two']) {
      const res = await walk(courseId, query);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('serves a repeated walk from the cache, and walks a replaced graph anew', async () => {
    const courseId = await fixtureCourse(BASE_NAMES, BASE);
    const first = await walk(courseId, 'depth=3&limit=100');
    const again = await walk(courseId, 'depth=3&limit=100');
    expect(again.json()).toEqual(first.json());
    // The repeat reads only the course (ownership and version), never the graph.
    expect(statementsOf(again)).toBeLessThan(statementsOf(first));

    // A graph is replaced together with a status change (regenerate, completion), which moves updated_at.
    const db = t.deps.database.db;
    const xi = first.json<{ items: { id: string; name: string }[] }>().items.find((i) => i.name === 'xi')!;
    await db.deleteFrom('concept_edges').where('src_id', '=', xi.id).execute();
    await db
      .updateTable('courses')
      .set({ updated_at: new Date(Date.now() + 1000) })
      .where('id', '=', courseId)
      .execute();
    const after = await walk(courseId, 'depth=3&limit=100');
    expect(shape(after.json()).map(([name]) => name)).not.toContain('xi');
  });

  it("answers 404 for another user's course", async () => {
    const courseId = await fixtureCourse(BASE_NAMES, BASE);
    const stranger = await registerUser(t);
    const res = await walk(courseId, 'depth=1', stranger.token);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'COURSE_NOT_FOUND' });
  });
});
