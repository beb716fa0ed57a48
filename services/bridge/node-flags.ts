/**
 * The Node flags the bridge container runs with (`services/bridge/Dockerfile`'s CMD, checked by
 * test/infra/stateful-ids.test.ts); the bench starts the process under test with the same ones.
 *
 * `--max-semi-space-size=16` caps V8's young generation at 16 MiB per semi-space. Media frames
 * live for microseconds, but V8 grows the young generation with the allocation rate (to 64 MiB a
 * semi-space under a few hundred calls) and its pages stay resident: a task's memory rose by
 * 190–470 KiB per call with nothing live in them. Capped at 16 MiB it rises by 50–85 KiB. A smaller
 * cap costs CPU instead: at 4 MiB a scavenge ran every ~0.1 s and promoted the objects of call
 * setups in flight, so old-space collections came sooner; interleaved bench runs at 300 calls gave
 * 33–34 µs of CPU per frame at 4 MiB against 27–29 at 16 (DESIGN §5).
 */
export const BRIDGE_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=16'] as const;
