// jemalloc reads its start-up options from this symbol before main (the
// MALLOC_CONF environment variable still applies on top). Transparent huge
// pages for the heap: the dispatcher's task and holon tables spread over
// gigabytes at scale, and with 4 KiB pages most lookups also missed the
// TLB (simulate with 1M holons and 10M tasks: 175 -> 155 CPU seconds).
// Linked only into the rxon executable, and only with jemalloc.

extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's
const char* malloc_conf = "thp:always,metadata_thp:auto";
}
