#include "autograd/detail/cpu_quota.hpp"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace xg::detail {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Tightest of the positive limits (0 = none).
int tighter(int a, int b) { return a == 0 ? b : (b == 0 ? a : std::min(a, b)); }

// This process's cgroup path for a v1 controller ("cpu") or v2 (controller ""), from
// /proc/self/cgroup lines "<id>:<controllers>:<path>".
std::string cgroup_path(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::stringstream controllers(line.substr(first + 1, second - first - 1));
    const std::string path = line.substr(second + 1);
    if (controller.empty()) {
      if (line.compare(0, 3, "0::") == 0) return path;
      continue;
    }
    for (std::string c; std::getline(controllers, c, ',');)
      if (c == controller) return path;
  }
  return "";
}

// The quota of `relative` (a cgroup path) and of every ancestor up to the root, tightest first.
template <typename QuotaAt>
int quota_along(std::string relative, QuotaAt quota_at) {
  int limit = 0;
  while (true) {
    limit = tighter(limit, quota_at(relative));
    if (relative.empty() || relative == "/") break;
    const auto slash = relative.find_last_of('/');
    relative = slash == std::string::npos || slash == 0 ? "/" : relative.substr(0, slash);
  }
  return limit;
}

int cgroup_cpu_limit() {
  if (const std::string v2 = cgroup_path(""); !v2.empty()) {
    const int limit = quota_along(v2, [](const std::string& p) {
      return cpus_from_cgroup_v2(first_line("/sys/fs/cgroup" + (p == "/" ? "" : p) + "/cpu.max"));
    });
    if (limit > 0) return limit;
  }
  if (const std::string v1 = cgroup_path("cpu"); !v1.empty()) {
    for (const char* mount : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
      const int limit = quota_along(v1, [mount](const std::string& p) {
        const std::string dir = std::string(mount) + (p == "/" ? "" : p);
        const std::string quota = first_line(dir + "/cpu.cfs_quota_us"), period = first_line(dir + "/cpu.cfs_period_us");
        if (quota.empty() || period.empty()) return 0;
        try {
          return cpus_from_cgroup_v1(std::stoll(quota), std::stoll(period));
        } catch (const std::exception&) {
          return 0;
        }
      });
      if (limit > 0) return limit;
    }
  }
  return 0;
}

}  // namespace

int cpus_from_cgroup_v1(long long quota_us, long long period_us) {
  if (quota_us <= 0 || period_us <= 0) return 0;
  return static_cast<int>(std::max(1LL, (quota_us + period_us - 1) / period_us));
}

int cpus_from_cgroup_v2(const std::string& cpu_max) {
  std::istringstream in(cpu_max);
  std::string quota;
  long long period = 0;
  if (!(in >> quota >> period) || quota == "max") return 0;
  try {
    std::size_t used = 0;
    const long long q = std::stoll(quota, &used);
    return used == quota.size() ? cpus_from_cgroup_v1(q, period) : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

int available_cpus() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  int cpus = sched_getaffinity(0, sizeof mask, &mask) == 0 ? CPU_COUNT(&mask) : 1;
  cpus = tighter(std::max(cpus, 1), cgroup_cpu_limit());
  return std::max(cpus, 1);
}

}  // namespace xg::detail
