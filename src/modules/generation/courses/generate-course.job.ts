import { isAiError } from '../../../platform/ai/ai-errors.ts';
import type { Llm } from '../../../platform/ai/llm.ts';
import { AppError } from '../../../platform/errors.ts';
import type { JobContext, JobResult } from '../../../platform/queue/queue.ts';
import type { TokenBudget } from '../../ai-usage/index.ts';
import type { AiCacheRepository } from '../ai-cache/ai-cache.repository.ts';
import { conceptGraph } from '../concepts/concept-graph.ts';
import type { ConceptsRepository } from '../concepts/concepts.repository.ts';
import type { CachedCourse } from './cached-course.ts';
import { courseJobId, type CourseGenerationJob, type PublishCourseEvent } from './course.events.ts';
import type { CourseGenerationRepository, Finished } from './course-generation.repository.ts';
import { EXTRACTIVE_COURSE_MODEL, extractiveCourse } from './extractive-course.ts';
import { llmCourse, llmSection } from './llm-course.ts';

/** Chunks a course reads at most; past the input budget the model reads notes of them instead (course-notes.ts). */
const MAX_CHUNKS = 400;
const STALLED_BATCH = 100;
/** The share of a job's progress (from 10 %) the map steps of a long input stand for. */
const MAP_PROGRESS = 70;
const LOCAL_NOTICE =
  'Extractive course: headings and central sentences of your documents; no AI model is configured.';
const DEGRADED_NOTICE =
  'Degraded: the AI service failed or was too slow, so this course was built extractively.';
const BUDGET_NOTICE = "Degraded: today's AI token budget is spent, so this course was built extractively.";

interface Made extends Finished {
  usage: { promptTokens: number; completionTokens: number } | null;
  cacheable: boolean;
}

export interface CourseGeneratorDeps {
  courses: CourseGenerationRepository;
  concepts: ConceptsRepository;
  aiCache: AiCacheRepository;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: PublishCourseEvent;
  /** Sends `{status, progress}` to the job's pub/sub channel; best effort. */
  notify: (jobId: string, message: { status: string; progress: number }) => void;
  llm: Llm | undefined;
  budget: Pick<TokenBudget, 'assertAvailable'>;
  maxInputTokens: number;
  cacheTtlSeconds: number;
}

/** The course.generate job: one generation of one course, skipped when the course has moved on. */
export function createCourseGenerator(deps: CourseGeneratorDeps) {
  const { courses, transaction, publish } = deps;

  type Started = NonNullable<Awaited<ReturnType<CourseGenerationRepository['startGenerating']>>>;

  /** The course as it is when only one of its sections is asked for anew. */
  function sectionTarget(job: CourseGenerationJob, started: Started) {
    const { summary, outline, objectives, engine, model } = started;
    if (job.section === null || !summary || !outline || !objectives || !engine || !model) return undefined;
    if (!outline[job.section]) return undefined;
    return { current: { summary, outline, objectives }, section: job.section, engine, model };
  }
  type Target = ReturnType<typeof sectionTarget>;

  /** `onStep` hears each map step of a long input (the course call itself comes after the last one). */
  async function produce(
    job: CourseGenerationJob,
    started: Started,
    target: Target,
    onStep: (done: number, total: number) => void,
  ): Promise<Made> {
    const ownerId = started.owner_id;
    const chunks = await courses.chunksOf(job.courseId, MAX_CHUNKS);
    const local = (notice: string): Made => {
      const made = extractiveCourse(chunks);
      // Without a model a section comes out as it did before: the engine is deterministic.
      const artifact = target
        ? {
            ...target.current,
            outline: target.current.outline.map((item, i) =>
              i === target.section ? (made.outline[i] ?? item) : item,
            ),
          }
        : made;
      // A fallback must not stand in for the model's course for the cache's lifetime.
      return {
        artifact,
        engine: 'extractive',
        model: EXTRACTIVE_COURSE_MODEL,
        notice,
        usage: null,
        cacheable: notice === LOCAL_NOTICE,
      };
    };
    if (!deps.llm) return local(LOCAL_NOTICE);
    try {
      await deps.budget.assertAvailable(ownerId);
    } catch (error) {
      if (error instanceof AppError && error.code === 'AI_BUDGET_EXCEEDED') return local(BUDGET_NOTICE);
      throw error;
    }
    const common = {
      llm: deps.llm,
      userId: ownerId,
      brief: started,
      chunks,
      maxInputTokens: deps.maxInputTokens,
    };
    try {
      const made = target
        ? await llmSection({ ...common, current: target.current, section: target.section })
        : await llmCourse({ ...common, onStep });
      return { ...made, engine: 'llm', notice: null, cacheable: true } satisfies Made;
    } catch (error) {
      // Invalid output after the repair rounds is a failure to report, not an outage to paper over.
      if (isAiError(error)) return local(DEGRADED_NOTICE);
      throw error;
    }
  }

  async function fail(job: CourseGenerationJob, reason: string): Promise<void> {
    await transaction(async () => {
      const row = await courses.fail(job.courseId, job.generation, reason);
      if (!row) return;
      await publish('course.updated', job.courseId, {
        courseId: job.courseId,
        ownerId: row.owner_id,
        title: row.title,
        status: 'failed',
      });
    });
    deps.notify(courseJobId(job.courseId, job.generation), { status: 'failed', progress: 100 });
  }

  return {
    async generate(job: CourseGenerationJob, context: Pick<JobContext, 'progress'>): Promise<JobResult> {
      const jobId = courseJobId(job.courseId, job.generation);
      const started = await courses.startGenerating(job.courseId, job.generation);
      if (!started) return 'skipped';
      deps.notify(jobId, { status: 'generating', progress: 10 });
      await context.progress(10);
      const target = sectionTarget(job, started);
      let finished: Made;
      try {
        finished = await produce(job, started, target, (done, total) => {
          const progress = 10 + Math.round((MAP_PROGRESS * done) / total);
          deps.notify(jobId, { status: 'generating', progress });
          void context.progress(progress).catch(() => undefined);
        });
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'GENERATION_INVALID_OUTPUT')) throw error;
        if (!target) {
          await fail(job, error.detail);
          return 'done';
        }
        // A section that could not be remade leaves the finished course as it was, saying why.
        const notice = `Section ${target.section + 1} was not regenerated: ${error.detail}`;
        finished = { ...target, artifact: target.current, notice, usage: null, cacheable: false };
      }
      if (finished.artifact.outline.length === 0) {
        await fail(job, 'The documents hold no text to build a course from.');
        return 'done';
      }
      deps.notify(jobId, { status: 'generating', progress: 90 });
      // The cache entry commits with the course: a ready course's identical request is a hit at once.
      const stored = await transaction(async () => {
        if (!(await courses.complete(job.courseId, job.generation, finished))) return false;
        const graph = conceptGraph(started.title, finished.artifact);
        await deps.concepts.replaceGraph(job.courseId, graph.nodes, graph.edges);
        if (finished.cacheable) {
          const { artifact, engine, notice, model, usage } = finished;
          const output: CachedCourse = { artifact, engine, notice };
          const ttlSeconds = deps.cacheTtlSeconds;
          await deps.aiCache.put({
            key: job.cacheKey,
            ownerId: started.owner_id,
            task: 'course',
            output,
            model,
            usage,
            ttlSeconds,
          });
        }
        await publish('course.updated', job.courseId, {
          courseId: job.courseId,
          ownerId: started.owner_id,
          title: started.title,
          status: 'ready',
        });
        return true;
      });
      if (!stored) return 'skipped';
      deps.notify(jobId, { status: 'ready', progress: 100 });
      return 'done';
    },

    /**
     * The reconcile sweep: courses whose job was lost (queue restarted, worker gone before `exhausted` ran) get
     * a new generation and a new job, in one transaction. Returns how many were revived.
     */
    async reviveStalled(stalledAfterMs: number): Promise<number> {
      const stalled = await courses.stalled(new Date(Date.now() - stalledAfterMs), STALLED_BATCH);
      let revived = 0;
      for (const course of stalled) {
        const done = await transaction(async () => {
          const row = await courses.revive(course.id, course.generation);
          if (!row) return false;
          const job = {
            courseId: course.id,
            generation: row.generation,
            cacheKey: row.cache_key,
            section: null,
          };
          await publish('course.generation-requested', course.id, job);
          return true;
        });
        if (done) revived += 1;
      }
      return revived;
    },

    /** After the last attempt: the course ends failed with a reason the owner can read. */
    exhausted: (job: CourseGenerationJob, error: Error) =>
      fail(
        job,
        `Course generation failed: ${error instanceof AppError ? error.detail : 'an internal error'}.`,
      ),
  };
}

export type CourseGenerator = ReturnType<typeof createCourseGenerator>;
