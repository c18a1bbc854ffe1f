// jemalloc reads its start-up options from this symbol before main (the
// MALLOC_CONF environment variable still applies on top). Linked only into
// the rxon executable, and only with jemalloc.
//
// Transparent huge pages for the heap: the dispatcher's task and holon
// tables spread over gigabytes at scale, and with 4 KiB pages most lookups
// also missed the TLB. Measured with and without (MALLOC_CONF=thp:default):
// - simulate, 1.08M holons, 10M tasks: 99.9 s with, 119.5 s without;
// - bench http, 32 connections (a reused heap): ratio 0.855 with, 0.749
//   without (medians of 8);
// - against: bench dispatch --durable, 100k holons, 200k tasks at once
//   (a heap growing by ~300 MB): 13.7 with, 11.8 without CPU us per task.
//   On a VM with free page reporting (virtio-balloon) the host faults in
//   a fresh 2 MiB page 4 KiB at a time; perf shows it as clear_page_erms.
//   The dispatcher's task entries, most of such a burst, live on small
//   pages of their own instead (actors/entry_pool.hpp).
// Re-measured after that (session 20, paired runs, MALLOC_CONF=thp:default
// as the other side): simulate with 1.08M holons and 10M tasks still
// needs them (91.8 and 97.6 s with, 116.7 and 116.2 s without; 8-9
// against 13-20 s of system time); simulate 111k holons / 1M tasks and bench
// http at 32 connections no longer resolve a difference in 4 pairs; bench
// dispatch --durable still pays for them, CPU per task 0.96 / 0.95 / 0.88
// without at 1k / 10k / 100k holons (6 pairs): the rest of a submission burst's
// fresh memory (put records, payloads, the writer's caches); session 21, 8
// pairs: tasks/s 1.02 / 1.08 / 1.09, CPU per task 0.99 / 0.96 / 0.92 without.
// So jemalloc asks for them and each command decides whether the kernel may
// grant them (actors/memory_policy.hpp): simulate does, serve and bench only
// when asked (--huge-pages).

extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's
const char* malloc_conf = "thp:always,metadata_thp:auto";
}
