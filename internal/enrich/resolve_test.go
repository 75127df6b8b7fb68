package enrich

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/enrich/enrichtest"
)

func TestReverse(t *testing.T) {
	res := enrichtest.DNSServer(t, map[string]string{"203.0.113.200": "exfil.example.net", "2001:db8:bad:1::66": "c2.example.org"},
		[]string{"198.51.100.77"})
	r := &Resolver{R: res, PerLookup: 300 * time.Millisecond, Overall: 5 * time.Second, Parallel: 2,
		Now: func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }}
	t0 := time.Now()
	ptrs, st := r.Reverse(context.Background(), []string{"203.0.113.200", "2001:db8:bad:1::66", "192.0.2.1", "198.51.100.77"})
	if time.Since(t0) > 3*time.Second {
		t.Errorf("took %s: the per-lookup deadline did not hold", time.Since(t0))
	}
	if len(ptrs) != 2 || ptrs[0].Address != "2001:db8:bad:1::66" || ptrs[0].Names[0] != "c2.example.org" || ptrs[1].Names[0] != "exfil.example.net" {
		t.Errorf("%+v", ptrs)
	}
	if st.Answered != 2 || st.NotFound != 1 || st.TimedOut+st.Failed != 1 {
		t.Errorf("stats %+v", st)
	}
	vs := DNSValues(ptrs, "test resolver")
	if vs[1].Value != "exfil.example.net" || vs[1].Field != FieldPTR || !vs[1].SourceDate.Equal(r.Now()) || !strings.Contains(vs[1].Source, "test resolver") {
		t.Errorf("%+v", vs)
	}
}

// The overall deadline holds when every lookup hangs; the addresses not
// reached are counted as not tried.
func TestReverseOverallDeadline(t *testing.T) {
	var many []string
	for i := 1; i <= 20; i++ {
		many = append(many, fmt.Sprintf("198.51.100.%d", i))
	}
	r := &Resolver{R: enrichtest.DNSServer(t, nil, many), PerLookup: 300 * time.Millisecond, Overall: 500 * time.Millisecond, Parallel: 2}
	t0 := time.Now()
	ptrs, st := r.Reverse(context.Background(), many)
	if el := time.Since(t0); el > 2*time.Second {
		t.Errorf("overall deadline: took %s", el)
	}
	if len(ptrs) != 0 || st.NotTried == 0 || st.TimedOut+st.Failed+st.NotTried != 20 {
		t.Errorf("overall deadline: %+v", st)
	}
}
