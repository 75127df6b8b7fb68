package enrich

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// Allow lists: traffic a responder has checked and accepts as expected (a
// vulnerability scanner, the nightly backup to S3, a partner's network). A
// finding they allow is still stored, marked suppressed with the entry and
// its reason, and shown on request: never dropped.
//
// One entry per line, then its reason (required):
//
//	# comment
//	10.0.5.10            the Nessus scanner (ticket SEC-123)
//	203.0.113.0/24       partner SFTP, contract 2024-17
//	S3                   backups upload to S3 nightly
//	AMAZON_APPFLOW       AppFlow pulls from Salesforce
//	eni-0a1b2c3d4e5f6a7b8 rule=port-scan-vertical,port-scan-horizontal  the scanner appliance
//
// An entry is an address or CIDR network (IPv4 or IPv6), an AWS service
// code of ip-ranges.json (upper case: S3, EC2, AMAZON, AMAZON_APPFLOW, ...;
// AMAZON covers every AWS range), or a network interface id. It allows a
// finding when its actor or its target is in the network, in the service's
// ranges (or named by the records' pkt-*-aws-service), or is an address of
// the interface. An optional rule=R1,R2 after the entry limits it to those
// rules.

// AllowEntry is one line of an allow list.
type AllowEntry struct {
	File      string
	Line      int
	Entry     string       // as written
	Prefix    netip.Prefix // for an address or network
	Service   string       // for an AWS service code
	Interface string       // for a network interface id
	Rules     []string     // only these rules; empty: every rule
	Reason    string
}

// Why says which entry allowed a finding and why, for the stored finding.
func (e *AllowEntry) Why() string {
	return fmt.Sprintf("%s (%s:%d): %s", e.Entry, e.File, e.Line, e.Reason)
}

var (
	eniID       = regexp.MustCompile(`^eni-[0-9a-f]{8,17}$`)
	serviceCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// ParseAllowList reads an allow list. Every bad line is reported with file
// and line; the list is refused if any is bad (a half-read allow list would
// suppress less, or more, than the responder wrote).
func ParseAllowList(file string, data []byte, rules []string) ([]AllowEntry, error) {
	var out []AllowEntry
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		e := AllowEntry{File: file, Line: n, Entry: fields[0]}
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: %s", file, n, fmt.Sprintf(format, a...)))
		}
		switch {
		case strings.Contains(e.Entry, "/"):
			p, err := netip.ParsePrefix(e.Entry)
			if err != nil || p.Addr().Zone() != "" {
				bad("%q is not a CIDR network (e.g. 10.0.0.0/8 or 2001:db8::/32)", e.Entry)
				continue
			}
			if p.Masked() != p {
				bad("%q has host bits set: did you mean %s?", e.Entry, p.Masked())
				continue
			}
			e.Prefix = unmapPrefix(p)
		case eniID.MatchString(e.Entry):
			e.Interface = e.Entry
		default:
			if a, err := netip.ParseAddr(e.Entry); err == nil && a.Zone() == "" {
				a = a.Unmap()
				e.Prefix = netip.PrefixFrom(a, a.BitLen())
			} else if serviceCode.MatchString(e.Entry) {
				e.Service = e.Entry
			} else {
				bad("%q is neither an address, a CIDR network, an AWS service code (S3, AMAZON_APPFLOW, ...) nor an interface id (eni-...)", e.Entry)
				continue
			}
		}
		rest := fields[1:]
		if len(rest) > 0 && strings.HasPrefix(rest[0], "rule=") {
			for _, r := range strings.Split(strings.TrimPrefix(rest[0], "rule="), ",") {
				if r == "" {
					continue
				}
				if len(rules) > 0 && !slices.Contains(rules, r) {
					bad("rule=%s: no such rule (rules: %s)", r, strings.Join(rules, ", "))
				}
				e.Rules = append(e.Rules, r)
			}
			rest = rest[1:]
		}
		if len(rest) == 0 {
			bad("%s has no reason: write after it why this traffic is allowed", e.Entry)
			continue
		}
		// The reason as written, inner spacing kept.
		e.Reason = strings.TrimSpace(line[strings.Index(line, rest[0]):])
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s:%d: %w", file, n+1, err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no entry (one per line: an address, CIDR, AWS service code or eni-... id, then the reason)", file)
	}
	return out, nil
}

func unmapPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}

// AllowList matches findings against allow entries.
type AllowList struct {
	Entries []AllowEntry
	table   *Table
	iface   map[string]map[string]bool // interface id -> its addresses (Key form)
}

// NewAllowList prepares entries for matching. table gives the addresses'
// AWS services and the inventory's interfaces (nil: none).
func NewAllowList(entries []AllowEntry, table *Table) *AllowList {
	l := &AllowList{Entries: entries, table: table, iface: map[string]map[string]bool{}}
	for _, e := range entries {
		if e.Interface == "" {
			continue
		}
		if l.iface[e.Interface] == nil {
			l.iface[e.Interface] = map[string]bool{}
		}
		for _, a := range table.Owners().Addresses(e.Interface) {
			l.iface[e.Interface][Key(a)] = true
		}
	}
	return l
}

// AddInterfaceAddress records that addr is an address of interface id (as
// the flow records show: the destination of its ingress records and the
// source of its egress records).
func (l *AllowList) AddInterfaceAddress(id, addr string) {
	if m := l.iface[id]; m != nil {
		m[Key(addr)] = true
	}
}

// Interfaces returns the interface ids the entries name.
func (l *AllowList) Interfaces() []string {
	var out []string
	for id := range l.iface {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Unmatched returns the entries that name an interface with no known
// address or a service no address of the table has: they can match
// nothing, and the responder should hear so.
func (l *AllowList) Unmatched() []AllowEntry {
	var out []AllowEntry
	for _, e := range l.Entries {
		switch {
		case e.Interface != "" && len(l.iface[e.Interface]) == 0:
			out = append(out, e)
		case e.Service != "" && !l.table.hasService(e.Service):
			out = append(out, e)
		}
	}
	return out
}

func (t *Table) hasService(s string) bool {
	if t == nil {
		return false
	}
	for _, in := range t.byAddr {
		if slices.Contains(in.AWSServices, s) {
			return true
		}
	}
	return false
}

// Match returns the first entry that allows a finding of rule whose actor
// and target are addrs (empty ones are skipped), or nil.
func (l *AllowList) Match(rule string, addrs ...string) *AllowEntry {
	if l == nil {
		return nil
	}
	for i := range l.Entries {
		e := &l.Entries[i]
		if len(e.Rules) > 0 && !slices.Contains(e.Rules, rule) {
			continue
		}
		for _, s := range addrs {
			if s == "" {
				continue
			}
			if l.matches(e, s) {
				return e
			}
		}
	}
	return nil
}

func (l *AllowList) matches(e *AllowEntry, s string) bool {
	switch {
	case e.Prefix.IsValid():
		a, err := netip.ParseAddr(s)
		return err == nil && e.Prefix.Contains(a.Unmap())
	case e.Service != "":
		return slices.Contains(l.table.Info(s).AWSServices, e.Service)
	case e.Interface != "":
		return l.iface[e.Interface][Key(s)]
	}
	return false
}
