package analysis

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/flow"
)

func TestThresholdParsing(t *testing.T) {
	for _, c := range []struct {
		kind ThresholdKind
		in   string
		want any
		ok   bool
	}{
		{KindCount, "20", int64(20), true},
		{KindCount, "-1", nil, false},
		{KindCount, "2.5", nil, false},
		{KindBytes, "5000000", int64(5000000), true},
		{KindBytes, "5MB", int64(5000000), true},
		{KindBytes, "20 MiB", int64(20 << 20), true},
		{KindBytes, "1.5kB", int64(1500), true},
		{KindBytes, "1.5B", nil, false},
		{KindBytes, "lots", nil, false},
		{KindDuration, "600", int64(600), true},
		{KindDuration, "10m", int64(600), true},
		{KindDuration, "1h30m", int64(5400), true},
		{KindDuration, "1.5s", nil, false},
		{KindDuration, "-5m", nil, false},
		{KindRatio, "0.1", 0.1, true},
		{KindRatio, "NaN", nil, false},
		{KindPorts, "3389, 22,22", []int{22, 3389}, true},
		{KindPorts, "", []int(nil), true},
		{KindPorts, "70000", nil, false},
	} {
		got, err := ParseThreshold(c.kind, c.in)
		if (err == nil) != c.ok || (c.ok && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("ParseThreshold(%s, %q) = %#v, %v; want %#v (ok=%v)", c.kind, c.in, got, err, c.want, c.ok)
		}
		if c.ok && c.kind != KindPorts {
			back, err := ParseThreshold(c.kind, FormatThreshold(c.kind, got))
			if err != nil || !reflect.DeepEqual(back, got) {
				t.Errorf("%s %q does not round-trip through %q", c.kind, c.in, FormatThreshold(c.kind, got))
			}
		}
	}
}

// TestEveryRuleDocumented checks that every rule has a technique, a
// severity, documentation, and that every threshold has a default of its
// kind's type and a doc line.
func TestEveryRuleDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.Name] || r.Technique == "" || !strings.HasPrefix(r.Technique, "T1") || r.Doc == "" || r.Title == "" || r.run == nil {
			t.Errorf("rule %q is incomplete or repeated", r.Name)
		}
		seen[r.Name] = true
		if !slices.Contains([]string{SeverityLow, SeverityMedium, SeverityHigh}, r.Severity) {
			t.Errorf("rule %s: severity %q", r.Name, r.Severity)
		}
		for _, p := range r.Thresholds {
			if p.Doc == "" {
				t.Errorf("%s.%s has no doc", r.Name, p.Name)
			}
			var ok bool
			switch p.Kind {
			case KindCount, KindBytes, KindDuration:
				_, ok = p.Default.(int64)
			case KindRatio:
				_, ok = p.Default.(float64)
			case KindPorts:
				_, ok = p.Default.([]int)
			}
			if !ok {
				t.Errorf("%s.%s: default %#v is not a %s", r.Name, p.Name, p.Default, p.Kind)
			}
		}
	}
	if len(seen) != 8 {
		t.Errorf("%d rules", len(seen))
	}
}

func TestDetectConfigJSON(t *testing.T) {
	c := NewDetectConfig()
	err := c.LoadJSON("cfg.json", []byte(`{
		"internal": ["198.18.0.0/15", "2600:1f18:1234::/56"],
		"nat": ["10.0.0.220"],
		"infer_interface_addresses": false,
		"rules": {
			"port-scan-vertical": {"min_ports": 30, "max_gap": "5m"},
			"exfiltration": {"min_bytes": "50MB", "enabled": false},
			"brute-force": {"ports": [22, 3389]}
		}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Value(RulePortScanVertical, "min_ports") != int64(30) || c.Value(RulePortScanVertical, "max_gap") != int64(300) ||
		c.Value(RuleExfiltration, "min_bytes") != int64(50e6) || c.Enabled(RuleExfiltration) || !c.Enabled(RuleBeaconing) ||
		!slices.Equal(c.Value(RuleBruteForce, "ports").([]int), []int{22, 3389}) || c.InferInterfaceAddresses ||
		len(c.Internal) != 2 || len(c.NAT) != 1 {
		t.Errorf("config not applied: %+v", c)
	}
	// The effective configuration reads back to the same values.
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDetectConfig()
	if err := d.LoadJSON("round", b); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !reflect.DeepEqual(c.values, d.values) || !reflect.DeepEqual(c.enabled, d.enabled) || d.InferInterfaceAddresses {
		t.Errorf("round trip differs:\n%v\n%v", c.values, d.values)
	}
	for _, bad := range []string{
		`{"rules": {"port-scan-diagonal": {}}}`,
		`{"rules": {"port-scan-vertical": {"min_port": 3}}}`,
		`{"rules": {"port-scan-vertical": {"min_ports": "many"}}}`,
		`{"rules": {"port-scan-vertical": {"enabled": "yes"}}}`,
		`{"internal": ["10.0.0.1/8"]}`,
		`{"nat": ["gateway"]}`,
		`{"thresholds": {}}`,
		`not json`,
	} {
		if err := NewDetectConfig().LoadJSON("bad.json", []byte(bad)); err == nil || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("%s: error %v", bad, err)
		}
	}
	if err := c.OnlyRules([]string{RuleBeaconing, "nope"}); err == nil {
		t.Error("OnlyRules accepted an unknown rule")
	}
	if err := c.OnlyRules([]string{RuleBeaconing}); err != nil || !slices.Equal(c.EnabledRules(), []string{RuleBeaconing}) {
		t.Errorf("OnlyRules: %v %v", err, c.EnabledRules())
	}
}

func TestSlidingEpisodes(t *testing.T) {
	recs := []timedBytes{{0, 100}, {100, 100}, {200, 100}, {5000, 300}, {5050, 1}, {9000, 50}}
	got := slidingEpisodes(recs, 300, 300)
	want := []episode{{s0: 0, s1: 200, max: sum128{lo: 300}, maxAt: 0}, {s0: 5000, s1: 5050, max: sum128{lo: 301}, maxAt: 5000}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// Just under the threshold: nothing.
	if got := slidingEpisodes(recs, 300, 302); len(got) != 0 {
		t.Errorf("near miss: %+v", got)
	}
	// Window totals are exact past int64 (issue 17.2): 3,000 records of
	// the largest counter in one window, and the window sliding off them
	// one by one.
	var big3 []timedBytes
	for i := range 3000 {
		big3 = append(big3, timedBytes{int64(i / 1000), flow.MaxCounter})
	}
	wantMax := new(big.Int).Mul(big.NewInt(flow.MaxCounter), big.NewInt(3000))
	if got := slidingEpisodes(big3, 10, math.MaxInt64); len(got) != 1 || got[0].max.big().Cmp(wantMax) != 0 || got[0].s1 != 2 {
		t.Errorf("3000 x 2^53-1: %+v, want one episode of %s", got, wantMax)
	}
	got = slidingEpisodes(big3, 1, 1000*flow.MaxCounter)
	for i, e := range got {
		if e.s0 != int64(i) || e.s1 != int64(i) || e.max.big().Cmp(new(big.Int).Div(wantMax, big.NewInt(3))) != 0 {
			t.Errorf("3000 x 2^53-1 in windows of 1 s: episode %+v", e)
		}
	}
	if len(got) != 3 {
		t.Errorf("3000 x 2^53-1 in windows of 1 s: %+v, want 3 episodes (one a second)", got)
	}
	// Against a brute-force computation on random data.
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		var rs []timedBytes
		tm := int64(0)
		for range 1 + rng.IntN(40) {
			tm += rng.Int64N(200)
			rs = append(rs, timedBytes{tm, rng.Int64N(100)})
		}
		w, min := 1+rng.Int64N(400), 1+rng.Int64N(300)
		eps := slidingEpisodes(rs, w, min)
		for i := range rs {
			var sum int64
			last := rs[i].t
			for j := i; j < len(rs) && rs[j].t < rs[i].t+w; j++ {
				sum += rs[j].b
				last = rs[j].t
			}
			if sum < min {
				continue
			}
			in := false
			for _, e := range eps {
				if e.s0 <= rs[i].t && last <= e.s1 && e.max.big().Cmp(big.NewInt(sum)) >= 0 {
					in = true
				}
			}
			if !in {
				t.Fatalf("window at %d (sum %d) not covered by %+v (w %d, min %d, recs %v)", rs[i].t, sum, eps, w, min, rs)
			}
		}
		for _, e := range eps {
			if !e.max.atLeast(min) {
				t.Fatalf("episode %+v below the threshold %d", e, min)
			}
		}
	}
}

func TestBeaconStats(t *testing.T) {
	var regular, jittery []int64
	rng := rand.New(rand.NewPCG(7, 8))
	tm, tj := int64(1000), int64(1000)
	for range 100 {
		regular = append(regular, tm)
		tm += 300 + rng.Int64N(11) - 5
		jittery = append(jittery, tj)
		tj += int64(rng.ExpFloat64() * 300) // Poisson arrivals
	}
	n, period, mad := beacon(regular, 2)
	if n != 100 || math.Abs(period-300) > 3 || mad > 5 {
		t.Errorf("regular: %d contacts, period %v, mad %v", n, period, mad)
	}
	_, period, mad = beacon(jittery, 2)
	if mad/period < 0.3 {
		t.Errorf("Poisson arrivals look regular: jitter %v", mad/period)
	}
	// Parallel connections opened together count once.
	n, period, _ = beacon([]int64{0, 1, 60, 61, 62, 120, 180}, 2)
	if n != 4 || period != 60 {
		t.Errorf("merge: %d contacts, period %v", n, period)
	}
	if n, _, _ := beacon(nil, 2); n != 0 {
		t.Error("empty")
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{4, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v", c.in, got)
		}
	}
}

// FuzzDetectConfig feeds arbitrary text to the config-file reader and the
// threshold parser: errors are fine, panics and values of the wrong type
// are not.
func FuzzDetectConfig(f *testing.F) {
	f.Add([]byte(`{"rules": {"port-scan-vertical": {"min_ports": 30, "max_gap": "5m"}}, "internal": ["10.0.0.0/8"]}`))
	f.Add([]byte(`{"rules": {"brute-force": {"ports": [22, 3389], "max_bytes": "20kB"}}, "nat": ["10.0.0.1"]}`))
	f.Add([]byte(`{"rules": {"beaconing": {"max_jitter": 1e308}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := NewDetectConfig()
		if err := c.LoadJSON("fuzz.json", data); err != nil {
			return
		}
		for _, r := range Rules() {
			for _, p := range r.Thresholds {
				v := c.Value(r.Name, p.Name)
				var ok bool
				switch p.Kind {
				case KindCount, KindBytes, KindDuration:
					var n int64
					n, ok = v.(int64)
					ok = ok && n >= 0
				case KindRatio:
					var x float64
					x, ok = v.(float64)
					ok = ok && x >= 0 && !math.IsNaN(x) && !math.IsInf(x, 0)
				case KindPorts:
					_, ok = v.([]int)
				}
				if !ok {
					t.Fatalf("%s.%s = %#v after %q", r.Name, p.Name, v, data)
				}
			}
		}
		if _, err := json.Marshal(c); err != nil {
			t.Fatal(err)
		}
	})
}

// TestThresholdRanges (issue 17.21): the validator refuses every value a
// rule cannot work with, from flags and from a config file alike; every
// default lies inside its range.
func TestThresholdRanges(t *testing.T) {
	for _, r := range Rules() {
		for _, p := range r.Thresholds {
			if err := p.check(p.Default); err != nil {
				t.Errorf("%s.%s: default %v: %v", r.Name, p.Name, p.Default, err)
			}
		}
	}
	for _, c := range []struct{ rule, param, value string }{
		{RuleBeaconing, "min_period", "0s"}, // the issue's: a period of 0 made the jitter NaN
		{RuleBeaconing, "min_contacts", "1"},
		{RuleBeaconing, "max_jitter", "1.5"},
		{RuleExfiltration, "window", "0"},
		{RuleExfiltration, "window", "200000000000"}, // would overflow start + window
		{RuleNATEgress, "window", "0s"},
		{RuleNATEgress, "min_bytes", "0"},
		{RulePortScanVertical, "min_ports", "1"},
		{RulePortScanVertical, "min_ports", "70000"},
		{RulePortScanHorizontal, "min_hosts", "0"},
		{RulePortScanHorizontal, "min_unique_ratio", "2"},
		{RuleBruteForce, "min_attempts", "0"},
		{RuleIOCContact, "max_hosts", "0"},
	} {
		cfg := NewDetectConfig()
		if err := cfg.Set(c.rule, c.param, c.value); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("Set %s.%s = %s: %v", c.rule, c.param, c.value, err)
		}
		doc := fmt.Sprintf(`{"rules": {%q: {%q: %q}}}`, c.rule, c.param, c.value)
		if err := cfg.LoadJSON("c.json", []byte(doc)); err == nil {
			t.Errorf("config %s accepted", doc)
		}
	}
	cfg := NewDetectConfig()
	for _, ok := range [][3]string{{RuleBeaconing, "min_period", "1s"}, {RuleBeaconing, "max_jitter", "1"}, {RulePortScanVertical, "min_ports", "2"}} {
		if err := cfg.Set(ok[0], ok[1], ok[2]); err != nil {
			t.Errorf("Set %v: %v", ok, err)
		}
	}
}
