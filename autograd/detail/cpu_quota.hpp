#pragma once
// How many CPUs this process may actually use (internal): the CPUs in its affinity mask
// (taskset, cpusets, `docker run --cpuset-cpus`), capped by its cgroup's CPU quota (`docker run
// --cpus`, Kubernetes CPU limits). std::thread::hardware_concurrency() counts the machine's CPUs
// and knows neither, so a container limited to one CPU would get two threads that share it.
#include <string>

namespace xg::detail {

/// CPUs a cgroup v2 `cpu.max` file grants: "max 100000" → 0 (no limit); "150000 100000" → 2
/// (a fraction of a CPU still needs a thread). Malformed text → 0 (no limit known).
int cpus_from_cgroup_v2(const std::string& cpu_max);
/// The same for cgroup v1's cpu.cfs_quota_us / cpu.cfs_period_us (quota −1: no limit).
int cpus_from_cgroup_v1(long long quota_us, long long period_us);
/// CPUs in the affinity mask, capped by the quota of this process's cgroup and of its ancestors
/// (v2 or v1); at least 1.
int available_cpus();

}  // namespace xg::detail
