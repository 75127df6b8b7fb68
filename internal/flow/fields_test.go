package flow

import (
	"strings"
	"testing"
)

// wantField is what the reference (flowlogs-reference.md §1.2, §1.3, §4) says
// about a field, restated here independently of the registry in fields.go.
type wantField struct {
	name    string
	kind    Kind
	max     int64
	version int
	vpc     bool
	tgw     bool
	values  []string
}

// referenceFields lists every field in FieldID order. VPC fields are in the
// reference's "# in full format" order (§1.3), then the Transit Gateway-only
// fields (§4).
var referenceFields = []wantField{
	{"version", KindInt32, 0, 2, true, true, nil},
	{"account-id", KindString, 0, 2, true, true, nil},
	{"interface-id", KindString, 0, 2, true, false, nil},
	{"srcaddr", KindIP, 0, 2, true, true, nil},
	{"dstaddr", KindIP, 0, 2, true, true, nil},
	{"srcport", KindInt32, 65535, 2, true, true, nil},
	{"dstport", KindInt32, 65535, 2, true, true, nil},
	{"protocol", KindInt32, 255, 2, true, true, nil},
	{"packets", KindInt64, 0, 2, true, true, nil},
	{"bytes", KindInt64, 0, 2, true, true, nil},
	{"start", KindInt64, 0, 2, true, true, nil},
	{"end", KindInt64, 0, 2, true, true, nil},
	{"action", KindEnum, 0, 2, true, false, []string{"ACCEPT", "REJECT"}},
	{"log-status", KindEnum, 0, 2, true, true, []string{"OK", "NODATA", "SKIPDATA"}},
	{"vpc-id", KindString, 0, 3, true, false, nil},
	{"subnet-id", KindString, 0, 3, true, false, nil},
	{"instance-id", KindString, 0, 3, true, false, nil},
	{"tcp-flags", KindInt32, 0, 3, true, true, nil},
	{"type", KindString, 0, 3, true, true, nil},
	{"pkt-srcaddr", KindIP, 0, 3, true, false, nil},
	{"pkt-dstaddr", KindIP, 0, 3, true, false, nil},
	{"region", KindString, 0, 4, true, true, nil},
	{"az-id", KindString, 0, 4, true, false, nil},
	{"sublocation-type", KindString, 0, 4, true, false, nil},
	{"sublocation-id", KindString, 0, 4, true, false, nil},
	{"pkt-src-aws-service", KindString, 0, 5, true, true, nil},
	{"pkt-dst-aws-service", KindString, 0, 5, true, true, nil},
	{"flow-direction", KindString, 0, 5, true, true, nil},
	{"traffic-path", KindInt32, 0, 5, true, false, nil},
	{"ecs-cluster-arn", KindString, 0, 7, true, false, nil},
	{"ecs-cluster-name", KindString, 0, 7, true, false, nil},
	{"ecs-container-instance-arn", KindString, 0, 7, true, false, nil},
	{"ecs-container-instance-id", KindString, 0, 7, true, false, nil},
	{"ecs-container-id", KindString, 0, 7, true, false, nil},
	{"ecs-second-container-id", KindString, 0, 7, true, false, nil},
	{"ecs-service-name", KindString, 0, 7, true, false, nil},
	{"ecs-task-definition-arn", KindString, 0, 7, true, false, nil},
	{"ecs-task-arn", KindString, 0, 7, true, false, nil},
	{"ecs-task-id", KindString, 0, 7, true, false, nil},
	{"reject-reason", KindString, 0, 8, true, false, nil},
	{"resource-type", KindString, 0, 6, false, true, nil},
	{"tgw-id", KindString, 0, 6, false, true, nil},
	{"tgw-attachment-id", KindString, 0, 6, false, true, nil},
	{"tgw-src-vpc-account-id", KindString, 0, 6, false, true, nil},
	{"tgw-dst-vpc-account-id", KindString, 0, 6, false, true, nil},
	{"tgw-src-vpc-id", KindString, 0, 6, false, true, nil},
	{"tgw-dst-vpc-id", KindString, 0, 6, false, true, nil},
	{"tgw-src-subnet-id", KindString, 0, 6, false, true, nil},
	{"tgw-dst-subnet-id", KindString, 0, 6, false, true, nil},
	{"tgw-src-eni", KindString, 0, 6, false, true, nil},
	{"tgw-dst-eni", KindString, 0, 6, false, true, nil},
	{"tgw-src-az-id", KindString, 0, 6, false, true, nil},
	{"tgw-dst-az-id", KindString, 0, 6, false, true, nil},
	{"tgw-pair-attachment-id", KindString, 0, 6, false, true, nil},
	{"packets-lost-no-route", KindInt64, 0, 6, false, true, nil},
	{"packets-lost-blackhole", KindInt64, 0, 6, false, true, nil},
	{"packets-lost-mtu-exceeded", KindInt64, 0, 6, false, true, nil},
	{"packets-lost-ttl-expired", KindInt64, 0, 6, false, true, nil},
}

func TestFieldRegistry(t *testing.T) {
	all := All()
	if len(all) != len(referenceFields) || int(NumFields) != len(referenceFields) {
		t.Fatalf("registry has %d fields (NumFields %d), reference lists %d", len(all), NumFields, len(referenceFields))
	}
	if NumFields > 64 {
		t.Fatalf("NumFields = %d does not fit Record.Present (uint64)", NumFields)
	}
	if NumVPCFields != 40 {
		t.Errorf("NumVPCFields = %d, want 40 (v2 to v8)", NumVPCFields)
	}
	for i, w := range referenceFields {
		f := all[i]
		t.Run(w.name, func(t *testing.T) {
			if f.ID != FieldID(i) {
				t.Errorf("ID = %d, want %d", f.ID, i)
			}
			if f.Name != w.name {
				t.Errorf("Name = %q, want %q", f.Name, w.name)
			}
			if want := strings.ReplaceAll(w.name, "-", "_"); f.Column != want {
				t.Errorf("Column = %q, want %q", f.Column, want)
			}
			if f.Kind != w.kind {
				t.Errorf("Kind = %v, want %v", f.Kind, w.kind)
			}
			if f.Max != w.max {
				t.Errorf("Max = %d, want %d", f.Max, w.max)
			}
			if f.Version != w.version {
				t.Errorf("Version = %d, want %d", f.Version, w.version)
			}
			if f.VPC != w.vpc || f.TGW != w.tgw {
				t.Errorf("VPC, TGW = %v, %v; want %v, %v", f.VPC, f.TGW, w.vpc, w.tgw)
			}
			if strings.Join(f.Values, ",") != strings.Join(w.values, ",") {
				t.Errorf("Values = %q, want %q", f.Values, w.values)
			}
			if g := Get(FieldID(i)); g.Name != w.name || g != &All()[i] {
				t.Errorf("Get(%d) = %q, not the registry entry", i, g.Name)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		in   string
		want FieldID
		ok   bool
	}{
		{"log-status", LogStatus, true},
		{"log_status", LogStatus, true},
		{"${log-status}", LogStatus, true},
		{"${log_status}", LogStatus, true},
		{"LOG-STATUS", LogStatus, true},
		{"Log_Status", LogStatus, true},
		{"  srcaddr\t", SrcAddr, true},
		{"version", Version, true},
		{"packets-lost-ttl-expired", PacketsLostTTLExpired, true},
		{"pkt_src_aws_service", PktSrcAWSService, true},
		{"reject-reason", RejectReason, true},
		{"resource-id", 0, false},       // v9/v10, not known yet
		{"encryption-status", 0, false}, // idem
		{"", 0, false},
		{"${}", 0, false},
		{"log status", 0, false},
		{"logstatus", 0, false},
		{"${log-status", 0, false},
		{"vpc-0abc", 0, false},
	}
	for _, tt := range tests {
		got, ok := Lookup(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	// Every registered name and column must resolve to its own field.
	for _, f := range All() {
		for _, n := range []string{f.Name, f.Column, "${" + f.Name + "}", strings.ToUpper(f.Name)} {
			if id, ok := Lookup(n); !ok || id != f.ID {
				t.Errorf("Lookup(%q) = %v, %v; want %v", n, id, ok, f.ID)
			}
		}
	}
}

func TestFieldIDString(t *testing.T) {
	tests := []struct {
		id   FieldID
		want string
	}{
		{Version, "version"},
		{LogStatus, "log-status"},
		{PacketsLostTTLExpired, "packets-lost-ttl-expired"},
		{NumFields, "field(58)"},
		{FieldID(255), "field(255)"},
	}
	for _, tt := range tests {
		if got := tt.id.String(); got != tt.want {
			t.Errorf("FieldID(%d).String() = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		k    Kind
		want string
	}{
		{KindString, "string"},
		{KindInt32, "int32"},
		{KindInt64, "int64"},
		{KindIP, "ip"},
		{KindEnum, "enum"},
		{Kind(99), "string"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", tt.k, got, tt.want)
		}
	}
}
