#pragma once

// Transparent huge pages for the process's heap. The rxon executable asks
// jemalloc to back its heap with them (runtime/jemalloc_conf.cpp); serve
// and bench forbid them unless asked to (--huge-pages), simulate keeps
// them, and worker leaves the setting alone, since the processes it runs
// for tasks would inherit it. They pay off for some workloads and cost
// others:
// - simulate at 1.08M holons keeps gigabytes of tables hot, and with 4 KiB
//   pages most lookups also missed the TLB (92-98 s with, 116-117 s
//   without, session 20);
// - a durable dispatch burst writes hundreds of MB of fresh memory once;
//   on a VM that hands the guest its memory 4 KiB at a time, each huge
//   page is cleared in full when first touched (bench dispatch --durable,
//   session 21: see bench/README.md);
// - bench http at 32 connections, a heap that is reused, shows no
//   difference.

namespace rxon::actors {

/// Lets the kernel back this process's memory with transparent huge pages
/// from now on (`allow`), or forbids it (Linux prctl PR_SET_THP_DISABLE;
/// children inherit the setting). Memory already backed keeps its pages.
/// Returns false where the kernel refuses or lacks the setting.
bool use_huge_pages(bool allow) noexcept;

/// Whether this process may get transparent huge pages (the kernel's own
/// mode, /sys/kernel/mm/transparent_hugepage/enabled, applies on top).
bool uses_huge_pages() noexcept;

} // namespace rxon::actors
