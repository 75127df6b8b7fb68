package enrich

import (
	"context"
	"errors"
	"net"
	"sort"
	"strings"
	"sync"
	"time"
)

// Resolver does reverse DNS for `flowir enrich --resolve`. Lookups run a
// few at a time, each bounded by PerLookup, all of them by Overall: a slow
// or unreachable resolver costs at most Overall, and the addresses it did
// not answer are counted, not guessed.
type Resolver struct {
	R         *net.Resolver // nil: the system's resolver
	PerLookup time.Duration // 0: 2 s
	Overall   time.Duration // 0: 2 min
	Parallel  int           // 0: 8
	Now       func() time.Time
}

// PTR is the answer for one address.
type PTR struct {
	Address string
	Names   []string  // without the trailing dot, sorted
	At      time.Time // when the answer came
}

// ResolveStats counts how the lookups ended.
type ResolveStats struct {
	Answered, NotFound, Failed, TimedOut, NotTried int
}

// Reverse looks up the PTR names of addrs. Addresses without a name, or
// whose lookup failed, are counted in the stats and return no PTR.
func (r *Resolver) Reverse(ctx context.Context, addrs []string) ([]PTR, ResolveStats) {
	res := r.R
	if res == nil {
		res = net.DefaultResolver
	}
	per, all, par, now := r.PerLookup, r.Overall, r.Parallel, r.Now
	if per <= 0 {
		per = 2 * time.Second
	}
	if all <= 0 {
		all = 2 * time.Minute
	}
	if par <= 0 {
		par = 8
	}
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithTimeout(ctx, all)
	defer cancel()
	var (
		mu    sync.Mutex
		out   []PTR
		st    ResolveStats
		wg    sync.WaitGroup
		slots = make(chan struct{}, par)
	)
	deadline, _ := ctx.Deadline()
	for _, a := range addrs {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		// The deadline, not only Err: Err turns non-nil when the timer
		// fires, which can be a moment after the deadline has passed, and
		// a lookup started in that moment fails at once.
		if ctx.Err() != nil || !time.Now().Before(deadline) {
			mu.Lock()
			st.NotTried++
			mu.Unlock()
			continue
		}
		wg.Add(1)
		go func(a string) {
			defer func() { <-slots; wg.Done() }()
			lctx, lcancel := context.WithTimeout(ctx, per)
			names, err := res.LookupAddr(lctx, a)
			lcancel()
			mu.Lock()
			defer mu.Unlock()
			var dnsErr *net.DNSError
			switch {
			case err == nil && len(names) > 0:
				p := PTR{Address: a, At: now().UTC()}
				for _, n := range names {
					p.Names = append(p.Names, strings.TrimSuffix(n, "."))
				}
				sort.Strings(p.Names)
				out = append(out, p)
				st.Answered++
			case err == nil || errors.As(err, &dnsErr) && dnsErr.IsNotFound:
				st.NotFound++
			case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &dnsErr) && dnsErr.IsTimeout:
				st.TimedOut++
			default:
				st.Failed++
			}
		}(a)
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out, st
}
