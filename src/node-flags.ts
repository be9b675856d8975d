/**
 * Node flags every `ebbflow` process runs with: the first line of bin/ebbflow.js and the image's entrypoint carry the
 * same, and child processes are started with them.
 *
 * `--no-memory-reducer`: V8's memory reducer takes a worker whose main thread waits on libvips threads for an idle
 * process and starts a full garbage collection every second image or so, to shrink a heap that is about to grow
 * again. Without it the worker does about five full collections per 60 photographs instead of thirty, a second of
 * CPU less (measured with --trace-gc in the pipeline benchmark); allocation still triggers every collection the heap
 * needs.
 */
export const NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];
