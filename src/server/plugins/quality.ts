import type { ApolloServerPlugin } from '@apollo/server';
import type { EntityQuality, QualityMonitor } from '../../governance/quality';
import type { RequestContext } from '../../graph';

/** One entry of `extensions.quality`: an entity the response read whose latest checks failed, or whose data is stale. */
export interface QualityNote {
  entity: string;
  /** `fail`: a check other than freshness failed (or could not run); `stale`: only freshness failed, or no run came in time. */
  status: 'fail' | 'stale';
  checkedAt: string | null;
  failing: EntityQuality['failing'];
}

/** The note for one entity, or null when it passes (or is unknown) and is fresh. */
export function qualityNote(entity: string, q: EntityQuality): QualityNote | null {
  const freshnessCheck = q.freshness ? `freshness(${q.freshness.field})` : null;
  const failsBeyondFreshness = q.failing.some((f) => f.check !== freshnessCheck || f.error);
  const status = failsBeyondFreshness ? 'fail' : q.stale || q.status === 'fail' ? 'stale' : null;
  return status && { entity, status, checkedAt: q.checkedAt?.toISOString() ?? null, failing: q.failing };
}

/**
 * Tells the reader of failing or stale data so, in `extensions.quality`: one entry per such entity the
 * request read (per `ctx.trace`), nothing when every entity read passes. Costs one in-memory look-up per
 * distinct entity read; the verdicts come from the monitor's latest runs, never from a check run here.
 */
export function qualityPlugin(monitor: Pick<QualityMonitor, 'statusOf'>): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== 'single' || !contextValue.trace.length) return;
          const notes: QualityNote[] = [];
          for (const entity of new Set(contextValue.trace.map((t) => t.entity))) {
            const note = qualityNote(entity, monitor.statusOf(entity));
            if (note) notes.push(note);
          }
          if (!notes.length) return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, quality: notes };
        },
      };
    },
  };
}
