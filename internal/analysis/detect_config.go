package analysis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ThresholdKind is the type of a detection threshold.
type ThresholdKind int

// Threshold types. Every value is stored as int64 (counts, bytes, seconds),
// float64 or []int (ports).
const (
	KindCount    ThresholdKind = iota // a whole number
	KindBytes                         // bytes: 5000000, 5MB, 20MiB
	KindDuration                      // seconds: 600, 10m, 1h30m
	KindRatio                         // a fraction: 0.1
	KindPorts                         // a port list: 22,3389
)

func (k ThresholdKind) String() string {
	return [...]string{"count", "bytes", "duration", "ratio", "ports"}[k]
}

// Threshold is one tunable threshold of a rule.
type Threshold struct {
	Name    string // snake_case, as in the config file: min_ports
	Kind    ThresholdKind
	Default any // int64, float64 or []int
	// Min and Max bound a count, byte count, duration (seconds) or ratio;
	// Max 0 means no upper bound (durations stay within maxDuration). A value
	// outside them is refused when it is set (Set, LoadJSON): a rule must
	// never meet a threshold it cannot work with (a beacon's period of 0 made
	// its jitter 0/0, and the NaN failed the whole run).
	Min, Max float64
	Doc      string
}

// maxDuration is the longest duration threshold, 100 years: longer windows
// would overflow the rules' arithmetic on Unix seconds.
const maxDuration = 100 * 365 * 86400

// Range describes the values a threshold accepts, in its own units, for
// --help and error messages: "at least 2", "0 to 1".
func (p Threshold) Range() string {
	if p.Kind == KindPorts {
		return "0 to 65535"
	}
	lo := FormatThreshold(p.Kind, p.boundValue(p.Min))
	if p.Max != 0 {
		return lo + " to " + FormatThreshold(p.Kind, p.boundValue(p.Max))
	}
	return "at least " + lo
}

func (p Threshold) boundValue(x float64) any {
	if p.Kind == KindRatio {
		return x
	}
	return int64(x)
}

// check refuses a value outside the threshold's range.
func (p Threshold) check(v any) error {
	var x float64
	switch n := v.(type) {
	case int64:
		x = float64(n)
	case float64:
		x = n
	default:
		return nil // ports: checked when parsed
	}
	if x < p.Min || p.Max != 0 && x > p.Max {
		return fmt.Errorf("%s is out of range: %s", FormatThreshold(p.Kind, v), p.Range())
	}
	if p.Kind == KindDuration && x > maxDuration {
		return fmt.Errorf("%s is out of range: at most 100 years", FormatThreshold(p.Kind, v))
	}
	return nil
}

// FlagName is the command-line flag of a rule's threshold:
// --port-scan-vertical-min-ports.
func FlagName(rule, param string) string {
	return rule + "-" + strings.ReplaceAll(param, "_", "-")
}

// FormatParam renders a threshold value the way the config file and the
// flags accept it back.
func FormatThreshold(k ThresholdKind, v any) string {
	switch x := v.(type) {
	case int64:
		if k == KindDuration {
			return (time.Duration(x) * time.Second).String()
		}
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []int:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = strconv.Itoa(p)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// ParseParam parses a threshold from flag or config text.
func ParseThreshold(k ThresholdKind, s string) (any, error) {
	s = strings.TrimSpace(s)
	switch k {
	case KindCount:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a whole number >= 0", s)
		}
		return n, nil
	case KindBytes:
		return parseBytes(s)
	case KindDuration:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
			return n, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d%time.Second != 0 {
			return nil, fmt.Errorf("%q is not a duration in whole seconds (600, 10m, 1h30m)", s)
		}
		return int64(d / time.Second), nil
	case KindRatio:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q is not a number >= 0", s)
		}
		return f, nil
	case KindPorts:
		var out []int
		for _, part := range strings.Split(s, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			p, err := strconv.Atoi(part)
			if err != nil || p < 0 || p > 65535 {
				return nil, fmt.Errorf("%q is not a port (0-65535)", part)
			}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
		slices.Sort(out)
		return out, nil
	}
	return nil, fmt.Errorf("unknown parameter kind %d", k)
}

// parseBytes reads 5000000, 5MB (10^6), 5MiB (2^20), 5kB, 2GB, 1GiB ...
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
	}
	mult := int64(1)
	num := s
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || math.IsNaN(f) || f*float64(mult) > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a byte count (5000000, 5MB, 20MiB)", s)
	}
	v := f * float64(mult)
	if v != math.Trunc(v) {
		return 0, fmt.Errorf("%q is not a whole number of bytes", s)
	}
	return int64(v), nil
}

// DetectConfig is everything a detection run depends on: which rules run,
// their thresholds, and what counts as the monitored (internal) network.
// It is read from flags and from a JSON file; Marshal writes the effective
// configuration back, and every run stores it next to its findings, so a
// finding can always be traced to the thresholds that produced it.
type DetectConfig struct {
	// Internal ranges in addition to DefaultInternal (from --internal, the
	// config file, or a VPC inventory).
	Internal []NetRange
	// NAT lists addresses of NAT gateways (or other egress translators) in
	// addition to the ones detected from packet-level addresses.
	NAT []netip.Addr
	// InferInterfaceAddresses adds the addresses of the case's own network
	// interfaces, found in the records, to the internal set (see
	// InferInterfaceSQL). On by default: a VPC's IPv6 addresses are public.
	InferInterfaceAddresses bool
	// IOCs are the loaded IOC entries, for the ioc-contact rule.
	IOCs []IOCRef
	// Since and Until restrict the records read (Unix seconds; 0 = open):
	// records overlapping [Since, Until).
	Since, Until int64

	enabled map[string]bool
	values  map[string]map[string]any
}

// NewDetectConfig returns the defaults: every rule enabled with its default
// thresholds.
func NewDetectConfig() *DetectConfig {
	c := &DetectConfig{InferInterfaceAddresses: true, enabled: map[string]bool{}, values: map[string]map[string]any{}}
	for _, r := range Rules() {
		c.enabled[r.Name] = true
		c.values[r.Name] = map[string]any{}
		for _, p := range r.Thresholds {
			c.values[r.Name][p.Name] = p.Default
		}
	}
	return c
}

// Enable turns rules on or off.
func (c *DetectConfig) Enable(rule string, on bool) error {
	if _, err := FindRule(rule); err != nil {
		return err
	}
	c.enabled[rule] = on
	return nil
}

// OnlyRules enables exactly the listed rules.
func (c *DetectConfig) OnlyRules(names []string) error {
	for _, n := range names {
		if _, err := FindRule(n); err != nil {
			return err
		}
	}
	for k := range c.enabled {
		c.enabled[k] = slices.Contains(names, k)
	}
	return nil
}

// Enabled reports whether a rule runs.
func (c *DetectConfig) Enabled(rule string) bool { return c.enabled[rule] }

// EnabledRules lists the rules that run, in catalog order.
func (c *DetectConfig) EnabledRules() []string {
	var out []string
	for _, r := range Rules() {
		if c.enabled[r.Name] {
			out = append(out, r.Name)
		}
	}
	return out
}

// Set sets a threshold from text (a flag value): Set("port-scan-vertical",
// "min_ports", "30").
func (c *DetectConfig) Set(rule, param, value string) error {
	p, err := findThreshold(rule, param)
	if err != nil {
		return err
	}
	v, err := ParseThreshold(p.Kind, value)
	if err == nil {
		err = p.check(v)
	}
	if err != nil {
		return fmt.Errorf("%s.%s: %v", rule, param, err)
	}
	c.values[rule][param] = v
	return nil
}

// Value returns a threshold's current value.
func (c *DetectConfig) Value(rule, param string) any { return c.values[rule][param] }

func findThreshold(rule, param string) (Threshold, error) {
	r, err := FindRule(rule)
	if err != nil {
		return Threshold{}, err
	}
	for _, p := range r.Thresholds {
		if p.Name == param {
			return p, nil
		}
	}
	var names []string
	for _, p := range r.Thresholds {
		names = append(names, p.Name)
	}
	return Threshold{}, fmt.Errorf("rule %s has no threshold %q (it has: %s)", rule, param, strings.Join(names, ", "))
}

func (c *DetectConfig) int(rule, param string) int64 {
	v, ok := c.values[rule][param].(int64)
	if !ok {
		panic(fmt.Sprintf("analysis: threshold %s.%s is not an integer", rule, param))
	}
	return v
}

func (c *DetectConfig) float(rule, param string) float64 {
	v, ok := c.values[rule][param].(float64)
	if !ok {
		panic(fmt.Sprintf("analysis: threshold %s.%s is not a number", rule, param))
	}
	return v
}

func (c *DetectConfig) ports(rule, param string) []int {
	v, ok := c.values[rule][param].([]int)
	if !ok {
		panic(fmt.Sprintf("analysis: threshold %s.%s is not a port list", rule, param))
	}
	return v
}

// configFile is the JSON layout of a detection config file:
//
//	{
//	  "internal": ["198.18.0.0/15", "2600:1f18:1234::/56"],
//	  "nat": ["10.0.0.220"],
//	  "infer_interface_addresses": true,
//	  "rules": {
//	    "port-scan-vertical": {"enabled": true, "min_ports": 30, "max_gap": "5m"},
//	    "exfiltration": {"min_bytes": "50MB"}
//	  }
//	}
//
// Every key is optional; values may be JSON numbers or the strings the
// command-line flags take.
type configFile struct {
	Internal                []string                              `json:"internal,omitempty"`
	NAT                     []string                              `json:"nat,omitempty"`
	InferInterfaceAddresses *bool                                 `json:"infer_interface_addresses,omitempty"`
	Rules                   map[string]map[string]json.RawMessage `json:"rules,omitempty"`
}

// LoadJSON applies a config file over c. Unknown rules and thresholds are
// errors (a misspelt threshold silently left at its default would be worse).
func (c *DetectConfig) LoadJSON(name string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f configFile
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("%s: %v (see 'flowir detect --show-config' for the layout)", name, err)
	}
	for _, s := range f.Internal {
		p, err := ParseCIDROrAddr(s)
		if err != nil {
			return fmt.Errorf("%s: internal: %v", name, err)
		}
		c.Internal = append(c.Internal, NetRange{Prefix: p, Label: "config " + name})
	}
	for _, s := range f.NAT {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || a.Zone() != "" {
			return fmt.Errorf("%s: nat: %q is not an IP address", name, s)
		}
		c.NAT = append(c.NAT, a.Unmap())
	}
	if f.InferInterfaceAddresses != nil {
		c.InferInterfaceAddresses = *f.InferInterfaceAddresses
	}
	rules := make([]string, 0, len(f.Rules))
	for r := range f.Rules {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		if _, err := FindRule(r); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		keys := make([]string, 0, len(f.Rules[r]))
		for k := range f.Rules[r] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			raw := f.Rules[r][k]
			if k == "enabled" {
				var on bool
				if err := json.Unmarshal(raw, &on); err != nil {
					return fmt.Errorf("%s: rules.%s.enabled must be true or false", name, r)
				}
				c.enabled[r] = on
				continue
			}
			text, err := rawParamText(raw)
			if err != nil {
				return fmt.Errorf("%s: rules.%s.%s: %v", name, r, k, err)
			}
			if err := c.Set(r, k, text); err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
		}
	}
	return nil
}

// rawParamText turns a JSON number, string or array of numbers into the
// text form ParseParam reads.
func rawParamText(raw json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&n) == nil {
		return n.String(), nil
	}
	var list []int
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, len(list))
		for i, p := range list {
			parts[i] = strconv.Itoa(p)
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("expected a number, a string or a list of ports, got %s", raw)
}

// MarshalJSON writes the effective configuration in the config file's
// layout (thresholds in their text forms), so it can be saved, edited and
// given back with --config.
func (c *DetectConfig) MarshalJSON() ([]byte, error) {
	type ruleOut map[string]any
	out := struct {
		Internal                []string           `json:"internal"`
		NAT                     []string           `json:"nat"`
		InferInterfaceAddresses bool               `json:"infer_interface_addresses"`
		Rules                   map[string]ruleOut `json:"rules"`
	}{Internal: []string{}, NAT: []string{}, InferInterfaceAddresses: c.InferInterfaceAddresses, Rules: map[string]ruleOut{}}
	for _, r := range c.Internal {
		out.Internal = append(out.Internal, r.Prefix.String())
	}
	for _, a := range c.NAT {
		out.NAT = append(out.NAT, a.String())
	}
	for _, r := range Rules() {
		ro := ruleOut{"enabled": c.enabled[r.Name]}
		for _, p := range r.Thresholds {
			v := c.values[r.Name][p.Name]
			switch p.Kind {
			case KindCount:
				ro[p.Name] = v
			case KindRatio:
				ro[p.Name] = v
			default:
				ro[p.Name] = FormatThreshold(p.Kind, v)
			}
		}
		out.Rules[r.Name] = ro
	}
	return json.Marshal(out)
}
