// Command flowir is the incident-response workbench for AWS VPC Flow Logs.
// See README.md, or run `flowir --help`.
package main

import (
	"os"

	"github.com/flowir/flowir/internal/cli"
)

func main() { os.Exit(cli.Main()) }
