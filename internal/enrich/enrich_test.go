package enrich

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/inventory"
)

func testOwners() *Owners {
	return NewOwners(map[string]inventory.Owner{
		"eni-0aaa1111bbbb2222c": {InterfaceID: "eni-0aaa1111bbbb2222c", OwnerType: "instance", OwnerID: "i-0123456789abcdef0", OwnerName: "app-1",
			SubnetID: "subnet-1", VpcID: "vpc-1", SecurityGroups: []string{"sg-1"}, PrivateIPs: []string{"10.18.10.87"}},
		"eni-0nat0000000000000": {InterfaceID: "eni-0nat0000000000000", OwnerType: "nat_gateway", OwnerID: "nat-0123456789abcdef0",
			PrivateIPs: []string{"10.18.0.212"}, PublicIPs: []string{"198.51.100.9"}, IPv6Addresses: []string{"2600:1f18:4000::9"}},
	})
}

// The records' own service wins over the published ranges'; the ranges'
// Region stays; other fields merge; the owner comes from the inventory.
func TestTable(t *testing.T) {
	r := loadFixture(t)
	addrs := []string{"52.217.3.251", "3.5.40.1", "2600:1f18:4000::9", "10.18.10.87", "203.0.113.200"}
	vals := AWSValues(r, addrs)
	vals = append(vals, RecordValues([]RecordService{
		{Address: "3.5.40.1", Services: []string{"AMAZON", "S3"}, Records: 4, LastSeen: time.Unix(1763600000, 0)},
		{Address: "52.217.3.251", Services: []string{"AMAZON"}, Records: 2},
		{Address: "10.18.10.87", Services: []string{"-"}, Records: 9},
	})...)
	vals = append(vals, Value{Address: "203.0.113.200", Field: FieldASN, Value: "64500", Kind: KindGeoIP},
		Value{Address: "203.0.113.200", Field: FieldCountry, Value: "NL", Kind: KindGeoIP})
	tab := NewTable(vals, testOwners())
	// 3.5.40.1: the ranges say AMAZON (3.5.0.0/16), the records S3.
	in := tab.Info("3.5.40.1")
	if in.AWSService != "S3" || in.AWSRegion != "GLOBAL" || !reflect.DeepEqual(in.AWSServices, []string{"AMAZON", "S3"}) {
		t.Errorf("3.5.40.1: %+v", in)
	}
	// 52.217.3.251: the records say AMAZON only: the ranges' S3 says more.
	in = tab.Info("52.217.3.251")
	if in.AWSService != "S3" || in.AWSRegion != "us-east-1" || !strings.Contains(strings.Join(in.AWSServices, ","), "S3") {
		t.Errorf("52.217.3.251: %+v", in)
	}
	in = tab.Info("2600:1f18:4000:0::9")
	if in.AWSService != "S3" || in.Owner == "" || !strings.HasPrefix(in.Owner, "nat_gateway nat-0123456789abcdef0") {
		t.Errorf("2600:1f18:4000::9: %+v", in)
	}
	if in := tab.Info("10.18.10.87"); in.AWSService != "" || in.Owner != "instance i-0123456789abcdef0 (app-1) eni-0aaa1111bbbb2222c subnet-1 vpc-1 sg-1" {
		t.Errorf("10.18.10.87: %+v", in)
	}
	if in := tab.Info("203.0.113.200"); in.ASN != 64500 || in.Country != "NL" || in.Get(FieldASN) != int64(64500) || in.Get(FieldCity) != nil {
		t.Errorf("203.0.113.200: %+v", in)
	}
	if got := tab.Fields(); !reflect.DeepEqual(got, []string{FieldAWSService, FieldAWSRegion, FieldNetworkBorderGroup, FieldASN, FieldCountry}) {
		t.Errorf("fields %v", got)
	}
	classes := map[string]string{"3.5.40.1": ClassAWSService, "10.18.10.87": ClassInternal, "203.0.113.200": ClassOrganisation, "192.0.2.1": ClassUnknown}
	for a, want := range classes {
		if c := tab.Class(a); c.Kind != want {
			t.Errorf("class of %s: %+v, want %s", a, c, want)
		}
	}
	var nilTab *Table
	if !reflect.DeepEqual(nilTab.Info("1.2.3.4"), Info{}) || nilTab.Class("1.2.3.4").Kind != ClassUnknown || !nilTab.Empty() {
		t.Error("a nil table knows something")
	}
}

func TestRecordValues(t *testing.T) {
	got := RecordValues([]RecordService{
		{Address: "::ffff:52.94.0.1", Services: []string{"DYNAMODB", "AMAZON", "-"}, Records: 3},
		{Address: "52.94.0.2", Services: []string{"S3", "DYNAMODB"}, Records: 1},
		{Address: "52.94.0.3", Services: []string{"-"}, Records: 1},
	})
	if len(got) != 2 || got[0].Address != "52.94.0.1" || got[0].Value != "DYNAMODB" || got[1].Value != "DYNAMODB,S3" || got[0].Kind != KindFlowRecords {
		t.Errorf("%+v", got)
	}
}
