package cli

import (
	"runtime/debug"
	"strings"
)

// Version is flowir's version. A release build may set it with
// -ldflags "-X github.com/flowir/flowir/internal/cli.Version=v1.2.3";
// otherwise it comes from the build information the Go toolchain embeds
// (see versionFrom), so that every binary built from a checkout says which
// commit it is. It is recorded as flowir_version with every source, IOC
// load, detect run and snapshot: the chain of custody must name the code
// that produced a result, and "dev" names none.
var Version = "dev"

func init() {
	if Version == "dev" {
		info, ok := debug.ReadBuildInfo()
		Version = versionFrom(info, ok)
	}
}

// versionFrom is the version the build information says: the main module's
// version (v1.2.3 when installed with go install ...@v1.2.3; a
// pseudo-version such as v0.0.0-20261206072100-2189e68a3b1c+dirty when built
// with go build in a git checkout), then the full VCS revision and whether
// the working tree had uncommitted changes:
//
//	v0.0.0-20261206072100-2189e68a3b1c+dirty (revision 2189e68a3b1c..., modified)
//
// It is "dev" only when the binary carries no version and no revision (a
// test binary, or a build with -buildvcs=false outside a module version).
func versionFrom(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "dev"
	}
	v := info.Main.Version
	if v == "(devel)" {
		v = ""
	}
	var rev string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		if v == "" {
			return "dev"
		}
		return v
	}
	extra := "revision " + rev
	if modified {
		extra += ", modified"
	}
	if v == "" {
		v = "devel"
	}
	return strings.TrimSpace(v + " (" + extra + ")")
}
