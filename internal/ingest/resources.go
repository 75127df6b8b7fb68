package ingest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Resources is how much of the machine an ingest takes: its loaders
// (Options.Workers) and DuckDB's memory limit and threads (the case is
// opened with them, see store.Options). They follow the memory the process
// may use, not the number of cores: each loader holds a batch of records
// until it commits, and DuckDB needs memory for every batch committing at
// once, so a machine with many cores and little memory (or a GOMAXPROCS of
// 64) given one loader per core failed sources with DuckDB's "Out of
// Memory" (issue 17.1).
type Resources struct {
	Workers       int
	DuckDBMemory  int64 // bytes: DuckDB's memory_limit
	DuckDBThreads int
	// Budget is the memory the plan keeps within, and BudgetFrom says how
	// it was found.
	Budget     int64
	BudgetFrom string
}

// The memory model of a plan. workerMemory is what one loader takes beyond
// DuckDB (decode buffers, the batch's spooled or buffered records; measured
// about 24 MiB per loader on bench's 1M-record corpus, more with large
// files); duckdbPerWorker is DuckDB's share per batch committing at once
// (64 loaders on the demo corpus failed sources with DuckDB's 450 MB and
// none with 2 GB); duckdbPerThread bounds the threads a DuckDB memory
// limit is shared by. The budget is half the memory the process may take:
// the rest is left to the system, the page cache and other programs.
const (
	workerMemory     = 64 << 20
	duckdbPerWorker  = 32 << 20
	duckdbPerThread  = 64 << 20
	minDuckDBMemory  = 128 << 20
	baseDuckDBMemory = 450 << 20 // enough for a few loaders (bench/ingest.sh)
	minBudget        = 256 << 20
)

// PlanResources plans an ingest with workers loaders (0: as many as the
// memory budget allows, at most GOMAXPROCS) on this machine.
func PlanResources(workers int) Resources {
	budget, from := memoryBudget("/")
	return planResources(workers, budget, from, runtime.GOMAXPROCS(0), runtime.NumCPU())
}

func planResources(workers int, budget int64, from string, procs, cpus int) Resources {
	r := Resources{Budget: budget, BudgetFrom: from}
	// DuckDB gets what the loaders may commit at once, within half the
	// budget; the loaders what is left.
	want := workers
	if want <= 0 {
		want = procs
	}
	r.DuckDBMemory = min(max(baseDuckDBMemory, int64(want)*duckdbPerWorker), budget/2)
	r.DuckDBMemory = max(r.DuckDBMemory, minDuckDBMemory)
	r.Workers = workers
	if workers <= 0 {
		fit := int((budget - r.DuckDBMemory) / workerMemory)
		r.Workers = max(1, min(procs, fit))
		if r.Workers < want {
			// Fewer loaders commit fewer batches at once.
			r.DuckDBMemory = max(min(r.DuckDBMemory, baseDuckDBMemory+int64(r.Workers)*duckdbPerWorker), minDuckDBMemory)
		}
	}
	r.DuckDBThreads = max(1, min(cpus, int(r.DuckDBMemory/duckdbPerThread)))
	return r
}

// String says the plan in one line, for the summary's notes.
func (r Resources) String() string {
	return fmt.Sprintf("%d loaders, DuckDB memory limit %s and %d threads, within a memory budget of %s (half of %s)",
		r.Workers, mib(r.DuckDBMemory), r.DuckDBThreads, mib(r.Budget), r.BudgetFrom)
}

func mib(n int64) string { return fmt.Sprintf("%d MiB", n>>20) }

// memoryBudget returns half the memory this process may use, and what
// said so: the memory available (MemAvailable of /proc/meminfo: free
// memory and what the page cache can give back), or the room left under
// its control group's limit (cgroup v2 memory.max, v1
// memory.limit_in_bytes, of its group or any group above it), whichever is
// smaller. root is "/" but for tests. Where none of them can be read (not
// Linux), 2 GiB are assumed: a budget of 1 GiB.
func memoryBudget(root string) (int64, string) {
	avail, from := int64(-1), ""
	if v, ok := meminfo(root, "MemAvailable"); ok {
		avail, from = v, "the memory available (/proc/meminfo)"
	} else if v, ok := meminfo(root, "MemTotal"); ok {
		avail, from = v, "the memory (/proc/meminfo)"
	}
	if room, what, ok := cgroupRoom(root); ok && (avail < 0 || room < avail) {
		avail, from = room, "the room under "+what
	}
	if avail < 0 {
		avail, from = 2<<30, "2 GiB assumed (no /proc/meminfo)"
	}
	return max(avail/2, minBudget), from
}

// meminfo reads one field of /proc/meminfo, in bytes.
func meminfo(root, field string) (int64, bool) {
	f, err := os.Open(filepath.Join(root, "proc", "meminfo"))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		num, unit, _ := strings.Cut(strings.TrimSpace(rest), " ")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, false
		}
		if unit == "kB" {
			v <<= 10
		}
		return v, true
	}
	return 0, false
}

// cgroupRoom returns the memory left under the tightest memory limit of
// the process's control groups (limit minus usage), and which file said
// so; ok is false when there is no limit.
func cgroupRoom(root string) (room int64, what string, ok bool) {
	data, err := os.ReadFile(filepath.Join(root, "proc", "self", "cgroup"))
	if err != nil {
		return 0, "", false
	}
	type group struct{ dir, limit, usage string }
	var cands []group
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		// hierarchy-ID:controllers:path; v2 is "0::path".
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			for _, mount := range []string{"sys/fs/cgroup", "sys/fs/cgroup/unified"} {
				cands = append(cands, group{filepath.Join(root, mount, parts[2]), "memory.max", "memory.current"})
			}
		case hasController(parts[1], "memory"):
			cands = append(cands, group{filepath.Join(root, "sys/fs/cgroup/memory", parts[2]), "memory.limit_in_bytes", "memory.usage_in_bytes"})
		}
	}
	base := filepath.Join(root, "sys/fs/cgroup")
	for _, c := range cands {
		// The group and the groups above it, up to the mount point: a
		// limit anywhere above applies too.
		for dir := c.dir; strings.HasPrefix(dir, base); dir = filepath.Dir(dir) {
			limit, lok := readInt(filepath.Join(dir, c.limit))
			if lok && limit < 1<<60 { // "max", or v1's huge number: no limit
				usage, _ := readInt(filepath.Join(dir, c.usage))
				if r := max(limit-usage, 0); !ok || r < room {
					room, what, ok = r, "the control group limit "+filepath.Join(dir, c.limit), true
				}
			}
			if dir == base {
				break
			}
		}
	}
	return room, what, ok
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

func readInt(path string) (int64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	return v, err == nil
}
