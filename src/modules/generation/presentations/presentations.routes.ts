import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../../platform/pagination.ts';
import type { Authenticate } from '../../users/index.ts';
import {
  CreatePresentationBody,
  Presentation,
  PresentationPage,
  PresentationParams,
  RegenerateSlideBody,
  SetThemeBody,
  SlideParams,
} from './presentations.api-schema.ts';
import { presentDeck, presentDeckSummary } from './presentations.presenter.ts';
import type { PresentationsService } from './presentations.service.ts';

const security = [{ bearer: [] }];
const tags = ['presentations'];

export function presentationsRoutes(
  presentations: PresentationsService,
  authenticate: Authenticate,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authenticate);

    app.post(
      '/presentations',
      {
        config: { idempotent: true },
        schema: {
          tags,
          summary: 'Generate a slide deck from a prompt (and your documents) in a template and theme.',
          description:
            'Answers 202 with the deck (`status: queued`) and its `jobId`; progress (`{status, progress}`) is ' +
            'published on the channel `job:<jobId>`. An identical earlier request of yours still cached (1 h, ' +
            'AI_CACHE_TTL_SECONDS) answers 200 with the finished deck, `cached: true` (the theme is not part of ' +
            'the match). With an AI model, the outline call (exactly `numCards` slides) runs while the request ' +
            'waits, then the job writes each slide against its layout’s schema, a few in parallel; tokens count ' +
            'against your daily budget. Without a model the local engine builds the deck extractively. If the ' +
            'model fails or is too slow (60 s, 2 retries), the answer is 200 with an extractive deck, ' +
            '`degraded: true` and a `notice` — or, with `engine: "model"`, 503 AI_UNAVAILABLE with `Retry-After`. ' +
            'Slides built from documents cite document, page and chunk. Errors: 404 ' +
            'PRESENTATION_DOCUMENTS_NOT_FOUND, 422 PRESENTATION_DOCUMENTS_NOT_READY, 422 ' +
            'PRESENTATION_TEMPLATE_NOT_FOUND, 422 PRESENTATION_THEME_NOT_FOUND, 429 AI_BUDGET_EXCEEDED, 502 ' +
            'GENERATION_INVALID_OUTPUT (nothing stored), 503 AI_UNAVAILABLE.',
          security,
          body: CreatePresentationBody,
          response: { 200: Presentation, 202: Presentation },
        },
      },
      async (request, reply) => {
        const created = await presentations.create(request.actor, request.body);
        const deck = presentDeck(created.deck);
        return created.jobId ? reply.code(202).send(deck) : deck;
      },
    );

    app.get(
      '/presentations',
      {
        schema: {
          tags,
          summary: 'Your decks, newest first (keyset pages), without their slides.',
          description: 'Errors: 400 HTTP_INVALID_CURSOR.',
          security,
          querystring: PageQuery,
          response: { 200: PresentationPage },
        },
      },
      async (request) => {
        const page = await presentations.list(request.actor, request.query);
        return { items: page.items.map(presentDeckSummary), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/presentations/:id',
      {
        schema: {
          tags,
          summary: 'One of your decks, with its slides and its theme’s design tokens.',
          description: 'Errors: 404 PRESENTATION_NOT_FOUND.',
          security,
          params: PresentationParams,
          response: { 200: Presentation },
        },
      },
      async (request) => presentDeck(await presentations.get(request.actor, request.params.id)),
    );

    app.patch(
      '/presentations/:id',
      {
        schema: {
          tags,
          summary: 'Change a deck’s theme; its content (and your cached deck) stay as they are.',
          description: 'Errors: 404 PRESENTATION_NOT_FOUND, 422 PRESENTATION_THEME_NOT_FOUND.',
          security,
          params: PresentationParams,
          body: SetThemeBody,
          response: { 200: Presentation },
        },
      },
      async (request) =>
        presentDeck(await presentations.setTheme(request.actor, request.params.id, request.body.themeId)),
    );

    app.delete(
      '/presentations/:id',
      {
        schema: {
          tags,
          summary: 'Delete one of your decks.',
          description: 'Errors: 404 PRESENTATION_NOT_FOUND.',
          security,
          params: PresentationParams,
          response: { 204: Type.Null({ description: 'Deleted' }) },
        },
      },
      async (request, reply) => {
        await presentations.delete(request.actor, request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/presentations/:id/slides/:n/regenerate',
      {
        schema: {
          tags,
          summary: 'Make one slide (0-based) anew, in its layout or in `layout`; the rest of the deck stays.',
          description:
            'Answers 202 with the deck and the new `jobId`. The regenerated deck is not written to the cache. If ' +
            'the slide cannot be made, the deck stays as it was, with a `notice`. Errors: 404 ' +
            'PRESENTATION_NOT_FOUND, 409 PRESENTATION_BUSY, 422 PRESENTATION_SLIDE_NOT_FOUND, 422 ' +
            'PRESENTATION_LAYOUT_NOT_IN_TEMPLATE, 429 AI_BUDGET_EXCEEDED.',
          security,
          params: SlideParams,
          body: RegenerateSlideBody,
          response: { 202: Presentation },
        },
      },
      async (request, reply) => {
        const { id, n } = request.params;
        const { deck } = await presentations.regenerateSlide(
          request.actor,
          id,
          n,
          request.body?.layout ?? null,
        );
        return reply.code(202).send(presentDeck(deck));
      },
    );
  };
}
