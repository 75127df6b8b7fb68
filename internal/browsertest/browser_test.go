// Package browsertest drives headless Chromium (Debian's chromium package;
// .ci/run installs it) against `flowir report`'s file and `flowir serve`,
// through chromedp. The tests skip, saying so, when no chromium is found
// ($FLOWIR_CHROMIUM, else chromium or chromium-browser on PATH).
// Screenshots go to testdata/out (ignored by git).
package browsertest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/flowir/flowir/internal/cli"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/serve"
	"github.com/flowir/flowir/internal/store"
)

// chromium finds the browser, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FLOWIR_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (apt-get install chromium, or set FLOWIR_CHROMIUM): the browser tests are skipped; .ci/run installs it")
	return ""
}

var (
	demoOnce sync.Once
	demoCase string
	demoErr  string
)

// flowir runs a flowir command in-process.
func flowir(args ...string) (string, string, int) {
	ios, _, out, errOut := output.Test()
	code := cli.Run(context.Background(), args, ios)
	return out.String(), errOut.String(), code
}

// theCase is a demo case with IOCs loaded and detections stored, made once.
func theCase(t *testing.T) string {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "flowir-browsertest")
		if err != nil {
			demoErr = err.Error()
			return
		}
		demoCase = filepath.Join(dir, "case")
		for _, args := range [][]string{
			{"demo", "--out", dir, "--records", "2000", "--case", demoCase},
			{"ioc", "--case", demoCase, filepath.Join(dir, "logs", "iocs.csv")},
			{"detect", "--case", demoCase},
		} {
			if out, errOut, code := flowir(args...); code != 0 {
				demoErr = strings.Join(args, " ") + ": " + out + errOut
				return
			}
		}
	})
	if demoErr != "" {
		t.Fatal(demoErr)
	}
	return demoCase
}

// artefacts is where screenshots go.
func artefacts(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("testdata", "out", t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newBrowser starts headless Chromium. Every request that is not to a
// host in allowed (nor file: or data:) is recorded in *offsite; the proxy
// is a closed port, so such a request would fail anyway.
func newBrowser(t *testing.T, offsite *[]string, mu *sync.Mutex, allowed ...string) context.Context {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 1000),
		chromedp.Flag("proxy-server", "http://127.0.0.1:9"), chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			u, err := url.Parse(e.Request.URL)
			if err != nil || u.Scheme == "file" || u.Scheme == "data" {
				return
			}
			for _, h := range allowed {
				if u.Host == h {
					return
				}
			}
			mu.Lock()
			*offsite = append(*offsite, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// do runs steps with a deadline.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	b, err := chromedp.Run(tctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReportOffline opens the report file from disk with the network
// unreachable: the charts are drawn (bars with a size on screen), every
// section is there, and the page asked for nothing beyond itself.
func TestReportOffline(t *testing.T) {
	chromium(t)
	caseDir := theCase(t)
	dir := artefacts(t)
	page, _ := filepath.Abs(filepath.Join(dir, "report.html"))
	if out, errOut, code := flowir("report", "--case", caseDir, "--out", page, "--title", "browser test"); code != 0 {
		t.Fatal(out, errOut)
	}
	var offsite []string
	var mu sync.Mutex
	ctx := newBrowser(t, &offsite, &mu)
	do(t, ctx, "open the report", chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("#traffic-bytes")))
	if n := eval[int](t, ctx, `document.querySelectorAll('svg.chart rect.bar').length`); n < 20 {
		t.Errorf("%d bars", n)
	}
	// The charts have a size on screen, and so do their bars.
	h := eval[float64](t, ctx, `document.querySelector('#traffic-bytes').getBoundingClientRect().height`)
	w := eval[float64](t, ctx, `Math.max(...[...document.querySelectorAll('#traffic-records rect.bar')].map(r => r.getBoundingClientRect().height))`)
	if h < 100 || w < 20 {
		t.Errorf("chart height %v, tallest bar %v px", h, w)
	}
	for _, id := range []string{"custody", "top-talkers", "findings", "iocs", "queries", "sources"} {
		if !eval[bool](t, ctx, `!!document.getElementById('`+id+`')`) {
			t.Errorf("no section %s", id)
		}
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('.finding svg.chart').length`); n == 0 {
		t.Error("no finding timeline drawn")
	}
	screenshot(t, ctx, dir, "report")
	mu.Lock()
	defer mu.Unlock()
	if len(offsite) > 0 {
		t.Errorf("the report asked for %v", offsite)
	}
}

// TestServeInBrowser walks the web UI as a responder would.
func TestServeInBrowser(t *testing.T) {
	chromium(t)
	caseDir := theCase(t)
	dir := artefacts(t)
	c, err := store.Open(context.Background(), caseDir, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ts := httptest.NewUnstartedServer(nil)
	host := ts.Listener.Addr().String()
	srv, err := serve.New(c, serve.Options{Addr: host, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	defer ts.Close()

	var offsite []string
	var mu sync.Mutex
	ctx := newBrowser(t, &offsite, &mu, host)

	// The dashboard, with its charts.
	do(t, ctx, "dashboard", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#traffic-bytes")))
	if n := eval[int](t, ctx, `document.querySelectorAll('#traffic-bytes rect.bar').length`); n < 10 {
		t.Errorf("dashboard: %d bars", n)
	}
	all := eval[string](t, ctx, `[...document.querySelectorAll('p')].map(p => p.innerText).find(s => / records/.test(s)) || ''`)
	screenshot(t, ctx, dir, "1-dashboard")

	// Change the time window with the form: fewer records.
	first := eval[string](t, ctx, `document.querySelector('#traffic-bytes rect.bar').dataset.from`)
	start, err := time.Parse(time.RFC3339, first)
	if err != nil {
		t.Fatalf("first bar from %q", first)
	}
	do(t, ctx, "set the window",
		chromedp.SetValue(chromedp.CSS(`#window input[name=since]`), start.Format(time.RFC3339)),
		chromedp.SetValue(chromedp.CSS(`#window input[name=until]`), start.Add(6*time.Hour).Format(time.RFC3339)),
		chromedp.Click(chromedp.CSS(`#window button`)),
		chromedp.WaitVisible(chromedp.CSS(`#traffic-bytes`)))
	loc := eval[string](t, ctx, `location.search`)
	narrowed := eval[string](t, ctx, `[...document.querySelectorAll('p')].map(p => p.innerText).find(s => / records/.test(s)) || ''`)
	if !strings.Contains(loc, "since=") || narrowed == all || narrowed == "" {
		t.Errorf("window: %s; %q, before %q", loc, narrowed, all)
	}
	screenshot(t, ctx, dir, "2-window")

	// Open an address from the top talkers.
	do(t, ctx, "dashboard again", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#t-top-talkers")))
	addr := eval[string](t, ctx, `document.querySelector('#t-top-talkers tbody a').innerText`)
	do(t, ctx, "open "+addr, chromedp.Click(chromedp.CSS(`#t-top-talkers tbody a`)), chromedp.WaitVisible(chromedp.CSS(`#t-peers`)))
	if p := eval[string](t, ctx, `location.pathname`); p != "/ip/"+addr || eval[string](t, ctx, `document.querySelector('h1').innerText`) != addr {
		t.Errorf("address page %s", p)
	}
	screenshot(t, ctx, dir, "3-address")

	// Open a finding: its evidence rows.
	do(t, ctx, "findings", chromedp.Navigate(ts.URL+"/findings"), chromedp.WaitVisible(chromedp.CSS(`#t-findings`)))
	do(t, ctx, "open a finding", chromedp.Click(chromedp.CSS(`#t-findings tbody a`)), chromedp.WaitVisible(chromedp.CSS(`#t-evidence`)))
	if n := eval[int](t, ctx, `document.querySelectorAll('#t-evidence tbody tr').length`); n == 0 {
		t.Error("no evidence rows")
	}
	screenshot(t, ctx, dir, "4-finding")

	// Run a named query with a parameter form.
	do(t, ctx, "query", chromedp.Navigate(ts.URL+"/queries/top-talkers"), chromedp.WaitVisible(chromedp.CSS(`#query-form`)),
		chromedp.SetValue(chromedp.CSS(`#query-form input[name=limit]`), "3"),
		chromedp.Click(chromedp.CSS(`#query-form button`)), chromedp.WaitVisible(chromedp.CSS(`#t-result`)))
	if n := eval[int](t, ctx, `document.querySelectorAll('#t-result tbody tr').length`); n != 3 {
		t.Errorf("top-talkers with limit 3: %d rows", n)
	}
	if eval[string](t, ctx, `document.querySelector('#t-result tbody a').innerText`) != addr {
		t.Error("the query's first talker is not the dashboard's")
	}
	screenshot(t, ctx, dir, "5-query")

	// A refused SQL statement says why.
	do(t, ctx, "sql", chromedp.Navigate(ts.URL+"/sql"), chromedp.WaitVisible(chromedp.CSS(`#sql-form`)),
		chromedp.SetValue(chromedp.CSS(`#sql-form textarea`), "DELETE FROM flows"),
		chromedp.Click(chromedp.CSS(`#sql-form button`)), chromedp.WaitVisible(chromedp.CSS(`#error`)))
	if msg := eval[string](t, ctx, `document.querySelector('#error').innerText`); !strings.Contains(msg, "not a read-only query") {
		t.Errorf("refusal: %q", msg)
	}
	screenshot(t, ctx, dir, "6-sql-refused")

	// Download the top talkers as CSV: the link the page shows. Headless
	// Chromium 148 saved nothing with Browser.setDownloadBehavior here, so
	// the file is fetched from the link's address as the browser resolved
	// it, and checked as a download (attachment, CSV).
	do(t, ctx, "csv", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#t-top-talkers`)))
	href := eval[string](t, ctx, `document.querySelector('h2#top-talkers ~ p a.csv').href`)
	resp, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Content-Disposition"), `attachment; filename="dashboard-top-talkers.csv"`) ||
		!strings.HasPrefix(string(got), "ip,total_bytes") || !strings.Contains(string(got), "\n"+addr+",") {
		t.Errorf("CSV from %s: %v %q", href, resp.Header, got)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(offsite) > 0 {
		t.Errorf("pages asked for %v", offsite)
	}
}
