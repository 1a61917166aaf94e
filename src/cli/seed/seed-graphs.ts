import type { Deps } from '../../deps.ts';
import { coursePlan } from './course-plan.ts';
import { createCourseSeedRepository } from './course-seed.repository.ts';
import type { createProgressBar } from './progress-bar.ts';
import { seedCourse, type CourseOutcome } from './seed-courses.ts';
import { retryWhileBusy } from './seed-library.ts';
import type { Scale } from './seed-plan.ts';
import { seedPhotos } from './seed-photos.ts';
import { seedSocial, type SocialOutcome } from './seed-social.ts';
import { socialPlan } from './social-plan.ts';
import { createSocialSeedRepository } from './social-seed.repository.ts';

type ProgressBar = ReturnType<typeof createProgressBar>;

export type SocialWithPhotos = SocialOutcome & { photos: { planned: number; created: number } };

/**
 * The social graph around the first demo users (the hubs), then the photos of its posts; skipped when one of
 * them could not be signed in, as the members would get a password hash nobody knows.
 */
export async function seedSocialGraph(
  deps: Pick<Deps, 'database' | 'storage'>,
  scale: Scale,
  users: number,
  accountIds: string[],
  bar: ProgressBar,
): Promise<SocialWithPhotos | string> {
  const plan = socialPlan(scale, users);
  if (accountIds.length < Math.min(users, plan.hubs.length))
    return 'skipped: a demo account exists with another password';
  const repository = createSocialSeedRepository(deps.database);
  const passwordHash = await retryWhileBusy(() => repository.passwordHashOf(accountIds[0]!));
  if (!passwordHash) return 'skipped: the first demo account has no password';
  const outcome = await seedSocial(repository, plan, {
    now: new Date(),
    passwordHash,
    onProgress: (done, total, step) => bar.update(done, total, step, done === total),
  });
  bar.finish();
  const photos = await seedPhotos(
    repository,
    deps.storage,
    plan.posts.map((p) => p.id),
    (done, total) => bar.update(done, total, 'social: posts with photos', done === total),
  );
  bar.finish();
  return { ...outcome, photos };
}

/** The concept atlas course of the first demo account, for the concept-walk benchmark. */
export async function seedCourseGraph(
  deps: Pick<Deps, 'database'>,
  scale: Scale,
  owner: { email: string; id: string } | undefined,
  bar: ProgressBar,
): Promise<CourseOutcome | string> {
  if (!owner) return 'skipped: no demo account';
  const outcome = await seedCourse(
    createCourseSeedRepository(deps.database),
    coursePlan(scale, owner.email),
    {
      ownerId: owner.id,
      onProgress: (done, total, step) => bar.update(done, total, step, done === total),
    },
  );
  bar.finish();
  return outcome;
}

export function socialLine(social: SocialWithPhotos | string): string {
  if (typeof social === 'string') return `Social graph ${social}.`;
  const { planned: p, created: c } = social;
  return (
    `Social graph: ${p.members} members (${c.members} new), ${p.connections} connections (${c.connections} new), ` +
    `${p.posts} posts (${c.posts} new), ${p.comments} comments (${c.comments} new), ${c.feedEntries} new feed ` +
    `entries, ${social.photos.planned} photos (${social.photos.created} new).`
  );
}

export function courseLine(course: CourseOutcome | string): string {
  if (typeof course === 'string') return `Course graph ${course}.`;
  const { planned: p, created: c } = course;
  return (
    `Course graph: 1 course (${c.courses} new), ${p.concepts} concepts (${c.concepts} new), ` +
    `${p.edges} edges (${c.edges} new).`
  );
}
