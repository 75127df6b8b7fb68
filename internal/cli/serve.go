package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/serve"
	"github.com/flowir/flowir/internal/store"
)

// ServeOptions are the options of `flowir serve`.
type ServeOptions struct {
	Addr     string
	Open     bool
	Token    string
	Timeout  time.Duration
	Internal []string
}

func newServeCmd(f *Factory, g *globalOptions, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "A local web UI over the case: dashboard, addresses, findings, queries, SQL",
		Long: `Serve a local web UI over the case, read-only:

  /                  dashboard: time window (from/until fields, or click a bar of
                     the traffic chart), traffic, top talkers, pairs and ports,
                     internal vs external, findings, IOC hits
  /ip/ADDR-OR-CIDR   the investigation of 'flowir investigate', every address a link
  /findings          the stored findings; /findings/ID one finding with its
                     evidence records (paged) and their timeline
  /queries           the named queries; /queries/NAME a form for its parameters
  /sql               the read-only SQL console (POST), the sandbox of 'flowir sql'

Every table is also ?format=csv (with &table=ID; spreadsheet formulas
neutralised unless &csv-safe=false) and ?format=json.

Security: it listens on loopback (127.0.0.1:8080) by default. Any other
address is refused unless a token is set (--token or $FLOWIR_TOKEN); then
every request needs it (open the printed address with ?token=..., which
sets a cookie, or send "Authorization: Bearer TOKEN"). Requests whose Host
header is not the address served are refused (DNS rebinding), and so are
cross-origin POSTs. Pages allow no script and no request elsewhere
(Content-Security-Policy). A page whose queries run longer than --timeout is
cancelled and says so.`,
		Example: `  flowir serve --case ./ir-42
  flowir serve --addr 127.0.0.1:0 --open
  FLOWIR_TOKEN=$(openssl rand -hex 16) flowir serve --addr 0.0.0.0:8443`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runServe(cmd, f, g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "host:port to listen on (port 0: any free port)")
	cmd.Flags().BoolVar(&opts.Open, "open", false, "open the dashboard in the default browser")
	cmd.Flags().StringVar(&opts.Token, "token", "", "a secret every request must carry (default $FLOWIR_TOKEN); needed to listen beyond loopback")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 30*time.Second, "cancel a page's queries after this long")
	listVar(cmd.Flags(), &opts.Internal, "internal", "CIDRs of the monitored network, for the internal vs external split")
	return cmd
}

func runServe(cmd *cobra.Command, f *Factory, g *globalOptions, opts *ServeOptions) error {
	ctx := cmd.Context()
	token := opts.Token
	if token == "" {
		token = f.Getenv("FLOWIR_TOKEN")
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return usagef("--addr %q: give host:port, e.g. 127.0.0.1:8080", opts.Addr)
	}
	if !serve.IsLoopback(host) && token == "" {
		return usagef("--addr %s is reachable from other machines: set --token or $FLOWIR_TOKEN (every request must then carry it), or listen on 127.0.0.1", opts.Addr)
	}
	if opts.Timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	var internal []analysis.NetRange
	for _, s := range opts.Internal {
		p, err := analysis.ParseCIDROrAddr(s)
		if err != nil {
			return usagef("--internal: %v", err)
		}
		internal = append(internal, analysis.NetRange{Prefix: p, Label: "--internal"})
	}
	c, err := openCase(ctx, f, g, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer c.Close()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	addr := ln.Addr().String()
	if _, port, err := net.SplitHostPort(addr); err == nil && host != "" && !net.ParseIP(host).IsUnspecified() {
		addr = net.JoinHostPort(host, port) // the name asked for (localhost), not the address it resolved to
	}
	srv, err := serve.New(c, serve.Options{Addr: addr, Token: token, QueryTimeout: opts.Timeout, Version: Version, Now: f.Now, Internal: internal})
	if err != nil {
		return err
	}
	u := "http://" + addr + "/"
	if token != "" {
		u += "?token=" + token
	}
	fmt.Fprintf(f.IO.ErrOut, "serving %s read-only at %s (Ctrl-C stops)\n", c.Dir, u)
	if opts.Open {
		openBrowser(u)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return context.Cause(ctx)
	}
}

// openBrowser asks the desktop to open u; failing, the printed address is
// there to click.
func openBrowser(u string) {
	name, args := "xdg-open", []string{u}
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler", u}
	}
	exec.Command(name, args...).Start()
}
