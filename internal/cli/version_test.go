package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFromBuildInfo(t *testing.T) {
	info := func(v string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/flowir/flowir", Version: v}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	const rev = "2189e68a3b1c0123456789abcdef0123456789ab"
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "dev"},
		{"test binary", info("(devel)"), true, "dev"},
		{"go install @version", info("v1.2.3"), true, "v1.2.3"},
		{"go build in a checkout", info("v0.0.0-20261206072100-2189e68a3b1c", "vcs", "git", "vcs.revision", rev, "vcs.modified", "false"), true,
			"v0.0.0-20261206072100-2189e68a3b1c (revision " + rev + ")"},
		{"uncommitted changes", info("v0.0.0-20261206072100-2189e68a3b1c+dirty", "vcs.revision", rev, "vcs.modified", "true"), true,
			"v0.0.0-20261206072100-2189e68a3b1c+dirty (revision " + rev + ", modified)"},
		{"revision without version", info("(devel)", "vcs.revision", rev), true, "devel (revision " + rev + ")"},
	}
	for _, tc := range tests {
		if got := versionFrom(tc.bi, tc.ok); got != tc.want {
			t.Errorf("%s: versionFrom = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestBuiltBinaryReportsRevision builds flowir with go build in this
// checkout, as the README says to, and checks that --version and the chain
// of custody (sources.flowir_version) name the commit it was built from.
func TestBuiltBinaryReportsRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	git := exec.Command("git", "rev-parse", "HEAD")
	git.Dir = root
	head, err := git.Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): the build carries no revision", err)
	}
	rev := strings.TrimSpace(string(head))
	// The go command takes only a .git directory for a repository root; a
	// linked worktree (a .git file) gets no VCS stamp (golang/go#58218).
	if fi, err := os.Stat(filepath.Join(root, ".git")); err != nil || !fi.IsDir() {
		t.Skip("a linked git worktree: go build stamps no revision there (golang/go#58218); run in a clone")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "flowir")
	// -buildvcs=auto is go build's default; it is given because GOFLAGS
	// may say -buildvcs=false (as on machines without git).
	build := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, "./cmd/flowir")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("flowir --version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "revision "+rev) || strings.Contains(string(out), "version dev") {
		t.Errorf("flowir --version = %q, want the revision %s", out, rev)
	}
	log := filepath.Join(dir, "flow.log")
	if err := os.WriteFile(log, []byte("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	caseDir := filepath.Join(dir, "case")
	if out, err := exec.Command(bin, "ingest", "-q", "--case", caseDir, log).CombinedOutput(); err != nil {
		t.Fatalf("flowir ingest: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "sql", "--case", caseDir, "--format", "csv", "SELECT flowir_version FROM sources").CombinedOutput()
	if err != nil {
		t.Fatalf("flowir sql: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "revision "+rev) {
		t.Errorf("sources.flowir_version = %q, want the revision %s", out, rev)
	}
}
