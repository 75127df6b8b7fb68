package flow

import (
	"slices"
	"strings"
	"testing"
)

// The format strings below are restated from flowlogs-reference.md (§2 for
// the default format, §4 for the Transit Gateway default, §1.3 for the order
// of all VPC fields), not derived from the registry.
const (
	refDefault = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	refTGW     = "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service"
	refAllVPC  = refDefault + " vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id reject-reason"
)

// dollar turns "a b c" into "${a} ${b} ${c}".
func dollar(names string) string {
	f := strings.Fields(names)
	for i, n := range f {
		f[i] = "${" + n + "}"
	}
	return strings.Join(f, " ")
}

// knownMask renders which columns are known, as "1" and "0" per column.
func knownMask(f Format) string {
	var b strings.Builder
	for _, c := range f.Cols {
		if c.Known {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // Header() of the result
		known   string // knownMask of the result
		wantErr string // substring of the error; "" for success
	}{
		{name: "default dollar", in: dollar(refDefault), want: refDefault, known: strings.Repeat("1", 14)},
		{name: "default bare", in: refDefault, want: refDefault, known: strings.Repeat("1", 14)},
		{name: "underscore names", in: "version account_id log_status pkt_src_aws_service", want: "version account-id log-status pkt-src-aws-service", known: "1111"},
		{name: "underscore in dollar", in: "${log_status} ${tcp_flags}", want: "log-status tcp-flags", known: "11"},
		{name: "upper case", in: "${Version} LOG-STATUS", want: "version log-status", known: "11"},
		{name: "mixed dollar and bare", in: "${srcaddr} dstaddr", want: "srcaddr dstaddr", known: "11"},
		{name: "runs of spaces and tabs", in: "  version\t\taccount-id   \t end \n", want: "version account-id end", known: "111"},
		{name: "single field", in: "${interface-id}", want: "interface-id", known: "1"},
		{name: "unknown kept", in: "${version} ${resource-id} ${encryption-status}", want: "version resource-id encryption-status", known: "100"},
		{name: "unknown underscore kept hyphenated", in: "version future_field_2", want: "version future-field-2", known: "10"},
		{name: "only unknown", in: "foo bar", want: "foo bar", known: "00"},
		{name: "duplicate", in: "${srcaddr} ${dstaddr} ${srcaddr}", wantErr: "srcaddr appears twice"},
		{name: "duplicate via underscore", in: "log-status log_status", wantErr: "log-status appears twice"},
		{name: "duplicate via dollar", in: "${version} version", wantErr: "version appears twice"},
		{name: "duplicate via case", in: "version VERSION", wantErr: "appears twice"},
		{name: "duplicate unknown", in: "foo-bar foo_bar", wantErr: "foo-bar appears twice"},
		{name: "empty", in: "", wantErr: "empty log format"},
		{name: "blank", in: " \t \n", wantErr: "empty log format"},
		{name: "unclosed dollar", in: "${version", wantErr: "expected ${field-name}"},
		{name: "close without open", in: "version}", wantErr: "expected ${field-name}"},
		{name: "empty dollar", in: "${}", wantErr: "expected ${field-name}"},
		{name: "dollar without brace", in: "$version", wantErr: "a field name is"},
		{name: "space inside dollar", in: "${log status}", wantErr: "expected ${field-name}"},
		{name: "starts with digit", in: "2version", wantErr: "a field name is"},
		{name: "starts with hyphen", in: "${-x}", wantErr: "a field name is"},
		{name: "punctuation", in: "ver.sion", wantErr: "a field name is"},
		{name: "comma separated", in: "version,account-id", wantErr: "a field name is"},
		{name: "error names position", in: "version account-id 1x", wantErr: "field 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFormat(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseFormat(%q) = %q, want error containing %q", tt.in, f.Header(), tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseFormat(%q) error %q, want it to contain %q", tt.in, err, tt.wantErr)
				}
				if len(f.Cols) != 0 {
					t.Errorf("ParseFormat(%q) returned %d columns with its error", tt.in, len(f.Cols))
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFormat(%q): %v", tt.in, err)
			}
			if got := f.Header(); got != tt.want {
				t.Errorf("Header() = %q, want %q", got, tt.want)
			}
			if got := knownMask(f); got != tt.known {
				t.Errorf("known = %s, want %s", got, tt.known)
			}
			for _, c := range f.Cols {
				if c.Known && Get(c.ID).Name != c.Name {
					t.Errorf("column %q has ID %v (%s)", c.Name, c.ID, Get(c.ID).Name)
				}
			}
		})
	}
}

func TestStandardFormats(t *testing.T) {
	tests := []struct {
		name       string
		f          Format
		want       string
		maxVersion int
		tgw        bool
	}{
		{"default", DefaultFormat(), refDefault, 2, false},
		{"tgw default", TGWDefaultFormat(), refTGW, 6, true},
		{"all vpc", AllVPCFormat(), refAllVPC, 8, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Header(); got != tt.want {
				t.Fatalf("Header() =\n%s\nwant\n%s", got, tt.want)
			}
			if got := knownMask(tt.f); got != strings.Repeat("1", len(strings.Fields(tt.want))) {
				t.Errorf("known = %s, want all known", got)
			}
			if got := tt.f.MaxVersion(); got != tt.maxVersion {
				t.Errorf("MaxVersion() = %d, want %d", got, tt.maxVersion)
			}
			if got := tt.f.IsTGW(); got != tt.tgw {
				t.Errorf("IsTGW() = %v, want %v", got, tt.tgw)
			}
			if u := tt.f.Unknown(); len(u) != 0 {
				t.Errorf("Unknown() = %q, want none", u)
			}
			// String and Header must both read back as the same format.
			for _, s := range []string{tt.f.String(), tt.f.Header()} {
				g, err := ParseFormat(s)
				if err != nil {
					t.Fatalf("ParseFormat(%q): %v", s, err)
				}
				if !g.Equal(tt.f) {
					t.Errorf("ParseFormat(%q) = %q, want %q", s, g.Header(), tt.want)
				}
			}
			if got := tt.f.String(); got != dollar(tt.want) {
				t.Errorf("String() = %q, want %q", got, dollar(tt.want))
			}
		})
	}
	// Each call returns a fresh format: changing one must not change the next.
	d := DefaultFormat()
	d.Cols[0].Name = "changed"
	if DefaultFormat().Cols[0].Name != "version" {
		t.Error("DefaultFormat shares its columns between calls")
	}
	g := TGWDefaultFormat()
	g.Cols[0].Name = "changed"
	if TGWDefaultFormat().Cols[0].Name != "version" {
		t.Error("TGWDefaultFormat shares its columns between calls")
	}
}

func mustFormat(t testing.TB, s string) Format {
	t.Helper()
	f, err := ParseFormat(s)
	if err != nil {
		t.Fatalf("ParseFormat(%q): %v", s, err)
	}
	return f
}

func TestFormatMethods(t *testing.T) {
	tests := []struct {
		format     string
		has        []FieldID
		hasNot     []FieldID
		unknown    string
		maxVersion int
		tgw        bool
	}{
		{"srcaddr dstaddr", []FieldID{SrcAddr, DstAddr}, []FieldID{Version, LogStatus}, "", 2, false},
		{"version vpc-id foo", []FieldID{Version, VPCID}, []FieldID{SubnetID}, "foo", 3, false},
		{"region az-id", []FieldID{Region, AZID}, nil, "", 4, false},
		{"flow-direction", []FieldID{FlowDirection}, nil, "", 5, false},
		{"ecs-task-id version", []FieldID{ECSTaskID}, nil, "", 7, false},
		{"reject-reason", []FieldID{RejectReason}, nil, "", 8, false},
		{"tgw-id srcaddr", []FieldID{TGWID, SrcAddr}, []FieldID{InterfaceID}, "", 6, true},
		{"packets-lost-no-route", []FieldID{PacketsLostNoRoute}, nil, "", 6, true},
		// Fields that TGW logs share with VPC logs do not make a format TGW.
		{"version account-id srcaddr region tcp-flags", nil, nil, "", 4, false},
		{"resource-id encryption-status", nil, []FieldID{Version}, "resource-id encryption-status", 0, false},
	}
	for _, tt := range tests {
		f := mustFormat(t, tt.format)
		for _, id := range tt.has {
			if !f.Has(id) {
				t.Errorf("%q: Has(%s) = false", tt.format, id)
			}
		}
		for _, id := range tt.hasNot {
			if f.Has(id) {
				t.Errorf("%q: Has(%s) = true", tt.format, id)
			}
		}
		if got := strings.Join(f.Unknown(), " "); got != tt.unknown {
			t.Errorf("%q: Unknown() = %q, want %q", tt.format, got, tt.unknown)
		}
		if got := f.MaxVersion(); got != tt.maxVersion {
			t.Errorf("%q: MaxVersion() = %d, want %d", tt.format, got, tt.maxVersion)
		}
		if got := f.IsTGW(); got != tt.tgw {
			t.Errorf("%q: IsTGW() = %v, want %v", tt.format, got, tt.tgw)
		}
	}
	// A format that does not know a name must not report it by its zero ID.
	if f := mustFormat(t, "foo"); f.Has(Version) {
		t.Error("unknown column reported as version (FieldID 0)")
	}
}

func TestFormatEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"version srcaddr", "${version} ${srcaddr}", true},
		{"version srcaddr", "version_x srcaddr", false},
		{"version srcaddr", "srcaddr version", false},
		{"version srcaddr", "version srcaddr dstaddr", false},
		{"log_status", "log-status", true},
		{"foo bar", "foo bar", true},
	}
	for _, tt := range tests {
		a, b := mustFormat(t, tt.a), mustFormat(t, tt.b)
		if got := a.Equal(b); got != tt.want {
			t.Errorf("%q.Equal(%q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := b.Equal(a); got != tt.want {
			t.Errorf("%q.Equal(%q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
	if !(Format{}).Equal(Format{}) {
		t.Error("empty formats are not equal")
	}
}

// Data lines from the reference (§6) and from the external samples: none of
// them may be taken for a header.
var dataLines = []string{
	"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
	"- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5",
	"i-01234567890123456 eni-1111aaaa2222bbbb3 10.0.1.5 203.0.113.5 10.0.1.5 203.0.113.5",
	"3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK",
	"3 - 748335378900 tgw-0a12bc34de56f7890 tgw-attach-0789ijkl - - vpc-0jkl5678 vpc-0ghi9012 - - eni-0cc3dd4ee5f66aa7b eni-0cc3dd4ee5f66aa7b - - - 1.128.0.0 2a02:cf40:: 39464 22 6 49 8947 1755592533 1755592558 SKIPDATA - - - - - - - ingress - -",
	// Only string fields: name-shaped tokens, but none is a known field name.
	"vpc-0abc subnet-1 i-123",
	"eni-0abc vpc-0abc",
	"us-east-1 use1-az1 ingress",
	"tgw-0a12bc34de56f7890 tgw-attach-0789ijkl",
	"IPv4 ingress OK",
}

func TestHeaderFormat(t *testing.T) {
	tests := []struct {
		name string
		line string
		want string // Header() of the result; "" when the line is not a header
	}{
		{"default header", refDefault, refDefault},
		{"tcp flag example header", "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status",
			"version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"},
		{"tgw header", refTGW, refTGW},
		{"dollar header", dollar(refDefault), refDefault},
		{"underscore header", "version account_id interface_id log_status", "version account-id interface-id log-status"},
		{"runs of blanks", " version \t account-id   end\t", "version account-id end"},
		{"single known field", "srcaddr", "srcaddr"},
		{"newer unknown fields kept", "version srcaddr reject-reason resource-id encryption-status", "version srcaddr reject-reason resource-id encryption-status"},
		{"more than half known", "version srcaddr foo", "version srcaddr foo"},
		{"exactly half known", "version foo", ""},
		{"mostly unknown", "version foo bar baz", ""},
		{"all unknown", "foo bar", ""},
		{"duplicate field", "version srcaddr version", ""},
		{"one data token", "version account-id 2", ""},
		{"a dash", "version - end", ""},
		{"empty", "", ""},
		{"blank", " \t ", ""},
		{"invalid utf8", "version account-id \xff", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := HeaderFormat([]byte(tt.line))
			if ok != (tt.want != "") {
				t.Fatalf("HeaderFormat(%q) = %q, %v; want header %v", tt.line, f.Header(), ok, tt.want != "")
			}
			if got := f.Header(); got != tt.want {
				t.Errorf("HeaderFormat(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
	for _, line := range dataLines {
		if f, ok := HeaderFormat([]byte(line)); ok {
			t.Errorf("data line %q taken for header %q", line, f.Header())
		}
	}
}

func TestHeaderFormatRepeated(t *testing.T) {
	// A header read twice gives equal formats, and the format of a header
	// reads its own Header() back as a header.
	for _, line := range []string{refDefault, refTGW, refAllVPC, "version account-id resource-id"} {
		a, ok1 := HeaderFormat([]byte(line))
		b, ok2 := HeaderFormat([]byte(line))
		if !ok1 || !ok2 || !a.Equal(b) {
			t.Fatalf("HeaderFormat(%q) twice: %v %v, equal %v", line, ok1, ok2, a.Equal(b))
		}
		c, ok := HeaderFormat([]byte(a.Header()))
		if !ok || !c.Equal(a) {
			t.Errorf("HeaderFormat(Header()) of %q = %q, %v", line, c.Header(), ok)
		}
	}
}

func TestLooksLikeHeader(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{refDefault, true},
		{dollar(refDefault), true},
		{"  \tversion", true},
		{"vpc-0abc subnet-1 i-123", true}, // only a pre-check: HeaderFormat decides
		{"2 123456789010 eni-1", false},
		{"- eni-1", false},
		{"IPv4 ingress", false},
		{"Version account-id", false},
		{"", false},
		{"   ", false},
		{"\xef\xbb\xbfversion", false}, // a BOM is the reader's job
	}
	for _, tt := range tests {
		if got := LooksLikeHeader([]byte(tt.line)); got != tt.want {
			t.Errorf("LooksLikeHeader(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
	// Every header HeaderFormat accepts must pass the pre-check, or the
	// reader would never see it.
	for _, line := range []string{refDefault, refTGW, refAllVPC, dollar(refTGW), "log_status srcaddr"} {
		if _, ok := HeaderFormat([]byte(line)); ok && !LooksLikeHeader([]byte(line)) {
			t.Errorf("header %q fails LooksLikeHeader", line)
		}
	}
}

func TestFormatMask(t *testing.T) {
	tests := []struct {
		format string
		want   uint64
	}{
		{refDefault, 1<<14 - 1},
		{"log-status version", 1<<LogStatus | 1<<Version},
		{"foo srcaddr bar", 1 << SrcAddr},
		{"foo bar", 0},
		{"packets-lost-ttl-expired reject-reason", 1<<PacketsLostTTLExpired | 1<<RejectReason},
		{refAllVPC, 1<<NumVPCFields - 1},
	}
	for _, tt := range tests {
		if got := mustFormat(t, tt.format).Mask(); got != tt.want {
			t.Errorf("Mask(%q) = %x, want %x", tt.format, got, tt.want)
		}
	}
	if got := (Format{}).Mask(); got != 0 {
		t.Errorf("empty format Mask = %x", got)
	}
	var all uint64
	for _, id := range []FieldID{0, NumFields - 1} {
		all |= 1 << id
	}
	if got := TGWDefaultFormat().Mask(); got&all != all || got&(1<<InterfaceID) != 0 || got&(1<<Action) != 0 {
		t.Errorf("TGW default mask %x: want version and the last TGW field, no interface-id or action", got)
	}
}

func TestHeaderProblem(t *testing.T) {
	tests := []struct {
		line string
		want string // a substring of the problem; "" for none
	}{
		{"version account-id version srcaddr", "the field version is named twice"},
		{"${version} ${srcaddr} ${SRCADDR}", "the field srcaddr is named twice"},
		{"version interface src dst proto", "only 1 of its 5 names are flow log fields (not: interface (interface-id?), src, dst, proto)"},
		{"version src_addr dst-addr foo", "not: src-addr (srcaddr?), dst-addr (dstaddr?), foo"},
		{"version a b c d e f g h i j", "not: a, b, c, d, e, f, g, h, ... 2 more"},
		// Not header-shaped, or a header HeaderFormat accepts.
		{"version account-id interface-id", ""},
		{"version resource-id encryption-status", ""},
		{"vpc-0abc subnet-1 i-123", ""}, // no known name: a data line of a custom format
		{"2 123456789010 eni-1 version", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got := HeaderProblem([]byte(tt.line))
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("HeaderProblem(%q) = %q, want %q", tt.line, got, tt.want)
		}
		if _, ok := HeaderFormat([]byte(tt.line)); ok && got != "" {
			t.Errorf("%q: a header with a problem", tt.line)
		}
	}
}

func TestSuggestAndUndocumented(t *testing.T) {
	for in, want := range map[string]string{"interface": "interface-id", "src_addr": "srcaddr", "srcAddr": "srcaddr", "pkt-src-addr": "pkt-srcaddr",
		"logstatus": "log-status", "reject": "reject-reason", "tgw": "", "pkt": "", "foo": "", "ecs-task": ""} {
		if got := Suggest(in); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
	f, err := ParseFormat("${version} ${interface} ${encryption-status} ${resource-id} ${x}")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Undocumented(); !slices.Equal(got, []string{"interface", "x"}) {
		t.Errorf("Undocumented = %q", got)
	}
	if got := DescribeFields(f.Undocumented()); got != "${interface} (${interface-id}?), ${x}" {
		t.Errorf("DescribeFields = %q", got)
	}
}
