package flow

import (
	"fmt"
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
	{"version", KindInt32, 99, 2, true, true, nil},
	{"account-id", KindString, 0, 2, true, true, nil},
	{"interface-id", KindString, 0, 2, true, false, nil},
	{"srcaddr", KindIP, 0, 2, true, true, nil},
	{"dstaddr", KindIP, 0, 2, true, true, nil},
	{"srcport", KindInt32, 65535, 2, true, true, nil},
	{"dstport", KindInt32, 65535, 2, true, true, nil},
	{"protocol", KindInt32, 255, 2, true, true, nil},
	{"packets", KindInt64, 1<<53 - 1, 2, true, true, nil},
	{"bytes", KindInt64, 1<<53 - 1, 2, true, true, nil},
	{"start", KindInt64, 4102444800000, 2, true, true, nil},
	{"end", KindInt64, 4102444800000, 2, true, true, nil},
	{"action", KindEnum, 0, 2, true, false, []string{"ACCEPT", "REJECT"}},
	{"log-status", KindEnum, 0, 2, true, true, []string{"OK", "NODATA", "SKIPDATA"}},
	{"vpc-id", KindString, 0, 3, true, false, nil},
	{"subnet-id", KindString, 0, 3, true, false, nil},
	{"instance-id", KindString, 0, 3, true, false, nil},
	{"tcp-flags", KindInt32, 255, 3, true, true, nil},
	{"type", KindEnum, 0, 3, true, true, []string{"IPv4", "IPv6", "EFA"}},
	{"pkt-srcaddr", KindIP, 0, 3, true, false, nil},
	{"pkt-dstaddr", KindIP, 0, 3, true, false, nil},
	{"region", KindString, 0, 4, true, true, nil},
	{"az-id", KindString, 0, 4, true, false, nil},
	{"sublocation-type", KindEnum, 0, 4, true, false, []string{"wavelength", "outpost", "localzone"}},
	{"sublocation-id", KindString, 0, 4, true, false, nil},
	{"pkt-src-aws-service", KindString, 0, 5, true, true, nil},
	{"pkt-dst-aws-service", KindString, 0, 5, true, true, nil},
	{"flow-direction", KindEnum, 0, 5, true, true, []string{"ingress", "egress"}},
	{"traffic-path", KindInt32, 8, 5, true, false, nil},
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
	{"resource-type", KindEnum, 0, 6, false, true, []string{"TransitGateway", "TransitGatewayAttachment"}},
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
	{"packets-lost-no-route", KindInt64, 1<<53 - 1, 6, false, true, nil},
	{"packets-lost-blackhole", KindInt64, 1<<53 - 1, 6, false, true, nil},
	{"packets-lost-mtu-exceeded", KindInt64, 1<<53 - 1, 6, false, true, nil},
	{"packets-lost-ttl-expired", KindInt64, 1<<53 - 1, 6, false, true, nil},
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

// TestValueClasses checks each field's value set against values AWS
// documents (flowlogs-reference.md §1.3-§1.8, §4, §6), values of other tools'
// test data (/work/shared/external) that flowir must keep, and values that
// cannot be what the field holds (issue 12.5: "TransitGateway" as an
// account id).
func TestValueClasses(t *testing.T) {
	tests := []struct {
		id   FieldID
		good []string
		bad  []string
	}{
		{AccountID, []string{"123456789010", "000000000000", "unknown", "64111117617"}, []string{"TransitGateway", "1234567890123", "12345678901x", "Unknown", "eni-1"}},
		{InterfaceID, []string{"eni-1235b8ca123456789", "eni-069xxxxxb7a490", "eni-1"}, []string{"eni-", "TransitGateway", "i-0123", "eni-ABC", "eni-1_2", "123456789010"}},
		{VPCID, []string{"vpc-abcdefab012345678", "vpc-0jkl5678"}, []string{"vpc-", "subnet-1", "vpc-x.y"}},
		{SubnetID, []string{"subnet-aaaaaaaa012345678"}, []string{"vpc-1", "subnet-"}},
		{InstanceID, []string{"i-01234567890123456", "i-0axxxxxx1ad77"}, []string{"i-", "eni-1", "I-1"}},
		{Region, []string{"ap-southeast-2", "us-east-1", "us-gov-west-1", "cn-north-1"}, []string{"not-a-region", "us-east-1a", "apse2-az3"}},
		{AZID, []string{"apse2-az3", "use1-az5", "usw2-lax1-az1"}, []string{"us-east-1a!", "Use1-az5"}},
		{SublocationID, []string{"op-0123456789abcdef0", "usw2-lax1"}, []string{"OP-1", "op_1"}},
		{PktSrcAWSService, []string{"AMAZON", "S3", "ROUTE53_HEALTHCHECKS", "EC2_INSTANCE_CONNECT", "MEDIA_PACKAGE_V2"}, []string{"s3", "Amazon", "S3-x"}},
		{RejectReason, []string{"BPA"}, []string{"bpa", "B P A"}},
		{ECSClusterARN, []string{"arn:aws:ecs:us-east-1:000000000000:cluster/frontend-cluster"}, []string{"frontend-cluster", "arn:"}},
		{ECSTaskDefinitionARN, []string{"arn:aws:ecs:us-east-1:000000000000:task-definition/backend:3"}, []string{"backend:3"}},
		{ECSClusterName, []string{"frontend-cluster", "DEMOGO-ECS", "cats"}, []string{"arn:aws:ecs:x", "a/b"}},
		{ECSContainerID, []string{"574fc0af-908", "0c5c6db7540ca5c4dbc692a53c1d7bab0a4e17e9cf44fc9167659c8687fd13df"}, []string{"a:b"}},
		{ECSContainerInstanceID, []string{"i-82bfd814a3c34e21a", "39623aba81594d79b596c0c5f556d47b"}, []string{"x/y"}},
		{Action, []string{"ACCEPT", "REJECT"}, []string{"accept", "ALLOW"}},
		{LogStatus, []string{"OK", "NODATA", "SKIPDATA"}, []string{"ok", "FAIL"}},
		{Type, []string{"IPv4", "IPv6", "EFA"}, []string{"ipv4", "IPv5"}},
		{FlowDirection, []string{"ingress", "egress"}, []string{"INGRESS", "in"}},
		{SublocationType, []string{"wavelength", "outpost", "localzone"}, []string{"Outpost", "region"}},
		{ResourceType, []string{"TransitGateway", "TransitGatewayAttachment"}, []string{"VPC", "transitgateway"}},
		{TGWID, []string{"tgw-0a12bc34de56f7890"}, []string{"tgw-attach-", "tgw-", "vpc-1"}},
		{TGWAttachmentID, []string{"tgw-attach-0789ijkl"}, []string{"tgw-0a12", "tgw-attach-"}},
		{TGWPairAttachmentID, []string{"tgw-attach-0123abcd"}, []string{"tgw-1"}},
		{TGWSrcVPCAccountID, []string{"748335378900", "unknown"}, []string{"vpc-1"}},
		{TGWSrcVPCID, []string{"vpc-0abc1234"}, []string{"subnet-1"}},
		{TGWDstSubnetID, []string{"subnet-0abc"}, []string{"vpc-1"}},
		{TGWSrcENI, []string{"eni-0cc3dd4ee5f66aa7b"}, []string{"tgw-1"}},
		{TGWDstAZID, []string{"use1-az1"}, []string{"USE1"}},
	}
	// shape identifies a value set: fields of the same shape share a test.
	shape := func(f *Field) string { return fmt.Sprint(f.Kind, f.Class, f.Prefix, f.Values) }
	tested := map[string]bool{}
	for _, tt := range tests {
		tested[shape(Get(tt.id))] = true
		for _, v := range tt.good {
			if !ValidValue(tt.id, []byte(v)) {
				t.Errorf("%s: %q refused", tt.id, v)
			}
		}
		for _, v := range append(tt.bad, "") {
			if ValidValue(tt.id, []byte(v)) {
				t.Errorf("%s: %q accepted", tt.id, v)
			}
		}
	}
	// Every string and enum field has a value set, and a test of it.
	for _, f := range All() {
		if f.Kind != KindString && f.Kind != KindEnum {
			continue
		}
		if f.Kind == KindString && f.Class == ClassText {
			t.Errorf("%s accepts any text", f.Name)
		}
		if f.Class == ClassResourceID && f.Prefix == "" {
			t.Errorf("%s: a resource id without a prefix", f.Name)
		}
		if Describe(f.ID) == "text" {
			t.Errorf("%s: no description of its values", f.Name)
		}
		if !tested[shape(&f)] {
			t.Errorf("%s: no test of its values", f.Name)
		}
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
