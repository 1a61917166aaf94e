import { uuidv7 } from 'uuidv7';
import type { Cache } from '../../../platform/cache/cache.ts';
import { AppError } from '../../../platform/errors.ts';
import { decodeCursor, toPage } from '../../../platform/pagination.ts';
import type { TokenBudget } from '../../ai-usage/index.ts';
import type { Actor } from '../../users/index.ts';
import type { AiCacheRepository } from '../ai-cache/ai-cache.repository.ts';
import { conceptGraph } from '../concepts/concept-graph.ts';
import type { ConceptsRepository } from '../concepts/concepts.repository.ts';
import { courseNotFound } from '../generation.errors.ts';
import { readCachedCourse } from './cached-course.ts';
import { courseCacheKey } from './course-cache-key.ts';
import { courseJobId, type PublishCourseEvent } from './course.events.ts';
import type { CourseLevel, CourseRow, CoursesRepository } from './courses.repository.ts';

export interface CreateCourseInput {
  documentIds: string[];
  title?: string;
  audience?: string;
  level?: CourseLevel;
}

export interface CoursesServiceDeps {
  courses: CoursesRepository;
  concepts: ConceptsRepository;
  aiCache: AiCacheRepository;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: PublishCourseEvent;
  /** Set when a chat model makes courses: its name keys the cache and its tokens are budgeted. */
  llmModel: string | undefined;
  extractiveModel: string;
  budget: Pick<TokenBudget, 'assertAvailable'>;
  maxInputTokens: number;
  cache: Pick<Cache, 'getOrSet'>;
}

export type CreatedCourse =
  { cached: true; course: CourseRow } | { cached: false; course: CourseRow; jobId: string };

/** Course use cases: create (from the owner's cache when possible), read, list, regenerate, delete. */
export function createCoursesService(deps: CoursesServiceDeps) {
  const { courses, transaction, publish } = deps;

  async function readyDocuments(actor: Actor, documentIds: string[]) {
    const found = await courses.findDocuments(actor.id, documentIds);
    const byId = new Map(found.map((d) => [d.id, d]));
    const missing = documentIds.find((id) => !byId.has(id));
    if (missing) {
      throw new AppError(
        'COURSE_DOCUMENTS_NOT_FOUND',
        404,
        `Document ${missing} was not found in your library.`,
      );
    }
    const unready = found.find((d) => d.status !== 'ready');
    if (unready) {
      throw new AppError(
        'COURSE_DOCUMENTS_NOT_READY',
        422,
        `Document ${unready.id} is ${unready.status}; courses are built from ready documents only.`,
      );
    }
    return documentIds.map((id) => byId.get(id)!);
  }

  async function findOwned(actor: Actor, id: string): Promise<CourseRow> {
    const row = await courses.findById(actor.id, id);
    if (!row) throw courseNotFound();
    return row;
  }

  const event = (row: { id: string; owner_id: string; title: string }, status: CourseRow['status']) => ({
    courseId: row.id,
    ownerId: row.owner_id,
    title: row.title,
    status,
  });

  return {
    async create(actor: Actor, input: CreateCourseInput): Promise<CreatedCourse> {
      const documentIds = [...new Set(input.documentIds)];
      const documents = await readyDocuments(actor, documentIds);
      const wishes = {
        title: input.title ?? null,
        audience: input.audience ?? null,
        level: input.level ?? null,
      };
      const cacheKey = courseCacheKey({
        userId: actor.id,
        model: deps.llmModel ?? deps.extractiveModel,
        ...wishes,
        maxInputTokens: deps.maxInputTokens,
        documents,
      });
      const id = uuidv7();
      const title = input.title ?? documents[0]!.title;
      const course = { id, ownerId: actor.id, ...wishes, title, documentIds, cacheKey };
      const hit = await deps.aiCache.find(actor.id, cacheKey);
      const cached = hit && readCachedCourse(hit.output);
      if (hit && cached) {
        // A new course, ready at once: the cached artifact and a concept graph built from it.
        await transaction(async () => {
          await courses.insert({ ...course, ready: { ...cached, model: hit.model } });
          const graph = conceptGraph(title, cached.artifact);
          await deps.concepts.replaceGraph(id, graph.nodes, graph.edges);
          await publish('course.created', id, { courseId: id, ownerId: actor.id, title, status: 'ready' });
        });
        return { cached: true, course: await findOwned(actor, id) };
      }
      if (deps.llmModel) await deps.budget.assertAvailable(actor.id);
      await transaction(async () => {
        await courses.insert(course);
        await publish('course.created', id, { courseId: id, ownerId: actor.id, title, status: 'queued' });
        await publish('course.generation-requested', id, {
          courseId: id,
          generation: 1,
          cacheKey,
          section: null,
        });
      });
      return { cached: false, course: await findOwned(actor, id), jobId: courseJobId(id, 1) };
    },

    get: findOwned,

    async list(actor: Actor, query: { limit: number; cursor?: string }) {
      const rows = await courses.listByOwner(actor.id, decodeCursor(query.cursor), query.limit);
      return toPage(rows, query.limit);
    },

    /**
     * The whole course again, or one outline item (0-based `section`), bypassing the cache; the result replaces
     * the cached entry.
     */
    async regenerate(
      actor: Actor,
      id: string,
      section: number | null,
    ): Promise<{ course: CourseRow; jobId: string }> {
      const current = await findOwned(actor, id);
      if (section !== null && (current.status !== 'ready' || !current.outline?.[section])) {
        throw new AppError(
          'COURSE_SECTION_NOT_FOUND',
          422,
          `The course has no outline item ${section} to regenerate (it has ${current.status === 'ready' ? (current.outline?.length ?? 0) : 'none until it is ready'}).`,
        );
      }
      await readyDocuments(actor, current.document_ids);
      if (deps.llmModel) await deps.budget.assertAvailable(actor.id);
      const generation = await transaction(async () => {
        const restarted = await courses.restart(actor.id, id);
        if (!restarted) {
          throw new AppError(
            'COURSE_BUSY',
            409,
            'The course is being generated; regenerate it once it is finished.',
          );
        }
        await publish('course.updated', id, event(current, 'queued'));
        await publish('course.generation-requested', id, {
          courseId: id,
          generation: restarted.generation,
          cacheKey: restarted.cache_key,
          section,
        });
        return restarted.generation;
      });
      return { course: await findOwned(actor, id), jobId: courseJobId(id, generation) };
    },

    async delete(actor: Actor, id: string): Promise<void> {
      await transaction(async () => {
        const current = await findOwned(actor, id);
        if (!(await courses.delete(actor.id, id))) throw courseNotFound();
        await publish('course.deleted', id, { courseId: id, ownerId: actor.id, title: current.title });
      });
    },

    /** Distinct concepts reachable from the course within `depth` steps, with their minimum depth. */
    async concepts(actor: Actor, id: string, query: { depth: number; limit: number }) {
      const course = await findOwned(actor, id);
      // A graph is only ever replaced with a status change, which moves updated_at: the key names one graph.
      const version = `${course.generation}:${new Date(course.updated_at).getTime()}`;
      // One node more than asked says whether the walk was cut short.
      const walked = await deps.cache.getOrSet(
        'conceptWalk',
        `${id}:${version}:${query.depth}:${query.limit}`,
        () => deps.concepts.walk(id, query.depth, query.limit + 1),
      );
      return { items: walked.slice(0, query.limit), truncated: walked.length > query.limit };
    },
  };
}

export type CoursesService = ReturnType<typeof createCoursesService>;
