"""The `worker_pool` extension: one pool of spawned worker processes, shared by id.

Components that need CPU on every core (pii request scrubbing, text detection) register
*handlers* with a pool and send it jobs; the pool owns the processes, the one bounded queue,
the one admission rule and the one run path (supervision: a worker that dies or hangs is
SIGKILLed and replaced, its jobs fail closed). It imports no component: a handler names its
worker-side factory by an import string (`"module:attr"`) or a picklable callable.

Modules: `config` (what users write), `pool` (the parent side), `worker` (the process),
`factory` (the extension). Nothing is imported here, so `import ...worker_pool.pool` stays light.
"""
