/**
 * The leadership component (leader election on): its start waits on standby for the Lease, so
 * nothing after it (no sink, no watch) opens on a standby replica.
 *
 * Invariants:
 * - start resolves `false` when the run is stopped while on standby (the replica never led);
 *   its stop then only ends the election.
 * - Once leading, losing the lease (or the election loop failing) aborts `lost` exactly as
 *   before: the runtime turns that into the lifecycle's skip-flush flag and stops the pipeline.
 * - stop releases the lease after everything later in the list has stopped (the final resume
 *   point is saved in the Lease first), unless flushing is skipped: a lost lease is not ours
 *   to release.
 */
import { K8streamError, errorMessage } from '../errors.js';
import type { LeaderElectionConfig } from '../config/types.js';
import type { KubeClient } from '../kube/client.js';
import { createLeadership } from '../leader/leadership.js';
import type { Leadership } from '../leader/leadership.js';
import type { OpsPhase } from '../ops/health.js';
import type { Logger } from '../util/logger.js';
import type { Component, StopContext } from './lifecycle.js';

export interface LeadershipComponent extends Component {
  readonly leadership: Leadership;
  /** Aborts when the lease is lost while leading. */
  readonly lost: AbortSignal;
}

export function leadershipComponent(
  config: LeaderElectionConfig,
  client: KubeClient,
  options: { logger: Logger; signal: AbortSignal; setPhase: (phase: OpsPhase) => void },
): LeadershipComponent {
  const { logger, signal } = options;
  const leadership = createLeadership(config, client, logger);
  const { elector, describe } = leadership;
  const election = new AbortController();
  const lost = new AbortController();
  let electing: Promise<void> = Promise.resolve();
  let led = false;
  let releasing = false;

  const endElection = async (): Promise<void> => {
    election.abort();
    await electing.catch(() => undefined);
  };

  return {
    name: 'leadership',
    leadership,
    lost: lost.signal,
    async start() {
      electing = elector.run(election.signal);
      options.setPhase('standby');
      logger.info('standby: waiting for the leader lease', { lease: describe, identity: leadership.identity });
      led = await Promise.race([
        elector.whenLeading(signal).then(
          () => true,
          () => false,
        ),
        electing.then(() => false),
      ]).catch(async (err: unknown) => {
        await endElection();
        throw err instanceof K8streamError ? err : new K8streamError('KUBE_API_FAILED', `leader election failed: ${errorMessage(err)}`, { path: 'leaderElection', cause: err });
      });
      if (!led) return false;
      logger.info('leading: this replica streams', { lease: describe, identity: leadership.identity });
      options.setPhase('starting');
      elector.onChange((leading) => {
        if (!leading && !releasing) lost.abort();
      });
      electing.catch((err: unknown) => {
        if (!releasing) logger.error('leader election stopped', { error: errorMessage(err) });
        lost.abort();
      });
      return true;
    },
    async stop(context: StopContext) {
      releasing = true;
      if (!led) {
        await endElection();
        logger.info('stopped while on standby', { lease: describe });
        return;
      }
      if (!context.skipFlush) {
        try {
          await elector.release();
          logger.info('lease released', { lease: describe });
        } catch (err) {
          logger.warn('could not release the lease; the next leader waits for it to expire', { lease: describe, error: errorMessage(err) });
        }
      }
      await endElection();
    },
  };
}
