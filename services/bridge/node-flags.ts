/**
 * The Node flags the bridge container runs with (`services/bridge/Dockerfile`'s CMD, checked by
 * test/infra/stateful-ids.test.ts); the bench starts the process under test with the same ones.
 *
 * `--max-semi-space-size=4` caps V8's young generation at 4 MiB per semi-space. Media frames live
 * for microseconds, but V8 grows the young generation with the allocation rate (to 64 MiB a
 * semi-space under a few hundred calls): its pages stay resident, so a task's memory rose by
 * ~400 KiB per call with nothing live in them. Capped, a scavenge runs every ~0.1 s and copies
 * only the frames in flight: the bench measured no change in CPU per frame (±5 %) and RSS per call
 * fell from 190–470 to 40–70 KiB (README, Benchmark).
 */
export const BRIDGE_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=4'] as const;
